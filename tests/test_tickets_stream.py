"""Collectors that stream: the batch paths give what the item-by-item reference gives.

API pages read from their bytes as Arrow columns (`github_page`, `jira_page`, `zendesk_page`)
equal the pydantic path item for item, also on seeded random pages with wrong types, missing
fields and bad items (same tickets, same problems named); the SQL mapping equals `Normaliser.row`; a CSV read by DuckDB (`csvstage`)
stores the same tickets and names the same lines as `read_tickets`, on the fixtures of
test_tickets_csv.py and on a seeded random export.
"""

from __future__ import annotations

import json
import random
import threading
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest

from collectors.base import run_collector
from collectors.tickets import csvstage, ticket_collectors
from collectors.tickets.csv import _instant, check_file, read_tickets
from collectors.tickets.github import GitHubCollector, github_items, github_page
from collectors.tickets.jira import JiraCollector, jira_items, jira_page
from collectors.tickets.normalise import TICKET_SCHEMA, Normaliser, RawTicket, raw_table
from collectors.tickets.shapes import GitHubIssue, Items, JiraIssue, JiraPage, ZendeskPage, ZendeskTicket
from collectors.tickets.zendesk import ZendeskCollector, zendesk_items, zendesk_page
from hypercare.config import GitHubSource
from tests.fakes.github import issue
from tests.fakes.jira import jira_issue
from tests.fakes.zendesk import zendesk_ticket
from tests.test_tickets_csv import COLUMNS, EXPORT
from tests.tickets_helpers import config_with, stored

BASE = datetime(2026, 11, 22, 21, 0, tzinfo=timezone.utc)
WORDS = ["bug", "Question", "urgent", "P2", "low", "how-to", "payment", "Sev-9", "", "Blocker", "done", "ß", "ＢＵＧ"]


def github_columns(items: list) -> pa.StructArray | None:
    """Items as the collector reads them from an answer's bytes (None: Arrow can't vouch for them)."""
    return GitHubCollector.page(json.dumps(items).encode(), lambda: items).columns


def jira_columns(items: list) -> pa.StructArray | None:
    body = json.dumps({"issues": items, "isLast": True}).encode()
    return JiraCollector.page(body, lambda: JiraPage(issues=items, isLast=True))[0].columns


def zendesk_columns(items: list) -> pa.StructArray | None:
    body = json.dumps({"tickets": items, "end_of_stream": True}).encode()
    return ZendeskCollector.page(body, lambda: ZendeskPage(tickets=items, end_of_stream=True))[0].columns


def without_pos(table: pa.Table) -> list[dict]:
    return table.drop_columns(["pos"]).to_pylist()


def random_times(rng: random.Random) -> tuple[datetime, datetime]:
    created = BASE + timedelta(seconds=rng.randrange(-10**7, 10**6), microseconds=rng.choice([0, 0, 123000, 5]))
    return created, created + timedelta(seconds=rng.randrange(0, 10**5))


def github_issues(rng: random.Random, n: int) -> list[dict]:
    items = []
    for number in range(1, n + 1):
        created, updated = random_times(rng)
        item = issue(number, created, updated, labels=rng.sample(WORDS, rng.randrange(4)),
                     state=rng.choice(["open", "closed"]), state_reason=rng.choice([None, "completed", "not_planned", ""]),
                     pull_request=rng.random() < 0.2)
        item["title"] = rng.choice([item["title"], None])
        items.append(item)
    return items


def jira_issues(rng: random.Random, n: int) -> list[dict]:
    items = []
    for i in range(1, n + 1):
        created, updated = random_times(rng)
        item = jira_issue(f"HELP-{i}", created, updated, status=rng.choice(["Open", "Done", "Waiting", ""]),
                          category=rng.choice(["new", "done", "indeterminate", "other"]),
                          priority=rng.choice(["High", "Lowest", "Sev-9", None]), issuetype=rng.choice(["Bug", "Task"]),
                          labels=rng.sample(WORDS, rng.randrange(3)), components=rng.sample(["Payments", "Login"], rng.randrange(3)))
        if rng.random() < 0.2:
            item["fields"]["status"] = None
        elif rng.random() < 0.2:
            del item["fields"]["status"]["statusCategory"]
        if rng.random() < 0.2:
            item["fields"]["issuetype"] = None
        items.append(item)
    return items


