"""What every collector is, and the bookkeeping around each run (`collector_runs`)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import pyarrow as pa

from hypercare.clock import Clock
from hypercare.errors import CollectorError
from hypercare.http import redact
from hypercare.store import Store
from hypercare.store.writes import merge_rows

log = logging.getLogger(__name__)

__all__ = ["Collector", "CollectorError", "RunOutcome", "RunRecord", "run_collector"]


@dataclass(frozen=True)
class RunOutcome:
    """What a run did. `incomplete` says why it stopped early, keeping what it committed
    (e.g. a page cap was hit); such a run is recorded as not ok and resumes on the next run.
    `warning` says what a complete run skipped (e.g. unreadable CSV lines): the run is ok, so
    the source stays fresh, and the text is recorded beside it."""

    rows_written: int
    incomplete: str | None = None
    warning: str | None = None


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
    run_id: str
    collector: str
    started_at: datetime
    finished_at: datetime
    ok: bool
    rows_written: int
    error: str | None


def run_collector(store: Store, collector: Collector, clock: Clock) -> RunRecord:
    """Run one collector once and record the run; never raises for a source's failure."""
    started = clock.now()
    rows, error, warning = 0, None, None
    try:
        outcome = collector.collect(store, started)
        rows, error, warning = outcome.rows_written, outcome.incomplete, outcome.warning
    except CollectorError as exc:
        error = exc.message
        log.warning("collector %s failed: %s", collector.name, redact(error, collector.secrets))
    except Exception as exc:  # a bug or an unforeseen answer: record it, keep the scheduler alive
        error = f"unexpected {type(exc).__name__}: {exc}"
        log.exception("collector %s crashed", collector.name)
    message = error or warning
    record = RunRecord(
        run_id=uuid.uuid4().hex,
        collector=collector.name,
        started_at=started,
        finished_at=clock.now(),
        ok=error is None,
        rows_written=rows,
        error=redact(message, collector.secrets) if message else None,
    )
    with store.transaction() as cur:
        merge_rows(cur, "collector_runs", pa.Table.from_pylist([record.__dict__]), ["run_id"])
    return record
