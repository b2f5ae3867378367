"""Incident actions, the frozen policy, ticks through time, auto-open and its duplicate suppression."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest

from hypercare.auth.identity import Identity, PermissionDenied
from hypercare.incidents import actions as inc
from hypercare.clock import FixedClock
from hypercare.config import ConfigError, parse_config
from hypercare.incidents.escalation import evaluate
from hypercare.store import Store
from hypercare.store.queries.incidents import incident_states
from hypercare.store.read import arrow, frame
from hypercare.window import Window

G = datetime(2026, 11, 22, 21, 0, tzinfo=timezone.utc)
WINDOW = Window(G, 72, 168, "Europe/Brussels")


def who(name: str) -> Identity:
    """A responder named `name` (no e-mail), recorded as just the name."""
    return Identity(name, None, "responder")


def make_config(**escalation):
    esc = {
        "reminder_minutes": 20,
        "severities": {
            "SEV1": {"ack_minutes": 15, "resolve_minutes": 240, "hypercare_ack_minutes": 5, "hypercare_resolve_minutes": 120},
            "SEV2": {"ack_minutes": 30, "resolve_minutes": 480, "hypercare_ack_minutes": 15, "hypercare_resolve_minutes": 240},
            "SEV3": {"ack_minutes": 120, "resolve_minutes": 1440},
        },
        "levels": [
            {"name": "L1 desk", "escalate_after_minutes": 15, "webhook_env": "HOOK_L1"},
            {"name": "L2 on-call", "escalate_after_minutes": 30, "webhook_env": "HOOK_L2"},
            {"name": "L3 lead", "escalate_after_minutes": 60},
        ],
        **escalation,
    }
    return parse_config({"release": {"name": "shop", "go_live_at": G.isoformat()}, "escalation": esc}, Path("."))


CONFIG = make_config()


def events(store):
    """The audit log as one list per column."""
    return arrow(store.cursor(), """SELECT incident_id, occurred_at, kind, from_value, to_value, actor, note
                                    FROM incident_events ORDER BY incident_id, occurred_at, kind""").to_pydict()


def row(store, incident_id):
    return frame(store.cursor(), "SELECT * FROM incidents WHERE incident_id = ?", [incident_id]).iloc[0]


def snapshot(store):
    return {t: frame(store.cursor(), f"SELECT * FROM {t} ORDER BY ALL") for t in ("incidents", "incident_events", "notifications")}


def test_every_action_is_an_event_with_actor_time_and_note(store):
    t = G + timedelta(hours=2)
    i = inc.open_incident(store, CONFIG, title="Checkout errors", severity="SEV2", identity=who("ana"), now=t, note="seen in Sentry")
    steps = [
        ("acknowledge", {}, "open", "acknowledged"),
        ("assign owner", {"owner": "Bo"}, None, "Bo"),
        ("escalate", {}, "1", "2"),
        ("change severity", {"severity": "SEV1"}, "SEV2", "SEV1"),
        ("mitigate", {}, "acknowledged", "mitigated"),
        ("resolve", {}, "mitigated", "resolved"),
        ("reopen", {}, "resolved", "open"),
        ("add note", {}, None, None),
    ]
    for n, (action, extra, before, after) in enumerate(steps, start=1):
        inc.perform(store, i.incident_id, action, identity=who("bo"), now=t + timedelta(minutes=n), note=f"step {n}", **extra)
    log = events(store)
    assert log["kind"] == ["open", "acknowledge", "assign", "escalate", "severity", "mitigate", "resolve", "reopen", "note"]
    assert log["from_value"][1:] == [s[2] for s in steps]
    assert log["to_value"][1:] == [s[3] for s in steps]
    assert log["actor"] == ["ana"] + ["bo"] * 8
    assert log["note"] == ["seen in Sentry"] + [f"step {n}" for n in range(1, 9)]
    assert log["occurred_at"] == [t + timedelta(minutes=n) for n in range(9)]
    r = row(store, i.incident_id)
    assert (r["status"], r["level"], r["severity"], r["owner"]) == ("open", 2, "SEV1", "Bo")
    assert r["acknowledged_at"] == t + timedelta(minutes=1)  # the first acknowledgement counts for MTTA
    assert pd.isna(r["resolved_at"]) and pd.isna(r["mitigated_at"])


@pytest.mark.parametrize("action, setup, message", [
    ("acknowledge", ["acknowledge"], "it is acknowledged"),
    ("reopen", [], "it is open"),
    ("mitigate", ["resolve"], "it is resolved"),
    ("escalate", ["escalate", "escalate"], "top level"),
    ("change severity", [], "other than SEV2"),
    ("add note", [], "give the note's text"),
    ("assign owner", [], "give the owner's name"),
    ("dance", [], "unknown action"),
])
def test_refused_actions_change_nothing(store, action, setup, message):
    t = G + timedelta(hours=1)
    i = inc.open_incident(store, CONFIG, title="x", severity="SEV2", identity=who("ana"), now=t)
    for k, s in enumerate(setup, start=1):
        inc.perform(store, i.incident_id, s, identity=who("ana"), now=t + timedelta(minutes=k))
    before = snapshot(store)
    with pytest.raises(inc.IncidentError, match=message):
        inc.perform(store, i.incident_id, action, identity=who("ana"), now=t + timedelta(hours=1), severity="SEV2")
    after = snapshot(store)
    assert all(before[k].equals(after[k]) for k in before)


def test_compare_and_set_refuses_a_stale_incident(store):
    i = inc.open_incident(store, CONFIG, title="x", severity="SEV2", identity=who("ana"), now=G)
    inc.acknowledge(store, i.incident_id, identity=who("bo"), now=G + timedelta(minutes=1))
    with pytest.raises(inc.IncidentConflict), store.transaction() as cur:
        inc._compare_and_set(cur, i, {"status": "mitigated"})  # `i` still says "open"
    assert row(store, i.incident_id)["status"] == "acknowledged"


def test_policy_is_frozen_at_opening(store):
    i = inc.open_incident(store, CONFIG, title="x", severity="SEV2", identity=who("ana"), now=G + timedelta(hours=1))
    policy = json.loads(row(store, i.incident_id)["policy"])
    assert policy["targets"]["hypercare"]["SEV2"] == {"ack_minutes": 15, "resolve_minutes": 240}
    assert policy["targets"]["normal"]["SEV2"] == {"ack_minutes": 30, "resolve_minutes": 480}
    assert [lv["escalate_after_minutes"] for lv in policy["levels"]] == [15, 30, 60]
    # The config changes mid-incident: the running ladder does not.
    slower = make_config(levels=[{"name": "only", "escalate_after_minutes": 600}], reminder_minutes=600)
    inc.tick(store, slower, WINDOW, G + timedelta(hours=1, minutes=15), deliver=False)
    r = row(store, i.incident_id)
    assert r["level"] == 2
    assert set(events(store)["kind"]) == {"open", "escalate", "sla_breach"}
    # An incident opened after the change gets the new policy.
    j = inc.open_incident(store, slower, title="y", severity="SEV2", identity=who("ana"), now=G + timedelta(hours=2))
    assert [lv["name"] for lv in json.loads(row(store, j.incident_id)["policy"])["levels"]] == ["only"]


def test_ticks_through_time_escalate_breach_and_remind_once(store):
    clock = FixedClock(G + timedelta(hours=3))
    i = inc.open_incident(store, CONFIG, title="x", severity="SEV2", identity=who("ana"), now=clock.now())
    seen = []
    for _ in range(4 * 12 + 1):  # every 5 minutes (all deadlines here fall on them) for 4 h, twice each
        first = inc.tick(store, CONFIG, WINDOW, clock.now(), deliver=False)
        state = snapshot(store)
        again = inc.tick(store, CONFIG, WINDOW, clock.now(), deliver=False)
        assert again.actions == [] and again.opened == []
        assert all(state[k].equals(v) for k, v in snapshot(store).items())
        seen += [((a.due_at - i.opened_at).total_seconds() / 60, a.kind, a.to_level or a.sla) for a in first.actions]
        if clock.now() == i.opened_at + timedelta(minutes=100):
            inc.acknowledge(store, i.incident_id, identity=who("bo"), now=clock.now())
        clock.advance(minutes=5)
    assert seen == [
        (15, "sla_breach", "ack"), (15, "escalate", 2),
        (35, "reminder", None),  # 20 min after the escalation's page
        (45, "escalate", 3),  # 30 min at L2
        (65, "reminder", None), (85, "reminder", None),  # top level: reminders only, until acknowledged at 100
        (240, "sla_breach", "resolve"),
    ]
    kinds = frame(store.cursor(), "SELECT kind, channel FROM notifications ORDER BY created_at, channel")
    # The breach goes to the level that missed it, the escalation to the next; L3 has no webhook.
    assert list(kinds.itertuples(index=False, name=None)) == [
        ("open", "HOOK_L1"), ("sla_breach", "HOOK_L1"), ("escalate", "HOOK_L2"), ("reminder", "HOOK_L2"),
    ]


def test_resolve_notifies_every_level_that_was_paged(store):
    i = inc.open_incident(store, CONFIG, title="x", severity="SEV2", identity=who("ana"), now=G)
    inc.escalate(store, i.incident_id, identity=who("ana"), now=G + timedelta(minutes=1))
    inc.resolve(store, i.incident_id, identity=who("bo"), now=G + timedelta(minutes=2), note="fixed <here>")
    sent = frame(store.cursor(), "SELECT channel, message FROM notifications WHERE kind = 'resolve' ORDER BY channel")
    assert list(sent["channel"]) == ["HOOK_L1", "HOOK_L2"]
    assert sent["message"][0] == "[SEV2] INC-1 x: resolved by bo: fixed &lt;here&gt;"


# --- auto-open ---

def put(store, table, rows, key):
    """Upsert test rows by key (delete + insert: small fixtures, no dependence on the batch writers)."""
    df = pd.DataFrame(rows)
    with store.transaction() as cur:
        cur.register("fixture", df)
        match = " AND ".join(f"t.{k} = f.{k}" for k in key)
        cur.execute(f"DELETE FROM {table} t WHERE EXISTS (SELECT 1 FROM fixture f WHERE {match})").fetchall()
        cur.execute(f"INSERT INTO {table} BY NAME SELECT * FROM fixture").fetchall()
        cur.unregister("fixture")


def sentry_issue(issue_id, users, first_seen, last_seen, status="unresolved"):
    return {"issue_id": issue_id, "project": "web", "short_id": f"WEB-{issue_id}", "title": "TypeError in cart",
            "status": status, "first_seen": first_seen, "last_seen": last_seen, "user_count": users, "event_count": users * 3}


def test_sentry_rule_opens_once_for_a_new_issue_that_spreads_fast(store):
    config = make_config(auto_open=[{"source": "sentry", "when": "new_issue_users >= 50", "within_minutes": 30, "severity": "SEV2"}])
    now = G + timedelta(hours=4)
    put(store, "sentry_issues", [
        sentry_issue("1", 80, now - timedelta(minutes=20), now - timedelta(minutes=2)),
        sentry_issue("2", 49, now - timedelta(minutes=10), now),  # below the threshold
        sentry_issue("3", 500, G - timedelta(days=2), now),  # older than the release: not new
        sentry_issue("4", 90, now - timedelta(minutes=45), now),  # took longer than 30 min to spread
        sentry_issue("5", 70, now - timedelta(minutes=5), now, status="ignored"),
    ], ["issue_id"])
    opened = inc.tick(store, config, WINDOW, now, deliver=False).opened
    assert [(o.source_kind, o.source_ref, o.severity, o.title) for o in opened] == [("sentry", "1", "SEV2", "Sentry WEB-1: TypeError in cart")]
    assert "new_issue_users >= 50 (measured 80)" in events(store)["note"][0]
    # More users, later ticks: still one incident.
    put(store, "sentry_issues", [sentry_issue("1", 300, now - timedelta(minutes=20), now + timedelta(minutes=5))], ["issue_id"])
    assert inc.tick(store, config, WINDOW, now + timedelta(minutes=6), deliver=False).opened == []
    # Resolved: the same issue does not open a second incident, even while still new.
    inc.resolve(store, opened[0].incident_id, identity=who("bo"), now=now + timedelta(minutes=7))
    assert inc.tick(store, config, WINDOW, now + timedelta(minutes=8), deliver=False).opened == []
    # Another new issue does.
    put(store, "sentry_issues", [sentry_issue("6", 51, now, now + timedelta(minutes=8))], ["issue_id"])
    assert [o.source_ref for o in inc.tick(store, config, WINDOW, now + timedelta(minutes=9), deliver=False).opened] == ["6"]
    # No go-live known: "new" cannot be told, so the rule waits.
    put(store, "sentry_issues", [sentry_issue("7", 99, now, now + timedelta(minutes=8))], ["issue_id"])
    assert inc.auto_open(store, config, None, now + timedelta(minutes=10)) == []


def checks(name, start, results, interval=60):
    return pd.DataFrame([
        {"check_name": name, "checked_at": start + timedelta(seconds=k * interval), "url": "https://x", "ok": ok,
         "status_code": 200 if ok else 503, "latency_ms": 50, "error": None if ok else "status 503, expected 200",
         "cert_expires_at": None}
        for k, ok in enumerate(results)
    ])


def test_checks_rule_needs_a_run_of_failures_outside_planned_periods(store):
    config = make_config(auto_open=[{"source": "checks", "when": "down_minutes >= 5", "within_minutes": 10}])
    start = G + timedelta(hours=5)
    put(store, "health_checks", pd.concat([
        checks("api", start, [True] * 4 + [False] * 7),  # down from minute 4 to 10
        checks("web", start, [True] * 4 + [False] * 5 + [True] * 2),  # recovered
        checks("pay", start, [True] * 4 + [False] * 7),  # down, but planned
    ]), ["check_name", "checked_at"])
    with store.transaction() as cur:
        cur.execute("INSERT INTO planned_periods (period_id, starts_at, ends_at, scope, reason, check_names) "
                    "VALUES ('p', ?, ?, 'checks', 'PSP maintenance', ['pay'])", [start, start + timedelta(hours=1)])
    at = start + timedelta(minutes=9)  # first failure at +4: down 5 minutes
    opened = inc.tick(store, config, WINDOW, at, deliver=False).opened
    assert [(o.source_ref, o.severity, o.title) for o in opened] == [("api", "SEV3", "Health check api is down: status 503, expected 200")]
    assert inc.tick(store, config, WINDOW, at - timedelta(seconds=1), deliver=False).opened == []
    assert inc.tick(store, config, WINDOW, at + timedelta(minutes=1), deliver=False).opened == []
    # Resolved while the same run of failures goes on: covered. A new run after the resolution: a new incident.
    inc.resolve(store, opened[0].incident_id, identity=who("bo"), now=at + timedelta(minutes=2))
    put(store, "health_checks", checks("api", start + timedelta(minutes=11), [False]), ["check_name", "checked_at"])
    assert inc.tick(store, config, WINDOW, at + timedelta(minutes=3), deliver=False).opened == []
    put(store, "health_checks", checks("api", start + timedelta(minutes=12), [True] + [False] * 6), ["check_name", "checked_at"])
    again = inc.tick(store, config, WINDOW, start + timedelta(minutes=18), deliver=False).opened
    assert [(o.incident_id, o.source_ref) for o in again] == [("INC-2", "api")]


def ticket(n, created_at, priority="P3", source="desk"):
    return {"source": source, "ticket_id": str(n), "created_at": created_at, "updated_at": created_at, "status": "open",
            "priority": priority, "category": "technical", "title": f"ticket {n}", "url": f"https://desk/{n}"}


def test_p1_tickets_open_one_incident_each(store):
    config = make_config(auto_open=[{"source": "tickets", "when": 'priority == "P1"', "within_minutes": 30, "severity": "SEV1"}])
    now = G + timedelta(hours=6)
    put(store, "tickets", [ticket(1, now - timedelta(minutes=5), "P1"), ticket(2, now - timedelta(minutes=4), "P2"),
                           ticket(3, now - timedelta(minutes=50), "P1"), ticket(4, now - timedelta(minutes=1), "P1", "jira")],
        ["source", "ticket_id"])
    opened = inc.tick(store, config, WINDOW, now, deliver=False).opened
    assert sorted(o.source_ref for o in opened) == ["desk:1", "jira:4"]
    assert {o.severity for o in opened} == {"SEV1"}
    assert inc.tick(store, config, WINDOW, now + timedelta(minutes=1), deliver=False).opened == []


def test_ticket_rate_is_compared_with_the_same_hours_of_the_baseline(store):
    config = make_config(auto_open=[{"source": "tickets", "when": "tickets_per_hour_vs_baseline >= 3", "within_minutes": 60}])
    now = G + timedelta(hours=14)
    assert inc.tick(store, config, WINDOW, now, deliver=False).opened == []  # no baseline: never a guess
    week_before = now - timedelta(days=7)
    put(store, "tickets", [ticket(f"b{k}", week_before - timedelta(minutes=10 * k + 1)) for k in range(2)]
        + [ticket(f"n{k}", now - timedelta(minutes=5 * k + 1)) for k in range(5)], ["source", "ticket_id"])
    assert inc.tick(store, config, WINDOW, now, deliver=False).opened == []  # 5 vs 2: 2.5x
    put(store, "tickets", [ticket("n5", now - timedelta(minutes=40))], ["source", "ticket_id"])
    opened = inc.tick(store, config, WINDOW, now, deliver=False).opened
    assert [(o.source_kind, o.source_ref) for o in opened] == [("tickets", "tickets_per_hour")]
    assert "6 tickets in 60 min, 3.0x the baseline" in opened[0].title


def test_config_validates_rules_with_the_evaluating_parser():
    with pytest.raises(ConfigError) as err:
        make_config(auto_open=[{"source": "checks", "when": "new_issue_users >= 5"}])
    assert err.value.problems == ["escalation.auto_open[0].when: 'new_issue_users' is not a checks measure; use down_minutes >= 5"]
    with pytest.raises(ConfigError, match="SEV4.*is missing"):
        make_config(auto_open=[{"source": "checks", "when": "down_minutes >= 5", "severity": "SEV4"}])
    with pytest.raises(ConfigError, match="hypercare_ack_minutes .* is longer"):
        make_config(severities={"SEV3": {"ack_minutes": 10, "resolve_minutes": 60, "hypercare_ack_minutes": 20}})


def test_a_read_only_store_refuses_actions_with_a_sentence(store, tmp_path):
    i = inc.open_incident(store, CONFIG, title="x", severity="SEV2", identity=who("ana"), now=G)
    store.close()
    reader = Store(tmp_path / "hypercare.duckdb", read_only=True)
    try:
        with pytest.raises(inc.IncidentError, match="read-only copy .* `hypercare serve`"):
            inc.acknowledge(reader, i.incident_id, identity=who("bo"), now=G)
        with pytest.raises(inc.IncidentError, match="read-only"):
            inc.open_incident(reader, CONFIG, title="y", severity="SEV2", identity=who("bo"), now=G)
    finally:
        reader.close()


def test_concurrent_acknowledgements_record_exactly_one(store):
    for n in range(5):
        i = inc.open_incident(store, CONFIG, title=f"race {n}", severity="SEV2", identity=who("ana"), now=G)
        barrier, outcomes = threading.Barrier(2), []

        def ack(name):
            barrier.wait()
            try:
                inc.acknowledge(store, i.incident_id, identity=who(name), now=G + timedelta(minutes=1))
                outcomes.append("ok")
            except inc.IncidentError:
                outcomes.append("refused")

        threads = [threading.Thread(target=ack, args=(name,)) for name in ("bo", "cy")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes) == ["ok", "refused"]
    acks = arrow(store.cursor(), "SELECT incident_id, count(*) AS n FROM incident_events WHERE kind = 'acknowledge' GROUP BY 1").to_pylist()
    assert sorted(r["n"] for r in acks) == [1] * 5


def test_an_action_evaluated_before_an_acknowledgement_is_dropped(store):
    i = inc.open_incident(store, CONFIG, title="x", severity="SEV2", identity=who("ana"), now=G + timedelta(hours=1))
    due = evaluate(incident_states(store.cursor()), WINDOW, G + timedelta(hours=1, minutes=15))
    assert {a.kind for a in due} == {"sla_breach", "escalate"}
    inc.acknowledge(store, i.incident_id, identity=who("bo"), now=G + timedelta(hours=1, minutes=15))
    assert [inc._apply(store, a, G + timedelta(hours=1, minutes=15)) for a in due] == [None, None]
    assert events(store)["kind"] == ["open", "acknowledge"]


@pytest.mark.parametrize("action", inc.ACTIONS)
def test_a_stakeholder_is_refused_every_action_and_nothing_is_written(store, action):
    i = inc.open_incident(store, CONFIG, title="x", severity="SEV2", identity=who("ana"), now=G)
    before = events(store), arrow(store.cursor(), "SELECT * FROM incidents").to_pylist()
    sam = Identity("Sam", "sam@example.com", "stakeholder")
    with pytest.raises(PermissionDenied, match="needs the responder role"):
        inc.perform(store, i.incident_id, action, identity=sam, now=G + timedelta(minutes=1),
                    owner="Sam", severity="SEV1", note="not allowed")
    assert (events(store), arrow(store.cursor(), "SELECT * FROM incidents").to_pylist()) == before


def test_a_stakeholder_cannot_open_an_incident(store):
    with pytest.raises(PermissionDenied):
        inc.open_incident(store, CONFIG, title="x", severity="SEV2", now=G,
                          identity=Identity("Sam", None, "stakeholder"))
    assert arrow(store.cursor(), "SELECT count(*) AS n FROM incidents").to_pylist() == [{"n": 0}]
    assert arrow(store.cursor(), "SELECT count(*) AS n FROM incident_events").to_pylist() == [{"n": 0}]


def test_the_actor_is_the_identity_with_its_email(store):
    lead = Identity("Lea", "lea@example.com", "lead")
    i = inc.open_incident(store, CONFIG, title="x", severity="SEV2", identity=lead, now=G)
    inc.acknowledge(store, i.incident_id, identity=lead, now=G + timedelta(minutes=1))
    assert events(store)["actor"] == ["Lea <lea@example.com>"] * 2


def test_an_action_is_refused_unless_the_incident_is_still_the_version_seen(store):
    t = G + timedelta(hours=1)
    inc.open_incident(store, make_config(), title="x", severity="SEV2", identity=who("ana"), now=t)
    seen = inc.get_incident(store.cursor(), "INC-1").version
    bo = who("bo")
    inc.acknowledge(store, "INC-1", identity=bo, now=t)
    inc.resolve(store, "INC-1", identity=bo, now=t)
    inc.reopen(store, "INC-1", identity=bo, now=t)  # open again, but not the incident that was seen
    with pytest.raises(inc.IncidentConflict, match="changed after this page showed it"):
        inc.perform(store, "INC-1", "escalate", identity=who("ana"), now=t, seen_version=seen)
    assert inc.get_incident(store.cursor(), "INC-1").level == 1
    now_seen = inc.get_incident(store.cursor(), "INC-1").version
    assert now_seen == seen + 3
    assert inc.perform(store, "INC-1", "escalate", identity=who("ana"), now=t, seen_version=now_seen).level == 2
