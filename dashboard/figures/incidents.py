"""The Incidents page's tables as people read them: durations in h/min, "6 h overdue", times in
the team's zone with the weekday, and words ("nobody", "not sent yet", "—") for missing values,
never "None" or "NaN"."""

from __future__ import annotations

import pandas as pd

from hypercare.incidents.escalation import STATES, describe_due, describe_minutes
from hypercare.window import Window

UNRESOLVED = tuple(s for s in STATES if s != "resolved")


def _when(values: pd.Series, window: Window, missing: str = "—") -> list[str]:
    return [missing if pd.isna(t) else window.local_label(t.to_pydatetime(), "%a %d %b %H:%M")
            for t in pd.to_datetime(values, utc=True)]


def text_cells(values: pd.Series, missing: str = "—") -> list[str]:
    """Each value as text, `missing` for None, NaN or an empty string."""
    return [missing if v is None or (isinstance(v, float) and pd.isna(v)) or v == "" else str(v) for v in values]


def open_rows(open_now: pd.DataFrame, window: Window) -> pd.DataFrame:
    """`queries.incidents.open_incidents` as shown: 'in 25 min', '6 h overdue', 'acknowledged'."""
    return pd.DataFrame({
        "incident": open_now["incident_id"], "severity": open_now["severity"], "title": open_now["title"],
        "status": open_now["status"], "level": text_cells(open_now["level_name"]), "owner": text_cells(open_now["owner"], "nobody"),
        "open for": [describe_minutes(m) for m in open_now["age_minutes"]],
        "acknowledgement": ["acknowledged" if pd.isna(m) else describe_due(m) for m in open_now["ack_minutes_left"]],
        "resolution": [describe_due(None if pd.isna(m) else m) for m in open_now["resolve_minutes_left"]],
        "SLA breached": text_cells(open_now["breached"], "no"),
        "escalates": _when(open_now["escalates_at"], window, "no further level"),
        "source": text_cells(open_now["source"]),
    })


def timeline_rows(events: pd.DataFrame, window: Window) -> pd.DataFrame:
    """`queries.incidents.incident_timeline` as shown."""
    return pd.DataFrame({
        "when": _when(events["occurred_at"], window), "kind": events["kind"], "from": text_cells(events["from_value"]),
        "to": text_cells(events["to_value"]), "actor": text_cells(events["actor"]), "note": text_cells(events["note"]),
    })


def notification_rows(notes: pd.DataFrame, window: Window) -> pd.DataFrame:
    """`queries.incidents.incident_notifications` as shown."""
    return pd.DataFrame({
        "queued": _when(notes["created_at"], window), "kind": notes["kind"], "channel": notes["channel"],
        "sent": _when(notes["sent_at"], window, "not sent yet"), "attempts": notes["attempts"].fillna(0).astype(int),
        "last error": text_cells(notes["last_error"]), "message": text_cells(notes["message"]),
    })


def unresolved_by_severity(counts: pd.DataFrame) -> dict[str, tuple[int, str]]:
    """Per severity: unresolved incidents and their states in words ('1 mitigated'), from
    `queries.incidents.incident_counts`, the same table the page shows, so tiles and table agree."""
    result = {}
    for severity, row in counts.iterrows():
        states = [(state, int(row[state])) for state in UNRESOLVED if state in row and row[state]]
        result[str(severity)] = (sum(n for _, n in states), ", ".join(f"{n} {state}" for state, n in states))
    return result


def response_words(opened: int, count: int, what: str) -> str:
    """'over 1 of 2 incidents opened in the window' — the n behind a mean."""
    return f"{what} over {count} of {opened} incident{'s' if opened != 1 else ''} opened in the window"
