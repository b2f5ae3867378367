"""Benchmark of the Sentry collector against the local fake Sentry (in its own process).

Full size: 20,000 issues (200 pages of 100) and 30 days of hourly error counts and sessions for
10 projects; then an incremental run over the unchanged server between full syncs (goal: at
most 5 % of the first run's requests). Prints requests, seconds, rows/s and peak memory.
Usage: python bench/sentry.py [--smoke]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _table import peak_memory, print_table  # noqa: E402

from collectors.base import run_collector  # noqa: E402
from collectors.sentry import SentryCollector  # noqa: E402
from hypercare.clock import FixedClock  # noqa: E402
from hypercare.config import parse_config  # noqa: E402
from hypercare.store import Store  # noqa: E402
from tests.fakes.sentry import FakeSentry  # noqa: E402

NOW = datetime(2026, 11, 25, 22, 0, tzinfo=timezone.utc)
TOKEN = "sntrys_bench_token_0123456789"


def serve(issues: int, projects: int, days: int, ready: mp.Queue, stop: mp.Event) -> None:
    """The fake Sentry, filled deterministically, in a child process so it doesn't count."""
    rng = random.Random(1)
    slugs = tuple(f"project-{n}" for n in range(projects))
    fake = FakeSentry(token=TOKEN, projects=slugs, now=lambda: NOW)
    start = NOW - timedelta(days=days)
    span = days * 24 * 3600
    for n in range(issues):
        first = start + timedelta(seconds=rng.randrange(span))
        last = first + timedelta(seconds=rng.randrange(int((NOW - first).total_seconds()) + 1))
        fake.add_issue(slugs[n % projects], f"Error {n}: something failed", first, last,
                       count=rng.randint(1, 5000), user_count=rng.randint(0, 300),
                       status=rng.choice(["unresolved", "unresolved", "resolved", "ignored"]))
    for slug in slugs:
        fake.add_error_counts(slug, start, [rng.randint(0, 200) for _ in range(days * 24)])
        fake.add_sessions(slug, start, [{"healthy": 900, "errored": 40, "crashed": 3, "abnormal": 1}] * (days * 24))
    fake.sessions_release = "bench@1.0.0"
    fake.start()
    ready.put(fake.url)
    stop.wait()
    fake.stop()


def run(issues: int, projects: int, days: int) -> list[tuple[str, str]]:
    ready, stop = mp.Queue(), mp.Event()
    server = mp.Process(target=serve, args=(issues, projects, days, ready, stop), daemon=True)
    server.start()
    url = ready.get(timeout=300)
    os.environ["SENTRY_AUTH_TOKEN"] = TOKEN
    tmp = Path(tempfile.mkdtemp(prefix="bench-sentry-"))
    window_hours = 72
    config = parse_config({
        "release": {"name": "Bench", "version": "bench@1.0.0", "go_live_at": (NOW - timedelta(hours=window_hours)).isoformat(),
                    "window_hours": window_hours, "baseline_hours": days * 24 - window_hours},
        "store": {"path": str(tmp / "bench.duckdb")},
        "sentry": {"base_url": url, "org": "acme", "projects": [f"project-{n}" for n in range(projects)]},
    }, base_dir=tmp)
    clock = FixedClock(NOW)
    store = Store(config.store.path)
    results = []
    try:
        for label in ("first run (full)", "incremental, unchanged server"):
            collector = SentryCollector(config, clock)
            with peak_memory() as mem:
                t0 = time.perf_counter()
                record = run_collector(store, collector, clock)
                seconds = time.perf_counter() - t0
            if not record.ok:
                raise SystemExit(f"{label} failed: {record.error}")
            results.append((label, collector.requests_made, seconds, record.rows_written, mem))
            clock.advance(minutes=5)
        counts = store.cursor().execute(
            "SELECT (SELECT count(*) FROM sentry_issues), (SELECT count(*) FROM error_counts), "
            "(SELECT count(*) FROM session_health)").fetchall()[0]
    finally:
        store.close()
        stop.set()
        server.join(10)
    first_requests = results[0][1]
    lines = [("issues / error-count rows / session rows stored", f"{counts[0]:,} / {counts[1]:,} / {counts[2]:,}")]
    for label, requests, seconds, rows, peak in results:
        lines.append((f"{label}: requests", f"{requests:,}"))
        lines.append((f"{label}: seconds", f"{seconds:.2f}"))
        lines.append((f"{label}: rows written, rows/s", f"{rows:,}, {rows / seconds:,.0f}"))
        lines.append((f"{label}: peak RSS (rise)", str(peak)))
    ratio = results[1][1] / first_requests
    verdict = "met" if ratio <= 0.05 else "MISSED"
    lines.append(("incremental requests / first run", f"{ratio:.1%} (goal at full size <= 5 %: {verdict})"))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a tiny size that runs in a few seconds")
    args = parser.parse_args()
    size = (600, 3, 4) if args.smoke else (20_000, 10, 30)
    print_table(f"Sentry collector: {size[0]:,} issues, {size[1]} projects, {size[2]} days of hourly counts",
                ("measure", "value"), run(*size))


if __name__ == "__main__":
    main()
