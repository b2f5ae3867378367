"""The stakeholder report: every figure equals the page's query, stale means unknown, outside text
stays text in both formats, the Markdown fits a chat message, the HTML is self-contained."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from hypercare.config import parse_config
from hypercare.demo import DEMO_NOW, demo_window
from hypercare.incidents.escalation import EscalationPolicy, in_hypercare
from hypercare.outside_text import as_text
from hypercare.report import text
from hypercare.report.build import build_report
from hypercare.report.html import to_html
from hypercare.report.markdown import to_markdown
from hypercare.store.queries import incidents, overview, tickets
from hypercare.store.writes import append_rows
from hypercare.verdict import evaluate
from hypercare.verdict import status as verdict_words
from hypercare.window import Window
from tests.triage_helpers import SET_ASIDE_ISSUES

GO_LIVE = datetime(2026, 11, 22, 21, 0, tzinfo=timezone.utc)
EXTERNAL_SOURCE = re.compile(r"<(?:script|img|iframe|source|video|audio)\b[^>]*\bsrc\s*=\s*[\"']?\s*(?:https?:)?//"
                             r"|<link\b[^>]*\bhref\s*=\s*[\"']?\s*(?:https?:)?//|@import|url\(\s*[\"']?(?:https?:)?//",
                             re.IGNORECASE)


@pytest.fixture(scope="module")
def demo_report(demo):
    config, store = demo
    return build_report(store.cursor(), config, demo_window(config), DEMO_NOW)


def test_key_figures_equal_the_overview_queries(demo, demo_report):
    config, store = demo
    cur, window = store.cursor(), demo_window(config)
    tiles = {k.key: k for k in overview.kpis(cur, window, DEMO_NOW, tuple(config.sources()),
                                             config.health.availability_target)}
    figures = {f.key: f for f in demo_report.figures}
    assert set(figures) == set(tiles)
    for key, kpi in tiles.items():
        assert figures[key].value == kpi.value and figures[key].baseline == kpi.baseline, key
        assert figures[key].period == kpi.period and figures[key].target == kpi.target, key
    # independently: error events in the last complete hour, and the biggest new issue's users
    hour_end = DEMO_NOW.replace(minute=0)
    events = cur.execute("SELECT sum(events) FROM error_counts WHERE bucket_start >= ? AND bucket_start < ?",
                         [hour_end - timedelta(hours=1), hour_end]).fetchall()[0][0]
    assert figures["errors_per_hour"].value == events
    users = cur.execute("SELECT max(user_count) FROM sentry_issues WHERE first_seen >= ? AND first_seen < ? "
                        f"AND issue_id NOT IN ({SET_ASIDE_ISSUES})", [window.go_live_at, DEMO_NOW]).fetchall()[0][0]
    # the demo sets one new issue aside in the triage inbox
    assert figures["new_issues"].extra == ("1 set aside in the triage inbox, not counted; "
                                           f"the most users any one of them hit: {users:,}")
    assert figures["availability"].target == config.health.availability_target


def test_incidents_and_support_equal_their_queries(demo, demo_report):
    config, store = demo
    cur, window = store.cursor(), demo_window(config)
    open_now = incidents.open_incidents(cur, DEMO_NOW, in_hypercare(window, DEMO_NOW))
    assert [o.incident_id for o in demo_report.incidents.open] == list(open_now["incident_id"])
    times = incidents.response_times(cur, window.go_live_at, DEMO_NOW)
    assert (demo_report.incidents.mtta_minutes, demo_report.incidents.mttr_minutes) == (times.mtta_minutes, times.mttr_minutes)
    breaches = cur.execute("SELECT count(*) FROM incident_events WHERE kind = 'sla_breach' AND occurred_at < ?",
                           [DEMO_NOW]).fetchall()[0][0]
    assert demo_report.incidents.sla_breaches == breaches > 0
    mix = tickets.ticket_mix(cur, window.elapsed(DEMO_NOW))
    counted = cur.execute("SELECT count(*), count(*) FILTER (WHERE category = 'usage') FROM tickets "
                          "WHERE created_at >= ? AND created_at < ?", [window.go_live_at, DEMO_NOW]).fetchall()[0]
    assert (demo_report.support.since_go_live.total, demo_report.support.since_go_live.usage) == counted
    assert demo_report.support.since_go_live.total == mix.total
    decisions = overview.decisions(cur, window.span)
    assert [d.summary for d in demo_report.decisions] == list(decisions["summary"])


def test_both_formats_show_every_figure_as_queried(demo_report):
    html, markdown = to_html(demo_report), to_markdown(demo_report)
    for figure in demo_report.figures:
        shown = text.figure_value(figure)
        assert shown in markdown and shown in html.replace("&#x27;", "'")
    errors = next(f for f in demo_report.figures if f.key == "errors_per_hour")
    assert f"| {errors.label}, {errors.period} | {errors.value:,.0f} errors |" in markdown
    mix = demo_report.support.since_go_live
    assert f"{mix.usage} of {mix.total} tickets since go-live were usage questions" in markdown
    assert "Tue 24 Nov 12:00 (Europe/Brussels)" in markdown  # the configured zone, with the weekday
    for section in ("headline", "figures", "incidents", "support", "decisions", "next-steps"):
        assert f'<section id="{section}">' in html
    assert f"Status: {demo_report.status.headline}</strong>" in html


def test_status_reasons_and_exit_progress_are_the_verdicts(demo, demo_report):
    config, store = demo
    window = demo_window(config)
    evaluation = evaluate(store.cursor(), config, window, DEMO_NOW)
    status = demo_report.status
    assert status.value == evaluation.status == "amber"
    top = verdict_words.reasons(evaluation)
    assert status.reasons == tuple(verdict_words.sentence(r, window.tz) for r in top[:3])
    assert status.exit_progress == tuple(verdict_words.exit_words(p) for p in evaluation.exit) != ()
    # exit could be ready once the criterion furthest from its hold_hours has held the rest
    waits = [p.hold_hours - p.held_hours for p in evaluation.exit]
    assert status.exit_ready_at == DEMO_NOW.replace(minute=0) + timedelta(hours=max(waits))
    markdown = to_markdown(demo_report)
    assert "**Status:** AMBER — Warning criteria met" in markdown
    assert f"- {as_text(status.exit_progress[0])}" in markdown
    assert f"Exit could be ready at {text.when(status.exit_ready_at, 'Europe/Brussels')} at the earliest" in markdown


def test_exit_progress_and_the_earliest_exit(store, tmp_path):
    config = _config(tmp_path, exit=[
        {"name": "No open incident", "metric": "open_incidents", "op": "<=", "threshold": 0, "hold_hours": 6},
        {"name": "Quiet <hour>", "metric": "open_incidents", "op": "<=", "threshold": 0, "hold_hours": 2}])
    now = GO_LIVE + timedelta(hours=3, minutes=30)
    report = build_report(store.cursor(), config, Window(GO_LIVE, 72, 24, "Europe/Brussels"), now)
    # held at T+3, T+2, T+1 and T+0 (the hour before go-live can't count): 4 of 6, so 2 more hours
    assert report.status.exit_progress == ("No open incident: held for 4 h of 6 h", "Quiet <hour>: held for 2 h of 2 h — ready")
    assert report.status.exit_ready_at == GO_LIVE + timedelta(hours=5) and not report.status.ready_to_exit
    markdown, html = to_markdown(report), to_html(report)
    assert "- Quiet \\<hour\\>\\: held for 2 h of 2 h — ready" in markdown
    assert "Quiet &lt;hour&gt;: held for 2 h of 2 h — ready" in html
    assert "Exit could be ready at Mon 23 Nov 03:00 at the earliest; the window ends Wed 25 Nov 22:00." in markdown


def test_markdown_fits_a_chat_message_on_the_demo(demo_report):
    markdown = to_markdown(demo_report)
    assert len(markdown) < 3500, len(markdown)
    for heading in ("## Key figures", "## Incidents", "## Support demand", "## Decisions", "## Next steps"):
        assert heading in markdown


def test_html_is_self_contained_with_plotly_inlined_once(demo_report):
    html = to_html(demo_report)
    assert not EXTERNAL_SOURCE.search(html)
    assert len(re.findall(r"\* plotly\.js v\d", html)) == 1  # the bundle's banner: inlined once
    assert html.count("Plotly.newPlot(") == len(demo_report.charts) == 4
    assert "@media print" in html and "size: A4" in html


def _store_with(store, config, rows: dict) -> None:
    with store.transaction() as cur:
        for table, data in rows.items():
            append_rows(cur, table, data)


def _config(tmp_path: Path, **extra):
    data = {"release": {"name": "Shop <2.0>", "go_live_at": GO_LIVE.isoformat(), "timezone": "Europe/Brussels",
                        "window_hours": 72, "baseline_hours": 24},
            "sentry": {"org": "acme", "projects": ["web"], "interval_seconds": 300}}
    data.update(extra)
    return parse_config(data, tmp_path)


def test_a_stale_source_is_unknown_never_a_number(store, tmp_path):
    import pyarrow as pa

    config = _config(tmp_path)
    now = GO_LIVE + timedelta(hours=10)
    last_ok = GO_LIVE + timedelta(hours=8, minutes=10)  # 09:10 in Brussels; stale after 15 min
    ts = pa.timestamp("us", tz="UTC")
    _store_with(store, config, {
        "collector_runs": pa.table({"run_id": ["r1"], "collector": ["sentry"], "started_at": pa.array([last_ok], ts),
                                    "finished_at": pa.array([last_ok], ts), "ok": [True], "rows_written": [5],
                                    "error": pa.nulls(1, pa.string())}),
        "error_counts": pa.table({"project": ["web"], "bucket_start": pa.array([now - timedelta(hours=1)], ts),
                                  "bucket_seconds": pa.array([3600], pa.int32()), "events": [777]}),
    })
    report = build_report(store.cursor(), config, Window(GO_LIVE, 72, 24, "Europe/Brussels"), now)
    errors = next(f for f in report.figures if f.key == "errors_per_hour")
    assert errors.value is None
    expected = "unknown (Sentry not collected since Mon 23 Nov 06:10)"
    assert expected in to_markdown(report) and expected in to_html(report)
    assert "777" not in to_markdown(report)
    tickets_line = "Tickets: unknown (Tickets not configured)"
    assert tickets_line in to_markdown(report)


INJECTION = '<script>alert(1)</script> **bold** [click](https://evil.example/x) ![i](https://evil.example/i.png) | cell'


def test_outside_text_is_text_in_both_formats(store, tmp_path):
    import pyarrow as pa

    config = _config(tmp_path)
    now = GO_LIVE + timedelta(hours=5)
    ts = pa.timestamp("us", tz="UTC")
    _store_with(store, config, {
        "incidents": pa.table({"incident_id": ["INC-1"], "title": [INJECTION], "severity": ["SEV2"], "status": ["open"],
                               "level": pa.array([1], pa.int32()), "owner": ["<b>Eve</b>"],
                               "opened_at": pa.array([now - timedelta(minutes=35)], ts),
                               "policy": [EscalationPolicy.from_config(config.escalation).to_json()]}),
        "decisions": pa.table({"decision_id": ["d1"], "decided_at": pa.array([now - timedelta(hours=1)], ts),
                               "kind": ["note"], "summary": [INJECTION], "reason": ["<img src=x onerror=alert(2)>"],
                               "actor": ["Mallory"]}),
    })
    report = build_report(store.cursor(), config, Window(GO_LIVE, 72, 24, "Europe/Brussels"), now)
    html, markdown = to_html(report), to_markdown(report)
    assert "<script>alert(1)" not in html and "<img src=x" not in html and "<b>Eve" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; **bold** [click](https://evil.example/x)" in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html and "Shop &lt;2.0&gt;" in html
    assert not EXTERNAL_SOURCE.search(html)
    assert as_text(INJECTION) in markdown and as_text("<img src=x onerror=alert(2)>") in markdown
    assert "](https://evil" not in markdown and "<script>" not in markdown
    assert "35 min old" in markdown  # durations in words


def test_numbers_and_durations_read_as_people_say_them():
    assert [text.number(1, "tickets"), text.number(3, "tickets"), text.number(1, "events"), text.number(24.0, "events")] \
        == ["1 ticket", "3 tickets", "1 error", "24 errors"]
    assert (text.number(98.675, "%"), text.number(1234.4, "ms")) == ("98.67 %", "1,234 ms")
    assert (text.duration(35), text.duration(18 * 60)) == ("35 min", "18 h")
    assert text.when(GO_LIVE, "Europe/Brussels") == "Sun 22 Nov 22:00"


def test_the_availability_chart_equals_counts_of_known_rows(store, tmp_path):
    import pyarrow as pa

    from hypercare.store.writes import rebuild_health_rollup

    config = _config(tmp_path, checks=[{"name": "api", "url": "http://127.0.0.1/"}, {"name": "web", "url": "http://127.0.0.1/"}])
    window = Window(GO_LIVE, 72, 24, "Europe/Brussels")
    now = GO_LIVE + timedelta(hours=3)
    ts = pa.timestamp("us", tz="UTC")
    rows = []  # every 10 min per check, baseline day before and window; 'web' fails at :20 in window hour 1
    for day_back in (1, 0):
        for minute in range(0, 180, 10):
            at = GO_LIVE - timedelta(days=day_back) + timedelta(minutes=minute)
            rows += [("api", at, not (day_back and minute == 0)), ("web", at, not (not day_back and minute in (80, 90)))]
    planned = (GO_LIVE + timedelta(hours=2), GO_LIVE + timedelta(hours=2, minutes=30))  # its results don't count
    with store.transaction() as cur:
        append_rows(cur, "health_checks", pa.table({"check_name": [r[0] for r in rows], "checked_at": pa.array([r[1] for r in rows], ts),
                                                    "ok": [r[2] for r in rows]}))
        rebuild_health_rollup(cur, window.baseline_start, now + timedelta(hours=1))
        append_rows(cur, "planned_periods", pa.table({"period_id": ["p"], "starts_at": pa.array([planned[0]], ts),
                                                      "ends_at": pa.array([planned[1]], ts), "scope": ["all"], "reason": ["x"]}))
    chart = next(c for c in build_report(store.cursor(), config, window, now).charts if c.key == "availability")

    def percent(start):
        counted = [ok for _, at, ok in rows if start <= at < start + timedelta(hours=1) and not planned[0] <= at < planned[1]]
        return 100.0 * sum(counted) / len(counted)

    hours = [GO_LIVE + timedelta(hours=h) for h in range(3)]
    assert list(chart.hours) == hours
    assert list(chart.values) == [percent(h) for h in hours] == [100.0, 100 * 10 / 12, 100.0]
    assert list(chart.baseline_mean) == [percent(h - timedelta(days=1)) for h in hours] == [100 * 11 / 12, 100.0, 100.0]


def test_hourly_check_charts_equal_the_health_queries_hour_by_hour(demo, demo_report):
    from hypercare.store.queries import health

    config, store = demo
    cur, window = store.cursor(), demo_window(config)
    charts = {c.key: c for c in demo_report.charts}
    assert list(charts) == ["errors_per_hour", "availability", "latency_p95", "tickets_per_hour"]
    for chart, measure in ((charts["latency_p95"], lambda h: health.latency_percentile(cur, h, h + timedelta(hours=1), 0.95)),
                           (charts["availability"], lambda h: 100.0 * (lambda c: c[0] / c[1])(health.availability(cur, h, h + timedelta(hours=1))))):
        assert len(chart.hours) == 38
        for hour, value, baseline in zip(chart.hours, chart.values, chart.baseline_mean):
            assert value == pytest.approx(measure(hour)), (chart.key, hour)
            assert baseline == pytest.approx(measure(hour - timedelta(days=7))), (chart.key, hour)
