"""Sentry items of the triage inbox from known rows: new, regressed and spiking issues."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from collectors.sentry.mapping import issues_table
from hypercare.config import parse_config
from hypercare.store.writes import merge_rows
from hypercare.triage.inbox import items

H = timedelta(hours=1)
GO = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
NOW = datetime(2026, 11, 24, 11, 30, tzinfo=timezone.utc)
LAST = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)  # the last complete hour
STATS = NOW.replace(minute=0) - 23 * H  # stats cover the 24 hours up to the current one


def config(**triage):
    return parse_config({"release": {"name": "r", "go_live_at": GO.isoformat(), "window_hours": 72,
                                     "baseline_hours": 48}, "triage": triage}, Path("."))


def issue(issue_id, first, last, hourly=None, users=10, **kw):
    row = {"issue_id": issue_id, "project": "web", "short_id": f"WEB-{issue_id}", "title": f"Error {issue_id}",
           "culprit": "app", "level": "error", "status": "unresolved", "substatus": "ongoing",
           "first_seen": first, "last_seen": last, "event_count": 100, "user_count": users,
           "first_release": None, "permalink": f"https://sentry.example/issues/{issue_id}/", "collected_at": NOW,
           "stats_start": STATS if hourly else None, "hourly_events": hourly}
    row.update(kw)
    return row


def write(store, rows):
    with store.transaction() as cur:
        merge_rows(cur, "sentry_issues", issues_table(rows), ["issue_id"])


def hours(before: int, last_hour: int, hour_before: int | None = None) -> list[int]:
    """24 hourly counts: `before` in each hour up to the hour before the last, then the last
    complete hour, then the current partial hour (index 23)."""
    counts = [before] * 24
    if hour_before is not None:
        counts[21] = hour_before
    counts[22] = last_hour
    counts[23] = 1
    return counts


def by_key(found):
    return {i.key: i for i in found}


def test_each_kind_of_sentry_item(store):
    old = GO - 40 * 24 * H
    write(store, [
        issue("new", GO + 2 * H, NOW, hours(0, 7, 3)),
        issue("new-resolved", GO + 2 * H, NOW, status="resolved"),
        issue("regressed", old, NOW, hours(1, 2), substatus="regressed"),
        issue("regressed-before-go-live", old, GO - H, substatus="regressed"),
        issue("spike", old, NOW, hours(4, 40)),  # 40 > 3 × 4
        issue("steady", old, NOW, hours(4, 12)),  # 12 = 3 × 4: not above
        issue("small", old, NOW, hours(1, 9)),  # 9 > 3 × 1 but under 10 events
        issue("ignored-spike", old, NOW, hours(4, 40), status="ignored"),
        issue("quiet", old, GO - H),
    ])
    found = by_key(items(store.cursor(), config(), NOW))
    assert set(found) == {"sentry:new", "sentry:regressed", "sentry:spike"}
    assert [found[k].kind for k in ("sentry:new", "sentry:regressed", "sentry:spike")] == ["new issue", "regression", "spike"]
    new = found["sentry:new"]
    assert (new.figures["events last hour"], new.figures["events hour before"]) == (7, 3)
    assert new.source == "sentry" and new.ref == "new" and new.link == "https://sentry.example/issues/new/"
    assert new.first_seen == GO + 2 * H and new.last_seen == NOW
    spike = found["sentry:spike"]
    assert spike.figures["hourly mean before"] == 4 and spike.figures["hours in the mean"] == 22


def test_spike_factor_and_minimum_come_from_the_config(store):
    old = GO - 40 * 24 * H
    write(store, [issue("steady", old, NOW, hours(4, 12)), issue("small", old, NOW, hours(1, 9))])
    found = by_key(items(store.cursor(), config(spike_factor=2, spike_min_events=5), NOW))
    assert set(found) == {"sentry:steady", "sentry:small"}


def test_stale_stats_never_make_a_spike(store):
    """Stats collected two hours ago don't cover the last complete hour: unknown, no spike."""
    old = GO - 40 * 24 * H
    write(store, [issue("stale", old, NOW, hours(4, 40), stats_start=STATS - 2 * H)])
    assert items(store.cursor(), config(), NOW) == []


def test_an_issue_last_seen_before_the_hour_had_no_events_in_it(store):
    write(store, [issue("gone-quiet", GO + H, NOW - 5 * H)])
    (item,) = items(store.cursor(), config(), NOW)
    assert (item.figures["events last hour"], item.figures["events hour before"]) == (0, 0)


def test_users_not_reported_score_nothing_and_say_so(store):
    write(store, [issue("glitchtip", GO + H, NOW, users=None)])
    (item,) = items(store.cursor(), config(), NOW)
    users = item.score.part("users")
    assert users.value is None and users.points == 0 and "doesn't report users" in users.explanation


def test_titles_stay_raw(store):
    title = "<script>alert(1)</script> **bold** [x](javascript:y)"
    write(store, [issue("html", GO + H, NOW, title=title)])
    (item,) = items(store.cursor(), config(), NOW)
    assert item.title == title
