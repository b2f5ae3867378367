"""Benchmark: one health-check cycle over 1,000 endpoints that each answer after 100 ms.

A separate process serves the endpoints (asyncio, so the server's CPU does not share our GIL).
Each cycle runs the collector's steps on a real DuckDB file: which checks are due, all of them
through the bounded pool (fresh sessions per cycle, one per worker thread), then the results,
rollup and state flips written in one transaction. Prints one table: wall time per cycle
against the ideal ceil(endpoints / concurrency) x delay (goal: <= 1.15x at concurrency 64),
CPU per check, rows/s written, the write step's peak memory. The Health page's queries at scale are in
bench/pages.py.

    python bench/health.py            # full size: 1,000 endpoints, concurrency 32 and 64
    python bench/health.py --smoke    # tiny, for CI: proves it still runs
"""

from __future__ import annotations

import argparse
import asyncio
import math
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _table import Peak, peak_memory, print_table  # noqa: E402

from collectors.health import HealthCollector, due_checks, prepare, run_checks  # noqa: E402
from hypercare.config import parse_config  # noqa: E402
from hypercare.store import Store  # noqa: E402

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
BODY = b'{"status": "UP"}'
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY)


def serve(delay: float, ready: multiprocessing.Queue) -> None:
    """Answer every GET after `delay` seconds, keeping connections alive."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                await asyncio.sleep(delay)
                writer.write(RESPONSE)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=2048)
        ready.put(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    asyncio.run(main())


def bench(port: int, endpoints: int, concurrency: int, cycles: int, delay: float, folder: Path) -> list[tuple[str, ...]]:
    checks = [{"name": f"endpoint-{i:04d}", "url": f"http://127.0.0.1:{port}/e/{i}", "timeout_seconds": 10,
               "conditions": ["status == 200", "latency_ms < 5000", 'json.status == "UP"']} for i in range(endpoints)]
    config = parse_config({"release": {"name": "bench", "go_live_at": T0.isoformat()},
                           "health": {"concurrency": concurrency}, "checks": checks}, base_dir=folder)
    collector = HealthCollector(config)
    store = Store(folder / f"bench-{concurrency}.duckdb")
    walls, preparing, checking, writing, cpu, failed = [], [], [], [], [], 0
    write_peak = Peak()
    for cycle in range(cycles):
        now = T0 + timedelta(minutes=cycle)
        start, cpu_start = time.perf_counter(), time.process_time()
        with store.transaction() as cur:
            due = [prepare(c, os.environ) for c in due_checks(cur, config.checks, now)]
        prepared = time.perf_counter()
        results = list(run_checks(due, now, concurrency))
        checked, cpu_end = time.perf_counter(), time.process_time()
        with peak_memory() as mem:
            collector.record(store, sorted(results, key=lambda r: r.check_name), now)
        end = time.perf_counter()
        write_peak = max(write_peak, mem, key=lambda p: p.peak_mib)
        failed += sum(not r.ok for r in results)
        walls.append(end - start)
        preparing.append(prepared - start)
        checking.append(checked - prepared)
        writing.append(end - checked)
        cpu.append((cpu_end - cpu_start) / len(results))
    store.close()
    ideal = math.ceil(endpoints / concurrency) * delay
    wall = statistics.median(walls)
    check = statistics.median(checking)
    write = statistics.median(writing)
    return [
        (f"cycle wall time (median of {cycles})", f"{wall:.3f} s"),
        (f"ideal ceil({endpoints}/{concurrency}) x {delay:g} s", f"{ideal:.3f} s"),
        ("wall / ideal (goal <= 1.15 at concurrency 64)", f"{wall / ideal:.2f}x"),
        ("  of which finding due checks", f"{statistics.median(preparing) * 1000:.0f} ms"),
        ("  of which checking (the pool)", f"{check:.3f} s = {check / ideal:.2f}x ideal"),
        ("  of which writing (results, rollup, flips)", f"{write * 1000:.0f} ms", str(write_peak)),
        ("rows written per second (write step)", f"{endpoints / write:,.0f} rows/s", str(write_peak)),
        ("CPU per check (median)", f"{statistics.median(cpu) * 1000:.2f} ms"),
        ("failed checks (should be 0)", f"{failed}"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for CI")
    args = parser.parse_args()
    endpoints, concurrencies, cycles, delay = (1000, (32, 64), 5, 0.1) if not args.smoke else (24, (8,), 2, 0.05)
    spawn = multiprocessing.get_context("spawn")
    ready = spawn.Queue()
    server = spawn.Process(target=serve, args=(delay, ready), daemon=True)
    server.start()
    try:
        port = ready.get(timeout=30)
        table: list[tuple[str, ...]] = []
        with tempfile.TemporaryDirectory() as tmp:
            for concurrency in concurrencies:
                table.append((f"-- concurrency {concurrency}, {endpoints:,} endpoints", ""))
                table += bench(port, endpoints, concurrency, cycles, delay, Path(tmp))
    finally:
        server.terminate()
        server.join(5)
    print_table("Health benchmark" + (" (smoke)" if args.smoke else ""), ("measure", "value", "peak RSS (rise)"),
                [(*row, "", "")[:3] for row in table])

if __name__ == "__main__":
    main()
