"""What every collector is, and the bookkeeping around each run (`collector_runs`)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Literal, Protocol

import pyarrow as pa

from hypercare.clock import Clock
from hypercare.errors import CollectorError
from hypercare.http import redact
from hypercare.store import Store
from hypercare.store.writes import merge_rows

log = logging.getLogger(__name__)

__all__ = [
    "Collector", "CollectorError", "RunOutcome", "RunRecord", "RunStatus", "mark_interrupted", "run_collector",
]

# `collector_runs.status` (DESIGN.md, shared definitions). `ok` is true for ok and partial.
RunStatus = Literal["running", "ok", "partial", "failed", "interrupted"]
INTERRUPTED_ERROR = (
    "the run was interrupted: its process stopped before it finished (found at the next start); "
    "the batches it committed are kept and the next run resumes from its checkpoint"
)


@dataclass(frozen=True)
class RunOutcome:
    """What a run did. `incomplete` says why it stopped early, keeping what it committed
    (e.g. a page cap was hit); such a run is recorded as failed and resumes on the next run.
    `partial` names the parts the source doesn't offer (an optional endpoint a server lacks):
    the run is recorded as partial, which counts as ok, so the source stays fresh.
    `warning` says what a complete run skipped (e.g. unreadable CSV lines): the run is ok, so
    the source stays fresh, and the text is recorded beside it."""

    rows_written: int
    incomplete: str | None = None
    warning: str | None = None
    partial: str | None = None

    @property
    def status(self) -> RunStatus:
        if self.incomplete:
            return "failed"
        return "partial" if self.partial else "ok"


class Collector(Protocol):
    name: str  # unique per configured source: "sentry", "checks", "tickets:app-support"
    kind: str  # what `collect --only` selects: "sentry" | "checks" | "tickets"
    interval_seconds: float
    secrets: Sequence[str]  # values scrubbed from every recorded error

    def collect(self, store: Store, now: datetime) -> RunOutcome:
        """Pull from the source and write in batches, each in one transaction with its
        checkpoint. Raise CollectorError for a failure a person should read."""


@dataclass(frozen=True)
class RunRecord:
    """One `collector_runs` row. While `running`, `finished_at`, `ok` and `rows_written` are
    None; an `interrupted` run keeps them None (when it stopped and what it wrote are unknown)."""

    run_id: str
    collector: str
    started_at: datetime
    finished_at: datetime | None
    status: RunStatus
    rows_written: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status in ("ok", "partial")

    def row(self) -> dict:
        """The `collector_runs` row (`ok` is NULL while running)."""
        return {**asdict(self), "ok": None if self.status == "running" else self.ok}


_RUNS_SCHEMA = pa.schema([
    ("run_id", pa.string()), ("collector", pa.string()), ("started_at", pa.timestamp("us", tz="UTC")),
    ("finished_at", pa.timestamp("us", tz="UTC")), ("status", pa.string()), ("ok", pa.bool_()),
    ("rows_written", pa.int64()), ("error", pa.string()),
])


def _record(store: Store, record: RunRecord) -> None:
    with store.transaction() as cur:
        merge_rows(cur, "collector_runs", pa.Table.from_pylist([record.row()], schema=_RUNS_SCHEMA), ["run_id"])


def mark_interrupted(store: Store) -> list[str]:
    """Turn every `running` row into `interrupted`; call once at start, before any run begins.

    Only one process writes the file, so a run still `running` when it starts belonged to a
    process that died (killed, crashed, powered off). Returns the collectors concerned."""
    with store.transaction() as cur:
        names = [r[0] for r in cur.execute(
            "SELECT collector FROM collector_runs WHERE status = 'running' ORDER BY started_at").fetchall()]
        if names:
            cur.execute("UPDATE collector_runs SET status = 'interrupted', ok = false, error = ? WHERE status = 'running'",
                        [INTERRUPTED_ERROR])
    for name in names:
        log.warning("the last run of %s was interrupted (its process stopped before it finished)", name)
    return names


def run_collector(store: Store, collector: Collector, clock: Clock) -> RunRecord:
    """Run one collector once and record the run: `running` before its first batch, then its
    outcome. Never raises for a source's failure."""
    started = clock.now()
    run_id = uuid.uuid4().hex
    _record(store, RunRecord(run_id, collector.name, started, None, "running", None, None))
    rows, error, note, status = 0, None, None, "failed"
    try:
        outcome = collector.collect(store, started)
        rows, error, status = outcome.rows_written, outcome.incomplete, outcome.status
        note = "; ".join(text for text in (outcome.partial, outcome.warning) if text) or None
    except CollectorError as exc:
        rows, error = exc.rows_written, exc.message  # what it committed before failing
        log.warning("collector %s failed: %s", collector.name, redact(error, collector.secrets))
    except Exception as exc:  # a bug or an unforeseen answer: record it, keep the scheduler alive
        error = f"unexpected {type(exc).__name__}: {exc}"
        log.exception("collector %s crashed", collector.name)
    message = error or note
    record = RunRecord(
        run_id=run_id,
        collector=collector.name,
        started_at=started,
        finished_at=clock.now(),
        status=status,
        rows_written=rows,
        error=redact(message, collector.secrets) if message else None,
    )
    _record(store, record)
    return record
