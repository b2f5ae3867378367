"""A set-aside item is left out of the new-issue and ticket counts everywhere — Overview tiles,
verdict rules, the stakeholder report, the Errors and Tickets figures — and each says how many
were left out, so no two places disagree. Figures are checked against counts of known rows."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from hypercare.auth.identity import Identity
from hypercare.report import markdown
from hypercare.report.build import build_report
from hypercare.store.queries import errors, overview, tickets
from hypercare.store.queries import triage as q
from hypercare.store.queries.freshness import source_freshness
from hypercare.triage import actions as triage
from hypercare.triage.model import Item, Score
from hypercare.verdict import evaluate
from hypercare.verdict.status import sentence
from hypercare.window import Window
from tests import verdict_helpers as h

NOW = h.GO_LIVE + timedelta(hours=10, minutes=30)
LAST_HOUR = (h.GO_LIVE + timedelta(hours=9), h.GO_LIVE + timedelta(hours=10))
ANA = Identity("Ana", None, "responder")
USERS = [10, 50, 3, 0, 7]  # issues 0-4, first seen since go-live
ISSUES = [{"first_seen": h.GO_LIVE + timedelta(hours=k + 1), "user_count": u} for k, u in enumerate(USERS)] + \
         [{"first_seen": h.GO_LIVE - timedelta(hours=3), "user_count": 1}]  # issue 5: before go-live
# tickets T-0..T-5 in the last full hour (T-0, T-1 are P1; T-2 technical), T-6 earlier in the window
TICKETS = [{"created_at": LAST_HOUR[0] + timedelta(minutes=5 * k), "priority": "P1" if k < 2 else "P3",
            "category": "technical" if k == 2 else "usage"} for k in range(6)] + \
          [{"created_at": h.GO_LIVE + timedelta(hours=2)}]
RULES = [
    {"name": "any new issue", "metric": "new_issues", "op": ">=", "threshold": 1, "over": "window", "level": "warning"},
    {"name": "widespread issue", "metric": "new_issue_users", "op": ">", "threshold": 20, "over": "window",
     "level": "critical"},
    {"name": "P1 ticket", "metric": "p1_tickets", "op": ">=", "threshold": 1, "over": "1h", "level": "critical"},
    {"name": "ticket flood", "metric": "tickets_per_hour", "op": ">", "threshold": 100, "over": "1h", "level": "warning"},
]


def inbox_item(key: str, source: str, ref: str) -> Item:
    return Item(key, source, "new", f"item {ref}", ref, NOW, NOW, {}, None, Score((), 30.0, 30.0), "SEV3")


@pytest.fixture
def known(store, tmp_path):
    """The known rows, sources fresh; sentry:1 (the 50-user issue) and ticket desk:T-0 (a P1) set aside."""
    config = h.make_config(tmp_path, rules=RULES)
    h.issues(store, ISSUES)
    h.tickets(store, TICKETS)
    h.runs(store, NOW)
    triage.set_aside(store, inbox_item("sentry:1", "sentry", "1"), "known", "fixed in 2.0.1", identity=ANA,
                     now=NOW - timedelta(minutes=20))
    triage.set_aside(store, inbox_item("tickets:desk:T-0", "tickets", "desk:T-0"), "known", "duplicate of T-1",
                     identity=ANA, now=NOW - timedelta(minutes=10))
    return config, store


def window() -> Window:
    return Window(h.GO_LIVE, 72, 168, "Europe/Brussels")


def expected(rows, where) -> int:
    return sum(1 for r in rows if where(r))


def test_the_one_query_says_what_is_set_aside_and_since_when(known):
    _, store = known
    cur = store.cursor()
    assert q.set_aside(cur, NOW).members == {"sentry:1", "tickets:desk:T-0"}
    assert q.set_aside(cur, NOW - timedelta(minutes=15)).members == {"sentry:1"}
    assert q.set_aside(cur, NOW - timedelta(hours=1)) == q.NOTHING


def test_overview_tiles_leave_set_aside_items_out_and_say_so(known):
    config, store = known
    cur = store.cursor()
    tiles = {k.key: k for k in overview.kpis(cur, window(), NOW, tuple(config.sources()))}
    in_window = lambda r: h.GO_LIVE <= r["first_seen"] < NOW  # noqa: E731
    assert tiles["new_issues"].value == expected(ISSUES, in_window) - 1 == 4
    assert tiles["new_issues"].set_aside == 1
    in_hour = lambda r: LAST_HOUR[0] <= r["created_at"] < LAST_HOUR[1]  # noqa: E731
    assert tiles["tickets_per_hour"].value == expected(TICKETS, in_hour) - 1 == 5
    assert tiles["tickets_per_hour"].set_aside == 1
    assert tiles["errors_per_hour"].set_aside is None  # not a count the inbox sets anything aside from
    # the Tickets page's tile, mix and the Errors page's tiles agree
    since = tickets.since_go_live(cur, window(), NOW)
    assert (since.value, since.set_aside) == (expected(TICKETS, lambda r: r["created_at"] >= h.GO_LIVE) - 1, 1)
    mix = tickets.ticket_mix(cur, window().elapsed(NOW), q.set_aside(cur, NOW))
    assert (mix.total, mix.technical, mix.set_aside) == (6, 1, 1)
    assert mix.summary.endswith(" · 1 set aside.")
    summary = errors.summary(cur, window(), NOW)
    assert (summary.new_issues, summary.set_aside, summary.new_issue_users_max) == (4, 1, 10)


def test_rules_leave_set_aside_items_out_and_their_sentences_say_so(known):
    config, store = known
    evaluation = evaluate(store.cursor(), config, window(), NOW)
    results = {r.name: r for r in evaluation.rules}
    assert (results["any new issue"].value, results["any new issue"].set_aside) == (4, 1)
    # the 50-user issue is set aside: the largest new issue left hit 10 users, so not met
    assert (results["widespread issue"].value, results["widespread issue"].result) == (10, "not met")
    assert (results["P1 ticket"].value, results["P1 ticket"].set_aside) == (1, 1)
    assert results["ticket flood"].value == pytest.approx(5.0)
    tz = window().tz
    assert "New Sentry issues 4 · 1 set aside over the window so far" in sentence(results["any new issue"], tz)
    assert "P1 tickets 1 · 1 set aside over the last hour" in sentence(results["P1 ticket"], tz)


def test_the_report_says_the_same(known):
    config, store = known
    report = build_report(store.cursor(), config, window(), NOW)
    figures = {f.key: f for f in report.figures}
    assert figures["new_issues"].value == 4
    assert figures["new_issues"].extra == ("1 set aside in the triage inbox, not counted; "
                                           "the most users any one of them hit: 10")
    assert (figures["tickets_per_hour"].value, figures["tickets_per_hour"].extra) == \
        (5, "1 set aside in the triage inbox, not counted")
    assert (report.support.since_go_live.total, report.support.since_go_live.set_aside) == (6, 1)
    text = markdown.to_markdown(report)
    assert "· 1 set aside" in text and "P1 tickets 1 · 1 set aside" in text


def test_what_the_report_reads_once_is_what_each_part_reads_itself(known):
    """build_report reads the sources' freshness and what is set aside once and hands them to the
    tiles and the verdict: the same figures as when each reads its own."""
    config, store = known
    cur, sources = store.cursor(), tuple(config.sources())
    fresh, aside = source_freshness(cur, NOW, sources), q.set_aside(cur, NOW)
    assert aside.members  # something is set aside, so passing it on is tested
    assert overview.kpis(cur, window(), NOW, sources, 99.5, fresh=fresh, aside=aside) == \
        overview.kpis(cur, window(), NOW, sources, 99.5)
    assert evaluate(cur, config, window(), NOW, aside=aside) == evaluate(cur, config, window(), NOW)


def test_an_item_back_from_set_aside_counts_again(known):
    config, store = known
    assert triage.settle_returns(store, [inbox_item("sentry:1", "sentry", "1")], NOW) == []  # no worse: stays aside
    assert q.set_aside(store.cursor(), NOW).keys == {"sentry:1", "tickets:desk:T-0"}
    triage.bring_back(store, "sentry:1", identity=ANA, now=NOW)
    tiles = {k.key: k for k in overview.kpis(store.cursor(), window(), NOW, tuple(config.sources()))}
    assert (tiles["new_issues"].value, tiles["new_issues"].set_aside) == (5, 0)
