"""The checklist as pages read it: every item's state now, reusing the verdict the Overview's
status block has cached already (rule evidence reads it)."""

from __future__ import annotations

from datetime import datetime

import duckdb

from dashboard import data
from dashboard.status import current_evaluation
from hypercare.readiness.checklist import ItemState, overview_line, summarise
from hypercare.readiness.checklist_evidence import checklist_now
from hypercare.window import Window


def checklist_states(cur: duckdb.DuckDBPyConnection, window: Window | None, now: datetime) -> list[ItemState]:
    """Every `[[checklist]]` item's state at `now` under the running config."""
    config = data.ctx().config
    rules = window is not None and any((i.evidence or "").startswith("rule:") for i in config.checklist)
    evaluation = data.cached(current_evaluation)(window, now) if rules else None
    return checklist_now(cur, config, window, now, evaluation)


def checklist_line(window: Window, now: datetime) -> str | None:
    """The Overview's checklist line ('T−3 h · checklist 18 of 22 done · 2 overdue'), or None."""
    if not data.ctx().config.checklist:
        return None
    return overview_line(summarise(data.cached(checklist_states)(window, now)), window, now)
