"""Benchmark of the escalation tick: quiet and busy ticks, the open-incidents query, outbox delivery.

Prints a table of medians (each busy tick on a fresh copy of the filled store, warmed by a quiet
tick first; its CPU time, all threads, too: on a shared machine it moves less than the wall
time) and the peak memory of the rows that write. Full size by default; `--smoke` runs a
tiny size in a few seconds.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _table import insert, Peak, peak_memory, print_table  # noqa: E402

from hypercare.incidents import actions as inc  # noqa: E402
from hypercare.incidents import notify  # noqa: E402
from hypercare.config import parse_config  # noqa: E402
from hypercare.incidents.escalation import EscalationPolicy  # noqa: E402
from hypercare.store import Store  # noqa: E402
from hypercare.store.queries import incidents as q  # noqa: E402
from hypercare.window import Window  # noqa: E402
from tests.fakes.webhook import WebhookReceiver  # noqa: E402

G = datetime(2026, 11, 22, 21, 0, tzinfo=timezone.utc)
NOW = G + timedelta(hours=30)
SIZES = {"full": dict(incidents=500, issues=20_000, checks=50, tickets=20_000, deliveries=200, repeat=5),
         "smoke": dict(incidents=10, issues=200, checks=3, tickets=200, deliveries=5, repeat=2)}


def config():
    return parse_config({
        "release": {"name": "bench", "go_live_at": G.isoformat()},
        "escalation": {
            "severities": {s: {"ack_minutes": 30, "resolve_minutes": 480, "hypercare_ack_minutes": 15,
                               "hypercare_resolve_minutes": 240} for s in ("SEV1", "SEV2", "SEV3")},
            "levels": [{"name": f"L{n}", "escalate_after_minutes": 15 * n, "webhook_env": "BENCH_HOOK"} for n in (1, 2, 3)],
            "auto_open": [
                {"source": "sentry", "when": "new_issue_users >= 1000000", "severity": "SEV2"},
                {"source": "checks", "when": "down_minutes >= 5", "within_minutes": 10},
                {"source": "tickets", "when": 'priority == "P1"', "severity": "SEV1"},
                {"source": "tickets", "when": "tickets_per_hour_vs_baseline >= 100", "within_minutes": 60},
            ],
        },
    }, Path("."))


def fill(store, cfg, n):
    """Signals that match no rule (a quiet tick still reads them all), and `n` open incidents."""
    span = pd.date_range(G - timedelta(days=7), NOW, periods=n["issues"], tz="UTC")
    insert(store, "sentry_issues", pd.DataFrame({
        "issue_id": [str(i) for i in range(n["issues"])], "title": "TypeError", "status": "unresolved",
        "first_seen": span, "last_seen": span, "user_count": 3, "event_count": 9}))
    minutes = pd.date_range(NOW - timedelta(hours=24), NOW, freq="1min", tz="UTC")
    insert(store, "health_checks", pd.DataFrame({
        "check_name": [f"c{c}" for c in range(n["checks"]) for _ in minutes],
        "checked_at": list(minutes) * n["checks"], "ok": True, "latency_ms": 40}))
    created = pd.date_range(G - timedelta(days=7), NOW, periods=n["tickets"], tz="UTC")
    insert(store, "tickets", pd.DataFrame({
        "source": "desk", "ticket_id": [str(i) for i in range(n["tickets"])], "created_at": created, "priority": "P3"}))
    policy = EscalationPolicy.from_config(cfg.escalation).to_json()
    opened = NOW - timedelta(minutes=14)  # everything falls due one minute after NOW
    ids = [f"INC-{i + 1}" for i in range(n["incidents"])]
    insert(store, "incidents", pd.DataFrame({
        "incident_id": ids, "title": "bench", "severity": "SEV2", "status": "open", "level": 1,
        "opened_at": opened, "policy": policy}))
    insert(store, "incident_events", pd.DataFrame({
        "event_id": [f"e{i}" for i in ids], "incident_id": ids, "occurred_at": opened, "kind": "open", "actor": "bench"}))


def median_ms(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny size, a few seconds")
    smoke = parser.parse_args().smoke
    n = SIZES["smoke" if smoke else "full"]
    cfg = config()
    window = Window(G, 72, 168, "Europe/Brussels")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        filled = Path(tmp) / "filled.duckdb"
        store = Store(filled)
        fill(store, cfg, n)
        store.close()
        store = Store(shutil.copy(filled, Path(tmp) / "quiet.duckdb"))
        quiet = median_ms(lambda: inc.tick(store, cfg, window, NOW, deliver=False), n["repeat"])
        rows.append((f"quiet tick, {n['incidents']} open incidents, signals read", quiet, "1 tick", "—"))
        query = median_ms(lambda: q.open_incidents(store.cursor(), NOW, True), n["repeat"])
        rows.append((f"open_incidents query, {n['incidents']} open", query, "1 query", "—"))
        store.close()
        busy_ms, busy_cpu, peak = [], [], Peak()
        for r in range(n["repeat"]):  # the busy tick changes the store: each run on a fresh copy
            store = Store(shutil.copy(filled, Path(tmp) / f"busy-{r}.duckdb"))
            inc.tick(store, cfg, window, NOW, deliver=False)  # warm, as a serving process is
            with peak_memory() as mem:
                t0, cpu0 = time.perf_counter(), time.process_time()
                busy = inc.tick(store, cfg, window, NOW + timedelta(minutes=1), deliver=False)
                busy_ms.append((time.perf_counter() - t0) * 1000)
                busy_cpu.append((time.process_time() - cpu0) * 1000)
            peak = max(peak, mem, key=lambda p: p.peak_mib)
            if r < n["repeat"] - 1:
                store.close()
        ms = statistics.median(busy_ms)
        rows.append((f"busy tick: {len(busy.actions)} breaches + escalations recorded", ms,
                     f"{ms / max(len(busy.actions), 1):.2f} ms/action; CPU {statistics.median(busy_cpu):.0f} ms", peak))
        store.cursor().execute("DELETE FROM notifications WHERE notification_id NOT IN "
                               "(SELECT notification_id FROM notifications ORDER BY notification_id LIMIT ?)",
                               [n["deliveries"]]).fetchall()
        with WebhookReceiver() as hook, peak_memory() as mem:
            t0 = time.perf_counter()
            done = notify.deliver_pending(store, NOW, env={"BENCH_HOOK": hook.url()})
            while (more := notify.deliver_pending(store, NOW, env={"BENCH_HOOK": hook.url()})).sent:
                done = notify.Delivery(done.sent + more.sent, done.failed)
            deliver_ms = (time.perf_counter() - t0) * 1000
        rows.append((f"deliver {done.sent} notifications to a 127.0.0.1 webhook", deliver_ms,
                     f"{deliver_ms / max(done.sent, 1):.2f} ms/notification", mem))
        store.close()
    print_table("Incidents benchmark" + (" (smoke)" if smoke else ""), ("what", "median ms", "per", "peak RSS (rise)"),
                [(name, f"{ms:.1f}", per, peak) for name, ms, per, peak in rows])


if __name__ == "__main__":
    main()
