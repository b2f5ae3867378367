"""An exit streak's per-hour reads in one query (freshness_at, open_at_each), pinned to the plain
per-instant computation over the rows on seeded stores, and a streak evaluated with them equal to
each of its hours evaluated alone."""

from __future__ import annotations

import random
from datetime import timedelta

import pyarrow as pa

from hypercare.store.queries.freshness import NOW_SLACK, STALE_AFTER_INTERVALS, freshness_at, source_freshness
from hypercare.store.queries.incidents import open_at_each
from hypercare.store.writes import append_rows
from hypercare.verdict import evaluate
from hypercare.window import Window
from tests.verdict_helpers import GO_LIVE, TS, error_buckets, make_config, runs

STATUSES = ("ok", "partial", "failed", "interrupted", "running", None)
SOURCES = (("sentry", 300), ("checks", 60), ("tickets:desk", 900), ("absent", 60))


def seeded_runs(store, seed: int) -> list[dict]:
    """Runs of three collectors with every status, some with no finished_at, distinct end instants."""
    rng = random.Random(seed)
    rows = []
    for n, minute in enumerate(rng.sample(range(48 * 60), 400)):
        start = GO_LIVE + timedelta(minutes=minute, seconds=rng.randrange(60))
        status = rng.choice(STATUSES)
        finished = None if status in ("interrupted", "running") or rng.random() < 0.05 else start + timedelta(seconds=n % 50 + 1)
        rows.append({"run_id": f"r{n}", "collector": rng.choice(SOURCES[:3])[0], "started_at": start,
                     "finished_at": finished, "ok": status in ("ok", "partial") if status else rng.random() < 0.7,
                     "status": status, "error": rng.choice([None, "timeout", "401"])})
    with store.transaction() as cur:
        append_rows(cur, "collector_runs", pa.Table.from_pylist(rows, schema=pa.schema([
            ("run_id", pa.string()), ("collector", pa.string()), ("started_at", TS), ("finished_at", TS),
            ("ok", pa.bool_()), ("status", pa.string()), ("error", pa.string())])))
    return rows


def plain_freshness(rows: list[dict], now, name: str, interval: float) -> tuple:
    mine = [(r, r["finished_at"] or r["started_at"]) for r in rows if r["collector"] == name and r["status"] != "running"]
    mine = [(r, ended) for r, ended in mine if ended <= now + NOW_SLACK]
    oks = [r["finished_at"] for r, _ in mine if r["ok"] and r["finished_at"] is not None]
    last_ok = max(oks) if oks else None
    latest, last_run = max(mine, key=lambda x: x[1]) if mine else ({}, None)
    state = ("never" if last_ok is None else
             "stale" if now - last_ok > timedelta(seconds=STALE_AFTER_INTERVALS * interval) else "fresh")
    status = latest.get("status") or (None if not latest else "ok" if latest["ok"] else "failed")
    return name, last_ok, last_run, latest.get("error"), latest.get("ok"), state, status


def test_freshness_at_many_instants_is_each_instant_over_the_rows(store):
    for seed in (1, 2):
        store.cursor().execute("DELETE FROM collector_runs")
        rows = seeded_runs(store, seed)
        rng = random.Random(seed)
        instants = [GO_LIVE + timedelta(minutes=rng.randrange(-60, 50 * 60)) for _ in range(30)] + [GO_LIVE + timedelta(hours=5)] * 2
        instants += [(r["finished_at"] or r["started_at"]) - NOW_SLACK for r in rng.sample(rows, 20)]  # a run ends right then
        together = freshness_at(store.cursor(), instants, SOURCES)
        for now, got in zip(instants, together):
            assert got == source_freshness(store.cursor(), now, SOURCES)
            assert [(f.collector, f.last_ok_at, f.last_run_at, f.last_error, f.latest_ok, f.state, f.latest_status)
                    for f in got] == [plain_freshness(rows, now, n, i) for n, i in SOURCES]
    assert freshness_at(store.cursor(), [], SOURCES) == [] and freshness_at(store.cursor(), [GO_LIVE], []) == [[]]