def zendesk_tickets(rng: random.Random, n: int) -> list[dict]:
    items = []
    for i in range(1, n + 1):
        created, updated = random_times(rng)
        items.append(zendesk_ticket(i, created, updated, status=rng.choice(["new", "open", "hold", "weird"]),
                                    priority=rng.choice(["urgent", "normal", None, ""]), type=rng.choice(["question", None, "task"]),
                                    tags=rng.sample(WORDS, rng.randrange(4))))
    return items


@pytest.mark.parametrize("seed", range(3))
def test_api_pages_as_columns_equal_the_item_by_item_models(seed):
    rng = random.Random(seed)
    base = "https://acme.example"
    items = github_issues(rng, 300)
    fast, latest = github_page(github_columns(items))
    slow, slow_latest = github_items(items, Items(GitHubIssue, "issues", "number"))
    assert without_pos(fast) == without_pos(slow) and latest == slow_latest
    assert fast.num_rows < 300  # pull requests dropped
    items = jira_issues(rng, 300)
    fast, latest = jira_page(jira_columns(items), base)
    slow, slow_latest = jira_items(items, Items(JiraIssue, "issues", "key"), base)
    assert without_pos(fast) == without_pos(slow) and latest == slow_latest
    items = zendesk_tickets(rng, 300)
    fast, slow = zendesk_page(zendesk_columns(items), base), zendesk_items(items, Items(ZendeskTicket, "tickets", "id"), base)
    assert without_pos(fast[0]) == without_pos(slow[0])


@pytest.mark.parametrize("change", [
    lambda i: i.update(number="7"),                       # pydantic reads "7" as 7; Arrow does not
    lambda i: i.update(state=None),                       # required
    lambda i: i.pop("created_at"),                        # required
    lambda i: i.update(updated_at="2026-11-22 21:00"),    # no offset
    lambda i: i.update(updated_at="2026-02-30T10:00:00Z"),  # no such day
    lambda i: i.update(labels=["bug"]),                   # a plain string label: the model takes it
    lambda i: i.update(labels=None),
    lambda i: i.update(title=5),
])
def test_a_page_the_columns_cannot_vouch_for_goes_item_by_item(change):
    items = github_issues(random.Random(9), 5)
    change(items[2])
    page = github_columns(items)
    assert page is None or github_page(page) is None


def test_jira_and_zendesk_pages_with_a_missing_name_or_null_tag_go_item_by_item():
    items = jira_issues(random.Random(4), 3)
    items[1]["fields"]["priority"] = {"id": "3"}
    assert jira_page(jira_columns(items), "https://x") is None
    tickets = zendesk_tickets(random.Random(4), 3)
    tickets[0]["tags"] = ["a", None]
    page = zendesk_columns(tickets)
    assert page is None or zendesk_page(page, "https://x") is None


def test_sql_mapping_equals_the_one_ticket_mapping(store):
    rng = random.Random(5)
    source = GitHubSource(kind="github", name="app", repo="acme/booking", priorities={"P1": ["Sev-9"]},
                          statuses={"solved": ["Waiting"]}, categories={"usage": ["payment"], "technical": ["ß"]})
    n = Normaliser(source)
    tickets = [RawTicket(f"T{i}", BASE, BASE + timedelta(minutes=i), title=rng.choice(["t", None]), url=None,
                         status_raw=rng.choice(WORDS + [None]), status=rng.choice(["open", None]),
                         priority_raw=rng.choice(WORDS + [None, None]), category_raw=rng.choice(WORDS + [None]),
                         labels=tuple(rng.sample(WORDS, rng.randrange(5)))) for i in range(400)]
    tickets.append(RawTicket("T1", BASE, BASE, status_raw="closed"))  # a later row of the same ticket wins
    with store.transaction() as cur:
        cur.register("raw", raw_table(tickets))
        assert n.merge(cur, "raw") == 400
    expected = n.table(tickets[:1] + tickets[2:]).sort_by("ticket_id").to_pylist()
    got = pa.Table.from_pandas(stored(store), schema=TICKET_SCHEMA, preserve_index=False).to_pylist()
    assert got == expected


