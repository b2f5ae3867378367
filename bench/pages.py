"""Benchmark: every dashboard page at a large go-live's size.

Builds (once, seeded, cached on disk) a store of 1,000 checks every 30 s over the 168 h baseline
and the 72 h window (~29 M health results), 350 Sentry projects' one-minute error counts (~5 M
rows, and their hourly rollup), 200,000 tickets, 20,000 Sentry issues, and the demo's incidents, decisions and status
history. Then, for each page in dashboard/views/: the query functions the page calls (found by
rendering it once), each timed cold (first call on a freshly opened copy of the store) and warm
(median of 5 more), and the page itself in AppTest: first render with the query cache empty, and
reruns with it warm. Goals: each query <= 50 ms warm, first render <= 600 ms, rerun <= 100 ms.

    python bench/pages.py            # full size: the first run builds the store (~10 min, ~4 GB RAM)
    python bench/pages.py --smoke    # tiny, for CI: proves it still runs
    python bench/pages.py --page health --page errors   # only these pages

The store is cached under $TMPDIR/hypercare-bench-pages/, keyed by size, seed and schema
(its latest migration and how many there are); each run works on a copy, so nothing a page writes leaks into the next run.
A new build deletes the stores of older keys (a partial build, or a newer key's store, stays).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import resource
import shutil
import statistics
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from importlib import resources
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _table import print_table  # noqa: E402

from hypercare import runtime  # noqa: E402
from hypercare.clock import FixedClock  # noqa: E402
from hypercare.config import Config, parse_config  # noqa: E402
from hypercare.decisions.evidence import freeze  # noqa: E402
from hypercare.demo import _decisions  # noqa: E402
from hypercare.incidents.actions import seed_demo_incidents  # noqa: E402
from hypercare.store import Store  # noqa: E402
from hypercare.store.planned import write_planned_periods  # noqa: E402
from hypercare.store.releases import record_release  # noqa: E402
from hypercare.store.schema import LATEST, MIGRATIONS  # noqa: E402
from hypercare.store.writes import append_rows, rebuild_health_rollup  # noqa: E402
from hypercare.verdict.evaluate import replay  # noqa: E402
from hypercare.verdict.history import write_evaluation  # noqa: E402
from hypercare.window import Window  # noqa: E402

GO_LIVE = datetime(2026, 11, 22, 21, 0, tzinfo=timezone.utc)
NOW = GO_LIVE + timedelta(hours=71, minutes=45)  # late in the window: the most elapsed hours to read
TS = pa.timestamp("us", tz="UTC")
BUILD = 4  # bump when the generated data changes, so a cached store is rebuilt
DEMO_CHECKS = ("booking-api", "web-frontend", "payment-provider", "class-schedule-sync")  # the demo rules name them
APP = str(ROOT / "dashboard" / "app.py")
VIEWS = ROOT / "dashboard" / "views"


@dataclass(frozen=True)
class Size:
    checks: int
    interval_s: int
    projects: int
    tickets: int
    issues: int
    warm_runs: int
    reruns: int
    replay_hours: int  # the status history: one evaluation every so many hours since go-live

    def key(self, seed: int) -> str:
        return (f"c{self.checks}-i{self.interval_s}-p{self.projects}-t{self.tickets}-s{self.issues}"
                f"-seed{seed}-schema{LATEST}n{len(MIGRATIONS)}-build{BUILD}")  # numbers land out of order


FULL = Size(checks=1000, interval_s=30, projects=350, tickets=200_000, issues=20_000, warm_runs=5, reruns=5, replay_hours=1)
SMOKE = Size(checks=6, interval_s=600, projects=3, tickets=500, issues=50, warm_runs=1, reruns=1, replay_hours=24)


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def _mark(seconds: float, goal_ms: float) -> str:
    return "" if seconds * 1000 <= goal_ms else " (over)"


# ---------------------------------------------------------------- the store


def bench_config(size: Size, folder: Path) -> Config:
    """The demo's config (rules, escalation, planned cutover) with `size`'s checks and projects."""
    with resources.as_file(resources.files("hypercare").joinpath("demo.toml")) as path:
        data = tomllib.loads(path.read_text())
    data["store"]["path"] = str(folder / "pages.duckdb")
    data["report"] = {"folder": str(folder / "reports")}
    names = list(DEMO_CHECKS[:size.checks]) + [f"check-{i:04d}" for i in range(len(DEMO_CHECKS), size.checks)]
    data["checks"] = [{"name": n, "url": f"https://{n}.example/health", "interval_seconds": size.interval_s,
                       "conditions": ["status == 200", "latency_ms < 1500"]} for n in names]
    data["sentry"]["projects"] = ["booking-web", "booking-api"] + [f"project-{i:03d}" for i in range(2, size.projects)]
    return parse_config(data, folder)


def health_chunk(names: np.ndarray, interval_s: int, start: datetime, end: datetime, seed: int) -> pa.Table:
    """Every check every `interval_s` in [start, end), time-ordered; checks spread over the
    interval. About 1 % failures, a few checks that flap, lognormal latencies, timeouts."""
    rng = np.random.default_rng([seed, int(start.timestamp())])
    checks = len(names)
    steps = int((end - start).total_seconds() // interval_s)
    spread = np.arange(checks, dtype=np.int64) * (interval_s * 1_000_000 // checks)
    micros = (int(start.timestamp() * 1e6) + np.repeat(np.arange(steps, dtype=np.int64) * interval_s * 1_000_000, checks)
              + np.tile(spread, steps))
    n = len(micros)
    which = np.tile(np.arange(checks), steps)
    fail_p = np.where(which % 97 == 5, 0.2, 0.01)  # every 97th check flaps
    ok = rng.random(n) > fail_p
    timeout = ~ok & (rng.random(n) < 0.3)
    latency = np.clip(rng.lognormal(np.log(140 + (which % 7) * 30), 0.35, n), 1, 30_000).astype(np.int32)
    status = np.where(ok, 200, 503).astype(np.int32)
    error = pa.array(np.where(ok, None, np.where(timeout, "timed out after 10 s", "status 503, expected 200")), pa.string())
    cert = pa.array(int(datetime(2027, 3, 1, tzinfo=timezone.utc).timestamp() * 1e6) + (which % 50) * 86_400_000_000).cast(TS)
    table = pa.table({
        "check_name": pa.array(names[which]), "checked_at": pa.array(micros).cast(TS),
        "url": pa.nulls(n, pa.string()), "ok": pa.array(ok),
        "status_code": pa.array(status, mask=timeout), "latency_ms": pa.array(latency, mask=timeout),
        "error": error, "cert_expires_at": cert,
    })
    return table.filter(pc.less(table["checked_at"], pa.scalar(end, TS)))


def error_chunk(projects: list[str], start: datetime, end: datetime, seed: int) -> pa.Table:
    rng = np.random.default_rng([seed, 1, int(start.timestamp())])
    minutes = int((end - start).total_seconds() // 60)
    t = np.repeat(np.arange(minutes, dtype=np.int64) * 60_000_000 + int(start.timestamp() * 1e6), len(projects))
    rate = np.where(t >= int(GO_LIVE.timestamp() * 1e6), 4.0, 3.0)
    return pa.table({
        "project": pa.array(np.tile(np.array(projects, dtype=object), minutes)), "bucket_start": pa.array(t).cast(TS),
        "bucket_seconds": pa.array(np.full(len(t), 60, np.int32)), "events": pa.array(rng.poisson(rate).astype(np.int64)),
    })


def tickets_table(size: Size, start: datetime, seed: int) -> pa.Table:
    """`size.tickets` tickets: a quarter of them in the baseline week, the rest in the window."""
    rng = np.random.default_rng([seed, 2])
    n = size.tickets
    base = n // 4
    span = lambda a, b, k: a + rng.random(k) * (b - a)  # noqa: E731
    created = np.concatenate([span(start.timestamp(), GO_LIVE.timestamp(), base),
                              span(GO_LIVE.timestamp(), NOW.timestamp(), n - base)])
    created = np.sort((created * 1e6).astype(np.int64))
    priority = rng.choice(["P1", "P2", "P3", "P4"], n, p=[0.02, 0.15, 0.63, 0.2])
    category = rng.choice(["technical", "usage", "other"], n, p=[0.4, 0.5, 0.1])
    labels = rng.choice(["login", "how-to", "question", "bug", "payment", "error", "feedback"], n)
    status = rng.choice(["open", "pending", "solved", "closed"], n)
    ids = pa.array(np.arange(n) + 100_000).cast(pa.string())
    return pa.table({
        "source": pa.array(["service-desk"] * n), "ticket_id": pc.binary_join_element_wise("SD-", ids, ""),
        "created_at": pa.array(created).cast(TS), "updated_at": pa.array(created + 600_000_000).cast(TS),
        "status": pa.array(status), "priority": pa.array(priority), "category": pa.array(category),
        "labels": pa.array([[x] for x in labels], pa.list_(pa.string())),
        "title": pc.binary_join_element_wise("Ticket about ", pa.array(labels), " #", ids, ""),
        "url": pc.binary_join_element_wise("https://desk.example/tickets/SD-", ids, ""),
        "status_raw": pa.array(status), "priority_raw": pa.array(priority),
    })


def issues_table(size: Size, projects: list[str], start: datetime, seed: int) -> pa.Table:
    """`size.issues` Sentry issues: most known before go-live, a tenth new since it, some regressed."""
    rng = np.random.default_rng([seed, 3])
    n = size.issues
    new = rng.random(n) < 0.1
    first = np.where(new, GO_LIVE.timestamp() + rng.random(n) * (NOW - GO_LIVE).total_seconds(),
                     start.timestamp() - rng.random(n) * 90 * 86_400)
    last = np.minimum(first + rng.random(n) * 200 * 3600, NOW.timestamp() - 60)
    regressed = ~new & (rng.random(n) < 0.02)
    stats_start = int((NOW.replace(minute=0) - timedelta(hours=23)).timestamp() * 1e6)
    ids = pa.array(np.arange(n) + 4_600_000_000).cast(pa.string())
    return pa.table({
        "issue_id": ids, "project": pa.array(rng.choice(projects, n)),
        "short_id": pc.binary_join_element_wise("ISSUE-", ids, ""),
        "title": pc.binary_join_element_wise("TypeError in handler ", ids, ""), "culprit": pa.array(["app.handler"] * n),
        "level": pa.array(rng.choice(["error", "warning"], n, p=[0.85, 0.15])),
        "status": pa.array(np.where(regressed, "unresolved", rng.choice(["unresolved", "resolved", "ignored"], n))),
        "substatus": pa.array(np.where(regressed, "regressed", np.where(new, "new", "ongoing"))),
        "first_seen": pa.array((first * 1e6).astype(np.int64)).cast(TS),
        "last_seen": pa.array((np.where(regressed, NOW.timestamp() - 3600, last) * 1e6).astype(np.int64)).cast(TS),
        "event_count": pa.array(rng.integers(1, 5000, n)), "user_count": pa.array(rng.integers(0, 600, n)),
        "first_release": pa.array(np.where(new, "fitbook-web@2.0.0", "fitbook-web@1.14.2")),
        "permalink": pc.binary_join_element_wise("https://fitbook.sentry.io/issues/", ids, "/"),
        "collected_at": pa.array(np.full(n, int((NOW - timedelta(minutes=3)).timestamp() * 1e6))).cast(TS),
        "stats_start": pa.array(np.full(n, stats_start)).cast(TS),
        "hourly_events": pa.array(list(rng.integers(0, 20, (n, 24))), pa.list_(pa.int64())),
    })


def transitions_table(names: np.ndarray, start: datetime, seed: int) -> pa.Table:
    """Flips of the flapping checks (every 97th) every few hours; the others up since the start."""
    rng = np.random.default_rng([seed, 4])
    rows = [{"check_name": n, "changed_at": start + timedelta(minutes=1), "from_state": "unknown", "to_state": "up",
             "reason": "first result ok"} for n in names]
    for i, name in enumerate(names):
        if i % 97 != 5:
            continue
        t, state = start + timedelta(hours=float(rng.uniform(1, 6))), "up"
        while t < NOW:
            new = "down" if state == "up" else "up"
            rows.append({"check_name": name, "changed_at": t, "from_state": state, "to_state": new,
                         "reason": "3 failures in a row" if new == "down" else "2 successes in a row"})
            state, t = new, t + timedelta(hours=float(rng.uniform(0.5, 8)))
    return pa.Table.from_pylist(rows, schema=pa.schema([("check_name", pa.string()), ("changed_at", TS),
                                                        ("from_state", pa.string()), ("to_state", pa.string()),
                                                        ("reason", pa.string())]))


def runs_table(config: Config, start: datetime) -> pa.Table:
    rows = []
    for name, interval in config.sources():
        t = start
        while t < NOW:  # every 5 min (no figure reads more of it), then every interval over the last 15
            rows.append({"run_id": f"{name}-{int(t.timestamp())}", "collector": name, "started_at": t,
                         "finished_at": t + timedelta(seconds=2), "status": "ok", "ok": True, "rows_written": 100})
            t += timedelta(seconds=interval if t >= NOW - timedelta(minutes=15) else max(interval, 300))
    return pa.Table.from_pylist(rows, schema=pa.schema([
        ("run_id", pa.string()), ("collector", pa.string()), ("started_at", TS), ("finished_at", TS),
        ("status", pa.string()), ("ok", pa.bool_()), ("rows_written", pa.int64())]))


def build(path: Path, config: Config, size: Size, seed: int, log) -> None:
    """Write the whole store at `path` in Arrow chunks of a day, so memory stays near one day's rows."""
    window = Window(GO_LIVE, 72, 168, config.release.timezone)
    start = window.baseline_start
    names = np.array([c.name for c in config.checks], dtype=object)
    store = Store(path)
    day = timedelta(hours=24)
    t = start
    while t < NOW:
        end = min(t + day, NOW)
        with store.transaction() as cur:
            append_rows(cur, "health_checks", health_chunk(names, size.interval_s, t, end, seed))
            append_rows(cur, "error_counts", error_chunk(list(config.sentry.projects), t, end, seed))
        log(f"  rows up to {end:%a %d %b %H:%M}")
        gc.collect()
        t = end
    with store.transaction() as cur:
        rebuild_health_rollup(cur, start, NOW + timedelta(hours=1))
        append_rows(cur, "tickets", tickets_table(size, start, seed), "created_at")
        append_rows(cur, "sentry_issues", issues_table(size, list(config.sentry.projects), start, seed))
        append_rows(cur, "check_transitions", transitions_table(names, start, seed), "changed_at")
        append_rows(cur, "collector_runs", runs_table(config, start))
        append_rows(cur, "decisions", _decisions())
        write_planned_periods(cur, config.planned_periods, GO_LIVE - timedelta(days=2))
    log("  rollup, tickets, issues written; incidents, status history, evidence next")
    record_release(store, config)
    seed_demo_incidents(store, config, window, until=NOW)
    instants = [GO_LIVE + timedelta(hours=h) for h in range(0, int((NOW - GO_LIVE).total_seconds() // 3600) + 1, size.replay_hours)]
    for evaluation in replay(store.cursor(), config, window, instants):
        write_evaluation(store, config, evaluation, window)
    with store.transaction() as cur:
        for decision_id, decided_at in cur.execute("SELECT decision_id, decided_at FROM decisions").fetchall():
            cur.execute("UPDATE decisions SET evidence = ? WHERE decision_id = ?",
                        [json.dumps(freeze(cur, config, window, decided_at)), decision_id])
    store.close()


def cached_store(size: Size, seed: int, log) -> tuple[Path, float | None]:
    """The store for `size` and `seed`, built if not cached; (path, build seconds or None)."""
    folder = Path(tempfile.gettempdir()) / "hypercare-bench-pages"
    folder.mkdir(exist_ok=True)
    path = folder / f"{size.key(seed)}.duckdb"
    if path.exists():
        return path, None
    partial = path.with_name(f"{path.stem}.partial-{os.getpid()}.duckdb")  # worktrees may build at once
    log(f"building {path.name} (once; later runs reuse it)")
    seconds = timed(lambda: build(partial, bench_config(size, folder), size, seed, log))
    os.replace(partial, path)  # only a finished build is ever reused
    for old in stale_stores(folder, path):
        log(f"deleting {old.name} (an older key)")
        old.unlink(missing_ok=True)
    return path, seconds


KEY_AGE = re.compile(r"^(.*)-schema(\d+)(?:n(\d+))?-build(\d+)\.duckdb$")  # size and seed, then the age


def stale_stores(folder: Path, built: Path) -> list[Path]:
    """The finished stores in `folder` of `built`'s size and seed and an older key (a lower schema,
    count of migrations or build; ~0.4 GB each at full size). Another size's store (a smoke build
    never deletes the full one), another process's partial build, and a newer key another worktree
    still uses, stay."""
    def age(path: Path) -> tuple[str, tuple[int, int, int]] | None:
        found = KEY_AGE.search(path.name)
        return None if found is None else (found[1], (int(found[2]), int(found[3] or 0), int(found[4])))

    newest = age(built)
    return sorted(p for p in folder.glob("*.duckdb")
                  if newest is not None and (key := age(p)) is not None and key[0] == newest[0] and key[1] < newest[1])


# ---------------------------------------------------------------- the pages


def page_files(only: list[str]) -> list[str]:
    """Every page in dashboard/views/ (so a new page is measured without touching this file)."""
    found = sorted(f"views/{p.name}" for p in VIEWS.glob("*.py") if not p.name.startswith("_"))
    first = ["views/overview.py"] if "views/overview.py" in found else []
    ordered = first + [p for p in found if p not in first]
    return [p for p in ordered if not only or Path(p).stem in only]


class Recorder:
    """Wraps `dashboard.data.cached` so a page's run lists the query calls it made."""

    def __init__(self):
        from dashboard import data
        self.data, self.original = data, data.cached
        self.calls: list[tuple[str, object, tuple, dict]] = []

    def __enter__(self) -> Recorder:
        def cached(func):
            wrapped = self.original(func)

            def call(*args, **kwargs):
                self.calls.append((func.__name__, func, args, kwargs))
                return wrapped(*args, **kwargs)
            return call
        self.data.cached = cached
        return self

    def __exit__(self, *exc) -> None:
        self.data.cached = self.original


def measure_pages(path: Path, config: Config, pages: list[str], size: Size) -> list[tuple[str, str, str]]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    store = Store(path)
    runtime.set_context(runtime.AppContext(config, store, FixedClock(NOW), demo=False))
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()  # imports and Streamlit's own first-run work, which no visitor's page pays again
    rows: list[tuple[str, str, str]] = []
    calls: dict[str, list] = {}
    for page in pages:
        st.cache_data.clear()
        with Recorder() as recorder:
            at.switch_page(page)
            first = timed(at.run)
        if at.exception:
            raise SystemExit(f"{page} failed: {at.exception[0].message}")
        again = statistics.median(timed(at.run) for _ in range(size.reruns))
        calls[page] = recorder.calls
        rows.append((f"{Path(page).stem} page (AppTest)", f"first render {_ms(first)}{_mark(first, 600)}",
                     f"rerun p50 {_ms(again)}{_mark(again, 100)}"))
    store.close()
    for page in pages:
        rows += measure_queries(path, config, page, calls[page], size)
    return rows


def measure_queries(path: Path, config: Config, page: str, calls: list, size: Size) -> list[tuple[str, str, str]]:
    """Each distinct query call of the page: cold on a freshly opened store, then warm."""
    store = Store(path)
    runtime.set_context(runtime.AppContext(config, store, FixedClock(NOW), demo=False))
    cur = store.cursor()
    rows, seen = [], set()
    for name, func, args, kwargs in calls:
        key = (name, repr(args), repr(kwargs))
        if key in seen:
            continue
        seen.add(key)
        cold = timed(lambda: func(cur, *args, **kwargs))
        warm = statistics.median(timed(lambda: func(cur, *args, **kwargs)) for _ in range(size.warm_runs))
        label = f"{name} {args[-1]!r}" if name == "part" else name  # the inbox's parts, by name
        rows.append((f"  {Path(page).stem}: {label}", f"cold {_ms(cold)}", f"warm {_ms(warm)}{_mark(warm, 50)}"))
    store.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, for CI")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--page", action="append", default=[], help="only this page (file stem); repeatable")
    args = parser.parse_args()
    size = SMOKE if args.smoke else FULL
    log = (lambda _: None) if args.smoke else (lambda m: print(m, file=sys.stderr, flush=True))
    rows: list[tuple[str, str, str]] = []
    cached, seconds = cached_store(size, args.seed, log)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pages.duckdb"
        shutil.copyfile(cached, path)  # pages may write (status history, reports): never into the cache
        config = bench_config(size, Path(tmp))
        store = Store(path)
        counts = store.cursor().execute(
            "SELECT (SELECT count(*) FROM health_checks), (SELECT count(*) FROM health_rollup), "
            "(SELECT count(*) FROM error_counts), (SELECT count(*) FROM tickets), (SELECT count(*) FROM sentry_issues), "
            "(SELECT count(*) FROM error_hourly)"
        ).fetchall()[0]
        store.close()
        rows.append(("store", f"{counts[0]:,} results, {counts[1]:,} rollup rows, {counts[2]:,} error counts "
                              f"({counts[5]:,} hourly)",
                     f"{counts[3]:,} tickets, {counts[4]:,} issues, {path.stat().st_size / 2**30:.2f} GiB"
                     + (f", built in {seconds:.0f} s" if seconds else ", cached")))
        rows += measure_pages(path, config, page_files(args.page), size)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows.append(("peak memory of this process (max RSS)", f"{peak:.0f} MiB", f"load {os.getloadavg()[0]:.1f}"))
    print_table("Pages benchmark" + (" (smoke)" if args.smoke else ""), ("what", "first / cold", "rerun / warm"), rows)


if __name__ == "__main__":
    main()
