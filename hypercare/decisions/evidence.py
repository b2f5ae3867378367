"""The evidence frozen with a decision: what the team saw when it decided.

The whole evaluation of the rules (hypercare.verdict.evaluate) and the KPI tiles and open
incidents the Overview shows (the same query functions), the go-live checklist's state
(hypercare.readiness), plus the window as it stood, stored
as JSON in `decisions.evidence`. It is a copy: rows collected or
corrected later never change it.
"""

from __future__ import annotations

from dataclasses import asdict
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import json

import duckdb

from hypercare.config import Config
from hypercare.readiness.checklist import summarise
from hypercare.readiness.checklist_evidence import checklist_now
from hypercare.store.queries import incidents, overview
from hypercare.verdict import Evaluation, RuleResult, evaluate
from hypercare.verdict.model import ExitProgress, SourceState
from hypercare.window import Window

EVIDENCE_VERSION = 1


def freeze(cur: duckdb.DuckDBPyConnection, config: Config, window: Window | None, now: datetime) -> dict[str, Any]:
    """The evidence as of `now`, JSON-ready: the status and the whole evaluation, the window, the
    KPI tiles (value, baseline, note, why unknown), open incidents per severity and the checklist
    (its summary and each item's state; absent when no checklist is configured)."""
    evaluation = evaluate(cur, config, window, now)
    evidence: dict[str, Any] = {"version": EVIDENCE_VERSION, "frozen_at": now.isoformat(),
                                "status": evaluation.status, "evaluation": json.loads(evaluation.to_json()),
                                "open_incidents": incidents.open_incidents_by_severity(cur, now)}
    if config.checklist:
        states = checklist_now(cur, config, window, now, evaluation)
        evidence["checklist"] = {**summarise(states).to_dict(), "items": [
            {"title": s.title, "stage": s.stage, "state": s.state, "done_by": s.done_by} for s in states]}
    if window is None:
        evidence.update(window=None, kpis=[])
        return evidence
    evidence["window"] = {"go_live_at": window.go_live_at.isoformat(), "end": window.end.isoformat(),
                          "label": window.label(now), "length": window.describe()}
    tiles = overview.kpis(cur, window, now, tuple(config.sources()))
    evidence["kpis"] = [{**asdict(k), "ratio": k.ratio} for k in tiles]
    return evidence


def frozen_evaluation(evidence: Mapping[str, Any] | None) -> Evaluation | None:
    """The evaluation frozen in `evidence`, as an Evaluation again (so it is told in the same
    words as a live one); None when the evidence holds none. Accepts the evidence `freeze`
    writes and a bare `Evaluation.to_json()`."""
    data = (evidence or {}).get("evaluation", evidence)
    if not isinstance(data, Mapping) or "rules" not in data or "status" not in data:
        return None
    return Evaluation(
        evaluated_at=datetime.fromisoformat(data["evaluated_at"]), status=data["status"], headline=data["headline"],
        rules=tuple(_result(r) for r in data["rules"]),
        exit=tuple(ExitProgress(e["name"], e["held_hours"], e["hold_hours"], _result(e["latest"])) for e in data["exit"]),
        not_in_force=tuple(data.get("not_in_force", ())), builtin=data.get("builtin", False),
        notes=tuple(data.get("notes", ())),
    )


def _result(data: Mapping[str, Any]) -> RuleResult:
    fields = dict(data)
    fields["period_start"] = datetime.fromisoformat(fields["period_start"])
    fields["period_end"] = datetime.fromisoformat(fields["period_end"])
    fields["sources"] = tuple(
        SourceState(s["collector"], s["state"], None if s["last_ok_at"] is None else datetime.fromisoformat(s["last_ok_at"]))
        for s in fields.get("sources", ())
    )
    return RuleResult(**fields)
