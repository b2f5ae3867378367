"""Benchmark: the ticket collectors at volume.

Response bytes -> committed rows: 200,000 GitHub issues, Jira issues and Zendesk tickets, as the
answer pages' bodies (bytes, as the API sends them; no HTTP), through each collector's page path
(the body read into Arrow columns, answer-shape validation per batch, mapping, upsert and
checkpoint per batch) into the store; rows/s counts the tickets committed. Then the same path in
its stages, each measured alone: bytes -> Arrow (page read, batch check and conversion to raw
columns; MB/s of answer bytes), Arrow -> committed (mapping, upsert, checkpoint, commit), and the
floor no mapping can beat: the stored rows, already mapped, inserted as they are into a fresh store.
GitHub: 50,000 issues (plus 5,000 pull requests to drop) served by the local GitHub fake in its
own process, 100 per page; a first run, then an incremental re-run. CSV: a 100,000-row export
(';' delimiter, BOM, local times); a first read, an unchanged re-read (skipped by fingerprint)
and a re-read after one row is appended (parsed and upserted again); a first read of 1,000,000 rows.
Each scenario runs in a fresh process (in this one at the smoke size); its peak RSS (and the rise above the RSS before it) is that
of the measured step alone (`_table.peak_memory`). Prints one table with medians over --repeat runs.

    python bench/tickets.py            # full size
    python bench/tickets.py --smoke    # tiny, for CI: proves it still runs
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import multiprocessing as mp
import os
import queue
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _table import peak_memory, print_table  # noqa: E402

from collectors.base import run_collector  # noqa: E402
from collectors.tickets import ticket_collectors  # noqa: E402
from collectors.tickets.shapes import GitHubIssue, Items, JiraIssue, JiraPage, ZendeskPage, ZendeskTicket  # noqa: E402
from hypercare.clock import SystemClock  # noqa: E402
from hypercare.config import parse_config  # noqa: E402
from hypercare.store import Store  # noqa: E402
from hypercare.store.read import scalar  # noqa: E402
from tests.fakes.github import FakeGitHub, issue  # noqa: E402
from tests.fakes.jira import jira_issue  # noqa: E402
from tests.fakes.zendesk import zendesk_ticket  # noqa: E402

GO_LIVE = datetime(2026, 11, 22, 21, 0, tzinfo=timezone.utc)
RELEASE = {"name": "bench", "go_live_at": GO_LIVE.isoformat(), "timezone": "Europe/Brussels"}
TOKEN = "ghp_bench_token_0000"
LABELS = ["bug", "question", "how-to", "urgent", "high", "low", "payment", "login"]


def serve_github(issues: int, ready: mp.Queue, stop: mp.Event) -> None:
    """The fake in its own process so its JSON work doesn't share the collector's GIL; on `stop`
    it reports how many requests it answered."""
    rng = random.Random(1)
    start = GO_LIVE - timedelta(days=6)
    step = timedelta(days=9) / (issues * 1.1)
    items = [
        issue(n, start + n * step, labels=rng.sample(LABELS, 2), pull_request=n % 11 == 0,
              state=rng.choice(["open", "closed"]), state_reason="completed")
        for n in range(1, int(issues * 1.1) + 1)
    ]
    with FakeGitHub(SystemClock(), token=TOKEN, quota=10**9) as fake:
        fake.put(*items)
        ready.put(fake.url)
        while stop.wait():
            ready.put(len(fake.requests))
            stop.clear()
            if not fake.requests:
                return
            fake.requests.clear()


def write_csv(path: Path, rows: int, extra: int = 0) -> None:
    rng = random.Random(2)
    start = datetime(2026, 10, 1)
    lines = ["\ufeffTicket ID;Created;Updated;State;Prio;Type;Tags;Subject"]
    for n in range(rows + extra):
        created = start + timedelta(minutes=n * 0.8)
        lines.append(f"SD-{n};{created:%Y-%m-%d %H:%M};{created + timedelta(hours=2):%Y-%m-%d %H:%M};"
                     f"{rng.choice(['Open', 'Pending', 'Solved'])};{rng.choice(['urgent', 'high', 'normal', 'low'])};"
                     f"{rng.choice(['Bug', 'Question'])};{','.join(rng.sample(LABELS, 2))};Ticket {n}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


BASE = "https://acme.example"
JSON_SOURCES = {
    "github": ({"kind": "github", "repo": "acme/booking"}, GitHubIssue, "issues", "number", 100),
    "jira": ({"kind": "jira", "base_url": BASE, "jql": "project = HELP"}, JiraIssue, "issues", "key", 100),
    "zendesk": ({"kind": "zendesk", "base_url": BASE}, ZendeskTicket, "tickets", "id", 1000),
}
WRAPPERS = {"jira": JiraPage, "zendesk": ZendeskPage}


def json_pages(kind: str, n: int, page_size: int) -> list[bytes]:
    """n items as the API answers them: the body of each page (Jira's and Zendesk's with their
    paging fields)."""
    rng = random.Random(3)
    start = GO_LIVE - timedelta(days=6)
    step = timedelta(days=9) / n

    def item(i: int) -> dict:
        at = start + i * step
        if kind == "github":
            return issue(i, at, labels=rng.sample(LABELS, 2), pull_request=i % 11 == 0,
                         state=rng.choice(["open", "closed"]), state_reason="completed")
        if kind == "jira":
            return jira_issue(f"HELP-{i}", at, status=rng.choice(["Open", "In Progress", "Done"]),
                              priority=rng.choice(["High", "Medium", "Low", None]), labels=rng.sample(LABELS, 2),
                              components=["Payments"])
        return zendesk_ticket(i, at, status=rng.choice(["new", "open", "solved"]),
                              priority=rng.choice(["urgent", "high", "normal", None]), tags=rng.sample(LABELS, 2))

    bodies = []
    for first in range(1, n + 1, page_size):
        items = [item(i) for i in range(first, min(first + page_size, n + 1))]
        last = first + page_size > n
        answer = {"github": items, "jira": {"issues": items, "isLast": last, "nextPageToken": None if last else f"p{first}"},
                  "zendesk": {"tickets": items, "after_cursor": f"c{first}", "end_of_stream": last}}[kind]
        bodies.append(json.dumps(answer).encode())
    return bodies


@contextmanager
def measured() -> Iterator[dict]:
    """The block's seconds, CPU seconds and peak memory, put into the dict it yields."""
    figures: dict = {}
    with peak_memory() as memory:
        t0, cpu0 = time.perf_counter(), time.process_time()
        yield figures
        figures.update(seconds=time.perf_counter() - t0, cpu=time.process_time() - cpu0)
    figures.update(peak_mb=memory.peak_mib, growth_mb=memory.peak_mib - memory.before_mib)


