"""Ticket queries against an independent computation in Python over the same known rows."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pandas as pd
import pyarrow as pa
import pytest

from collectors.tickets.normalise import TICKET_SCHEMA
from hypercare.store import Store
from hypercare.store.queries import tickets as q
from hypercare.store.writes import merge_rows
from hypercare.window import Period, Window

UTC = timezone.utc
GO_LIVE = datetime(2026, 11, 22, 21, 0, tzinfo=UTC)
NOW = GO_LIVE + timedelta(hours=30, minutes=20)
LABELS = ["bug", "login", "payment", "how-to", "feedback"]


def ticket(n: int, created: datetime, priority=None, category=None, labels=(), **extra) -> dict:
    return {"source": extra.pop("source", "desk"), "ticket_id": str(n), "created_at": created, "updated_at": created,
            "status": "open", "priority": priority, "category": category, "labels": list(labels),
            "title": f"T{n}", "url": f"https://desk/{n}", "status_raw": "Open", "priority_raw": None,
            "category_raw": None, "unmapped": [], **extra}


def put(store, rows) -> None:
    with store.transaction() as cur:
        merge_rows(cur, "tickets", pa.Table.from_pylist(rows, schema=TICKET_SCHEMA), ["source", "ticket_id"])


def random_tickets(window: Window, count: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    span = (window.end - window.baseline_start).total_seconds()
    return [
        ticket(n, window.baseline_start + timedelta(seconds=rng.uniform(-3600, span + 3600)),
               priority=rng.choice(["P1", "P2", "P3", "P4", None]),
               category=rng.choice(["technical", "usage", "other", None]),
               labels=rng.sample(LABELS, rng.randint(0, 2)))
        for n in range(count)
    ]


def expected_hourly(rows, window: Window, now: datetime, by: str, step_days: int) -> dict:
    """Independently: for each begun window hour, count by group, and the baseline as the mean over
    copies shifted back whole days/weeks on the local wall clock that lie wholly in the baseline."""
    tz = ZoneInfo(window.timezone)
    default = "unset" if by == "priority" else "other"
    out = {}
    start = window.go_live_at
    while start < min(now, window.end):
        end = min(start + timedelta(hours=1), now, window.end)
        copies, k = [], 1
        while True:
            s = (start.astimezone(tz).replace(tzinfo=None) - timedelta(days=k * step_days)).replace(tzinfo=tz).astimezone(UTC)
            e = (end.astimezone(tz).replace(tzinfo=None) - timedelta(days=k * step_days)).replace(tzinfo=tz).astimezone(UTC)
            if s < window.baseline_start:
                break
            if e <= window.go_live_at:
                copies.append((s, e))
            k += 1
        for group in q.GROUPS[by]:
            in_group = [r for r in rows if (r[by] or default) == group]
            count = sum(start <= r["created_at"] < end for r in in_group)
            base = [sum(s <= r["created_at"] < e for r in in_group) for s, e in copies]
            out[(start, group)] = (count, sum(base) / len(base) if base else math.nan)
        start += timedelta(hours=1)
    return out


@pytest.mark.parametrize("baseline_hours, step_days", [(168, 7), (336, 7), (48, 1)])
@pytest.mark.parametrize("by", ["priority", "category"])
def test_hourly_counts_and_baseline_match_an_independent_count(store, by, baseline_hours, step_days):
    window = Window(GO_LIVE, 72, baseline_hours, "Europe/Brussels")
    rows = random_tickets(window, 3000)
    put(store, rows)
    got = q.hourly_tickets(store.cursor(), window, NOW, by)
    want = expected_hourly(rows, window, NOW, by, step_days)
    assert len(got) == len(want) == 31 * len(q.GROUPS[by])  # 30 whole hours and the begun 31st
    for r in got.itertuples():
        count, base = want[(r.hour.to_pydatetime(), r.group)]
        assert r.tickets == count
        assert r.baseline == pytest.approx(base)
    assert got.tickets.sum() == q.tickets_created(store.cursor(), GO_LIVE, NOW)


def test_tickets_stored_in_creation_order_count_as_shuffled_ones(store, tmp_path):
    """Collectors store tickets mostly in created_at order (what _counts_in's stable sort takes in
    one pass); shuffled ones take its other branch: the same counts either way."""
    window = Window(GO_LIVE, 72, 168, "Europe/Brussels")
    rows = random_tickets(window, 3000, seed=5)
    put(store, sorted(rows, key=lambda r: r["created_at"]))
    shuffled = Store(tmp_path / "shuffled.duckdb")
    put(shuffled, random.Random(5).sample(rows, len(rows)))
    for by in q.GROUPS:
        got = q.hourly_tickets(store.cursor(), window, NOW, by)
        pd.testing.assert_frame_equal(got, q.hourly_tickets(shuffled.cursor(), window, NOW, by))
        want = expected_hourly(rows, window, NOW, by, 7)
        assert [r.tickets for r in got.itertuples()] == [want[(r.hour.to_pydatetime(), r.group)][0] for r in got.itertuples()]
    shuffled.close()


def test_baseline_keeps_the_local_hour_across_a_dst_change(store):
    # Go-live the day after Brussels left summer time: a week back, the same local hour (09:00) was
    # 07:00 UTC, not 08:00. The ticket at 07:10 UTC is the baseline; the one at 08:10 UTC is not.
    go_live = datetime(2026, 10, 26, 8, 0, tzinfo=UTC)  # 09:00 CET
    window = Window(go_live, 72, 170, "Europe/Brussels")
    put(store, [ticket(1, datetime(2026, 10, 19, 7, 10, tzinfo=UTC)), ticket(2, datetime(2026, 10, 19, 8, 10, tzinfo=UTC)),
                ticket(3, go_live + timedelta(minutes=5))])
    got = q.hourly_tickets(store.cursor(), window, go_live + timedelta(minutes=30), "priority")
    first = got[got.group == "unset"].iloc[0]
    assert (first.tickets, first.baseline) == (1, 1)
    # 168 h back in UTC is not a whole local week here: the copy starts before the baseline, so none.
    short = Window(go_live, 72, 168, "Europe/Brussels")
    assert q.hourly_tickets(store.cursor(), short, go_live + timedelta(minutes=30), "priority").baseline.isna().all()


def test_no_baseline_is_nan_never_zero_and_empty_store_works(store):
    window = Window(GO_LIVE, 72, 0, "Europe/Brussels")
    got = q.hourly_tickets(store.cursor(), window, NOW, "category")
    assert len(got) == 31 * 3 and got.tickets.sum() == 0 and got.baseline.isna().all()
    before = q.hourly_tickets(store.cursor(), window, GO_LIVE - timedelta(hours=2), "category")
    assert before.empty and list(before.columns) == ["hour", "group", "tickets", "baseline"]


def test_tickets_created_is_half_open(store):
    put(store, [ticket(1, GO_LIVE), ticket(2, GO_LIVE + timedelta(hours=1)), ticket(3, GO_LIVE - timedelta(microseconds=1))])
    assert q.tickets_created(store.cursor(), GO_LIVE, GO_LIVE + timedelta(hours=1)) == 1
    assert q.tickets_created(store.cursor(), GO_LIVE - timedelta(hours=1), GO_LIVE + timedelta(hours=2)) == 3


def test_since_go_live_kpi_against_the_baseline(store):
    window = Window(GO_LIVE, 72, 168, "Europe/Brussels")
    rows = random_tickets(window, 2000, seed=3)
    put(store, rows)
    kpi = q.since_go_live(store.cursor(), window, NOW)
    assert kpi.value == sum(GO_LIVE <= r["created_at"] < NOW for r in rows)
    week = timedelta(days=7)  # no DST change between these weeks in Brussels
    assert kpi.baseline == sum(GO_LIVE - week <= r["created_at"] < NOW - week for r in rows)


def test_mix_labels_urgent_and_unmapped_match_python(store):
    window = Window(GO_LIVE, 72, 168, "Europe/Brussels")
    rows = random_tickets(window, 1500, seed=11)
    rows.append(ticket(9999, GO_LIVE + timedelta(hours=1), priority=None, category="other", status_raw="Escalated",
                       priority_raw="Sev 9", unmapped=["status", "priority"], source="jira"))
    put(store, rows)
    period = Period(GO_LIVE, NOW)
    inside = [r for r in rows if GO_LIVE <= r["created_at"] < NOW]
    mix = q.ticket_mix(store.cursor(), period)
    assert (mix.technical, mix.usage, mix.total) == (
        sum(r["category"] == "technical" for r in inside), sum(r["category"] == "usage" for r in inside), len(inside))
    labels = q.top_labels(store.cursor(), period, limit=3)
    counts = {label: sum(label in r["labels"] for r in inside) for label in LABELS}
    assert list(labels.itertuples(index=False, name=None)) == sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    urgent = q.urgent_tickets(store.cursor(), period, limit=5)
    want = sorted((r for r in inside if r["priority"] in ("P1", "P2")), key=lambda r: r["created_at"], reverse=True)[:5]
    assert list(urgent.ticket_id) == [r["ticket_id"] for r in want]
    assert list(urgent.columns) == ["created_at", "priority", "status", "title", "source", "ticket_id", "url"]
    unmapped = q.unmapped_values(store.cursor(), period)
    assert unmapped.to_dict("records") == [
        {"source": "jira", "field": "priority", "value": "Sev 9", "tickets": 1},
        {"source": "jira", "field": "status", "value": "Escalated", "tickets": 1},
    ]


@pytest.mark.parametrize("mix, text", [
    (q.TicketMix(0, 12, 0), "12 tickets, all usage questions."),
    (q.TicketMix(3, 0, 0), "3 tickets, all technical problems."),
    (q.TicketMix(0, 1, 0), "1 ticket: a usage question."),
    (q.TicketMix(0, 0, 0), "No tickets in this period."),
    (q.TicketMix(3, 9, 0), "12 tickets: 9 usage (75%), 3 technical (25%)."),
    (q.TicketMix(2, 5, 3), "10 tickets: 5 usage (50%), 2 technical (20%), 3 other (30%)."),
])
def test_mix_summary_says_it_in_words(mix, text):
    assert mix.summary == text


def test_hourly_counts_on_the_edges_of_hours_and_their_baseline_copies(store):
    """Tickets exactly at an hour's start, a microsecond before it and at `now`: each in one hour only."""
    window = Window(GO_LIVE + timedelta(minutes=30), 72, 168, "Australia/Lord_Howe")  # a zone of half-hour DST
    edges = [window.go_live_at + timedelta(hours=h) + d for h in range(-170, 32, 7)
             for d in (timedelta(0), -timedelta(microseconds=1))] + [NOW]
    rows = [ticket(n, t, priority=["P1", "P2", None][n % 3]) for n, t in enumerate(edges)]
    put(store, rows)
    got = q.hourly_tickets(store.cursor(), window, NOW, "priority")
    want = expected_hourly(rows, window, NOW, "priority", 7)
    assert len(got) == len(want)
    for r in got.itertuples():
        count, base = want[(r.hour.to_pydatetime(), r.group)]
        assert r.tickets == count and r.baseline == pytest.approx(base, nan_ok=True)
    assert got.tickets.sum() == sum(window.go_live_at <= t < NOW for t in edges) > 0
