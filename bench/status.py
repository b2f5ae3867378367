"""Benchmark: the verdict on a big store — one evaluation of 20 rules, and the 72-hour replay.

Builds 10 M health-check results and 5 M error-count buckets over baseline + window (as
bench/overview.py does), then times `evaluate` with 20 rules and 3 exit criteria (cold, then the
median of warm runs) and the hourly replay over the 72-hour window.
Goals: one evaluation ≤ 200 ms warm; the 72-hour replay ≤ 5 s.

    python bench/status.py            # full size (a few minutes on 2 cores)
    python bench/status.py --smoke    # tiny, for CI: proves it still runs
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _table import peak_memory, print_table  # noqa: E402
from overview import GO_LIVE, NOW, error_table, health_table  # noqa: E402

from hypercare.config import parse_config  # noqa: E402
from hypercare.store import Store  # noqa: E402
from hypercare.store.writes import append_rows, rebuild_health_rollup, replace_range  # noqa: E402
from hypercare.verdict import evaluate  # noqa: E402
from hypercare.verdict.evaluate import replay  # noqa: E402
from hypercare.window import Window  # noqa: E402

TS = pa.timestamp("us", tz="UTC")
RULES = [
    ("errors_vs_baseline", ">=", 3, "1h", {}), ("errors_vs_baseline", ">=", 1.5, "6h", {}),
    ("errors_per_hour", ">=", 5000, "1h", {}), ("errors_per_hour", ">=", 4000, "6h", {"projects": ["project-1"]}),
    ("new_issues", ">=", 10, "6h", {}), ("new_issue_users", ">=", 100, "6h", {}),
    ("availability", "<", 99, "1h", {}), ("availability", "<", 99, "30m", {"checks": ["check-1"]}),
    ("availability", "<", 99.5, "window", {}), ("error_budget_burn", ">=", 14.4, "1h", {}),
    ("error_budget_burn", ">=", 6, "6h", {}), ("p95_latency_ms", ">", 800, "1h", {}),
    ("p95_latency_vs_baseline", ">=", 2, "1h", {}), ("checks_down", ">=", 1, "30m", {}),
    ("tickets_per_hour", ">=", 20, "1h", {}), ("tickets_per_hour_vs_baseline", ">=", 3, "1h", {}),
    ("p1_tickets", ">=", 1, "1h", {}), ("open_incidents", ">=", 1, "1h", {"severity": "SEV1"}),
    ("sla_breaches", ">=", 1, "6h", {}), ("crash_free_rate", "<", 99, "1h", {}),
]


def bench_config(projects: int, checks: int, folder: Path):
    return parse_config({
        "release": {"name": "Bench", "go_live_at": GO_LIVE.isoformat(), "timezone": "Europe/Brussels"},
        "sentry": {"org": "bench", "projects": [f"project-{i}" for i in range(projects)]},
        "checks": [{"name": f"check-{i}", "url": "http://127.0.0.1/"} for i in range(checks)],
        "tickets": [{"kind": "csv", "name": "desk", "path": "t.csv"}],
        "rules": [{"name": f"rule {i}", "metric": m, "op": op, "threshold": th, "over": over,
                   "level": "critical" if i % 3 == 0 else "warning", **scope}
                  for i, (m, op, th, over, scope) in enumerate(RULES)],
        "exit": [{"name": "errors calm", "metric": "errors_vs_baseline", "op": "<=", "threshold": 1.5, "over": "6h", "hold_hours": 12},
                 {"name": "available", "metric": "availability", "op": ">=", "threshold": 98, "hold_hours": 12},
                 {"name": "no SEV1", "metric": "open_incidents", "op": "<=", "threshold": 0, "hold_hours": 12}],
    }, folder)


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for CI")
    args = parser.parse_args()
    health_rows, error_projects, checks = (10_000_000, 350, 100) if not args.smoke else (20_000, 4, 5)
    rng = np.random.default_rng(7)
    window = Window(GO_LIVE, 72, 168, "Europe/Brussels")
    rows: list[tuple[str, ...]] = []  # the store's load has a 4th cell: its peak memory
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.duckdb")
        health = health_table(health_rows, checks, window.baseline_start, window.end, rng)
        errors = error_table(error_projects, 60, window.baseline_start, window.end, rng)
        runs = [{"run_id": f"{c}-{i}", "collector": c, "finished_at": window.baseline_start + timedelta(minutes=i), "ok": True}
                for c in ("sentry", "checks", "tickets:desk") for i in range(0, 240 * 60, 5)]
        with peak_memory() as loading, store.transaction() as cur:
            append_rows(cur, "health_checks", health)
            rebuild_health_rollup(cur, window.baseline_start, window.end + timedelta(hours=1))
            replace_range(cur, "error_counts", errors, "bucket_start", window.baseline_start, window.end)
            append_rows(cur, "collector_runs", pa.Table.from_pylist(runs, schema=pa.schema(
                [("run_id", pa.string()), ("collector", pa.string()), ("finished_at", TS), ("ok", pa.bool_())])))
        rows.append(("store", f"{health.num_rows:,} health results", f"{errors.num_rows:,} error-count rows", loading))
        store.close()

        config = bench_config(error_projects, checks, Path(tmp))
        store = Store(Path(tmp) / "bench.duckdb")
        cur = store.cursor()
        cold = timed(lambda: evaluate(cur, config, window, NOW))
        warm = [timed(lambda: evaluate(cur, config, window, NOW)) for _ in range(5 if not args.smoke else 2)]
        rows.append((f"evaluate: {len(RULES)} rules + 3 exit criteria (12 h hold)", f"cold {cold * 1000:.0f} ms",
                     f"warm p50 {statistics.median(warm) * 1000:.0f} ms (goal ≤ 200 ms)"))
        instants = [GO_LIVE + timedelta(hours=h) for h in range(73)]
        seconds = timed(lambda: replay(cur, config, window, instants))
        rows.append(("replay: hourly over the 72 h window", f"{len(instants)} evaluations", f"{seconds:.2f} s (goal ≤ 5 s)"))
        store.close()
    print_table("Status benchmark" + (" (smoke)" if args.smoke else ""), ("what", "size / cold", "result", "peak RSS (rise) of writes"),
                [(*row, "")[:4] for row in rows])


if __name__ == "__main__":
    main()
