"""Benchmark: the stakeholder report on a big store.

Builds a database with 10 M health-check results (100 checks) and 5 M error-count buckets over
baseline + window (as bench/overview.py does), then times the report as `hypercare report`
makes it: building it from the queries (cold, on a freshly opened file, and warm), rendering
HTML and Markdown, and the whole HTML report end to end; prints the file sizes. Goal: the HTML
report in ≤ 2 s.

    python bench/report.py            # full size (a few minutes on 2 cores)
    python bench/report.py --smoke    # tiny, for CI: proves it still runs
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
from hypercare.report import build  # noqa: E402
from hypercare.report.build import build_report  # noqa: E402
from hypercare.report.html import to_html  # noqa: E402
from hypercare.report.markdown import to_markdown  # noqa: E402
from hypercare.store import Store  # noqa: E402
from hypercare.store.queries.freshness import source_freshness  # noqa: E402
from hypercare.store.queries.triage import set_aside  # noqa: E402
from hypercare.store.writes import append_rows, rebuild_health_rollup, replace_range  # noqa: E402
from hypercare.verdict import evaluate  # noqa: E402
from hypercare.window import Window  # noqa: E402

CHECKS = 100


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for CI")
    args = parser.parse_args()
    health_rows, error_projects, runs = (10_000_000, 350, 5) if not args.smoke else (20_000, 4, 2)
    rng = np.random.default_rng(7)
    window = Window(GO_LIVE, 72, 168, "Europe/Brussels")
    rows: list[tuple[str, ...]] = []  # the store's load has a 4th cell: its peak memory

    with tempfile.TemporaryDirectory() as tmp:
        config = parse_config({
            "release": {"name": "Bench", "go_live_at": GO_LIVE.isoformat(), "timezone": "Europe/Brussels"},
            "sentry": {"org": "bench", "projects": [f"project-{i}" for i in range(error_projects)]},
            "checks": [{"name": f"check-{i}", "url": "http://127.0.0.1/"} for i in range(CHECKS)],
            "report": {"at": ["08:00", "16:00"]},
        }, Path(tmp))
        store = Store(Path(tmp) / "bench.duckdb")
        with peak_memory() as loading, store.transaction() as cur:
            health = health_table(health_rows, CHECKS, window.baseline_start, NOW, rng)
            append_rows(cur, "health_checks", health)
            rebuild_health_rollup(cur, window.baseline_start, NOW + timedelta(hours=1))
            errors = error_table(error_projects, 60, window.baseline_start, window.end, rng)
            replace_range(cur, "error_counts", errors, "bucket_start", window.baseline_start, window.end)
            # both sources fresh, so every figure and rule is really measured (a stale one is skipped)
            done = pa.array([NOW - timedelta(minutes=1)] * 2, pa.timestamp("us", tz="UTC"))
            append_rows(cur, "collector_runs", pa.table({
                "run_id": ["s", "c"], "collector": ["sentry", "checks"], "started_at": done, "finished_at": done,
                "ok": [True, True], "rows_written": [1, 1]}))
        rows.append(("store", f"{health.num_rows:,} health results", f"{errors.num_rows:,} error-count rows", loading))
        store.close()

        store = Store(Path(tmp) / "bench.duckdb")  # cold: a freshly opened file, as `hypercare report` has
        cur = store.cursor()
        cold, report = timed(lambda: build_report(cur, config, window, NOW))
        warm = statistics.median(timed(lambda: build_report(cur, config, window, NOW))[0] for _ in range(runs))
        rows.append(("build the report (queries + verdict)", f"cold {_ms(cold)}", f"warm {_ms(warm)}"))
        fresh, aside = source_freshness(cur, NOW, tuple(config.sources())), set_aside(cur, NOW)
        parts = {
            "verdict (hypercare.verdict.evaluate)": lambda: evaluate(cur, config, window, NOW),
            "key figures (overview.kpis + new issues)": lambda: build.key_figures(cur, config, window, NOW, fresh, aside),
            "charts (errors, availability, p95, tickets per hour)": lambda: build.charts(cur, config, window, NOW),
            "incidents, support, decisions": lambda: (build.incident_summary(cur, window, NOW, NOW),
                                                      build.support(cur, window, NOW, NOW, fresh, aside)),
        }
        for name, part in parts.items():
            rows.append((f"  of which {name}", "", f"warm {_ms(statistics.median(timed(part)[0] for _ in range(runs)))}"))
        html_s, html = timed(lambda: to_html(report))  # the first render reads plotly.min.js (4.6 MB)
        md_s, markdown = timed(lambda: to_markdown(report))
        rows.append(("render HTML (4 charts, plotly inlined once)", _ms(html_s), f"{len(html.encode()) / 1e6:.2f} MB"))
        rows.append(("render Markdown", _ms(md_s), f"{len(markdown):,} characters"))
        total = statistics.median(timed(lambda: to_html(build_report(cur, config, window, NOW)))[0] for _ in range(runs))
        rows.append(("HTML report end to end (goal ≤ 2 s)", f"cold {_ms(cold + html_s)}", f"warm p50 {_ms(total)}"))
        store.close()

    print_table("Report benchmark" + (" (smoke)" if args.smoke else ""), ("what", "time / size", "result", "peak RSS (rise) of writes"),
                [(*row, "")[:4] for row in rows])


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


if __name__ == "__main__":
    main()