def reference(src, tz: ZoneInfo, normaliser: Normaliser) -> tuple[list[dict], list[str]]:
    tickets, problems = read_tickets(src, tz)
    last = {t.ticket_id: t for t in tickets}
    return normaliser.table(sorted(last.values(), key=lambda t: t.ticket_id)).to_pylist(), problems


def staged_and_reference(tmp_path, clock, store, text: str, encoding="utf-8", **extra):
    (tmp_path / "export.csv").write_bytes(text.encode(encoding))
    entry = {"kind": "csv", "name": "desk", "path": "export.csv", "delimiter": ";", "columns": COLUMNS,
             "encoding": encoding, **extra}
    [c] = ticket_collectors(config_with(tmp_path, entry), clock)
    tz = ZoneInfo(c.source.timezone or c.release.timezone)
    record = run_collector(store, c, clock)
    got = pa.Table.from_pandas(stored(store), schema=TICKET_SCHEMA, preserve_index=False).to_pylist()
    cur, header = store.cursor(), check_file(c.source)  # which path read it
    used_duckdb = csvstage.stage(cur, c.source, tz, header, header.width, lambda t: (None, "x")) is not None
    csvstage.drop(cur)
    expected, problems = reference(c.source, tz, c.normaliser)
    return record, got, expected, problems, used_duckdb


def test_the_csv_fixture_reads_the_same_through_duckdb(tmp_path, clock, store):
    record, got, expected, problems, used_duckdb = staged_and_reference(tmp_path, clock, store, EXPORT)
    assert used_duckdb and got == expected and len(got) == 6
    assert record.error == f"export.csv: 3 rows skipped, 6 kept; {'; '.join(problems)}"


SHORT = {"ticket_id": "Ticket ID", "created_at": "Created", "title": "Subject"}


@pytest.mark.parametrize("text, encoding, extra", [
    ("Ticket ID;Created;Subject\n1;2026-11-23 08:00;Café\n2;2026-10-25 02:59:59.5;x\n", "cp1252", {"columns": SHORT}),
    ("Ticket ID;Created\nA;23/11/2026 10:00\nB;25/10/2026 02:30\nC;2026-11-23\n", "utf-8",
     {"time_format": "%d/%m/%Y %H:%M", "timezone": "America/New_York",
      "columns": {"ticket_id": "Ticket ID", "created_at": "Created"}}),
])
def test_other_encodings_and_time_formats_read_the_same(tmp_path, clock, store, text, encoding, extra):
    record, got, expected, problems, used_duckdb = staged_and_reference(tmp_path, clock, store, text, encoding, **extra)
    assert used_duckdb and got == expected
    assert (record.error or "").endswith("; ".join(problems))


@pytest.mark.parametrize("text", [
    'Ticket ID;Created;Subject\n1;2026-11-23 08:00;"q"r\n2;2026-11-23;x\n',  # a quote DuckDB won't read
    "Ticket ID;Created;Subject\r\n1;2026-11-23 08:00;x\n2;yesterday;y\r\n",  # mixed line ends
])
def test_a_file_duckdb_reads_differently_goes_to_the_reference(tmp_path, clock, store, text):
    record, got, expected, problems, used_duckdb = staged_and_reference(tmp_path, clock, store, text, columns=SHORT)
    assert not used_duckdb and got == expected and len(got) >= 1
    assert (record.error or "").endswith("; ".join(problems))


