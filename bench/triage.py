"""Benchmark of the triage inbox: every item of every source, scored and ranked.

Full size: 20,000 Sentry issues (stats for each), 1,000 checks with a week of transitions,
50,000 tickets over the baseline week and the window so far, 200 incidents. Goal: ≤ 300 ms warm.
Prints a table of medians; `--smoke` runs a tiny size in a few seconds.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _table import insert, print_table  # noqa: E402

from hypercare.config import parse_config  # noqa: E402
from hypercare.incidents.escalation import EscalationPolicy  # noqa: E402
from hypercare.runtime import window_for  # noqa: E402
from hypercare.store import Store  # noqa: E402
from hypercare.triage import checks, incidents, inbox, sentry, tickets  # noqa: E402

G = datetime(2026, 11, 22, 21, 0, tzinfo=timezone.utc)
NOW = G + timedelta(hours=30, minutes=20)
H = timedelta(hours=1)
SIZES = {"full": dict(issues=20_000, checks=1_000, tickets=50_000, incidents=200, repeat=7),
         "smoke": dict(issues=300, checks=20, tickets=600, incidents=5, repeat=2)}
LABELS = [f"area-{k}" for k in range(40)] + ["login", "payment", "booking", "mobile", "email"]
SUBJECTS = ["Can't log in", "Payment failed for order {n}", "Booking {n} not confirmed", "App crashes on start",
            "Invoice {n} wrong", "Password reset mail missing", "Slot shows as taken", "Refund for booking {n}"]


def config(n_checks: int):
    return parse_config({
        "release": {"name": "bench", "go_live_at": G.isoformat(), "timezone": "Europe/Brussels"},
        "checks": [{"name": f"check-{c}", "url": f"https://example.com/{c}"} for c in range(n_checks)],
        "escalation": {"severities": {s: {"ack_minutes": 30, "resolve_minutes": 480} for s in ("SEV1", "SEV2", "SEV3")},
                       "levels": [{"name": "L1 desk", "escalate_after_minutes": 15}]},
    }, Path("."))


def _status(age: timedelta, rng: random.Random) -> str:
    """Most tickets older than a day are solved; newer ones are mostly open."""
    if age > 24 * H:
        return rng.choice(["solved"] * 12 + ["closed"] * 6 + ["open", "pending"])
    return rng.choice(["open", "open", "pending", "solved"])


def fill(store, cfg, n, rng: random.Random):
    stats_start = NOW.replace(minute=0) - 23 * H
    first = [NOW - timedelta(hours=rng.uniform(0, 24 * 14)) for _ in range(n["issues"])]
    last = [min(NOW, f + timedelta(hours=rng.expovariate(1 / 48))) for f in first]
    insert(store, "sentry_issues", pd.DataFrame({
        "issue_id": [str(4_500_000 + i) for i in range(n["issues"])], "project": "api",
        "short_id": [f"API-{i}" for i in range(n["issues"])], "title": [f"TypeError #{i % 997}" for i in range(n["issues"])],
        "level": [rng.choice(["error", "error", "warning", "fatal", "info"]) for _ in range(n["issues"])],
        "status": [rng.choice(["unresolved"] * 8 + ["resolved", "ignored"]) for _ in range(n["issues"])],
        "substatus": [rng.choice(["ongoing"] * 40 + ["regressed"]) for _ in range(n["issues"])],
        "first_seen": first, "last_seen": last, "event_count": [rng.randint(1, 5000) for _ in first],
        "user_count": [rng.randint(0, 800) for _ in first],
        "permalink": [f"https://sentry.example/issues/{i}/" for i in range(n["issues"])],
        "collected_at": NOW - timedelta(minutes=3), "stats_start": stats_start,
        "hourly_events": [[rng.choice([0, 0, 1, 2, 5, 40]) for _ in range(24)] for _ in first]}))
    rows = []

    def flip(name, at, to):
        rows.append({"check_name": name, "changed_at": at, "from_state": "up" if to == "down" else "down",
                     "to_state": to, "reason": "status 503, expected 200" if to == "down" else None})

    for c in range(n["checks"]):  # a short outage every ~2 days; 1 in 50 down now, 1 in 50 flapping
        name, t = f"check-{c}", NOW - timedelta(days=7)
        while (t := t + timedelta(hours=rng.expovariate(1 / 48))) < NOW - 2 * H:
            flip(name, t, "down")
            flip(name, t + timedelta(minutes=5), "up")
        if c % 50 == 0:
            flip(name, NOW - timedelta(minutes=rng.randint(10, 90)), "down")
        elif c % 50 == 1:
            for k in (50, 40, 30, 20):
                flip(name, NOW - timedelta(minutes=k), "down" if k in (50, 30) else "up")
    insert(store, "check_transitions", pd.DataFrame(rows))
    start = G - 168 * H
    span = (NOW - start).total_seconds()
    created = sorted(start + timedelta(seconds=rng.uniform(0, span)) for _ in range(n["tickets"]))
    storm = max(5, n["tickets"] // 1000)  # one storm in the last 3 hours: the same label and subject
    created[-storm:] = sorted(NOW.replace(minute=0) - timedelta(seconds=rng.uniform(0, 3 * 3600)) for _ in range(storm))
    insert(store, "tickets", pd.DataFrame({
        "source": "desk", "ticket_id": [f"D-{i}" for i in range(n["tickets"])], "created_at": created,
        "updated_at": created, "status": [_status(NOW - c, rng) for c in created],
        "priority": [rng.choice(["P1"] + ["P2"] * 5 + ["P3"] * 30 + ["P4"] * 14) for _ in created],
        "category": [rng.choice(["technical", "usage", "other"]) for _ in created],
        "labels": [[rng.choice(LABELS)] for _ in created[:-storm]] + [["payment"]] * storm,
        "title": [rng.choice(SUBJECTS).format(n=rng.randint(1, 99999)) for _ in created[:-storm]]
        + [f"Payment failed for order {rng.randint(1, 99999)}" for _ in range(storm)],
        "url": [f"https://desk.example/D-{i}" for i in range(n["tickets"])]}))
    policy = EscalationPolicy.from_config(cfg.escalation).to_json()
    ids = [f"INC-{i + 1}" for i in range(n["incidents"])]
    opened = [NOW - timedelta(minutes=rng.randint(5, 900)) for _ in ids]
    insert(store, "incidents", pd.DataFrame({
        "incident_id": ids, "title": "bench", "severity": [rng.choice(["SEV1", "SEV2", "SEV3"]) for _ in ids],
        "status": [rng.choice(["open", "acknowledged"]) for _ in ids], "level": 1, "opened_at": opened, "policy": policy}))
    insert(store, "incident_events", pd.DataFrame({
        "event_id": [f"e{i}" for i in ids], "incident_id": ids, "occurred_at": opened, "kind": "open", "actor": "bench"}))


def medians(fn, repeat):
    """(median wall ms, median CPU ms of this process, every thread), the last result; after one
    warm-up call. CPU time says how much work it is on a machine shared with others."""
    fn()
    walls, cpus = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        walls.append((time.perf_counter() - t0) * 1000)
        cpus.append((time.process_time() - c0) * 1000)
    return statistics.median(walls), statistics.median(cpus), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny size, a few seconds")
    smoke = parser.parse_args().smoke
    n = SIZES["smoke" if smoke else "full"]
    cfg = config(n["checks"])
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.duckdb")
        fill(store, cfg, n, random.Random(15))
        cur = store.cursor()
        t0, c0 = time.perf_counter(), time.process_time()
        cold = inbox.items(cur, cfg, NOW)  # the first call: the tickets' baseline is counted once
        cold_ms, cold_cpu = (time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000
        window = window_for(cur, cfg, NOW)
        recent, base = tickets.cluster_periods(window, NOW, cfg.triage.cluster_hours)
        parts = [
            ("Sentry issues read and scored", lambda: sentry.sentry_items(cur, G, NOW, cfg.triage)),
            ("checks read and scored", lambda: checks.check_items(cur, cfg, G, NOW)),
            ("P1 tickets read", lambda: tickets.p1_rows(cur)),
            ("ticket clusters read (baseline counted already)", lambda: tickets.cluster_rows(cur, recent, base, cfg.triage)),
            ("incidents read and scored", lambda: incidents.incident_items(cur, window, NOW)),
            ("the whole inbox (inbox.items)", lambda: inbox.items(cur, cfg, NOW)),
        ]

        rows = []
        for name, fn in parts:
            ms, cpu, result = medians(fn, n["repeat"])
            rows.append((name, f"{len(result):,}", f"{ms:.1f}", f"{cpu:.1f}"))
        rows.append(("the whole inbox, first call (counts the tickets' baseline)", f"{len(cold):,}",
                     f"{cold_ms:.1f}", f"{cold_cpu:.1f}"))
        store.close()
    goal = "" if smoke else " — goal: the whole inbox ≤ 300 ms warm"
    print_table(f"Triage benchmark ({n['issues']:,} issues, {n['checks']:,} checks, {n['tickets']:,} tickets, "
                f"{n['incidents']} incidents){' (smoke)' if smoke else ''}{goal}",
                ("what", "items / rows", "median ms", "median CPU ms"), rows)


if __name__ == "__main__":
    main()