def stored(store: Store) -> int:
    return scalar(store.cursor(), "SELECT count(*) FROM tickets")


def json_scenario(name: str, size: int, folder: Path, clock) -> dict[str, dict]:
    """Answer bodies through the collector's page path and batch write (bytes -> committed), then
    the same path in its two stages, each measured alone, and the floor below them:
    bytes -> Arrow: `write_pages` with `write` keeping the raw batches it is handed (page read,
    batch check and conversion; nothing written); Arrow -> committed: those batches mapped and
    upserted with their checkpoints (`write`) into a fresh store; plain insert: the rows that
    stored, already mapped, inserted as they are into a fresh store in one transaction (`INSERT
    INTO tickets SELECT * FROM` an Arrow table), which no mapping can beat."""
    kind = name.split()[1]
    entry, model, what, label, page_size = JSON_SOURCES[kind]
    os.environ.update({"GITHUB_TOKEN": TOKEN, "JIRA_EMAIL": "ops@acme.example", "JIRA_API_TOKEN": TOKEN,
                       "ZENDESK_EMAIL": "ops@acme.example", "ZENDESK_API_TOKEN": TOKEN})
    config = parse_config({"release": RELEASE, "tickets": [entry]}, base_dir=folder)
    [collector], [reader] = ticket_collectors(config, clock), ticket_collectors(config, clock)  # reader: writes nothing
    bodies = json_pages(kind, size, page_size)
    megabytes = sum(map(len, bodies)) / 1e6

    def pages():
        """What the collector's own `pages` yields for each answer, minus the HTTP."""
        for body in bodies:
            parse = lambda body=body: json.loads(body)  # noqa: E731 (only when Arrow can't read the page)
            if kind == "github":
                yield collector.page(body, parse)
            else:
                page, cursor, _ = collector.page(body, lambda body=body: WRAPPERS[kind].model_validate(json.loads(body)))
                # Zendesk pages carry the export's cursor; GitHub and Jira checkpoint their items' newest time.
                yield page if kind == "jira" else dataclasses.replace(page, after=cursor)

    def read(through, store: Store) -> dict:
        shapes = Items(model, what, label)
        with measured() as figures:
            written = through.write_pages(store, pages(), "bench", clock.now(), through.converter(shapes))
        assert not shapes.problems, shapes.warning()
        return {**figures, "stored": stored(store), "written": written, "mb": megabytes}

    rows = {}
    store = Store(folder / "bench.duckdb")
    rows[f"json {kind} bytes -> committed"] = read(collector, store)
    store.close()
    batches = []  # what write_pages hands to `write`: a raw batch, its scope, cursor and time
    reader.write = lambda store, batch, *args: batches.append((batch, *args)) or batch.num_rows
    store = Store(folder / "arrow.duckdb")  # only its checkpoint is read
    rows[f"json {kind} bytes -> Arrow"] = read(reader, store)
    store.close()
    store = Store(folder / "stages.duckdb")
    with measured() as figures:
        written = sum(collector.write(store, *batch) for batch in batches)
    rows[f"json {kind} Arrow -> committed"] = {**figures, "stored": stored(store), "written": written}
    mapped = store.cursor().sql("SELECT * FROM tickets").to_arrow_table()
    store.close()
    store = Store(folder / "floor.duckdb")
    with measured() as figures, store.transaction() as cur:
        cur.register("mapped", mapped)
        cur.execute("INSERT INTO tickets SELECT * FROM mapped")
        cur.unregister("mapped")
    rows[f"json {kind} plain insert (floor)"] = {**figures, "stored": stored(store), "written": mapped.num_rows}
    store.close()
    return rows


