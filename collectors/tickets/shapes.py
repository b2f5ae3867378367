"""The shapes of the ticket APIs' answers, checked at the boundary (pydantic models).

Each answer (a page) is validated as a whole first: an answer of the wrong shape fails the run
with a sentence naming the endpoint and the field, and the checkpoint stays where it was. Then
each item is validated on its own: a bad item is skipped and counted in the run's warning, the
others are kept. Only the fields Hypercare reads are modelled; anything else is ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from hypercare.errors import CollectorError

SHOWN_PROBLEMS = 10


def _aware_time(value: Any) -> datetime:
    """An ISO 8601 instant with its offset (Jira's "+0100" included), as the APIs document them."""
    if isinstance(value, datetime):
        at = value
    elif isinstance(value, str):
        try:
            at = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a date and time") from None
    else:
        raise ValueError(f"{value!r} is not a date and time")
    if at.tzinfo is None:
        raise ValueError(f"{value!r} has no UTC offset")
    return at


Instant = Annotated[datetime, BeforeValidator(_aware_time)]


class Shape(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Named(Shape):
    name: str


# GitHub: GET /repos/{owner}/{repo}/issues answers a list of these.
class GitHubIssue(Shape):
    number: int
    state: str
    state_reason: str | None = None
    title: str | None = None
    html_url: str | None = None
    created_at: Instant
    updated_at: Instant
    labels: list[Named | str] = []
    pull_request: dict[str, Any] | None = None


# Jira: GET /rest/api/3/myself and /rest/api/3/search/jql.
class JiraUser(Shape):
    timeZone: str | None = None  # noqa: N815 (Jira's own name)


class JiraStatusCategory(Shape):
    key: str | None = None


class JiraStatus(Shape):
    name: str | None = None
    statusCategory: JiraStatusCategory | None = None  # noqa: N815


class JiraFields(Shape):
    created: Instant
    updated: Instant
    summary: str | None = None
    status: JiraStatus | None = None
    priority: Named | None = None
    issuetype: Named | None = None
    labels: list[str] = []
    components: list[Named] = []


class JiraIssue(Shape):
    key: str
    fields: JiraFields


class JiraPage(Shape):
    issues: list[Any]
    isLast: bool | None = None  # noqa: N815
    nextPageToken: str | None = None  # noqa: N815


# Zendesk: GET /api/v2/incremental/tickets/cursor.json.
class ZendeskTicket(Shape):
    id: int
    created_at: Instant
    updated_at: Instant
    subject: str | None = None
    status: str | None = None
    priority: str | None = None
    type: str | None = None
    tags: list[str] = []


class ZendeskPage(Shape):
    tickets: list[Any]
    after_cursor: str | None = None
    end_of_stream: bool


T = TypeVar("T", bound=BaseModel)


def _field(error: dict[str, Any]) -> str:
    """`field.path: what is wrong`, e.g. `fields.created: 'x' is not a date and time`."""
    where = ".".join(str(part) for part in error["loc"]) or "the answer"
    msg = error["msg"].removeprefix("Value error, ")
    return f"{where}: {msg[0].lower()}{msg[1:]}"


def answer(model: type[T], data: Any, collector: str, endpoint: str) -> T:
    """The whole answer of `endpoint` as `model`, or a CollectorError naming the field."""
    if not isinstance(data, dict):
        raise CollectorError(f"{collector}: {endpoint} answered a {type(data).__name__} where an object was expected; "
                             f"nothing after the last good page was written and the next run tries again")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise CollectorError(f"{collector}: {endpoint} answered without the expected shape: {_field(exc.errors()[0])}; "
                             f"nothing after the last good page was written and the next run tries again") from None


def answer_list(data: Any, collector: str, endpoint: str, what: str) -> list[Any]:
    """An answer that must be a JSON list (of `what`)."""
    if not isinstance(data, list):
        raise CollectorError(f"{collector}: {endpoint} answered a {type(data).__name__} where a list of {what} was "
                             f"expected; nothing after the last good page was written and the next run tries again")
    return data


class Items(Generic[T]):
    """Validates items one by one and remembers the ones it skipped, for the run's warning."""

    def __init__(self, model: type[T], what: str, label: str):
        self.model, self.what, self.label = model, what, label  # label: the item's id field, e.g. "number"
        self.problems: list[str] = []

    def valid(self, items: Sequence[Any]) -> list[T]:
        kept = []
        for position, item in enumerate(items):
            try:
                kept.append(self.model.model_validate(item))
            except ValidationError as exc:
                ident = item.get(self.label) if isinstance(item, dict) else None
                name = f"{self.label} {ident}" if ident is not None else f"item {position + 1} of its page"
                self.problems.append(f"{name}: {_field(exc.errors()[0])}")
        return kept

    def warning(self) -> str | None:
        if not self.problems:
            return None
        shown = "; ".join(self.problems[:SHOWN_PROBLEMS]) + (" …" if len(self.problems) > SHOWN_PROBLEMS else "")
        noun = self.what if len(self.problems) > 1 else self.what.removesuffix("s")
        return f"{len(self.problems)} {noun} skipped (not the shape the API documents): {shown}"
