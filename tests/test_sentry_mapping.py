"""Pure mapping of Sentry's JSON: Link headers, issues, stats_v2, sessions, go-live."""

from datetime import datetime, timedelta, timezone

import pytest

from collectors.sentry.mapping import (
    choose_interval,
    error_count_rows,
    interval_param,
    issue_row,
    next_cursor,
    parse_link,
    pick_go_live,
    session_rows,
)
from collectors.sentry.shapes import (
    Deploy,
    IssueItem,
    Release,
    StatsAnswer,
    answer,
    items,
)
from hypercare.errors import CollectorError

NOW = datetime(2026, 11, 24, 11, 0, tzinfo=timezone.utc)
URL = "https://sentry.io/api/0/organizations/acme/issues/?query=&limit=100"


def sentry_link(next_results: str, cursor: str = "1700000000000:0:0") -> str:
    return (f'<{URL}&cursor=1700000000000:0:1>; rel="previous"; results="false"; cursor="1700000000000:0:1", '
            f'<{URL}&cursor={cursor}>; rel="next"; results="{next_results}"; cursor="{cursor}"')


def test_link_as_sentry_sends_it():
    links = parse_link(sentry_link("true"))
    assert links["previous"].results is False
    assert links["next"].results is True and links["next"].cursor == "1700000000000:0:0"


def test_next_cursor_follows_results_not_page_length():
    assert next_cursor(sentry_link("true"), page_had_rows=False) == "1700000000000:0:0"
    assert next_cursor(sentry_link("false"), page_had_rows=True) is None  # Sentry always sends rel="next"


def test_link_formatted_differently():
    wrapped = (f'\n  < {URL}&cursor=a:0:1 >;rel=previous ;  results="false";cursor="a:0:1";,'
               f'\n  < {URL}&cursor=b:100:0 >;rel=next ;  results="true";cursor="b:100:0";')
    assert next_cursor(wrapped, True) == "b:100:0"
    no_attr = f'<{URL}&cursor=c:0:0>; rel="next"; results="true"'
    assert next_cursor(no_attr, True) == "c:0:0"  # taken from the URL
    plain = f'<{URL}&cursor=d:0:0>; rel="next"'  # no results attribute: an empty page ends it
    assert next_cursor(plain, True) == "d:0:0" and next_cursor(plain, False) is None
    assert next_cursor(None, True) is None


def raw_issue(**kw):
    issue = {
        "id": "4507310101", "shortId": "WEB-1A", "title": "TypeError: x is undefined", "culprit": "src/app.ts",
        "level": "error", "status": "resolved", "substatus": None, "firstSeen": "2026-11-23T10:35:12.123456Z",
        "lastSeen": "2026-11-24T09:00:00Z", "count": "4120", "userCount": 137,
        "permalink": "https://acme.sentry.io/issues/4507310101/", "firstRelease": {"version": "web@2.0.0"},
        "project": {"id": "42", "slug": "web", "name": "Web"},
        "stats": {"24h": [[1764061200, 0], [1764064800, 3]]},
    }
    issue.update(kw)
    return issue


def issue(**kw):
    return IssueItem.model_validate(raw_issue(**kw))


def test_issue_row_turns_the_string_count_into_a_number():
    row = issue_row(issue(), NOW)
    assert row["event_count"] == 4120 and row["user_count"] == 137
    assert row["project"] == "web" and row["first_release"] == "web@2.0.0"
    assert row["first_seen"] == datetime(2026, 11, 23, 10, 35, 12, 123456, tzinfo=timezone.utc)
    assert row["hourly_events"] == [0, 3]
    assert row["stats_start"] == datetime.fromtimestamp(1764061200, timezone.utc)


def test_issue_row_tolerates_missing_optional_fields():
    row = issue_row(issue(firstRelease=None, stats=None, substatus="regressed"), NOW)
    assert row["first_release"] is None and row["hourly_events"] is None and row["substatus"] == "regressed"


def test_a_server_that_does_not_count_users_stores_unknown_not_zero():
    assert issue_row(issue(userCount=0), NOW, counts_users=False)["user_count"] is None
    assert issue_row(issue(userCount=0), NOW)["user_count"] == 0  # on Sentry a 0 is a real 0


@pytest.mark.parametrize("change, named", [
    ({"id": None}, "`id`"), ({"count": "many"}, "`count` = 'many'"), ({"project": None}, "`project`"),
    ({"title": ""}, "`title` = ''"), ({"lastSeen": "yesterday"}, "`lastSeen` = 'yesterday'"),
    ({"firstSeen": None}, "`firstSeen`"),
])
def test_a_malformed_issue_is_skipped_with_the_field_named(change, named):
    good, bad = items(IssueItem, [raw_issue(), raw_issue(**change), "not an object"], "issue")
    assert len(good) == 1 and len(bad) == 2
    assert named in bad[0] and "a str where an object was expected" in bad[1]
    raw = raw_issue()
    del raw["lastSeen"]
    assert items(IssueItem, [raw], "issue")[1] == ["issue 4507310101: no `lastSeen`"]


