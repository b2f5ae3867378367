"""Triage actions: one row per change (never two on a double click), the roles, the states, and
set-aside items coming back when they get worse or their period ends."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from hypercare.auth.identity import Identity, PermissionDenied
from hypercare.config import TriageConfig, parse_config
from hypercare.incidents import actions as incidents
from hypercare.store.queries import triage as q
from hypercare.store.queries.tickets import count_tickets
from hypercare.store.queries.triage import Counted
from hypercare.store.read import arrow, scalar
from hypercare.triage import actions as triage
from hypercare.triage.model import Item, Score, ScorePart
from hypercare.triage.tickets import ticket_items

T = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
CONFIG = parse_config({"release": {"name": "shop", "go_live_at": (T - timedelta(hours=12)).isoformat()}}, Path("."))
ANA = Identity("Ana", "ana@shop.example", "responder")
LEAD = Identity("Lea", None, "lead")
VIEWER = Identity("Sam", None, "stakeholder")


def item(key="sentry:101", without_age=40.0, source="sentry", ref="101", title="TypeError in <b>cart</b>",
         figures=None) -> Item:
    score = Score((ScorePart("users", 12.0, without_age, "12 users"), ScorePart("age", 2.0, 5.0, "2 h old")),
                  without_age + 5.0, without_age)
    return Item(key, source, "new issue", title, ref, T - timedelta(hours=2), T, figures or {},
                "https://sentry.example/issues/101/", score, "SEV2")


def rows(store) -> list[dict]:
    return arrow(store.cursor(), "SELECT * FROM triage_actions ORDER BY seq").to_pylist()


def test_open_incident_prefilled_from_the_item_writes_once_when_clicked_twice(store):
    first = triage.open_incident(store, CONFIG, item(), identity=ANA, now=T)
    again = triage.open_incident(store, CONFIG, item(), identity=ANA, now=T + timedelta(seconds=1))
    assert again.incident_id == first.incident_id == "INC-1"
    assert (first.title, first.severity, first.source_kind, first.source_ref) == ("TypeError in <b>cart</b>", "SEV2",
                                                                                 "sentry", "101")
    assert scalar(store.cursor(), "SELECT count(*) FROM incidents") == 1
    note = scalar(store.cursor(), "SELECT note FROM incident_events WHERE kind = 'open'")
    assert "https://sentry.example/issues/101/" in note and "sentry:101" in note
    [row] = rows(store)
    assert (row["item_key"], row["action"], row["incident_id"], row["actor"], row["acted_at"]) == \
        ("sentry:101", "opened", "INC-1", "Ana <ana@shop.example>", T)
    assert triage._state(store, "sentry:101").words == "INC-1 (open)"


def test_opening_rolls_back_with_the_incident(store, monkeypatch):
    """The incident and the triage row are one transaction: a failing row leaves no incident."""
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")
    monkeypatch.setattr(triage, "_append", broken)
    with pytest.raises(RuntimeError):
        triage.open_incident(store, CONFIG, item(), identity=ANA, now=T)
    assert scalar(store.cursor(), "SELECT count(*) FROM incidents") == 0
    assert scalar(store.cursor(), "SELECT count(*) FROM incident_events") == 0


def test_link_to_an_open_incident_once_and_never_to_a_resolved_one(store):
    inc = incidents.open_incident(store, CONFIG, title="Checkout down", severity="SEV1", identity=ANA, now=T)
    for k in range(2):
        state = triage.link(store, item(), inc.incident_id, identity=ANA, now=T + timedelta(minutes=k))
    assert (state.state, state.incident_id, state.incident_status) == ("has incident", "INC-1", "open")
    assert [r["action"] for r in rows(store)] == ["linked"]
    incidents.resolve(store, "INC-1", identity=ANA, now=T + timedelta(hours=1))
    assert triage._state(store, "sentry:101").words == "INC-1 (resolved)"
    with pytest.raises(triage.TriageError, match="INC-1 is resolved"):
        triage.link(store, item("sentry:102", ref="102"), "INC-1", identity=ANA, now=T + timedelta(hours=2))
    with pytest.raises(triage.TriageError, match="no incident INC-9"):
        triage.link(store, item(), "INC-9", identity=ANA, now=T)


def test_set_aside_once_when_clicked_twice_and_again_when_the_reason_changes(store):
    for k in range(2):
        triage.set_aside(store, item(), "known", "  fixed in 2.0.2, deploying tonight ", identity=ANA,
                         now=T + timedelta(seconds=k))
    [row] = rows(store)
    assert (row["action"], row["aside_kind"], row["reason"], row["until"], row["score_without_age"], row["members"]) == \
        ("set aside", "known", "fixed in 2.0.2, deploying tonight", None, 40.0, ["sentry:101"])
    triage.set_aside(store, item(), "known", "deploy moved to tomorrow", identity=ANA, now=T + timedelta(minutes=5))
    assert [r["reason"] for r in rows(store)] == ["fixed in 2.0.2, deploying tonight", "deploy moved to tomorrow"]


def test_twenty_concurrent_clicks_write_one_row(store):
    threads = [threading.Thread(target=triage.set_aside, args=(store, item(), "known", "seen"),
                                kwargs={"identity": ANA, "now": T}) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(rows(store)) == 1


def test_roles_and_bad_input_are_refused_before_anything_is_written(store):
    with pytest.raises(PermissionDenied, match="stakeholder"):
        triage.open_incident(store, CONFIG, item(), identity=VIEWER, now=T)
    with pytest.raises(PermissionDenied, match="needs the lead role"):
        triage.set_aside(store, item(), "accepted", "we live with it", identity=ANA, now=T)
    with pytest.raises(triage.TriageError, match="give the reason"):
        triage.set_aside(store, item(), "known", "  ", identity=ANA, now=T)
    with pytest.raises(triage.TriageError, match="until must be later than now"):
        triage.set_aside(store, item(), "known", "seen", identity=ANA, now=T, until=T)
    with pytest.raises(triage.TriageError, match="one of known, accepted"):
        triage.set_aside(store, item(), "ignored", "seen", identity=ANA, now=T)
    assert rows(store) == []
    triage.set_aside(store, item(), "accepted", "we live with it", identity=LEAD, now=T)
    assert rows(store)[0]["actor"] == "Lea"


def test_a_set_aside_item_comes_back_when_its_score_without_age_rises_25_percent(store):
    triage.set_aside(store, item(without_age=40.0), "known", "known slow query", identity=ANA, now=T)
    # age alone (the total grows) and a rise below 25 % leave it aside
    assert triage.settle_returns(store, [item(without_age=49.9)], T + timedelta(hours=3)) == []
    assert q.set_aside(store.cursor(), T + timedelta(hours=3)).keys == {"sentry:101"}
    assert triage.settle_returns(store, [item(without_age=50.0)], T + timedelta(hours=4)) == ["sentry:101"]
    assert triage.settle_returns(store, [item(without_age=80.0)], T + timedelta(hours=4)) == []  # once
    back = rows(store)[-1]
    assert (back["action"], back["actor"], back["acted_at"]) == ("returned", "hypercare", T + timedelta(hours=4))
    assert back["reason"] == "worse: score without age 50.0, was 40.0 when set aside"
    assert triage._state(store, "sentry:101").words == "back: worse: score without age 50.0, was 40.0 when set aside"
    assert q.set_aside(store.cursor(), T + timedelta(hours=4)).keys == set()
    # what was set aside earlier is still on record as of then
    assert q.set_aside(store.cursor(), T + timedelta(hours=3)).members == {"sentry:101"}


def test_a_set_aside_item_comes_back_when_until_passes(store):
    until = T + timedelta(hours=6)
    triage.set_aside(store, item(), "known", "vendor fix due", identity=ANA, now=T, until=until)
    assert q.set_aside(store.cursor(), until - timedelta(seconds=1)).keys == {"sentry:101"}
    assert q.set_aside(store.cursor(), until).keys == set()  # counts see it back at once, row or not
    # the return is put on record at `until` even when the item has left the inbox meanwhile
    assert triage.settle_returns(store, [], until + timedelta(hours=2)) == ["sentry:101"]
    back = rows(store)[-1]
    assert (back["action"], back["acted_at"], back["reason"]) == ("returned", until, "the set-aside period ended")


def test_bring_back_by_hand(store):
    triage.set_aside(store, item(), "known", "seen", identity=ANA, now=T)
    triage.bring_back(store, "sentry:101", identity=ANA, now=T + timedelta(minutes=1))
    triage.bring_back(store, "sentry:101", identity=ANA, now=T + timedelta(minutes=2))
    assert [r["action"] for r in rows(store)] == ["set aside", "returned"]
    assert triage._state(store, "sentry:101").words == "back: brought back by Ana <ana@shop.example>"


def test_a_cluster_stands_for_the_tickets_it_held(store):
    """A cluster set aside leaves out the tickets it held then (its rule and value, from its
    first to its last ticket); a later ticket of the same label counts again."""
    rows = [("desk", "1", T - timedelta(minutes=170), ["Login "]), ("desk", "2", T - timedelta(minutes=100), ["login"]),
            ("mail", "3", T - timedelta(minutes=30), ["LOGIN", "mobile"]), ("desk", "4", T - timedelta(minutes=20), ["billing"]),
            ("desk", "0", T - timedelta(hours=30), ["login"])]  # long before: not in the cluster
    for source, ticket_id, created, labels in rows:
        store.cursor().execute("INSERT INTO tickets (source, ticket_id, created_at, labels, title, category) "
                               "VALUES (?, ?, ?, ?, ?, 'technical')", [source, ticket_id, created, labels, f"t{ticket_id}"])
    cluster = next(i for i in ticket_items(store.cursor(), None, T, TriageConfig()) if i.key == "cluster:label:login")
    triage.set_aside(store, cluster, "known", "password reset mail delayed", identity=ANA, now=T)
    assert q.set_aside(store.cursor(), T).members == {"tickets:desk:1", "tickets:desk:2", "tickets:mail:3"}
    store.cursor().execute("INSERT INTO tickets (source, ticket_id, created_at, labels) VALUES ('desk', '5', ?, ['login'])",
                           [T + timedelta(minutes=5)])
    assert count_tickets(store.cursor(), T - timedelta(hours=3), T + timedelta(hours=1),
                         aside=q.set_aside(store.cursor(), T + timedelta(minutes=10))) == Counted(2, 3)


def test_an_incident_opened_for_a_p1_ticket_covers_it_as_the_engine_names_it(store):
    """Auto-open names a ticket source 'tickets', '<source>:<ticket_id>': the same, so neither
    opens a second incident for what the other covers."""
    ticket = item("tickets:zendesk:4711", source="tickets", ref="4711", title="Cannot pay")
    inc = triage.open_incident(store, CONFIG, ticket, identity=ANA, now=T)
    assert (inc.source_kind, inc.source_ref) == ("tickets", "zendesk:4711")
    assert q.covering_incidents(store.cursor())[("tickets", "zendesk:4711")] == ("INC-1", "open")


def test_linking_and_opening_write_on_the_incidents_own_timeline_in_the_same_transaction(store, monkeypatch):
    """The incident's timeline says who linked or opened it from triage, when, and which item
    (its title as text); when the note fails, the triage row is not kept either."""
    inc = incidents.open_incident(store, CONFIG, title="Checkout down", severity="SEV1", identity=ANA, now=T)
    later = T + timedelta(minutes=5)
    for _ in range(2):  # a double click: one row, one note
        triage.link(store, item(), inc.incident_id, identity=ANA, now=later)
    opened = triage.open_incident(store, CONFIG, item("sentry:102", ref="102", title="*bold* <i>x</i>"),
                                  identity=LEAD, now=later)
    timeline = arrow(store.cursor(), "SELECT incident_id, kind, actor, occurred_at, note FROM incident_events "
                                     "WHERE actor <> 'hypercare' ORDER BY incident_id, occurred_at, kind").to_pylist()
    assert [(e["incident_id"], e["kind"], e["actor"], e["occurred_at"]) for e in timeline] == [
        ("INC-1", "open", ANA.actor, T), ("INC-1", "note", ANA.actor, later), (opened.incident_id, "open", "Lea", later)]
    assert timeline[1]["note"] == "linked from triage: TypeError in <b>cart</b> (sentry:101)"
    assert timeline[2]["note"].startswith("opened from triage: *bold* <i>x</i> (sentry:102")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")
    monkeypatch.setattr(incidents, "note_in", broken)
    with pytest.raises(RuntimeError):
        triage.link(store, item("sentry:103", ref="103"), inc.incident_id, identity=ANA, now=later)
    assert [r["item_key"] for r in rows(store)] == ["sentry:101", "sentry:102"]  # no row without its note


def test_the_serve_status_hook_puts_due_returns_on_record(store):
    from hypercare.cli import _status_hook
    from hypercare.clock import FixedClock
    from hypercare.runtime import AppContext

    hook = _status_hook(AppContext(CONFIG, store, FixedClock(T)))
    hook(T)  # nothing set aside: nothing to settle, the verdict is still recorded
    assert rows(store) == []
    until = T + timedelta(hours=1)
    triage.set_aside(store, item(), "known", "vendor fix due", identity=ANA, now=T, until=until)
    hook(until + timedelta(minutes=1))
    back = rows(store)[-1]
    assert (back["action"], back["acted_at"], back["actor"]) == ("returned", until, "hypercare")
    assert scalar(store.cursor(), "SELECT count(*) FROM status_history") == 2
