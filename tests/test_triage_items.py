"""Check, ticket and incident items of the triage inbox from known rows, against Python
computations of the documented rules over the same rows."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd

from hypercare.config import parse_config
from hypercare.incidents import actions as inc
from hypercare.triage.inbox import items
from hypercare.triage.tickets import STOPWORDS
from tests.test_incidents import make_config, who

H = timedelta(hours=1)
M = timedelta(minutes=1)
GO = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
NOW = datetime(2026, 11, 24, 11, 30, tzinfo=timezone.utc)  # 25.5 h after go-live


def config(checks=(), **triage):
    return parse_config({
        "release": {"name": "r", "go_live_at": GO.isoformat(), "window_hours": 72, "baseline_hours": 48},
        "checks": [{"name": n, "url": f"https://example.com/{n}"} for n in checks], "triage": triage,
    }, Path("."))


def put(store, table, rows):
    with store.transaction() as cur:
        cur.register("fixture", pd.DataFrame(rows))
        cur.execute(f"INSERT INTO {table} BY NAME SELECT * FROM fixture")
        cur.unregister("fixture")


def flip(name, at, to, reason=None):
    return {"check_name": name, "changed_at": at, "from_state": "up" if to == "down" else "down",
            "to_state": to, "reason": reason}


def test_checks_down_or_flapping(store):
    put(store, "check_transitions", [
        flip("api", NOW - 30 * M, "down", "status 503, expected 200"),  # down for 30 min
        *[flip("pay", NOW - k * 10 * M, "up" if k % 2 else "down") for k in (4, 3, 2, 1)],  # 4 flips, ends up
        *[flip("web", NOW - k * 10 * M, "down" if k % 2 else "up") for k in (3, 2)],  # 2 flips: not flapping
        flip("old", GO - 24 * H, "down"), flip("old", NOW - 2 * H, "up"),  # recovered
        flip("gone", NOW - H, "down"),  # no longer configured
        flip("later", NOW + M, "down"),  # after now
        flip("slow", NOW - 90 * M, "down"), flip("slow", NOW - 70 * M, "up"),  # before the trailing hour
        flip("slow", NOW - 50 * M, "down"), flip("slow", NOW - 40 * M, "up"), flip("slow", NOW - 20 * M, "down"),
    ])
    found = {i.key: i for i in items(store.cursor(), config(["api", "pay", "web", "old", "later", "slow"]), NOW)}
    assert set(found) == {"check:api", "check:pay", "check:slow"}
    api, pay, slow = found["check:api"], found["check:pay"], found["check:slow"]
    assert (api.kind, api.title, api.first_seen, api.figures["minutes down"]) == (
        "down", "api — status 503, expected 200", NOW - 30 * M, 30)
    assert (pay.kind, pay.figures["transitions last hour"], pay.first_seen) == ("flapping", 4, NOW - 40 * M)
    assert pay.score.part("rate").value == 4 and pay.score.part("severity").value == 2
    assert (slow.kind, slow.figures["transitions last hour"], slow.figures["transitions hour before"]) == ("down", 3, 2)
    assert api.score.part("users").value is None and "checks don't count users" in api.score.part("users").explanation
    found = {i.key for i in items(store.cursor(), config(["pay"], flapping_transitions=5), NOW)}
    assert found == set()


def ticket(n, created, title="something", labels=(), category="technical", priority="P3", status="open"):
    return {"source": "desk", "ticket_id": f"T-{n}", "created_at": created, "updated_at": created,
            "status": status, "priority": priority, "category": category, "labels": list(labels),
            "title": title, "url": f"https://desk.example/T-{n}"}


def subject(title):
    words = {w for w in re.findall(r"[^\W_]+", title.lower()) if len(w) >= 3 and not w.isdigit() and w not in STOPWORDS}
    return " ".join(sorted(words))


def expected_clusters(rows, now, hours=3, least=3, factor=2.0):
    """The README's cluster rule in plain Python."""
    end = now.replace(minute=0)
    start, base_lo, base_hi = end - hours * H, GO - 48 * H, GO
    groups: dict[tuple[str, str], list] = {}
    for t in rows:
        values = [("label", lab.strip().lower()) for lab in set(t["labels"])]
        values += [("category", t["category"])] if t["category"] else []
        values += [("subject", subject(t["title"]))] if subject(t["title"]) else []
        for v in values:
            groups.setdefault(v, []).append(t["created_at"])
    found = {}
    for (rule, value), times in groups.items():
        n = sum(start <= c < end for c in times)
        baseline = sum(base_lo <= c < base_hi for c in times) * hours / 48
        if n >= least and n >= factor * baseline:
            found[f"cluster:{rule}:{value}"] = (n, baseline, sum(end - H <= c < end for c in times))
    return found


