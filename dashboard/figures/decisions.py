"""The decision log and a decision's frozen evidence as tables (pure: DataFrame/dict → DataFrame)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from hypercare.outside_text import neutralise_frame
from hypercare.verdict import Evaluation
from hypercare.verdict.status import format_value, sentence

WHEN = "%a %d %b %H:%M"


def _local(values: pd.Series, timezone: str) -> pd.Series:
    return pd.to_datetime(values, utc=True).dt.tz_convert(timezone)


def _hours(value: float) -> str:
    return "" if pd.isna(value) else f"+{value:g} h"


def log_rows(log: pd.DataFrame, timezone: str) -> pd.DataFrame:
    """The log as people read it: when (the team's clock, with the weekday), kind, summary, the
    status when it was taken, hours added (extend), by, and the reason last (the longest text).
    No None or NaN in a cell."""
    return pd.DataFrame({
        "when": _local(log["decided_at"], timezone).dt.strftime(WHEN),
        "kind": log["kind"],
        "summary": log["summary"].fillna(""),
        "status then": log["status"].map(lambda s: s.upper() if isinstance(s, str) else "not recorded"),
        "hours": log["hours"].map(_hours),
        "by": log["actor"].fillna(""),
        "reason": log["reason"].fillna(""),
    })


def log_csv(log: pd.DataFrame, timezone: str) -> bytes:
    """The log as a CSV file: UTC and local times, hours as a number, every text cell made safe
    for spreadsheets (hypercare.outside_text.neutralise_frame)."""
    table = pd.DataFrame({
        "decided_at_utc": pd.to_datetime(log["decided_at"], utc=True).dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "decided_at_local": _local(log["decided_at"], timezone).dt.strftime("%Y-%m-%d %H:%M %Z"),
        "kind": log["kind"], "summary": log["summary"], "reason": log["reason"], "actor": log["actor"],
        "hours": log["hours"], "status_then": log["status"], "decision_id": log["decision_id"],
    })
    return neutralise_frame(table).to_csv(index=False).encode("utf-8")


def choice_label(row: Mapping[str, Any], timezone: str) -> str:
    """'Mon 23 Nov 09:00 · continue · Rollback considered and declined' (plain text for a selectbox)."""
    when = pd.Timestamp(row["decided_at"]).tz_convert(timezone).strftime(WHEN)
    return f"{when} · {row['kind']} · {row['summary']}"


def kpi_rows(evidence: Mapping[str, Any]) -> pd.DataFrame:
    """The KPI tiles frozen in the evidence: figure, value, baseline, what it measured."""
    rows = [{
        "figure": k["label"],
        "value": format_value(k["value"], _unit(k["unit"])) if k["value"] is not None else "unknown",
        "baseline": "no baseline" if k["baseline"] is None else format_value(k["baseline"], _unit(k["unit"])),
        "measured": k.get("unknown_because") or k.get("note") or "",
    } for k in evidence.get("kpis", [])]
    incidents = evidence.get("open_incidents")
    if incidents is not None:
        rows.append({"figure": "Open incidents", "value": f"{sum(incidents.values())}", "baseline": "",
                     "measured": " · ".join(f"{sev} {n}" for sev, n in incidents.items())})
    return pd.DataFrame(rows, columns=["figure", "value", "baseline", "measured"])


def _unit(unit: str) -> str:
    return unit if unit in ("%", "ms") else ""


def rule_rows(evaluation: Evaluation, timezone: str) -> pd.DataFrame:
    """Every rule and exit criterion of the frozen evaluation: rule, level, result, and the
    sentence with value, threshold and period."""
    tz = ZoneInfo(timezone)
    rows = [{"rule": r.name, "level": r.level, "result": r.result, "explanation": sentence(r, tz)}
            for r in evaluation.rules]
    rows += [{"rule": p.name, "level": "exit", "result": f"held {p.held_hours} h of {p.hold_hours} h",
              "explanation": sentence(p.latest, tz)} for p in evaluation.exit]
    return pd.DataFrame(rows, columns=["rule", "level", "result", "explanation"])
