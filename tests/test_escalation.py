"""The pure engine: deadlines, breaches, escalations and reminders inside and after the window."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from hypercare.incidents.escalation import (
    EscalationPolicy,
    IncidentState,
    Level,
    Targets,
    evaluate,
    next_due,
)
from hypercare.verdict.language import Condition
from hypercare.window import Window

G = datetime(2026, 11, 22, 21, 0, tzinfo=timezone.utc)
WINDOW = Window(G, window_hours=72, baseline_hours=168, timezone="Europe/Brussels")
POLICY = EscalationPolicy(
    normal={"SEV2": Targets(30, 480)},
    hypercare={"SEV2": Targets(15, 240)},
    levels=(Level("L1 desk", 15, ("desk@x",), "HOOK_L1"), Level("L2 on-call", 30), Level("L3 lead", 60)),
    reminder_minutes=20,
)


def state(opened: datetime, *, status="open", level=1, severity="SEV2", level_at=0, notified_at=0, breached=()):
    """An incident opened at `opened`; level_at / notified_at are minutes after it."""
    return IncidentState(
        "INC-1", severity, status, level, POLICY, opened,
        opened + timedelta(minutes=level_at), opened + timedelta(minutes=notified_at), frozenset(breached),
    )


IN = G + timedelta(hours=5)  # well inside the window
AFTER = WINDOW.end + timedelta(hours=2)

CASES = [
    # (name, state, minutes after opening, window, expected (kind, detail) set)
    ("fresh, nothing due", state(IN), 10, WINDOW, set()),
    ("a second before the ack target", state(IN), 14.99, WINDOW, set()),
    ("hypercare ack target missed, L1 time up", state(IN), 15, WINDOW, {("sla_breach", "ack"), ("escalate", 2)}),
    ("breach marked, escalated: quiet", state(IN, level=2, level_at=15, notified_at=15, breached={"ack"}), 34, WINDOW, set()),
    ("reminder after the last page", state(IN, level=2, level_at=15, notified_at=15, breached={"ack"}), 35, WINDOW, {("reminder", None)}),
    ("L2 time up", state(IN, level=2, level_at=15, notified_at=35, breached={"ack"}), 45, WINDOW, {("escalate", 3)}),
    ("top level: only reminders", state(IN, level=3, level_at=45, notified_at=45, breached={"ack"}), 200, WINDOW, {("reminder", None)}),
    ("acknowledged: no escalation, no reminder", state(IN, status="acknowledged"), 100, WINDOW, set()),
    ("acknowledged, hypercare resolve target missed", state(IN, status="acknowledged"), 240, WINDOW, {("sla_breach", "resolve")}),
    ("mitigated still owes the resolve target", state(IN, status="mitigated"), 241, WINDOW, {("sla_breach", "resolve")}),
    ("mitigated, breach already marked", state(IN, status="mitigated", breached={"resolve"}), 600, WINDOW, set()),
    ("resolved: never anything", state(IN, status="resolved"), 10_000, WINDOW, set()),
    ("after the window: normal ack target not yet", state(AFTER, notified_at=15, level=2, level_at=15), 29, WINDOW, set()),
    ("after the window: normal ack target missed", state(AFTER, notified_at=15, level=2, level_at=15), 30, WINDOW, {("sla_breach", "ack")}),
    ("after the window: escalation ladder unchanged", state(AFTER), 15, WINDOW, {("escalate", 2)}),
    ("after the window: normal resolve target", state(AFTER, status="acknowledged"), 479, WINDOW, set()),
    ("targets relax when the window ends", state(WINDOW.end - timedelta(minutes=10), level=2, notified_at=15, level_at=15), 16, WINDOW, set()),
    ("before go-live: normal targets", state(G - timedelta(hours=3), level=2, level_at=15, notified_at=15), 20, WINDOW, set()),
    ("the window's targets from go-live on", state(G - timedelta(hours=3), status="acknowledged"), 241, WINDOW, {("sla_breach", "resolve")}),
    ("no window known: normal targets", state(IN, level=2, notified_at=15, level_at=15), 20, None, set()),
    ("no targets for the severity: ladder only", state(IN, severity="SEV4"), 15, WINDOW, {("escalate", 2)}),
]


@pytest.mark.parametrize("name, incident, minutes, window, expected", CASES, ids=[c[0] for c in CASES])
def test_engine(name, incident, minutes, window, expected):
    now = incident.clock_started_at + timedelta(minutes=minutes)
    actions = evaluate([incident], window, now)
    got = {(a.kind, a.to_level if a.kind == "escalate" else a.sla) for a in actions}
    assert got == expected
    assert all(a.reason and a.due_at <= now for a in actions)


def test_reasons_name_the_target_in_force():
    inside = evaluate([state(IN)], WINDOW, IN + timedelta(minutes=15))
    breach = next(a for a in inside if a.kind == "sla_breach")
    assert "15 min (hypercare target)" in breach.reason
    after = evaluate([state(AFTER, level=2, level_at=15, notified_at=15)], WINDOW, AFTER + timedelta(minutes=30))
    assert "30 min (normal target)" in after[0].reason
    escalate = next(a for a in inside if a.kind == "escalate")
    assert "L1 desk" in escalate.reason and "L2 on-call" in escalate.reason


def test_next_due_is_the_earliest_deadline():
    s = state(IN)
    assert next_due([s], WINDOW, IN) == IN + timedelta(minutes=15)  # ack target and L1 both at +15
    acked = state(IN, status="acknowledged")
    assert next_due([acked], WINDOW, IN) == IN + timedelta(minutes=240)
    assert next_due([state(IN, status="resolved")], None, IN) is None
    due = next_due([s], WINDOW, IN)
    assert evaluate([s], WINDOW, due - timedelta(seconds=1)) == [] and evaluate([s], WINDOW, due)
    # Inside the window the window's end is a due instant: the targets in force change there.
    assert next_due([state(IN, status="acknowledged", breached={"resolve"})], WINDOW, IN) == WINDOW.end


def test_policy_json_round_trip_keeps_both_target_sets():
    back = EscalationPolicy.from_json(POLICY.to_json())
    assert back == POLICY
    assert back.targets("SEV2", True) == Targets(15, 240)
    assert back.targets("SEV2", False) == Targets(30, 480)
    assert back.targets("SEV1", True) == Targets()


@pytest.mark.parametrize("source, text, measured, holds", [
    ("sentry", "new_issue_users >= 50", {"new_issue_users": 50}, True),
    ("sentry", "new_issue_users >= 50", {"new_issue_users": 49}, False),
    ("sentry", "new_issue_events > 100", {"new_issue_events": None}, False),
    ("checks", "down_minutes >= 5", {"down_minutes": 5.5}, True),
    ("tickets", "tickets_per_hour_vs_baseline >= 3", {"tickets_per_hour_vs_baseline": 2.9}, False),
    ("tickets", 'priority == "P1"', {"priority": "P1"}, True),
    ("tickets", "priority == 'P1'", {"priority": "P2"}, False),
    ("tickets", 'priority != "P4"', {}, False),
])
def test_conditions(source, text, measured, holds):
    assert Condition.parse(text, source).holds(measured) is holds


@pytest.mark.parametrize("source, text, message", [
    ("sentry", "users >= 50", "not a sentry measure"),
    ("checks", "down_minutes >= five", "compares with a number"),
    ("checks", "down_minutes", "cannot read"),
    ("tickets", "priority >= \"P1\"", "takes == or !="),
    ("tickets", "priority == P1", "in quotes"),
    ("tickets", "priority == \"P9\"", "one of P1, P2, P3, P4"),
    ("sentry", "down_minutes >= 5", "not a sentry measure"),
])
def test_bad_conditions_say_what_to_write(source, text, message):
    with pytest.raises(ValueError, match=message):
        Condition.parse(text, source)