def random_export(rng: random.Random, rows: int) -> str:
    """A ';' export with what real ones hold: local times around both DST changes, offsets, bad
    dates, empty ids, padded and quoted fields, wrong widths, blank lines, repeated ids."""
    lines = ["\ufeffTicket ID;Created;Updated;State;Prio;Type;Tags;Subject;Link"]
    days = [datetime(2026, 10, 25), datetime(2026, 3, 29), datetime(2026, 11, 23), datetime(2025, 12, 31)]
    for n in range(rows):
        at = rng.choice(days) + timedelta(minutes=rng.randrange(0, 24 * 60), seconds=rng.choice([0, 0, 30]))
        created = rng.choice([
            f"{at:%Y-%m-%d %H:%M}", f"{at:%Y-%m-%dT%H:%M:%S}", f"{at:%Y-%m-%d}", f"{at:%Y-%m-%dT%H:%M:%S}+02:00",
            f"{at:%Y-%m-%dT%H:%M:%S}Z", f"{at:%Y-%m-%d %H:%M:%S}.25", f" {at:%Y-%m-%d %H:%M}\u00a0", "yesterday",
            "2026-02-30 10:00", "", f"{at:%Y-%m-%dT%H}", f"{at:%Y%m%dT%H%M}", f"{at:%Y-%m-%d %H:%M}+0530",
            "0000-01-01 10:00", "0999-12-31"])
        updated = rng.choice(["", "", f"{at + timedelta(hours=3):%Y-%m-%d %H:%M}", "soon"])
        ident = rng.choice([f"SD-{n}", f"SD-{n}", f"SD-{rng.randrange(rows)}", "", "  "])
        tags = rng.choice(["", "payment, checkout", " bug ,,urgent", '"a,b"'])
        subject = rng.choice(["Pay fails", '"Two\nlines"', '"semi;colon"', "", '"quoted ""x"""'])
        fields = [ident, created, updated, rng.choice(["Open", "Solved", "Escalated", "", " open "]),
                  rng.choice(["urgent", "High", "Sev-9", ""]), rng.choice(["Bug", "Billing", ""]), tags, subject, ""]
        shape = rng.random()
        if shape < 0.03:
            fields = fields[:3]
        elif shape < 0.05:
            fields = fields + ["extra"]
        elif shape < 0.07:
            lines.append("")
        elif shape < 0.08:
            fields = [""] * 9
        lines.append(";".join(fields))
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("seed", range(3))
def test_a_seeded_random_export_reads_the_same_through_duckdb(tmp_path, clock, store, seed):
    record, got, expected, problems, used_duckdb = staged_and_reference(
        tmp_path, clock, store, random_export(random.Random(seed), 600))
    assert used_duckdb and got == expected and problems
    assert record.error.startswith(f"export.csv: {len(problems)} rows skipped")
    assert record.error.endswith("; ".join(problems[:10]) + " …")


def test_a_file_of_many_read_buffers_keeps_its_order(tmp_path, clock, store):
    """DuckDB reads a file larger than its 4 MB read buffer on several threads: the rows still
    come in file order, so the last row of a repeated ticket wins and problems keep their lines."""
    filler = "x" * 60
    lines = ["Ticket ID;Created;Subject", "dup;2026-11-23 08:00;first"]
    lines += [f"T-{n};2026-11-23 08:{n % 60:02d};{filler}" for n in range(150_000)]  # ~10 MB
    lines += ["T-bad;yesterday;late problem", "dup;2026-11-23 09:00;last"]
    (tmp_path / "export.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    [c] = ticket_collectors(config_with(tmp_path, {"kind": "csv", "name": "desk", "path": "export.csv", "delimiter": ";",
                                                   "columns": SHORT}), clock)
    record = run_collector(store, c, clock)
    assert record.rows_written == 150_001
    assert record.error.endswith(f"line {len(lines) - 1}: Created 'yesterday' is not a date and time; "
                                 "expected ISO 8601 such as 2026-11-23 14:05 (or set time_format)")
    assert store.cursor().execute("SELECT title FROM tickets WHERE ticket_id = 'dup'").fetchall() == [("last",)]