def test_ticket_clusters_against_the_rule(store):
    recent = NOW.replace(minute=0) - 3 * H  # 08:00 to 11:00
    rows = [ticket(i, recent + i * 20 * M, "Can't log in", ["Login "], "usage") for i in range(4)]
    rows += [ticket(10 + i, GO - 40 * H + i * H, "login again", ["login"], "usage") for i in range(16)]  # 1 per 3 h
    rows += [ticket(40 + i, recent + i * 30 * M, "Invoice wrong", ["billing"], "usage") for i in range(4)]
    rows += [ticket(50 + i, GO - 48 * H + i * H, "invoice", ["billing"], "usage") for i in range(48)]  # 3 per 3 h
    rows += [ticket(200, recent + 5 * M, "Payment FAILED for order 1234!", ["pay"], priority="P2"),
             ticket(201, recent + 70 * M, "order payment failed", priority="P1"),
             ticket(202, recent + 150 * M, "payment failed: order #99")]
    rows += [ticket(300, NOW - 10 * M, "order payment failed")]  # in the current hour: not yet counted
    put(store, "tickets", rows)
    found = {i.key: i for i in items(store.cursor(), config(), NOW) if i.kind == "ticket cluster"}
    expected = expected_clusters(rows, NOW)
    assert "cluster:label:login" in expected and "cluster:subject:failed order payment" in expected
    assert "cluster:label:billing" not in expected  # 4 against 3 per 3 h: under twice the baseline
    assert set(found) == set(expected)
    for key, (n, baseline, last_hour) in expected.items():
        hours = found[key].figures
        assert (hours["tickets in 3 h"], hours["baseline per 3 h"], hours["tickets last hour"]) == (n, baseline, last_hour)
    pay = found["cluster:subject:failed order payment"]
    assert pay.title == "subject words: failed order payment" and pay.score.part("severity").value == 1
    assert (pay.first_seen, pay.last_seen) == (recent + 5 * M, recent + 150 * M)
    assert pay.figures["ticket_keys"] == ("tickets:desk:T-200", "tickets:desk:T-201", "tickets:desk:T-202")


def test_clusters_without_a_baseline_need_the_minimum_only(store):
    """No ticket was collected in the baseline: the minimum alone decides, and it says so."""
    recent = NOW.replace(minute=0) - 3 * H
    put(store, "tickets", [ticket(i, recent + i * M, "x", ["login"], None) for i in range(3)])
    (item,) = items(store.cursor(), config(), NOW)
    assert item.key == "cluster:label:login" and item.figures["baseline per 3 h"] is None
    assert items(store.cursor(), config(cluster_min_tickets=4), NOW) == []


def test_every_open_p1_ticket(store):
    put(store, "tickets", [
        ticket(1, GO + H, "Checkout <b>broken</b>", priority="P1"),
        ticket(2, GO - 5 * H, "old but open", priority="P1", status="pending"),
        ticket(3, GO + 2 * H, "fixed", priority="P1", status="solved"),
        ticket(4, GO + 2 * H, "closed", priority="P1", status="closed"),
        ticket(5, GO + 2 * H, "P2", priority="P2"),
        ticket(6, GO + 3 * H, "no status", priority="P1", status=None),
    ])
    found = {i.key: i for i in items(store.cursor(), config(), NOW)}
    assert set(found) == {"tickets:desk:T-1", "tickets:desk:T-2", "tickets:desk:T-6"}
    one = found["tickets:desk:T-1"]
    assert (one.kind, one.title, one.ref, one.link) == ("P1 ticket", "Checkout <b>broken</b>", "T-1", "https://desk.example/T-1")
    assert one.score.part("new").points == 15 and found["tickets:desk:T-2"].score.part("new").points == 0


def test_incidents_unacknowledged_or_past_their_resolve_target(store):
    """Hypercare targets: SEV1 ack 5 / resolve 120 min; SEV2 ack 15 / resolve 240 min."""
    conf = make_config()
    g = conf.release.go_live_at
    now = g + 10 * H

    def opened(sev, ago, *verbs):
        i = inc.open_incident(store, conf, title=f"{sev} {ago} *x*", severity=sev, identity=who("ana"), now=now - ago * M)
        for verb in verbs:
            inc.perform(store, i.incident_id, verb, identity=who("bo"), now=now - ago * M + M)
        return i.incident_id

    unacked = opened("SEV1", 10)  # 5 min past its acknowledge target
    fresh = opened("SEV2", 10)  # 5 min before its target
    late = opened("SEV2", 300, "acknowledge")  # acknowledged, 60 min past its resolve target
    acked = opened("SEV1", 60, "acknowledge")  # acknowledged in time, resolve still ahead
    done = opened("SEV1", 400, "acknowledge", "resolve")
    found = {i.key: i for i in items(store.cursor(), conf, now)}
    assert set(found) == {f"incident:{unacked}", f"incident:{late}"}
    assert not {fresh, acked, done} & {i.ref for i in found.values()}
    u, s = found[f"incident:{unacked}"], found[f"incident:{late}"]
    assert (u.kind, u.figures["minutes past target"], u.last_seen, u.suggested_severity) == (
        "unacknowledged", 5, now - 5 * M, "SEV1")
    assert (s.kind, s.figures["minutes past target"], s.title) == ("SLA breach", 60, "SEV2 300 *x*")
    assert u.score.part("severity").points == 45 and u.first_seen == now - 10 * M


def test_the_baseline_is_counted_again_when_it_changes(store):
    """The baseline's counts are kept between calls; a ticket added to the baseline (or changed)
    is counted at the next call."""
    recent = NOW.replace(minute=0) - 3 * H
    put(store, "tickets", [ticket(i, recent + i * M, "x", ["login"], None) for i in range(4)]
        + [ticket(10 + i, GO - 40 * H + i * H, "y", ["login"], None) for i in range(16)])  # 1 per 3 h
    assert [i.key for i in items(store.cursor(), config(), NOW)] == ["cluster:label:login"]
    put(store, "tickets", [ticket(100 + i, GO - 30 * H + i * M, "y", ["login"], None) for i in range(40)])
    assert items(store.cursor(), config(), NOW) == []  # 4 against 56 × 3 / 48 = 3.5 per 3 h
