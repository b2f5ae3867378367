"""The shapes of Sentry's (and GlitchTip's) answers, checked at the boundary with pydantic.

A malformed item in a list (an issue without a project, a title or its dates) is skipped and
counted; a malformed answer (stats_v2 answering a list or `{}`, an interval that isn't a date)
fails the run with a sentence naming the endpoint and the field, before anything is written.
Unknown fields are ignored: servers add fields all the time.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, TypeVar

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from hypercare.errors import CollectorError

Model = TypeVar("Model", bound=BaseModel)
Number = float | None  # one type, not a union: error locations stay plain field paths


class _Shape(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True, frozen=True)


def _utc(value: datetime) -> datetime:
    return value.astimezone(timezone.utc)


class ProjectRef(_Shape):
    slug: str = Field(min_length=1)


class IssueItem(_Shape):
    """One element of `GET /api/0/organizations/{org}/issues/`. `count` is a string on Sentry."""

    id: str = Field(min_length=1)
    project: ProjectRef
    title: str = Field(min_length=1)
    firstSeen: AwareDatetime
    lastSeen: AwareDatetime
    shortId: str | None = None
    culprit: str | None = None
    level: str | None = None
    status: str | None = None
    substatus: str | None = None  # Sentry only
    count: int | None = None
    userCount: int | None = None
    firstRelease: Any = None  # an object with `version` on Sentry, absent on GlitchTip
    permalink: str | None = None
    stats: Mapping[str, Any] | None = None  # {"24h": [[epoch, n], ...]} on Sentry only

    _utc_times = field_validator("firstSeen", "lastSeen")(_utc)

    @field_validator("project", mode="before")
    @classmethod
    def _slug_alone(cls, v: Any) -> Any:
        return {"slug": v} if isinstance(v, str) else v


class ProjectItem(_Shape):
    id: str = Field(min_length=1)
    slug: str = Field(min_length=1)


class StatsGroup(_Shape):
    by: Mapping[str, Any] = Field(default_factory=dict)  # GlitchTip sends no `by`
    series: Mapping[str, list[Number]] | None = None  # Sentry leaves it out when grouping by project


class StatsAnswer(_Shape):
    """stats_v2 and sessions: values line up with `intervals` by index."""

    intervals: list[AwareDatetime]
    groups: list[StatsGroup]

    _utc_times = field_validator("intervals")(lambda v: [_utc(t) for t in v])


class Deploy(_Shape):
    environment: str | None = None
    dateFinished: AwareDatetime | None = None


class Release(_Shape):
    dateReleased: AwareDatetime | None = None
    firstEvent: AwareDatetime | None = None  # Sentry only
    dateCreated: AwareDatetime | None = None


def describe(error: ValidationError, raw: Any) -> str:
    """The first problem of a validation error as words: which field, and what is wrong."""
    first = error.errors(include_url=False)[0]
    loc = ".".join(str(part) for part in first["loc"])
    if not loc:
        return f"a {type(raw).__name__} where an object was expected"
    if first["type"] == "missing":
        return f"no `{loc}`"
    value = repr(first.get("input"))[:60]
    return f"`{loc}` = {value} ({first['msg'].lower()})"


def answer(model: type[Model], raw: Any, what: str, endpoint: str) -> Model:
    """`raw` as `model`, or a CollectorError naming the endpoint and the field."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise CollectorError(
            f"the server answered {what} ({endpoint}) with {describe(exc, raw)}; nothing of that answer was "
            f"stored and the checkpoint did not move (is base_url a Sentry-compatible server?)"
        ) from None


def items(model: type[Model], rows: list[Any], kind: str) -> tuple[list[Model], list[str]]:
    """The rows that fit `model`, and one short sentence per row that doesn't."""
    good, bad = [], []
    for raw in rows:
        try:
            good.append(model.model_validate(raw))
        except ValidationError as exc:
            ident = raw.get("id") if isinstance(raw, Mapping) else None
            bad.append(f"{kind} {ident if ident is not None else '(no id)'}: {describe(exc, raw)}")
    return good, bad