def test_two_threads_stage_their_files_at_once_and_drop_leaves_nothing(tmp_path, clock, store):
    """The read's Python functions are seen by every cursor: each thread's cursor registers its
    own, so two CSV sources staged at the same moment both take DuckDB's path with their own
    times, and `drop` removes what each registered."""
    sources, got = [], {}
    for name, zone in [("brussels", "Europe/Brussels"), ("chicago", "America/Chicago")]:
        rows = "".join(f"{name}-{n};2026-11-01 01:{n:02d};Subject {n}\n" for n in range(40))
        (tmp_path / f"{name}.csv").write_text(f"Ticket ID;Created;Subject\n{rows}", encoding="utf-8")
        [c] = ticket_collectors(config_with(tmp_path, {"kind": "csv", "name": name, "path": f"{name}.csv", "delimiter": ";",
                                                       "columns": SHORT, "timezone": zone}), clock)
        sources.append((c.source, ZoneInfo(zone)))
    together = threading.Barrier(2)

    def stage(src, tz):
        cur, header = store.cursor(), check_file(src)
        together.wait()
        try:
            staged = csvstage.stage(cur, src, tz, header, header.width, lambda text: _instant(text, tz, None))
            got[src.name] = staged and cur.execute(f"SELECT ticket_id, created_at FROM {csvstage.RAW} ORDER BY pos").fetchall()
        finally:
            csvstage.drop(cur)

    threads = [threading.Thread(target=stage, args=source) for source in sources]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for src, tz in sources:
        # Chicago's 1 November is a DST change (its times go through Python), Brussels' is not.
        expected = [(f"{src.name}-{n}", datetime(2026, 11, 1, 1, n, tzinfo=tz).astimezone(timezone.utc)) for n in range(40)]
        assert got[src.name] == expected
    assert store.cursor().execute("SELECT count(*) FROM duckdb_functions() WHERE function_name LIKE '\\_csv\\_%' ESCAPE '\\'").fetchall() == [(0,)]


def test_sql_mapping_of_a_batch_nothing_maps(store):
    n = Normaliser(GitHubSource(kind="github", name="app", repo="acme/booking"))
    tickets = [RawTicket("1", BASE, BASE, status_raw="Weird", priority_raw="Sev 9", category_raw="Billing", labels=("x",)),
               RawTicket("2", BASE, BASE)]
    with store.transaction() as cur:
        cur.register("raw", raw_table(tickets))
        assert n.merge(cur, "raw") == 2
    got = pa.Table.from_pandas(stored(store), schema=TICKET_SCHEMA, preserve_index=False).to_pylist()
    assert got == n.table(tickets).to_pylist()


GONE = object()  # a field removed
ODD_VALUES = [None, 7, "7", 7.0, 7.5, True, "", "x", "ß é", [], {}, ["a"], ["a", None], [{"name": "a"}], [{"id": 1}],
              [None], {"name": "n"}, {"name": 5}, {"key": "done"}, 2**70, "2026-11-22T21:00:00Z",
              "2026-11-22T22:00:00.5+0100", "2026-02-30T10:00:00Z", "2026-11-22 21:00", GONE]
ODD_FIELDS = {
    "github": ["number", "state", "state_reason", "title", "html_url", "created_at", "updated_at", "labels",
               "pull_request", "id"],
    "jira": ["key", "fields", "fields.created", "fields.updated", "fields.summary", "fields.status", "fields.status.name",
             "fields.status.statusCategory", "fields.status.statusCategory.key", "fields.priority", "fields.priority.name",
             "fields.issuetype", "fields.issuetype.name", "fields.labels", "fields.components", "fields.description"],
    "zendesk": ["id", "created_at", "updated_at", "subject", "status", "priority", "type", "tags", "url"],
}


