"""What the ticket collectors share: naming, secrets, where to resume, and the batch write."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa

from collectors.tickets.normalise import RAW_SCHEMA, Normaliser
from hypercare.clock import Clock
from hypercare.config import ReleaseConfig, TicketSourceBase
from hypercare.errors import CollectorError
from hypercare.http import HttpClient, HttpError
from hypercare.store import Store
from hypercare.store.writes import read_checkpoint, save_checkpoint

# Pages are committed together up to about this many tickets: a transaction per 100-issue page
# cost ~25 ms, most of a GitHub run's time. Above one DuckDB row group (122,880 rows) a batch is
# written straight into the file rather than through the WAL, which halved the write of 200,000
# tickets; 250,000 raw rows are some 40 MB of Arrow.
BATCH_ROWS = 250_000
# Pages are turned into rows this many items at a time: each chunk costs some twenty Arrow compute
# calls whatever its size: at 2,000 items a chunk they were half of the conversion (Jira, 200,000 issues).
CHUNK_ITEMS = 20_000


@dataclass(frozen=True)
class Page:
    """One answer page: its items as Arrow columns read from the body (None when Arrow can't
    vouch for them), the items parsed for the item-by-item path (parsed only when asked, unless
    the columns are None), and the source's own cursor after it (None: the items' newest
    updated time)."""

    columns: pa.StructArray | None
    items: Callable[[], list[Any]]
    after: str | None = None

    def __len__(self) -> int:
        return len(self.columns) if self.columns is not None else len(self.items())


# Pages of items -> their raw tickets (RAW_SCHEMA) and the updated times the checkpoint may take.
Convert = Callable[[list[Page]], tuple[pa.Table, list[datetime]]]


class TicketCollector:
    """One configured [[tickets]] entry. Subclasses implement `collect(store, now)`."""

    kind = "tickets"

    def __init__(self, source: TicketSourceBase, release: ReleaseConfig, clock: Clock):
        self.source = source
        self.release = release
        self.clock = clock
        self.name = f"tickets:{source.source}"
        self.interval_seconds = source.interval_seconds
        self.normaliser = Normaliser(source)
        self.secrets: list[str] = []

    def secret(self, env_name: str, what: str) -> str:
        """The value of an environment variable named in the config; remembered for scrubbing."""
        value = os.environ.get(env_name, "").strip()
        if not value:
            raise CollectorError(
                f"{self.name}: the environment variable {env_name} is not set; export it with the {what}",
                permanent=True,
            )
        self.secrets.append(value)
        return value

    def basic_auth_client(self, email_env: str, token_env: str, email_what: str, token_what: str,
                          username: str = "{email}") -> HttpClient:
        """A JSON client with basic auth from two environment variables (Jira, Zendesk)."""
        email = self.secret(email_env, email_what)
        token = self.secret(token_env, token_what)
        return HttpClient(headers={"Accept": "application/json"}, auth=(username.format(email=email), token),
                          clock=self.clock, secrets=[email, token], timeout=self.timeouts())

    def timeouts(self) -> tuple[float, float]:
        """(connect, read) timeouts; the HTTP client bounds each whole answer by the second."""
        seconds = self.source.timeout_seconds
        return min(seconds, 10.0), seconds

    def history_start(self, now: datetime) -> datetime:
        """Where a first run starts: the start of the baseline (go-live unknown: counted from now)."""
        span = timedelta(hours=self.release.baseline_hours)
        if self.release.go_live_at is not None:
            return self.release.go_live_at - span
        return now - span - timedelta(hours=self.release.window_hours)

    def checkpoint(self, store: Store, scope: str) -> str | None:
        return read_checkpoint(store.cursor(), self.name, scope)

    def updated_since(self, store: Store, now: datetime) -> datetime:
        """The updated-at to ask from: the newest seen minus the overlap, else the history start."""
        seen = self.checkpoint(store, "updated_at")
        if seen is None:
            return self.history_start(now)
        return datetime.fromisoformat(seen) - timedelta(seconds=self.source.overlap_seconds)

    def write(self, store: Store, rows: pa.Table, scope: str, cursor: str | None, now: datetime) -> int:
        """Map and upsert one raw batch and move the checkpoint in the same transaction."""
        rows = rows.set_column(0, "pos", pa.array(range(rows.num_rows), pa.int64()))  # pages' own positions restart
        name = f"_raw_{id(rows)}"
        with store.transaction() as cur:  # a failure rolls back the registration too
            cur.register(name, rows)
            written = self.normaliser.merge(cur, name) if rows.num_rows else 0
            cur.unregister(name)
            if cursor is not None:
                save_checkpoint(cur, self.name, scope, cursor, now)
        return written

    def write_pages(self, store: Store, pages: Iterable[Page], scope: str, now: datetime, convert: Convert) -> int:
        """Write pages in batches of about BATCH_ROWS tickets, each batch in one transaction with
        the checkpoint of its last page. Pages are turned into rows CHUNK_ITEMS items at a time
        (`convert`), so the per-call cost of the column work is paid once per chunk, not per page.
        When a later page fails, the pages read before it are written first, so the next run
        resumes after them."""
        chunk: list[Page] = []
        items = 0  # in the chunk
        pending: list[pa.Table] = []
        saved = cursor = self.checkpoint(store, scope)
        explicit: str | None = None
        written = 0

        def rows() -> None:
            nonlocal cursor, explicit, items
            if chunk:
                table, latest = convert(chunk)
                pending.append(table)
                cursor = explicit or newest(cursor, latest)
                chunk.clear()
                explicit, items = None, 0

        def flush() -> None:
            nonlocal written, saved
            rows()
            if pending or cursor != saved:
                written += self.write(store, pa.concat_tables(pending or [RAW_SCHEMA.empty_table()]), scope, cursor, now)
                pending.clear()
                saved = cursor

        try:
            for page in pages:
                chunk.append(page)
                explicit, items = page.after or explicit, items + len(page)
                if items >= CHUNK_ITEMS:
                    rows()
                    if sum(t.num_rows for t in pending) >= BATCH_ROWS:
                        flush()
        except CollectorError:
            flush()
            raise
        flush()
        return written

    @contextmanager
    def explained(self, hints: Mapping[int, str]) -> Iterator[None]:
        """Turn a permanent HTTP error into a sentence that says what to fix."""
        try:
            yield
        except HttpError as exc:
            hint = hints.get(exc.status or 0)
            if hint is None or not exc.permanent:
                raise
            detail = _detail(exc.body)
            raise CollectorError(
                f"{self.name}: {hint} ({exc.message}{': ' + detail if detail else ''})", permanent=True
            ) from None


def newest(current: str | None, candidates: list[datetime]) -> str | None:
    """The later of a stored ISO checkpoint and the newest of `candidates`, as ISO (UTC)."""
    best = max(candidates, default=None)
    if current is not None and (best is None or datetime.fromisoformat(current) >= best):
        return current
    return best.isoformat() if best is not None else None


def _detail(body: object) -> str:
    """The human part of an API's error body (GitHub message, Jira errorMessages, Zendesk error)."""
    if isinstance(body, dict):
        for key in ("message", "errorMessages", "description", "error"):
            value = body.get(key)
            if isinstance(value, list):
                value = " ".join(str(v) for v in value)
            if isinstance(value, dict):
                value = value.get("message") or value.get("title")
            if value:
                return str(value)[:200]
        return ""
    return str(body or "").strip()[:200]