def test_open_incidents_at_each_instant_are_the_audit_log_s(store):
    rng = random.Random(3)
    incidents, events = [], []
    for n in range(40):
        incidents.append({"incident_id": f"i{n}", "severity": rng.choice(["SEV1", "SEV2", "SEV3", "SEV4"])})
        t = GO_LIVE + timedelta(minutes=rng.randrange(48 * 60))
        for k, kind in enumerate(["open"] + rng.choices(["ack", "resolve", "reopen", "note"], k=rng.randrange(6))):
            events.append({"event_id": f"e{n}-{k}", "incident_id": f"i{n}", "occurred_at": t, "kind": kind})
            t += timedelta(minutes=rng.randrange(1, 600), seconds=rng.randrange(1, 60))
    with store.transaction() as cur:
        append_rows(cur, "incidents", pa.Table.from_pylist(incidents))
        append_rows(cur, "incident_events", pa.Table.from_pylist(events, schema=pa.schema([
            ("event_id", pa.string()), ("incident_id", pa.string()), ("occurred_at", TS), ("kind", pa.string())])))
    severity = {i["incident_id"]: i["severity"] for i in incidents}
    instants = [GO_LIVE + timedelta(minutes=rng.randrange(-60, 60 * 60)) for _ in range(40)]
    instants += [e["occurred_at"] for e in rng.sample(events, 20)]  # an incident opens or closes right then
    for only in (None, ("SEV1",), ("SEV1", "SEV2")):
        def plain(at):
            last = {}
            for e in sorted(events, key=lambda e: e["occurred_at"]):
                if e["occurred_at"] <= at and e["kind"] in ("open", "reopen", "resolve"):
                    last[e["incident_id"]] = e["kind"]
            return sum(k != "resolve" and (only is None or severity[i] in only) for i, k in last.items())
        got = [sum(n for s, n in by.items() if only is None or s in only) for by in open_at_each(store.cursor(), instants)]
        assert got == [plain(at) for at in instants] and sum(got) > 0


def test_a_streak_read_in_one_go_counts_the_hours_the_rows_say(store, tmp_path):
    """The exit progress reads freshness and open incidents for its hours at once: Sentry stale
    in a gap of runs 5 to 7 h before now, a SEV1 open until 3 h 10 min before now."""
    now = GO_LIVE + timedelta(hours=30, minutes=20)
    runs(store, now, hours=5)
    runs(store, now - timedelta(hours=7), hours=30)
    error_buckets(store, {GO_LIVE + timedelta(hours=h): 10 for h in range(-2, 31)})
    with store.transaction() as cur:
        append_rows(cur, "incidents", pa.Table.from_pylist([{"incident_id": "a", "severity": "SEV1"}]))
        append_rows(cur, "incident_events", pa.Table.from_pylist([
            {"event_id": "1", "incident_id": "a", "occurred_at": now - timedelta(hours=9, minutes=30), "kind": "open"},
            {"event_id": "2", "incident_id": "a", "occurred_at": now - timedelta(hours=3, minutes=10), "kind": "resolve"}],
            schema=pa.schema([("event_id", pa.string()), ("incident_id", pa.string()), ("occurred_at", TS),
                              ("kind", pa.string())])))
    config = make_config(tmp_path, exit=[
        {"name": "errors read", "metric": "errors_per_hour", "op": ">=", "threshold": 0, "over": "1h", "hold_hours": 20},
        {"name": "no SEV1", "metric": "open_incidents", "op": "<=", "threshold": 0, "over": "1h", "hold_hours": 20}])
    evaluation = evaluate(store.cursor(), config, Window(GO_LIVE, 72, 168, "Europe/Brussels"), now)
    assert [(p.held_hours, p.latest.met) for p in evaluation.exit] == [(5, True), (3, True)]
    assert evaluation.exit[0].latest.sources[0].last_ok_at == now.replace(minute=0)
