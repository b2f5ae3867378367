"""Incident queries checked against Python over the same known rows; the demo's seeded story."""

from __future__ import annotations

from datetime import timedelta
from statistics import mean

from hypercare.incidents import actions as inc
from hypercare.clock import FixedClock
from hypercare.config import load_config
from hypercare.runtime import AppContext
from hypercare.store import Store
from hypercare.store.queries import incidents as q
from hypercare.store.read import arrow
from tests.test_incidents import CONFIG, WINDOW, G, put, ticket, who

NOW = G + timedelta(hours=10)


def scenario(store):
    """(id, severity, opened minutes ago, actions as (verb, minutes after opening))."""
    plan = [
        ("SEV1", 10, []),
        ("SEV2", 60, [("acknowledge", 4)]),
        ("SEV3", 100, [("acknowledge", 30), ("mitigate", 50)]),
        ("SEV2", 500, [("acknowledge", 12), ("resolve", 200)]),
        ("SEV3", 300, [("resolve", 90)]),
    ]
    made = []
    for sev, ago, actions in plan:
        opened = NOW - timedelta(minutes=ago)
        i = inc.open_incident(store, CONFIG, title=f"{sev} {ago}", severity=sev, identity=who("ana"), now=opened)
        for verb, after in actions:
            inc.perform(store, i.incident_id, verb, identity=who("bo"), now=opened + timedelta(minutes=after))
        made.append((i.incident_id, sev, ago, dict(actions)))
    return made


def test_open_incidents_count_down_and_sort_by_urgency(store):
    made = scenario(store)
    df = q.open_incidents(store.cursor(), NOW, hypercare=True)
    # Targets in force (hypercare; SEV3 has none, so its normal ones): ack 5 / resolve 120 for SEV1,
    # 15 / 240 for SEV2, 120 / 1440 for SEV3.
    targets = {"SEV1": (5, 120), "SEV2": (15, 240), "SEV3": (120, 1440)}
    expected = []
    for iid, sev, ago, actions in made:
        if "resolve" in actions:
            continue
        ack_left = None if actions else targets[sev][0] - ago
        resolve_left = targets[sev][1] - ago
        lefts = [x for x in (ack_left, resolve_left) if x is not None]
        breached = [s for s, x in (("ack", ack_left), ("resolve", resolve_left)) if x is not None and x <= 0]
        expected.append((iid, ack_left, resolve_left, ", ".join(breached), (-len(breached), min(lefts))))
    expected.sort(key=lambda e: e[-1])
    assert list(df["incident_id"]) == [e[0] for e in expected]
    assert [None if x != x else x for x in df["ack_minutes_left"]] == [e[1] for e in expected]
    assert list(df["resolve_minutes_left"]) == [e[2] for e in expected]
    assert list(df["breached"]) == [e[3] for e in expected]
    assert df.iloc[0]["breached"] == "ack"  # the SEV1 missed its 5-minute target
    normal = q.open_incidents(store.cursor(), NOW, hypercare=False)
    assert normal.set_index("incident_id").loc["INC-1", "ack_minutes_left"] == 15 - 10


def test_counts_by_state_and_severity_and_open_by_severity(store):
    made = scenario(store)
    rows = arrow(store.cursor(), "SELECT severity, status FROM incidents").to_pylist()
    table = q.incident_counts(store.cursor())
    for sev in ("SEV1", "SEV2", "SEV3", "SEV4"):
        for status in ("open", "acknowledged", "mitigated", "resolved"):
            assert table.loc[sev, status] == sum(r == {"severity": sev, "status": status} for r in rows)
        assert table.loc[sev, "total"] == sum(r["severity"] == sev for r in rows)
    open_by_sev = q.open_incidents_by_severity(store.cursor(), NOW)
    assert open_by_sev == {sev: sum(1 for _, s, _, a in made if s == sev and "resolve" not in a)
                           for sev in ("SEV1", "SEV2", "SEV3", "SEV4")}
    assert q.open_incidents_by_severity(store.cursor(), NOW - timedelta(minutes=50)) == {"SEV1": 0, "SEV2": 1, "SEV3": 1, "SEV4": 0}


def test_mtta_and_mttr_over_the_window(store):
    made = scenario(store)
    acks = [a.get("acknowledge", a.get("resolve")) for *_, a in made if a]  # resolving unacknowledged counts as acknowledging
    fixes = [a["resolve"] for *_, a in made if "resolve" in a]
    rt = q.response_times(store.cursor(), WINDOW.go_live_at, WINDOW.end)
    assert (rt.opened, rt.acknowledged, rt.resolved) == (5, len(acks), len(fixes))
    assert abs(rt.mtta_minutes - mean(acks)) < 1e-9 and abs(rt.mttr_minutes - mean(fixes)) < 1e-9
    empty = q.response_times(store.cursor(), WINDOW.end, WINDOW.end + timedelta(hours=1))
    assert (empty.opened, empty.mtta_minutes, empty.mttr_minutes) == (0, None, None)


