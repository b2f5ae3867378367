"""The go-live checklist: config validation, item states from config + evidence + manual ticks (with
their audit rows), due and overdue across the go-live instant and a DST change."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from hypercare.auth.identity import Identity, PermissionDenied
from hypercare.config import ConfigError, parse_config
from hypercare.readiness.checklist import summarise, overview_line
from hypercare.readiness.checklist_actions import ChecklistError, tick, untick
from hypercare.readiness.checklist_evidence import checklist_now
from hypercare.store.read import frame
from hypercare.window import Window

UTC = timezone.utc
BRUSSELS = "Europe/Brussels"
# Sunday 25 October 2026: Brussels falls back from 03:00 CEST to 02:00 CET.
GO_LIVE = datetime(2026, 10, 25, 22, 0, tzinfo=UTC)  # 23:00 CET
ANA = Identity("Ana Peeters", "ana@example.com", "responder")
SAM = Identity("Sam", "sam@example.com", "stakeholder")


def config(items: list[dict], **extra):
    data = {"release": {"name": "Booking", "go_live_at": GO_LIVE.isoformat(), "timezone": BRUSSELS},
            "checks": [{"name": "booking-api", "url": "https://api.example/health"}],
            "rules": [{"name": "Open SEV1", "metric": "open_incidents", "op": ">=", "threshold": 1,
                       "severity": "SEV1", "level": "critical"}],
            "checklist": items, **extra}
    return parse_config(data, base_dir=Path("."))


def item(title: str, due="-1h", stage="before", **extra) -> dict:
    return {"title": title, "owner": "Ana", "due": due, "stage": stage, **extra}


def window(c) -> Window:
    r = c.release
    return Window(r.go_live_at, r.window_hours, r.baseline_hours, r.timezone)


def states(store, c, now):
    return {s.title: s for s in checklist_now(store.cursor(), c, window(c), now)}


def events(store) -> list[dict]:
    return frame(store.cursor(), "SELECT item, action, actor, occurred_at, note FROM checklist_events "
                                 "ORDER BY occurred_at").to_dict("records")


# --- config ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("bad", "says"), [
    ({"due": "24h"}, 'checklist[0] (\'DNS\').due: \'24h\' has no sign: write "-24h" (before go-live) or "+24h" (after)'),
    ({"due": "tomorrow"}, "checklist[0] ('DNS').due: 'tomorrow' is not a due time; give an instant with its UTC offset"),
    ({"due": "2026-10-25T18:00:00"}, "checklist[0] ('DNS').due: '2026-10-25T18:00:00' has no UTC offset"),
    ({"due": "-400d"}, "checklist[0] ('DNS').due: '-400d' is more than a year from go-live"),
    ({"stage": "during"}, "checklist[0] ('DNS').stage: Input should be 'before', 'cutover' or 'after'"),
    ({"owner": ""}, "checklist[0] ('DNS').owner: String should have at least 1 character"),
    ({"evidence": "booking-api"}, "checklist[0] ('DNS').evidence: 'booking-api' is not evidence; write one of "
                                  '"check:NAME" (done while that check is up)'),
    ({"evidence": "check:payments"}, "checklist 'DNS': evidence 'check:payments' names no check 'payments'; use a "
                                     "name from [[checks]] (booking-api), or leave evidence out to tick it by hand"),
    ({"evidence": "rule:Errors"}, "checklist 'DNS': evidence 'rule:Errors' names no rule 'Errors'; use a name from "
                                  "[[rules]] (or the built-in rules) (Open SEV1)"),
    ({"evidence": "reconcile:accounts"}, "checklist 'DNS': evidence 'reconcile:accounts' names no reconcile "
                                         "'accounts'; use a name from [[reconcile]] (none is configured)"),
])
def test_a_bad_item_names_the_field_and_the_fix(bad, says):
    with pytest.raises(ConfigError) as raised:
        config([item("DNS", **bad)])
    assert len(raised.value.problems) == 1
    assert raised.value.problems[0].startswith(says), raised.value.problems


def test_titles_are_distinct_and_a_missing_field_is_named():
    with pytest.raises(ConfigError, match="checklist: give each item a distinct title; 'DNS' repeated"):
        config([item("DNS"), item("DNS")])
    with pytest.raises(ConfigError, match=r"checklist\[0\] \('DNS'\).due: required; add it"):
        config([{"title": "DNS", "owner": "Ana", "stage": "before"}])


def test_due_takes_a_toml_datetime_an_iso_string_or_a_signed_offset():
    c = config([item("a", due=datetime(2026, 10, 25, 18, 0, tzinfo=timezone(timedelta(hours=1)))),
                item("b", due="2026-10-25T18:00:00+01:00"), item("c", due="-24h"), item("d", due="+90m"),
                item("e", due="-2d"), item("f", due="+1.5h")])
    dues = [i.due for i in c.checklist]
    assert dues[0] == dues[1] == datetime(2026, 10, 25, 17, 0, tzinfo=UTC)
    assert dues[2:] == [timedelta(hours=-24), timedelta(minutes=90), timedelta(days=-2), timedelta(hours=1.5)]


def test_rule_evidence_accepts_the_builtin_rules_when_none_are_configured():
    c = config([item("a", evidence="rule:Health check down")], rules=[])
    assert c.checklist[0].evidence == "rule:Health check down"


# --- states: due and overdue -----------------------------------------------------------------------

def test_due_and_overdue_across_the_go_live_instant(store):
    c = config([item("Freeze deploys", due="-1h"), item("Announce", due="+2h", stage="after"),
                item("Rollback plan", due=GO_LIVE.isoformat(), stage="cutover")])
    before = states(store, c, GO_LIVE - timedelta(hours=1, seconds=1))
    assert {t: s.state for t, s in before.items()} == {"Freeze deploys": "not done", "Announce": "not done",
                                                       "Rollback plan": "not done"}
    assert states(store, c, GO_LIVE - timedelta(hours=1))["Freeze deploys"].state == "overdue"  # due is inclusive
    assert states(store, c, GO_LIVE - timedelta(microseconds=1))["Rollback plan"].state == "not done"
    at_go_live = states(store, c, GO_LIVE)
    assert at_go_live["Rollback plan"].state == "overdue" and at_go_live["Announce"].state == "not done"
    assert states(store, c, GO_LIVE + timedelta(hours=2))["Announce"].state == "overdue"
    assert at_go_live["Announce"].due_at == GO_LIVE + timedelta(hours=2)


def test_a_relative_due_counts_real_hours_across_the_fall_back(store):
    # Go-live Sun 25 Oct 23:00 CET; "-24h" is 24 real hours earlier, Sun 00:00 CEST: the clock went back between.
    c = config([item("Backups verified", due="-24h"), item("Night shift briefed", due="2026-10-25T02:30:00+01:00"),
                item("Batch jobs paused", due="2026-10-25T02:30:00+02:00")])
    s = states(store, c, GO_LIVE)
    due = s["Backups verified"].due_at
    assert due == datetime(2026, 10, 24, 22, 0, tzinfo=UTC)
    assert f"{due.astimezone(window(c).tz):%a %H:%M %Z}" == "Sun 00:00 CEST"  # 23 wall-clock hours before 23:00 CET
    # the two 02:30 readings of the fall-back night are an hour apart, and each is due at its own instant
    first, second = s["Batch jobs paused"].due_at, s["Night shift briefed"].due_at
    assert second - first == timedelta(hours=1)
    between = states(store, c, first + timedelta(minutes=30))
    assert between["Batch jobs paused"].state == "overdue" and between["Night shift briefed"].state == "not done"
    assert states(store, c, due - timedelta(seconds=1))["Backups verified"].state == "not done"
    assert states(store, c, due)["Backups verified"].state == "overdue"


def test_a_relative_due_is_unknown_while_the_go_live_instant_is(store):
    c = config([item("Freeze deploys", due="-1h"), item("Fixed", due="2026-10-24T10:00:00+02:00")])
    found = {s.title: s for s in checklist_now(store.cursor(), c, None, GO_LIVE + timedelta(days=10))}
    assert found["Freeze deploys"].due_at is None and found["Freeze deploys"].state == "not done"
    assert found["Fixed"].state == "overdue"


# --- manual ticks and the audit rows ---------------------------------------------------------------

def test_tick_and_untick_write_one_audit_row_each_and_decide_the_state(store):
    c = config([item("Freeze deploys", due="-1h"), item("Announce", due="+2h", stage="after")])
    t1, t2 = GO_LIVE - timedelta(hours=3), GO_LIVE - timedelta(hours=2)
    assert tick(store, ANA, c.checklist, "Freeze deploys", t1, note="  CAB approved  ") is True
    assert states(store, c, t1)["Freeze deploys"].state == "done"
    assert states(store, c, t1)["Freeze deploys"].done_by == "ticked by Ana Peeters <ana@example.com>"
    assert untick(store, ANA, c.checklist, "Freeze deploys", t2, reason="hotfix still going out") is True
    assert events(store) == [
        {"item": "Freeze deploys", "action": "tick", "actor": "Ana Peeters <ana@example.com>", "occurred_at": t1,
         "note": "CAB approved"},
        {"item": "Freeze deploys", "action": "untick", "actor": "Ana Peeters <ana@example.com>", "occurred_at": t2,
         "note": "hotfix still going out"},
    ]
    assert states(store, c, t1 + timedelta(minutes=30))["Freeze deploys"].state == "done"  # as of then
    assert states(store, c, t2)["Freeze deploys"].state == "not done"
    assert states(store, c, GO_LIVE)["Freeze deploys"].state == "overdue"
    assert states(store, c, GO_LIVE)["Freeze deploys"].tick.note == "hotfix still going out"


def test_ticking_twice_writes_once_and_untick_of_an_open_item_writes_nothing(store):
    c = config([item("Freeze deploys")])
    now = GO_LIVE - timedelta(hours=3)
    assert tick(store, ANA, c.checklist, "Freeze deploys", now) is True
    assert tick(store, ANA, c.checklist, "Freeze deploys", now + timedelta(seconds=1)) is False
    assert len(events(store)) == 1
    assert untick(store, ANA, c.checklist, "Freeze deploys", now + timedelta(seconds=2), "wrong item") is True
    assert untick(store, ANA, c.checklist, "Freeze deploys", now + timedelta(seconds=3), "again") is False
    assert [e["action"] for e in events(store)] == ["tick", "untick"]


@pytest.mark.parametrize(("who", "title", "action", "reason", "error", "says"), [
    (SAM, "Freeze deploys", tick, None, PermissionDenied,
     "Sam is a stakeholder; ticking or un-ticking a checklist item needs the responder role"),
    (ANA, "Nope", tick, None, ChecklistError, "no checklist item is titled 'Nope'"),
    (ANA, "API healthy", tick, None, ChecklistError,
     "'API healthy' ticks itself (done while that check is up: check 'booking-api'); it can't be ticked by hand"),
    (ANA, "Freeze deploys", untick, "  ", ChecklistError, "reason is empty: say why 'Freeze deploys' is not done"),
])
def test_a_change_that_may_not_be_made_writes_nothing(store, who, title, action, reason, error, says):
    c = config([item("Freeze deploys"), item("API healthy", evidence="check:booking-api")])
    args = (reason,) if action is untick else ()
    with pytest.raises(error) as raised:
        action(store, who, c.checklist, title, GO_LIVE, *args)
    assert str(raised.value).startswith(says)
    assert events(store) == []


# --- evidence --------------------------------------------------------------------------------------

def _checks_ran(store, at: datetime) -> None:
    store.cursor().execute("INSERT INTO collector_runs (run_id, collector, started_at, finished_at, ok, rows_written, "
                           "status) VALUES (?, 'checks', ?, ?, true, 1, 'ok')", [f"run-{at}", at, at])


def _flip(store, at: datetime, to_state: str) -> None:
    store.cursor().execute("INSERT INTO check_transitions VALUES ('booking-api', ?, 'unknown', ?, 'test')", [at, to_state])


def test_check_evidence_is_done_while_the_check_is_up_and_unknown_when_the_checks_are_stale(store):
    c = config([item("API healthy", due="-1h", evidence="check:booking-api")])
    t = GO_LIVE - timedelta(hours=2)
    s = states(store, c, t)["API healthy"]
    assert s.state == "not done" and s.proof.holds is None
    assert s.proof.words == "check booking-api: unknown (checks is not collected yet)"
    _checks_ran(store, t)
    _flip(store, t - timedelta(minutes=5), "up")
    s = states(store, c, t)["API healthy"]
    assert (s.state, s.done_by) == ("done", "check booking-api is up")
    _checks_ran(store, t + timedelta(minutes=30))
    _flip(store, t + timedelta(minutes=30), "down")
    s = states(store, c, t + timedelta(minutes=30))["API healthy"]
    assert (s.state, s.proof.words) == ("not done", "check booking-api is down")
    assert states(store, c, GO_LIVE)["API healthy"].state == "overdue"
    # still up at the last run, but the checks collector has not run for over 3 intervals: not done
    _flip(store, GO_LIVE, "up")
    s = states(store, c, GO_LIVE + timedelta(minutes=10))["API healthy"]
    assert s.state == "overdue" and s.proof.words == "check booking-api: unknown (checks is stale)"


def test_rule_evidence_is_done_while_the_rule_is_not_met(store):
    c = config([item("No SEV1 open at hand-over", due="+24h", stage="after", evidence="rule:Open SEV1")])
    before = states(store, c, GO_LIVE - timedelta(hours=1))["No SEV1 open at hand-over"]
    assert before.state == "not done" and before.proof.words.startswith("rule Open SEV1: insufficient data (")
    after = states(store, c, GO_LIVE + timedelta(hours=1))["No SEV1 open at hand-over"]
    assert (after.state, after.done_by) == ("done", "rule Open SEV1 is not met")
    opened = GO_LIVE + timedelta(hours=2)
    store.cursor().execute("INSERT INTO incidents (incident_id, title, severity, status, level, opened_at) "
                           "VALUES ('INC-1', 'down', 'SEV1', 'open', 1, ?)", [opened])
    store.cursor().execute("INSERT INTO incident_events (event_id, incident_id, occurred_at, kind) "
                           "VALUES ('ev-1', 'INC-1', ?, 'open')", [opened])
    met = states(store, c, GO_LIVE + timedelta(hours=3))["No SEV1 open at hand-over"]
    assert (met.state, met.proof.words) == ("not done", "rule Open SEV1 is met")


def test_a_tick_does_not_make_an_evidence_item_done(store):
    c = config([item("API healthy", evidence="check:booking-api")])
    store.cursor().execute("INSERT INTO checklist_events VALUES ('e1', 'API healthy', 'tick', 'x', ?, NULL)",
                           [GO_LIVE - timedelta(hours=3)])
    assert states(store, c, GO_LIVE - timedelta(hours=2))["API healthy"].state == "not done"


# --- summary and the Overview's line ---------------------------------------------------------------

def test_the_overview_line_before_and_after_go_live(store):
    c = config([item("Freeze deploys", due="-4h"), item("DNS", due="-2h"), item("Backups", due="-6h"),
                item("Announce", due="+2h", stage="after"), item("Hand over", due="+72h", stage="after")])
    tick(store, ANA, c.checklist, "Backups", GO_LIVE - timedelta(hours=7))
    w = window(c)
    now = GO_LIVE - timedelta(hours=3)
    summary = summarise(checklist_now(store.cursor(), c, w, now))
    assert (summary.total, summary.done, summary.overdue) == (5, 1, 1)
    assert overview_line(summary, w, now) == "T−3 h · checklist 1 of 5 done · 1 overdue"
    for title in ("Freeze deploys", "DNS", "Announce"):
        tick(store, ANA, c.checklist, title, now)
    later = GO_LIVE + timedelta(hours=38)
    summary = summarise(checklist_now(store.cursor(), c, w, later))
    assert overview_line(summary, w, later) == "Checklist: 1 item still open (Hand over)"
    tick(store, ANA, c.checklist, "Hand over", later)
    assert overview_line(summarise(checklist_now(store.cursor(), c, w, later)), w, later) is None


def test_changes_stamped_with_the_same_instant_read_in_the_order_they_were_made(store):
    c = config([item("Freeze deploys")])
    now = GO_LIVE - timedelta(hours=3)
    for _ in range(3):
        tick(store, ANA, c.checklist, "Freeze deploys", now)
        untick(store, ANA, c.checklist, "Freeze deploys", now, "not yet")
    assert states(store, c, now)["Freeze deploys"].state == "not done"
    tick(store, ANA, c.checklist, "Freeze deploys", now)
    assert states(store, c, now)["Freeze deploys"].state == "done"
    assert len(events(store)) == 7


def test_reconcile_evidence_is_done_while_the_latest_result_matches(store):
    c = config([item("Bookings reconcile", due="+12h", stage="after", evidence="reconcile:bookings")],
               reconcile=[{"name": "bookings", "source_env": "OLD_DB", "target_env": "NEW_DB",
                           "source_sql": "SELECT count(*) FROM r", "target_sql": "SELECT count(*) FROM b",
                           "interval_seconds": 600}])
    cur = store.cursor()

    def result(hours: float, matched: bool | None, difference: float | None) -> None:
        at = GO_LIVE + timedelta(hours=hours)
        cur.execute("INSERT INTO reconciliations VALUES ('bookings', ?, 12000, ?, ?, ?, ?)",
                    [at, None if difference is None else 12000 + difference, difference, matched,
                     "target side: timed out" if matched is None else None])
        cur.execute("INSERT INTO collector_runs (run_id, collector, started_at, finished_at, ok, rows_written, status) "
                    "VALUES (?, 'reconcile', ?, ?, true, 1, 'ok')", [f"r{hours}", at, at])

    def proof(hours: float):
        s = states(store, c, GO_LIVE + timedelta(hours=hours))["Bookings reconcile"]
        return s.state, s.proof.words

    assert proof(1) == ("not done", "reconciliation bookings: unknown (reconcile is not collected yet)")
    result(1, False, -23)
    assert proof(1) == ("not done", "reconciliation bookings is off by -23")
    result(2, None, None)
    assert proof(2) == ("not done", "reconciliation bookings: unknown (its latest run failed)")
    result(3, True, 0)
    assert proof(3) == ("done", "reconciliation bookings matches")
    assert proof(3.6) == ("not done", "reconciliation bookings: unknown (reconcile is stale)")  # 3 intervals of 10 min
    assert proof(13) == ("overdue", "reconciliation bookings: unknown (reconcile is stale)")
