"""The evidence frozen with a decision: what the team saw when it decided.

Built from the same query functions the Overview uses (KPI tiles, open incidents), plus the
window as it stood, and stored as JSON in `decisions.evidence`. It is a copy: rows collected or
corrected later never change it.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

import duckdb

from hypercare.config import Config
from hypercare.store.queries import incidents, overview
from hypercare.window import Window

EVIDENCE_VERSION = 1


def freeze(cur: duckdb.DuckDBPyConnection, config: Config, window: Window | None, now: datetime) -> dict[str, Any]:
    """The evidence as of `now`, JSON-ready: window, KPI tiles (value, baseline, note, why unknown)
    and open incidents per severity. Without a go-live instant only the incidents can be told."""
    evidence: dict[str, Any] = {"version": EVIDENCE_VERSION, "frozen_at": now.isoformat(),
                                "open_incidents": incidents.open_incidents_by_severity(cur, now)}
    if window is None:
        evidence.update(window=None, kpis=[])
        return evidence
    evidence["window"] = {"go_live_at": window.go_live_at.isoformat(), "end": window.end.isoformat(),
                          "label": window.label(now), "length": window.describe()}
    tiles = overview.kpis(cur, window, now, tuple(config.sources()))
    evidence["kpis"] = [{**asdict(k), "ratio": k.ratio} for k in tiles]
    return evidence