def test_timeline_is_the_audit_log_in_order(store):
    scenario(store)
    log = q.incident_timeline(store.cursor(), "INC-3")
    assert list(log["kind"]) == ["open", "acknowledge", "mitigate"]
    assert list(log["actor"]) == ["ana", "bo", "bo"]
    assert q.incident_timeline(store.cursor(), "INC-404").empty


def seeded(path):
    config = load_config("hypercare/demo.toml")
    store = Store(path)
    window = AppContext(config, store, FixedClock(config.release.go_live_at)).window()
    inc.seed_demo_incidents(store, config, window)
    return store, window


def test_demo_incidents_tell_the_story_and_are_deterministic(tmp_path):
    store, window = seeded(tmp_path / "a.duckdb")
    T = window.go_live_at
    log = arrow(store.cursor(), """SELECT event_id, incident_id, occurred_at, kind, to_value, actor FROM incident_events
                                   ORDER BY incident_id, occurred_at, event_id""").to_pylist()
    first = [(e["occurred_at"] - T, e["kind"], e["to_value"], e["actor"]) for e in log if e["incident_id"] == "INC-1"]
    h = lambda hours, minutes=0: timedelta(hours=hours, minutes=minutes)  # noqa: E731
    assert (h(9, 10), "open", "open", "hypercare") in first
    assert (h(9, 25), "escalate", "2", "hypercare") in first  # L1's 15 minutes ran out
    assert (h(9, 55), "acknowledge", "acknowledged", "Amira (platform on-call)") in first
    assert first[-1] == (h(14, 5), "resolve", "resolved", "Amira (platform on-call)")
    assert not any(k == "escalate" and t > h(9, 25) for t, k, *_ in first)
    incidents = arrow(store.cursor(), "SELECT incident_id, severity, status, level, source_kind, source_ref FROM incidents ORDER BY 1").to_pylist()
    assert [tuple(r.values()) for r in incidents] == [
        ("INC-1", "SEV2", "resolved", 2, "sentry", "4507310001"),
        ("INC-2", "SEV3", "mitigated", 1, "checks", "payment-provider"),
    ]
    second = [(e["occurred_at"] - T, e["kind"], e["actor"]) for e in log if e["incident_id"] == "INC-2"]
    assert (h(20, 12), "acknowledge", "Jonas (service desk)") in second
    unsent = arrow(store.cursor(), "SELECT count(*) AS n FROM notifications WHERE sent_at IS NULL").to_pylist()[0]["n"]
    assert unsent == 0 and arrow(store.cursor(), "SELECT count(*) AS n FROM notifications").to_pylist()[0]["n"] > 0
    assert inc.seed_demo_incidents(store, load_config("hypercare/demo.toml"), window) == []  # once only
    other, _ = seeded(tmp_path / "b.duckdb")
    assert arrow(other.cursor(), "SELECT event_id FROM incident_events ORDER BY incident_id, occurred_at, event_id")["event_id"].to_pylist() \
        == [e["event_id"] for e in log]
    store.close()
    other.close()


def test_the_demo_database_ticks_quietly_at_its_pinned_clock(tmp_path):
    from hypercare.demo import DEMO_NOW, demo_window
    from tests.demo_db import open_demo_copy

    config, store = open_demo_copy(tmp_path)
    try:
        window = demo_window(config)
        ids = [r[0] for r in store.cursor().execute("SELECT incident_id FROM incidents ORDER BY 1").fetchall()]
        assert ids == ["INC-1", "INC-2"]  # build_demo seeded them
        assert inc.seed_demo_incidents(store, config, window) == []  # and seeding again adds nothing
        result = inc.tick(store, config, window, DEMO_NOW, deliver=False)
        assert (result.opened, result.actions) == ([], [])  # the seeded story is complete at T+38 h
    finally:
        store.close()


def test_ticket_counts_per_period_match_python(store):
    created = [G + timedelta(minutes=17 * k) for k in range(60)]
    put(store, "tickets", [ticket(k, t) for k, t in enumerate(created)], ["source", "ticket_id"])
    periods = [(G + timedelta(hours=h), G + timedelta(hours=h + 1)) for h in (0, 3, 7, 40)] + [(G, G)]
    expected = [sum(start <= t < end for t in created) for start, end in periods]
    assert q.ticket_counts(store.cursor(), periods) == expected
    assert q.ticket_counts(store.cursor(), []) == []
