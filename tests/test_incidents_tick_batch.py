"""The busy tick written as one batch equals the same actions applied one transaction at a time,
re-runs write nothing new, and a failure in the middle leaves nothing half-written."""

from __future__ import annotations

import random
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from hypercare.auth.identity import Identity
from hypercare.incidents import actions as inc
from hypercare.incidents.escalation import evaluate
from hypercare.store import Store
from hypercare.store.queries.incidents import incident_states
from hypercare.store.read import frame
from tests.test_incidents import G, WINDOW, make_config

TICK = G + timedelta(hours=20)
CONFIG = make_config(levels=[  # four levels, two channels: escalations and pages at several levels
    {"name": "L1 desk", "escalate_after_minutes": 15, "webhook_env": "HOOK_L1"},
    {"name": "L2 on-call", "escalate_after_minutes": 30, "webhook_env": "HOOK_L2"},
    {"name": "L3 lead", "escalate_after_minutes": 60, "webhook_env": "HOOK_L2"},
    {"name": "L4 director", "escalate_after_minutes": 60},
])
TABLES = {"incidents": "incident_id", "incident_events": "event_id", "notifications": "notification_id"}


def contents(store: Store) -> dict:
    """Every row of the three tables the tick writes, in a stable order."""
    return {t: frame(store.cursor(), f"SELECT * EXCLUDE (policy) FROM {t} ORDER BY {key}" if t == "incidents"
                     else f"SELECT * FROM {t} ORDER BY {key}") for t, key in TABLES.items()}


def same(a: dict, b: dict) -> bool:
    return all(a[t].equals(b[t]) for t in TABLES)


@pytest.fixture(scope="module")
def busy(tmp_path_factory) -> Path:
    """A seeded busy go-live: 60 incidents opened over 20 h, some acknowledged, mitigated, escalated
    or resolved by people, others reopened; earlier ticks applied at random instants, so some SLAs
    are breached already and levels differ. The next tick (at TICK) has much to do."""
    rng = random.Random(17)
    path = tmp_path_factory.mktemp("busy") / "busy.duckdb"
    store = Store(path)
    people = [Identity(n, None, "responder") for n in ("ana", "bo", "cy")]
    steps = []
    for n in range(60):
        opened = G + timedelta(minutes=rng.randrange(0, 20 * 60 - 30))
        steps.append((opened, n, "open"))
        later = opened + timedelta(minutes=rng.randrange(1, 600))
        action = rng.choice(["none", "none", "none", "acknowledge", "escalate", "mitigate", "resolve", "reopen", "add note"])
        if action != "none" and later < TICK:
            steps.append((later, n, action))
    ticks = sorted(G + timedelta(minutes=rng.randrange(0, 15 * 60)) for _ in range(12))  # none in the last 5 h
    numbers: dict[int, str] = {}
    for when, n, action in sorted(steps, key=lambda s: (s[0], s[1])):
        while ticks and ticks[0] <= when:
            inc.apply_engine(store, WINDOW, ticks.pop(0))
        who = rng.choice(people)
        if action == "open":
            severity = rng.choice(["SEV1", "SEV2", "SEV2", "SEV3"])
            numbers[n] = inc.open_incident(store, CONFIG, title=f"<checkout> & {n}", severity=severity,
                                           identity=who, now=when).incident_id
            continue
        if action == "reopen":
            inc.resolve(store, numbers[n], identity=who, now=when)
            when += timedelta(minutes=5)
        try:
            inc.perform(store, numbers[n], action, identity=who, now=when, note="looking")
        except inc.IncidentError:
            pass  # e.g. escalating at the top level: refused, as on a page
    store.close()
    return path


def copy(busy: Path, tmp_path: Path, name: str) -> Store:
    target = tmp_path / name
    shutil.copy(busy, target)
    return Store(target)


def one_by_one(store: Store, now: datetime) -> list:
    """Today's path before batching: each due action in a transaction of its own."""
    due = evaluate(incident_states(store.cursor()), WINDOW, now)
    return [a for a in due if inc._apply(store, a, now) is not None]


def test_the_batched_tick_writes_what_one_by_one_writes(busy, tmp_path):
    batched, sequential = copy(busy, tmp_path, "a.duckdb"), copy(busy, tmp_path, "b.duckdb")
    due = evaluate(incident_states(batched.cursor()), WINDOW, TICK)
    # the state is busy: every kind of action, several for one incident, at several levels
    assert {a.kind for a in due} == {"sla_breach", "escalate", "reminder"}
    assert {a.sla for a in due if a.sla} == {"ack", "resolve"}
    per_incident = [sum(a.incident_id == i for a in due) for i in {a.incident_id for a in due}]
    assert max(per_incident) == 3 and len(due) >= 60
    assert len({a.to_level for a in due if a.kind == "escalate"}) >= 2

    before = contents(batched)
    applied = inc.apply_engine(batched, WINDOW, TICK)
    assert applied == one_by_one(sequential, TICK) == due
    a, b = contents(batched), contents(sequential)
    assert same(a, b)
    # and the batch wrote what the actions say, counted independently of the code under test
    new_events = a["incident_events"][~a["incident_events"]["event_id"].isin(before["incident_events"]["event_id"])]
    assert sorted(new_events["kind"]) == sorted(x.kind for x in due)
    escalated = {x.incident_id: x.to_level for x in due if x.kind == "escalate"}
    old, now = before["incidents"].set_index("incident_id"), a["incidents"].set_index("incident_id")
    for i in now.index:
        assert now.at[i, "level"] == escalated.get(i, old.at[i, "level"])
        assert now.at[i, "version"] == old.at[i, "version"] + (i in escalated)
    new_outbox = a["notifications"][~a["notifications"]["notification_id"].isin(before["notifications"]["notification_id"])]
    assert set(new_outbox["event_id"]) <= set(new_events["event_id"]) and len(new_outbox) > len(due) // 2
    batched.close()
    sequential.close()


def test_a_tick_run_again_writes_nothing_new(busy, tmp_path):
    store = copy(busy, tmp_path, "a.duckdb")
    due = evaluate(incident_states(store.cursor()), WINDOW, TICK)
    inc.apply_engine(store, WINDOW, TICK)
    after = contents(store)
    assert inc.apply_engine(store, WINDOW, TICK) == []
    # the same evaluated actions written again (a tick retried after it committed): no new row
    inc._change(store, [inc._engine_change(a) for a in due], TICK)
    assert same(contents(store), after)
    store.close()


def test_a_failure_in_the_middle_of_a_tick_writes_nothing(busy, tmp_path, monkeypatch):
    store, reference = copy(busy, tmp_path, "a.duckdb"), copy(busy, tmp_path, "b.duckdb")
    before = contents(store)

    def outbox_fails(cur, rows):  # the events and incident rows are written by now
        assert cur.execute("SELECT count(*) FROM incident_events").fetchall()[0][0] > len(before["incident_events"])
        raise OSError("disk full")

    monkeypatch.setattr(inc, "queue_rows", outbox_fails)
    with pytest.raises(OSError, match="disk full"):
        inc.apply_engine(store, WINDOW, TICK)
    assert same(contents(store), before)
    monkeypatch.undo()
    # the next tick does all of it, as if the failed one never ran
    assert inc.apply_engine(store, WINDOW, TICK) == inc.apply_engine(reference, WINDOW, TICK)
    assert same(contents(store), contents(reference))
    store.close()
    reference.close()
