"""Sentry's Web API over the shared HTTP client: Link-cursor pagination and errors a person can act on."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from collectors.sentry.mapping import next_cursor
from hypercare.clock import Clock
from hypercare.errors import CollectorError
from hypercare.http import HttpClient, HttpError, RetryPolicy

Params = Sequence[tuple[str, Any]]

SCOPES = "org:read, project:read and event:read"


class Refused(CollectorError):
    """A request the server refused for good: `status` (200 for an answer that isn't JSON, such
    as a proxy's HTML page) and the server's own words in `detail`."""

    def __init__(self, message: str, status: int | None, detail: str):
        super().__init__(message, permanent=True)
        self.status = status
        self.detail = detail

    @property
    def not_offered(self) -> bool:
        """The endpoint isn't there: 404, 405, or an HTML page where JSON was expected.
        (5xx are retried failures, and 400/422 are about a parameter, never "not offered".)"""
        return self.status in (404, 405) or (self.status == 200 and self.detail.startswith("an HTML page"))


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    next_cursor: str | None  # None: this was the last page


def describe_detail(detail: Any) -> str:
    """Sentry's `detail` (a string, a list, or an object) as one sentence."""
    if isinstance(detail, str) and detail.lstrip()[:1] == "<":
        return "an HTML page instead of Sentry's JSON: a proxy answered, or base_url is not a Sentry server"
    if isinstance(detail, Mapping):
        if "detail" in detail:
            return describe_detail(detail["detail"])
        return "; ".join(f"{k}: {describe_detail(v)}" for k, v in detail.items())
    if isinstance(detail, (list, tuple)):
        return "; ".join(describe_detail(d) for d in detail)
    return " ".join(str(detail).split())[:300] if detail is not None else ""


def explain(status: int | None, detail: str, what: str, base_url: str, org: str, token_env: str) -> str:
    """An actionable sentence for a refused request."""
    said = f" (Sentry said: {detail})" if detail else ""
    if status == 401:
        return (f"Sentry rejected the token in ${token_env} when reading {what}{said}; create a new auth token "
                f"with the {SCOPES} scopes and put it in ${token_env}")
    if status == 403:
        return (f"the token in ${token_env} may not read {what}{said}; it needs the {SCOPES} scopes and "
                f"access to the projects' teams")
    if status == 404:
        return (f"{base_url} does not know {what}{said}; check [sentry] org = {org!r}, the project slugs and "
                f"base_url (an organization on the EU region lives at https://de.sentry.io)")
    return f"Sentry refused the query for {what} ({status}){said}; this Hypercare asked for something this server does not support"


class SentryApi:
    """GETs against one organization; every failure becomes a CollectorError with a fix."""

    def __init__(self, base_url: str, org: str, token: str, token_env: str, *, clock: Clock,
                 timeout: float = 30.0, policy: RetryPolicy = RetryPolicy()):
        self.base_url = base_url.rstrip("/")
        self.org = org
        self.token_env = token_env
        self.http = HttpClient(
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=(min(timeout, 10.0), timeout), policy=policy, clock=clock, secrets=[token],
        )

    @property
    def requests_made(self) -> int:
        return self.http.requests_made

    def org_url(self, *segments: str) -> str:
        """`/api/0/organizations/{org}/...`; each segment percent-encoded as one path segment
        (release versions hold '/', '+', '@' and spaces)."""
        path = "/".join(quote(s, safe="") for s in (self.org, *segments))
        return f"{self.base_url}/api/0/organizations/{path}/"

    def get(self, url: str, params: Params, what: str) -> tuple[Any, Mapping[str, str]]:
        """The JSON answer and its headers; Refused for a 4xx or an answer that isn't JSON."""
        try:
            resp = self.http.get(url, params=list(params))
        except HttpError as exc:
            if exc.permanent:
                detail = describe_detail(exc.body)
                raise Refused(explain(exc.status, detail, what, self.base_url, self.org, self.token_env),
                              exc.status, detail) from None
            raise CollectorError(f"reading {what}: {exc.message}") from None
        try:
            return self.http.json(resp), resp.headers
        except HttpError as exc:
            raise Refused(f"reading {what}: {exc.message}", resp.status_code, describe_detail(resp.text)) from None

    def server_settings(self) -> Any:
        """GlitchTip's public `GET /api/settings/` document (None where the server has none,
        as Sentry hasn't). A transport failure raises CollectorError: ask again later."""
        try:
            return self.get(f"{self.base_url}/api/settings/", [], "the server's settings")[0]
        except Refused:
            return None

    def pages(self, url: str, params: Params, what: str, cursor: str | None = None) -> Iterator[Page]:
        """Follow the Link header from `cursor` (None: the first page) to the end, lazily."""
        while True:
            query = [*params, ("cursor", cursor)] if cursor else list(params)
            rows, headers = self.get(url, query, what)
            if not isinstance(rows, list):
                raise CollectorError(f"Sentry answered {what} with {type(rows).__name__} instead of a list")
            following = next_cursor(headers.get("Link"), bool(rows))
            if following is not None and following == cursor:
                raise CollectorError(f"Sentry sent the same cursor twice for {what}; stopped to avoid a loop")
            yield Page(rows, following)
            if following is None:
                return
            cursor = following
