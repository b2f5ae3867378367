"""The effective window: the configured one, made longer by `extend` decisions or ended by `exit`.

Read oldest first: each `extend` adds its hours to the window's end; an `exit` ends the window at
its time (when that is before the planned end); an `extend` recorded after an `exit` reopens the
window. Decisions after `as_of` don't count, so an evaluation "as of" an instant sees the window
as it was then.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

import duckdb
import pandas as pd

from hypercare.store.read import frame
from hypercare.window import Window


@dataclass(frozen=True)
class WindowDecision:
    """The part of a decision that shapes the window."""

    decided_at: datetime
    kind: str  # "extend" or "exit"
    hours: float | None = None


def effective_window(window: Window, decisions: Iterable[WindowDecision], as_of: datetime | None = None) -> Window:
    """`window` (as configured) with the extend and exit decisions taken up to `as_of` applied."""
    extended, ended = 0.0, None
    for d in sorted(decisions, key=lambda d: d.decided_at):
        if as_of is not None and d.decided_at > as_of:
            break
        if d.kind == "extend":
            extended += d.hours or 0.0
            ended = None
        elif d.kind == "exit":
            ended = d.decided_at
    return replace(window, extended_hours=extended, ended_at=ended)


def window_decisions(cur: duckdb.DuckDBPyConnection, as_of: datetime | None = None) -> list[WindowDecision]:
    """The extend and exit decisions stored, oldest first (up to `as_of` when given)."""
    rows = frame(
        cur,
        "SELECT decided_at, kind, hours FROM decisions WHERE kind IN ('extend', 'exit') "
        "AND (?::TIMESTAMPTZ IS NULL OR decided_at <= ?::TIMESTAMPTZ) ORDER BY decided_at",
        [as_of, as_of],
    )
    return [WindowDecision(r.decided_at.to_pydatetime(), r.kind, None if pd.isna(r.hours) else float(r.hours))
            for r in rows.itertuples()]


def stored_effective_window(cur: duckdb.DuckDBPyConnection, window: Window, as_of: datetime | None = None) -> Window:
    """`window` with the stored extend and exit decisions (up to `as_of`) applied."""
    return effective_window(window, window_decisions(cur, as_of), as_of)