def odd_page(kind: str, rng: random.Random) -> list:
    """A page of valid items with a few fields set to something else, and now and then an item
    that is no object at all."""
    items = {"github": github_issues, "jira": jira_issues, "zendesk": zendesk_tickets}[kind](rng, 8)
    for _ in range(rng.randrange(4)):
        n = rng.randrange(len(items))
        if rng.random() < 0.1:
            items[n] = rng.choice([None, 5, "x", []])
            continue
        *parents, last = rng.choice(ODD_FIELDS[kind]).split(".")
        target = items[n]
        for name in parents:
            target = target.get(name) if isinstance(target, dict) else None
        if isinstance(target, dict):
            value = rng.choice(ODD_VALUES)
            if value is GONE:
                target.pop(last, None)
            else:
                target[last] = value
    return items


@pytest.mark.parametrize("seed", range(12))
def test_pages_read_from_bytes_equal_the_parsed_item_by_item_path(tmp_path, clock, seed):
    """Each collector's page path (bytes -> Arrow columns, checked per batch, else parsed item by
    item) gives the tickets and names the problems the item-by-item models give on the parsed pages."""
    rng = random.Random(seed)
    config = config_with(tmp_path, {"kind": "github", "repo": "acme/booking"},
                         {"kind": "jira", "base_url": "https://x.example", "jql": "project = HELP"},
                         {"kind": "zendesk", "base_url": "https://x.example"})
    github, jira, zendesk = ticket_collectors(config, clock)
    for kind, collector, model, what, label in [("github", github, GitHubIssue, "issues", "number"),
                                                ("jira", jira, JiraIssue, "issues", "key"),
                                                ("zendesk", zendesk, ZendeskTicket, "tickets", "id")]:
        pages = [odd_page(kind, rng) if rng.random() < 0.5 else odd_page(kind, random.Random(0)) for _ in range(4)]
        shapes, reference = Items(model, what, label), Items(model, what, label)
        read = []
        for items in pages:
            if kind == "github":
                read.append(collector.page(json.dumps(items).encode(), lambda items=items: items))
            else:
                body = json.dumps({what: items, "isLast": True, "end_of_stream": True}).encode()
                wrapper = JiraPage if kind == "jira" else ZendeskPage
                read.append(collector.page(body, lambda body=body, wrapper=wrapper: wrapper.model_validate(json.loads(body)))[0])
        fast, latest = collector.converter(shapes)(read)
        slow = [{"github": lambda p: github_items(p, reference),
                 "jira": lambda p: jira_items(p, reference, jira.source.base_url),
                 "zendesk": lambda p: zendesk_items(p, reference, zendesk.source.url)}[kind](page) for page in pages]
        assert without_pos(fast) == without_pos(pa.concat_tables([table for table, _ in slow]))
        assert max(latest, default=None) == max((t for _, t in slow if t is not None), default=None)
        assert shapes.problems == reference.problems


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_pretty_printed_answer_reads_as_the_compact_one(newline):
    """Raw line breaks between tokens (an API that indents its answers) read as the compact body;
    one inside a string, which json.loads refuses, is refused too and the page is parsed."""
    items = github_issues(random.Random(6), 20)
    pretty = json.dumps(items, indent=2).replace("\n", newline).encode()
    assert GitHubCollector.page(pretty, lambda: items).columns == github_columns(items)
    body = json.dumps({"issues": jira_issues(random.Random(6), 5), "isLast": True}, indent=1).encode()
    assert JiraCollector.page(body, lambda: pytest.fail("parsed"))[0].columns is not None
    broken = json.dumps(items).replace('"state": "', '"state": "\n', 1).encode()
    with pytest.raises(json.JSONDecodeError):
        json.loads(broken)
    assert GitHubCollector.page(broken, lambda: items).columns is None
