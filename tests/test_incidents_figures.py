"""The Incidents page's tables as people read them: overdue in words, local times, no None."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pandas as pd

from dashboard.figures.incidents import notification_rows, open_rows, timeline_rows, unresolved_by_severity
from hypercare.incidents.escalation import SEVERITIES, STATES, describe_due
from hypercare.window import Window

T = datetime(2026, 11, 23, 13, 0, tzinfo=timezone.utc)
W = Window(T - timedelta(hours=15), 72, 168, "Europe/Brussels")


def test_deadlines_in_words():
    assert describe_due(-360) == "6 h overdue"
    assert describe_due(25) == "in 25 min"
    assert describe_due(-45) == "45 min overdue"
    assert describe_due(0.2) == "due now"
    assert describe_due(None) == "—"


def test_open_rows_say_overdue_and_never_none():
    open_now = pd.DataFrame({
        "incident_id": ["INC-2"], "title": ["Checkout"], "severity": ["SEV3"], "status": ["mitigated"],
        "level": [1], "level_name": ["on-call"], "owner": [None], "opened_at": [T - timedelta(hours=8)],
        "age_minutes": [480.0], "ack_due_at": [None], "ack_minutes_left": [None],
        "resolve_due_at": [T - timedelta(hours=6)], "resolve_minutes_left": [-360.0], "escalates_at": [pd.NaT],
        "breached": ["resolve"], "targets": ["hypercare"], "source": [""],
    })
    row = open_rows(open_now, W).iloc[0]
    assert row["resolution"] == "6 h overdue" and row["acknowledgement"] == "acknowledged"
    assert (row["owner"], row["escalates"], row["source"], row["open for"]) == ("nobody", "no further level", "—", "8 h")
    assert "None" not in row.astype(str).tolist() and "nan" not in row.astype(str).str.lower().tolist()


def test_timeline_and_notifications_in_the_team_zone():
    events = pd.DataFrame({"occurred_at": [T], "kind": ["sla_breach"], "from_value": [None], "to_value": ["resolve"],
                           "actor": ["hypercare"], "note": [None]})
    row = timeline_rows(events, W).iloc[0]
    assert (row["when"], row["from"], row["note"]) == ("Mon 23 Nov 14:00", "—", "—")  # 13:00 UTC = 14:00 CET
    notes = pd.DataFrame({"created_at": [T], "kind": ["open"], "channel": ["ONCALL"], "sent_at": [pd.NaT],
                          "attempts": [None], "last_error": [None], "message": ["[SEV3] INC-2"]})
    row = notification_rows(notes, W).iloc[0]
    assert (row["sent"], row["attempts"], row["last error"]) == ("not sent yet", 0, "—")


def test_tiles_count_unresolved_incidents_with_their_states_from_the_page_table():
    counts = pd.DataFrame(0, index=pd.Index(SEVERITIES, name="severity"), columns=list(STATES))
    counts.loc["SEV3", "mitigated"] = 1
    counts.loc["SEV2", "resolved"] = 1
    tiles = unresolved_by_severity(counts)
    assert tiles["SEV3"] == (1, "1 mitigated") and tiles["SEV2"] == (0, "")


def test_an_sla_breach_reason_names_the_due_time_in_the_team_zone():
    from hypercare.incidents.escalation import _when

    assert _when(T, W) == "Mon 23 Nov 14:00 (Europe/Brussels)"
    assert _when(T, None) == "Mon 23 Nov 13:00 UTC"