def test_interval_divides_a_day_and_keeps_at_most_1000_buckets():
    assert choose_interval(timedelta(hours=240)) == 3600
    assert choose_interval(timedelta(days=41)) == 3600  # 984 buckets + 1
    assert choose_interval(timedelta(days=42)) == 7200
    assert choose_interval(timedelta(days=400)) == 43200
    assert choose_interval(timedelta(days=45), (3600, 86400)) == 86400  # GlitchTip: 1h or 1d only
    assert (interval_param(86400), interval_param(7200)) == ("1d", "2h")  # GlitchTip knows no "24h"


def test_error_counts_align_by_index_and_skip_nulls_in_any_group_order():
    payload = {
        "intervals": ["2026-11-24T08:00:00Z", "2026-11-24T09:00:00Z", "2026-11-24T10:00:00Z"],
        "groups": [
            {"by": {"outcome": "accepted"}, "series": {"sum(quantity)": [None, 5, None]}},
            {"by": {"outcome": "accepted", "reason": "x"}, "series": {"sum(quantity)": [None, 1, 2]}},
        ],
    }
    rows = error_count_rows(StatsAnswer.model_validate(payload), "web", 3600)
    assert [(r["bucket_start"].hour, r["events"]) for r in rows] == [(9, 6), (10, 2)]
    with pytest.raises(CollectorError, match="totals only"):
        error_count_rows(StatsAnswer.model_validate(
            {"intervals": ["2026-11-24T08:00:00Z"], "groups": [{"by": {"project": 1}, "totals": {}}]}), "web", 3600)


def test_glitchtip_error_counts_have_no_by_and_null_is_an_hour_without_events():
    payload = {"intervals": ["2026-11-24T08:00:00Z", "2026-11-24T09:00:00Z"],
               "groups": [{"series": {"sum(quantity)": [None, 4]}}]}
    rows = error_count_rows(StatsAnswer.model_validate(payload), "web", 3600, null_is_zero=True)
    assert [r["events"] for r in rows] == [0, 4]


@pytest.mark.parametrize("payload, named", [
    ([], "a list where an object was expected"),
    ({}, "no `intervals`"),
    ({"intervals": [], "series": {}}, "no `groups`"),
    ({"intervals": ["not a date"], "groups": []}, "`intervals.0` = 'not a date'"),
    ({"intervals": ["2026-11-24T08:00:00"], "groups": []}, "`intervals.0`"),  # no zone: not an instant
    ({"intervals": [], "groups": [{"series": {"sum(quantity)": ["x"]}}]}, "`groups.0.series.sum(quantity).0`"),
])
def test_a_malformed_stats_answer_names_the_endpoint_and_the_field(payload, named):
    with pytest.raises(CollectorError) as caught:
        answer(StatsAnswer, payload, "the error counts of project 'web'", "stats_v2")
    assert "the error counts of project 'web' (stats_v2)" in caught.value.message and named in caught.value.message
    assert "checkpoint did not move" in caught.value.message


def test_sessions_sum_the_disjoint_statuses_and_no_sessions_is_no_row():
    payload = {
        "intervals": ["2026-11-24T08:00:00Z", "2026-11-24T09:00:00Z"],
        "groups": [
            {"by": {"project": 42, "session.status": "crashed"}, "series": {"sum(session)": [2, 0]}},
            {"by": {"project": 42, "session.status": "healthy"}, "series": {"sum(session)": [90, 0]}},
            {"by": {"project": 42, "session.status": "abnormal"}, "series": {"sum(session)": [1, 0]}},
            {"by": {"project": 42, "session.status": "errored"}, "series": {"sum(session)": [7, None]}},
        ],
    }
    rows = session_rows(StatsAnswer.model_validate(payload), {"42": "web"})
    assert rows == [{"project": "web", "bucket_start": datetime(2026, 11, 24, 8, tzinfo=timezone.utc),
                     "sessions": 100, "crashed": 2, "errored": 7, "abnormal": 1}]
    assert session_rows(StatsAnswer(intervals=[], groups=[]), {}) == []


def test_go_live_prefers_the_deploy_to_the_environment():
    deploys = [Deploy.model_validate(d) for d in (
        {"environment": "staging", "dateFinished": "2026-11-20T10:00:00Z"},
        {"environment": "production", "dateFinished": None},
        {"environment": "production", "dateFinished": "2026-11-22T21:05:00Z"})]
    release = Release.model_validate({"dateReleased": "2026-11-22T20:00:00Z", "dateCreated": "2026-11-19T08:00:00Z"})
    at, source = pick_go_live(deploys, release, "production")
    assert at == datetime(2026, 11, 22, 21, 5, tzinfo=timezone.utc) and "deploy" in source
    at, source = pick_go_live(deploys[:1], Release.model_validate(
        {"dateReleased": None, "firstEvent": None, "dateCreated": "2026-11-19T08:00:00Z"}), "production")
    assert at.day == 19 and source == "release dateCreated"
    assert pick_go_live([], Release(), "production") == (None, "none")