def scenario(name: str, size: int, folder: str, out: mp.Queue) -> None:
    """One measured run in this (fresh) process; puts its rows (name -> tickets stored, written,
    requests, seconds, peak RSS, megabytes read)."""
    folder = Path(folder)
    clock = SystemClock()
    if name.startswith("json"):
        out.put(json_scenario(name, size, folder, clock))
        return
    store = Store(folder / "bench.duckdb")
    if name.startswith("github"):
        ready, stop = mp.Queue(), mp.Event()
        server = mp.Process(target=serve_github, args=(size, ready, stop), daemon=True)
        server.start()
        url = ready.get(timeout=120)
        os.environ["GITHUB_TOKEN"] = TOKEN
        entry = {"kind": "github", "repo": "acme/booking", "base_url": url}
    else:
        entry = {"kind": "csv", "path": str(folder / "export.csv"), "delimiter": ";",
                 "columns": {"ticket_id": "Ticket ID", "created_at": "Created", "updated_at": "Updated",
                             "status": "State", "priority": "Prio", "category": "Type", "labels": "Tags",
                             "title": "Subject"}}
    config = parse_config({"release": RELEASE, "tickets": [entry]}, base_dir=folder)
    [collector] = ticket_collectors(config, clock)
    if name in ("github incremental", "csv unchanged", "csv one row added"):
        run_collector(store, collector, clock)  # the first run, not measured
        if name == "csv one row added":
            write_csv(folder / "export.csv", size, extra=1)
        if name.startswith("github"):
            _served(ready, stop)
    with measured() as figures:
        record = run_collector(store, collector, clock)
    assert record.ok, record.error
    requests = 0
    if name.startswith("github"):
        requests = _served(ready, stop)
        _served(ready, stop)  # no requests since: the server stops
        server.join(10)
    out.put({name: {**figures, "stored": stored(store), "written": record.rows_written, "requests": requests}})
    store.close()


