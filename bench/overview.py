"""Benchmark: the store's write paths at scale.

Builds a database with 10 M health-check results and 5 M error-count buckets over baseline +
window (240 h), then prints one table: write throughput and peak memory of each store path, a
1,000-row health poll and a project's Sentry re-poll committed into the big tables (p50/p95). Every page's queries and renders at scale
are in bench/pages.py.

    python bench/overview.py            # full size (a few minutes on 2 cores)
    python bench/overview.py --smoke    # tiny, for CI: proves it still runs
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _table import Peak, peak_memory, print_table  # noqa: E402

from hypercare.store import Store  # noqa: E402
from hypercare.store.writes import (  # noqa: E402
    append_rows,
    merge_rows,
    rebuild_health_rollup,
    record_health_results,
    replace_range,
)
from hypercare.window import Window  # noqa: E402

GO_LIVE = datetime(2026, 11, 22, 21, 0, tzinfo=timezone.utc)
NOW = GO_LIVE + timedelta(hours=38)
TS = pa.timestamp("us", tz="UTC")


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def timed_peak(fn) -> tuple[float, Peak]:
    """Seconds and peak memory of one write."""
    with peak_memory() as mem:
        seconds = timed(fn)
    return seconds, mem


def health_table(n: int, checks: int, start: datetime, end: datetime, rng: np.random.Generator) -> pa.Table:
    """n results spread evenly over [start, end), round-robin over `checks`, time-ordered."""
    span_us = int((end - start).total_seconds() * 1e6)
    offsets = np.linspace(0, span_us - 1, n, dtype=np.int64)
    times = pa.array(offsets + int(start.timestamp() * 1e6), pa.int64()).cast(TS)
    latency = np.clip(rng.lognormal(np.log(140), 0.35, n), 1, 30_000).astype(np.int32)
    ok = rng.random(n) > 0.01
    names = pa.array(np.arange(n) % checks).cast(pa.string())
    return pa.table({
        "check_name": pa.compute.binary_join_element_wise("check-", names, ""),
        "checked_at": times, "url": pa.nulls(n, pa.string()), "ok": ok,
        "status_code": pa.array(np.where(ok, 200, 503).astype(np.int32)), "latency_ms": pa.array(latency),
    })


def error_table(projects: int, bucket_s: int, start: datetime, end: datetime, rng: np.random.Generator) -> pa.Table:
    buckets = int((end - start).total_seconds() // bucket_s)
    t = np.repeat(np.arange(buckets, dtype=np.int64) * bucket_s * 1_000_000 + int(start.timestamp() * 1e6), projects)
    p = np.tile(np.arange(projects), buckets)
    return pa.table({
        "project": pa.compute.binary_join_element_wise("project-", pa.array(p).cast(pa.string()), ""),
        "bucket_start": pa.array(t).cast(TS), "bucket_seconds": pa.array(np.full(len(t), bucket_s, np.int32)),
        "events": pa.array(rng.poisson(3, len(t)).astype(np.int64)),
    })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for CI")
    args = parser.parse_args()
    health_rows, error_projects, polls = (10_000_000, 350, 100) if not args.smoke else (20_000, 4, 5)
    rng = np.random.default_rng(7)
    window = Window(GO_LIVE, 72, 168, "Europe/Brussels")
    rows: list[tuple[str, ...]] = []  # a write's row has a 4th cell: its peak memory

    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.duckdb")
        cur = store.cursor()

        health = health_table(health_rows, 100, window.baseline_start, NOW, rng)
        seconds, mem = timed_peak(lambda: _tx(store, lambda c: append_rows(c, "health_checks", health)))
        rows.append(("bulk insert health_checks (Arrow)", f"{health.num_rows:,} rows", f"{health.num_rows / seconds / 1e6:.1f} M rows/s", mem))
        seconds, mem = timed_peak(lambda: _tx(store, lambda c: rebuild_health_rollup(c, window.baseline_start, NOW + timedelta(hours=1))))
        rollup = cur.execute("SELECT count(*) FROM health_rollup").fetchall()[0][0]
        rows.append(("build health_rollup", f"{rollup:,} rollup rows", f"{seconds * 1000:.0f} ms", mem))

        errors = error_table(error_projects, 60, window.baseline_start, window.end, rng)
        seconds, mem = timed_peak(lambda: _tx(store, lambda c: replace_range(c, "error_counts", errors, "bucket_start", window.baseline_start, window.end)))
        rows.append(("replace_range error_counts (DELETE+INSERT)", f"{errors.num_rows:,} rows", f"{errors.num_rows / seconds / 1e6:.1f} M rows/s", mem))

        # Collector writes: what a collector holds after parsing JSON (dicts), to committed rows.
        tickets = _parsed_json_tickets(health_rows // 10)
        batch: list[pa.Table] = []
        convert, converting = timed_peak(lambda: batch.append(pa.Table.from_pylist(tickets)))
        merge, merging = timed_peak(lambda: _tx(store, lambda c: merge_rows(c, "tickets", batch[0], ["source", "ticket_id"])))
        rows.append(("parsed JSON -> Arrow (from_pylist), tickets", f"{len(tickets):,} rows", f"{len(tickets) / convert / 1e6:.2f} M rows/s", converting))
        rows.append(("MERGE tickets (new keys)", f"{len(tickets):,} rows", f"{len(tickets) / merge / 1e6:.2f} M rows/s", merging))
        rows.append(("  JSON -> committed, end to end", f"{len(tickets):,} rows", f"{len(tickets) / (convert + merge) / 1e6:.2f} M rows/s",
                     max(converting, merging, key=lambda p: p.peak_mib)))
        seconds, mem = timed_peak(lambda: _tx(store, lambda c: merge_rows(c, "tickets", batch[0], ["source", "ticket_id"])))
        rows.append(("same batch again (idempotent MERGE)", f"{len(tickets):,} rows", f"{len(tickets) / seconds / 1e6:.2f} M rows/s", mem))
        counts = errors.slice(0, min(errors.num_rows, health_rows // 10))
        seconds, mem = timed_peak(lambda: _tx(store, lambda c: merge_rows(c, "error_counts", counts, ["project", "bucket_start"])))
        rows.append(("MERGE error_counts (re-polled, all keys exist)", f"{counts.num_rows:,} rows", f"{counts.num_rows / seconds / 1e6:.2f} M rows/s", mem))

        store.close()

        # polls into the big tables, as a serving process would: on the reopened, checkpointed file
        store = Store(Path(tmp) / "bench.duckdb")
        poll_times, poll_peak = [], Peak()
        for i in range(polls):
            start = NOW + timedelta(minutes=i)
            poll = health_table(1000, 100, start, start + timedelta(seconds=59), rng)
            seconds, mem = timed_peak(lambda: _tx(store, lambda c: record_health_results(c, poll)))
            poll_times.append(seconds)
            poll_peak = max(poll_peak, mem, key=lambda p: p.peak_mib)
        rows.append(("1,000-row health poll committed (+rollup)", f"p50 {_ms(statistics.median(poll_times))}",
                     f"p95 {_ms(_p95(poll_times))}", poll_peak))
        # a Sentry re-poll: one project's last 2 h of one-minute counts, error_hourly recounted for those hours
        repoll_times, repoll_peak = [], Peak()
        for i in range(polls):
            project, lo = f"project-{i % error_projects}", NOW - timedelta(hours=2, minutes=i % 60)
            fresh = error_table(1, 60, lo, lo + timedelta(hours=2), rng).set_column(0, "project", pa.array([project] * 120))
            seconds, mem = timed_peak(lambda: _tx(store, lambda c: replace_range(
                c, "error_counts", fresh, "bucket_start", lo, lo + timedelta(hours=2), {"project": project})))
            repoll_times.append(seconds)
            repoll_peak = max(repoll_peak, mem, key=lambda p: p.peak_mib)
        rows.append(("one project's 2 h of error counts re-polled (+error_hourly)", f"p50 {_ms(statistics.median(repoll_times))}",
                     f"p95 {_ms(_p95(repoll_times))}", repoll_peak))

        store.close()

    print_table("Overview benchmark" + (" (smoke)" if args.smoke else ""), ("what", "size / cold", "result / warm", "peak RSS (rise)"),
                [(*row, "")[:4] for row in rows])


def _tx(store: Store, fn) -> None:
    with store.transaction() as cur:
        fn(cur)


def _parsed_json_tickets(n: int) -> list[dict]:
    """What a ticket collector holds after parsing an API's JSON: a list of dicts."""
    return [{"source": "desk", "ticket_id": f"T-{i}", "created_at": GO_LIVE + timedelta(seconds=i),
             "status": "open", "priority": "P3", "category": "usage", "title": f"ticket {i}"} for i in range(n)]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


if __name__ == "__main__":
    main()