def _served(ready: mp.Queue, stop: mp.Event) -> int:
    """Requests the GitHub fake answered since the last call."""
    stop.set()
    return ready.get(timeout=60)


def measure(name: str, size: int, repeat: int, fresh: bool = True) -> dict[str, dict]:
    """Medians of each of the scenario's rows over `repeat` runs, each in a fresh process unless
    `fresh` is off (the smoke size, where starting a process costs more than the run and its
    memory figures don't matter)."""
    results = []
    ctx = mp.get_context("spawn")
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as folder:
            if name.startswith("csv"):
                write_csv(Path(folder) / "export.csv", size)
            if not fresh:
                out = queue.Queue()
                scenario(name, size, folder, out)
                results.append(out.get())
                continue
            out = ctx.Queue()
            proc = ctx.Process(target=scenario, args=(name, size, folder, out))
            proc.start()
            results.append(out.get(timeout=900))
            proc.join()
    rows = {}
    for row, first in results[0].items():
        rows[row] = {key: statistics.median(r[row].get(key, 0) for r in results) for key in
                     ("stored", "written", "requests", "seconds", "cpu", "peak_mb", "growth_mb", "mb")}
        rows[row]["rows_per_s"] = rows[row]["written"] / rows[row]["seconds"] if rows[row]["seconds"] else 0
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one run")
    parser.add_argument("--repeat", type=int, default=None, help="runs per scenario (default 3, smoke 1)")
    parser.add_argument("--only", default="", help="run only the scenarios whose name contains this")
    args = parser.parse_args()
    issues, rows, parsed, big = (500, 1_000, 2_000, 0) if args.smoke else (50_000, 100_000, 200_000, 1_000_000)
    repeat = args.repeat or (1 if args.smoke else 3)
    plan = [("json github", parsed), ("json jira", parsed), ("json zendesk", parsed),
            ("github first run", issues), ("github incremental", issues),
            ("csv first read", rows), ("csv unchanged", rows), ("csv one row added", rows)]
    if not args.smoke:  # the same path as the first read, at ten times the size
        plan.append(("csv first read", big))
    plan = [(name, size) for name, size in plan if args.only in name]
    columns = ["scenario", "stored", "written", "requests", "seconds", "CPU s", "rows/s", "MB/s", "peak RSS MiB", "rise MiB"]
    rows = []
    for name, size in plan:
        for row, r in measure(name, size, repeat, fresh=not args.smoke).items():
            rows.append((f"{row}, {size:,}" if row.startswith("csv first") else row, f"{r['stored']:,.0f}", f"{r['written']:,.0f}",
                         f"{r['requests']:,.0f}", f"{r['seconds']:.2f}", f"{r['cpu']:.2f}", f"{r['rows_per_s']:,.0f}",
                         f"{r['mb'] / r['seconds']:,.0f}" if r["mb"] else "", f"{r['peak_mb']:.0f}", f"{r['growth_mb']:.0f}"))
    where = "all in this process (smoke)" if args.smoke else "one fresh process per run"
    print_table(f"Tickets benchmark: medians of {repeat} run(s) each, {where}; GitHub fake in its own process; "
                "CPU s: all threads of the measured process (moves less than the wall time on a shared machine)",
                columns, rows)


if __name__ == "__main__":
    main()
