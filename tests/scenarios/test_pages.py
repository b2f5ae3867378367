"""Every page on every edge case, against figures recomputed here from the raw rows.

Each scenario (tests/scenarios/builders.py) is rendered with AppTest on the Overview, Errors,
Health, Tickets and Incidents pages. The expected values are computed in this file with plain
SQL and Python from the README's definitions (stale = no successful run for 3 intervals; the
same hours of the baseline = the same local wall-clock hour a week before), never with the
project's queries; the pages must agree with that and with each other, and no text on them may
read "None", "NaN" or a raw ISO timestamp.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from hypercare import runtime
from hypercare.clock import FixedClock
from hypercare.window import Period
from tests.scenarios.builders import SCENARIOS, Scenario
from tests.triage_helpers import SET_ASIDE_ISSUES

VIEWS = Path(__file__).resolve().parents[2] / "dashboard" / "views"
H = timedelta(hours=1)
BAD_TEXT = re.compile(r"\bNone\b|\bNaN\b|\bnan\b|\bNaT\b|\d{4}-\d\d-\d\dT\d\d:\d\d|\+00:00")


@pytest.fixture(params=list(SCENARIOS), scope="module")
def scenario(request, tmp_path_factory):
    built = SCENARIOS[request.param](tmp_path_factory.mktemp(request.param.replace(" ", "-").replace(",", "")))
    yield built
    built.store.close()


@pytest.fixture(scope="module")
def pages(scenario):
    """Every page of the scenario, rendered once: {name: AppTest}."""
    runtime.set_context(runtime.AppContext(scenario.config, scenario.store, FixedClock(scenario.now)))
    rendered = {}
    for name in ("overview", "errors", "health", "tickets", "incidents"):
        at = AppTest.from_file(str(VIEWS / f"{name}.py"), default_timeout=60).run()
        assert not at.exception, (name, at.exception)
        rendered[name] = at
    yield rendered
    runtime.set_context(None)


# --- the independent computation -----------------------------------------------------------------

def rows(s: Scenario, sql: str, params=()):
    return s.store.cursor().execute(sql, list(params)).fetchall()


def usable(s: Scenario, prefix: str) -> bool:
    """Every source of that kind has a successful run no older than 3 intervals (none: unusable)."""
    found = [(name, every) for name, every in s.config.sources() if name.startswith(prefix)]
    for name, every in found:
        (last,) = rows(s, "SELECT max(finished_at) FROM collector_runs WHERE collector = ? AND ok AND finished_at <= ?",
                       [name, s.now + timedelta(minutes=1)])[0]
        if last is None or s.now - last > timedelta(seconds=3 * every):
            return False
    return bool(found)


def started(s: Scenario) -> bool:
    return s.now >= s.window.go_live_at


def last_full_hour(s: Scenario) -> tuple[datetime, datetime]:
    end = min(s.now, s.window.end).replace(minute=0, second=0, microsecond=0)
    return end - H, end


def copies_a_week_before(s: Scenario, start: datetime) -> list[tuple[datetime, datetime]]:
    """Every baseline UTC hour whose local wall-clock reading is the reading of `start` a week
    (or, for a short baseline, k days) earlier: found by scanning the baseline's hours."""
    tz, w = s.window.tz, s.window
    step = timedelta(days=7) if w.baseline_hours >= 168 else timedelta(days=1)
    wall = start.astimezone(tz).replace(tzinfo=None, fold=0)
    targets = {wall - k * step for k in range(1, 60)}
    found, h = [], w.baseline_start
    while h + H <= w.go_live_at:
        if h.astimezone(tz).replace(tzinfo=None, fold=0) in targets:
            found.append((h, h + H))
        h += H
    return found


def availability(s: Scenario, start: datetime, end: datetime) -> float | None:
    (ok, total), = rows(s, """
        SELECT count(*) FILTER (WHERE ok), count(*) FROM health_checks h WHERE checked_at >= ? AND checked_at < ?
        AND NOT EXISTS (SELECT 1 FROM planned_periods p WHERE p.scope IN ('checks', 'all')
                        AND (p.check_names IS NULL OR list_contains(p.check_names, h.check_name))
                        AND h.checked_at >= p.starts_at AND h.checked_at < p.ends_at)""", [start, end])
    return None if not total else 100 * ok / total


def errors_in(s: Scenario, start: datetime, end: datetime) -> int | None:
    (n, total), = rows(s, "SELECT count(*), sum(events) FROM error_counts WHERE bucket_start >= ? AND bucket_start < ?",
                       [start, end])
    return None if n == 0 else int(total)


def tickets_in(s: Scenario, start: datetime, end: datetime) -> int:
    return rows(s, "SELECT count(*) FROM tickets WHERE created_at >= ? AND created_at < ?", [start, end])[0][0]


# --- reading the pages -----------------------------------------------------------------------------

def metric(at: AppTest, label: str):
    found = [m for m in at.metric if m.label == label]
    assert found, (label, [m.label for m in at.metric])
    return found[0]


def all_text(at: AppTest) -> list[str]:
    texts = []
    for kind in ("title", "subheader", "caption", "info", "warning", "error", "success", "text", "markdown"):
        texts += [str(e.value) for e in getattr(at, kind)]
    for m in at.metric:
        texts += [m.label, str(m.value), str(m.delta or "")]
    for frame in at.dataframe:
        df = frame.value
        texts += [str(c) for c in df.columns]
        texts += [str(v) for v in df.astype(str).to_numpy().ravel()]
    return texts


# --- the checks ------------------------------------------------------------------------------------

@pytest.mark.parametrize("page", ["overview", "errors", "health", "tickets", "incidents"])
def test_no_none_nan_or_raw_timestamps_on_any_page(pages, page):
    bad = [t for t in all_text(pages[page]) if BAD_TEXT.search(t)]
    assert not bad, bad[:5]


def test_errors_per_hour_and_its_same_hour_last_week(scenario, pages):
    tile = metric(pages["overview"], "Sentry errors / h")
    if not usable(scenario, "sentry"):
        assert tile.value == "unknown"
        return
    start, end = last_full_hour(scenario)
    value = errors_in(scenario, start, end)
    assert tile.value == ("unknown" if value is None else f"{value:,}")
    copies = [errors_in(scenario, a, b) for a, b in copies_a_week_before(scenario, start)]
    copies = [c for c in copies if c is not None]
    if value is None:
        return
    if not copies:
        assert tile.delta == "no baseline"
    else:
        baseline = sum(copies) / len(copies)
        shown = f"{baseline:,.0f}" if float(baseline).is_integer() or baseline >= 100 else f"{baseline:,.1f}"
        if value == baseline:
            assert tile.delta == f"same as {shown}"
        else:
            assert tile.delta.split(" vs ")[1].startswith(shown)
        if baseline == 0:
            assert "×" not in tile.delta  # no ratio over a zero baseline
    words = f"last full hour {scenario.window.span_label(Period(start, end))}"
    assert any(c.value.startswith(words) for c in pages["overview"].caption), words


def test_window_figures_agree_across_pages_and_with_the_rows(scenario, pages):
    overview, errors, health, tickets = (pages[p] for p in ("overview", "errors", "health", "tickets"))
    since = (scenario.window.go_live_at, min(scenario.now, scenario.window.end))
    # new Sentry issues: the Overview and the Errors page say the same; issues set aside in the
    # triage inbox are left out of both
    new = rows(scenario, "SELECT count(*) FROM sentry_issues WHERE first_seen >= ? AND first_seen < ? "
                         f"AND issue_id NOT IN ({SET_ASIDE_ISSUES})", since)[0][0]
    expected = ("not started" if not started(scenario) else f"{new:,}" if usable(scenario, "sentry") else "unknown")
    if scenario.config.sentry is not None:
        assert metric(overview, "New Sentry issues").value == expected
        assert metric(errors, "New issues since go-live").value == expected
    # availability: the Overview and the Health page show the same figure and the same target delta
    share = availability(scenario, *since)
    expected = ("not started" if not started(scenario) else "unknown" if not usable(scenario, "checks") or share is None
                else f"{share:.2f} %")
    assert metric(overview, "Availability").value == metric(health, "Availability").value == expected
    assert metric(overview, "Availability").delta == metric(health, "Availability").delta
    if expected.endswith("%"):
        target = scenario.config.health.availability_target
        assert metric(health, "Availability").delta == f"{share - target:+.2f} pts vs the {target:g} % target"
    # tickets since go-live
    created = tickets_in(scenario, *since)
    expected = ("not started" if not started(scenario) else f"{created:,}" if usable(scenario, "tickets:") else "unknown")
    assert metric(tickets, "Tickets since go-live").value == expected


def test_a_source_that_cannot_be_trusted_shows_nothing_green(scenario, pages):
    if usable(scenario, "checks"):
        return
    health = pages["health"]
    assert metric(health, "Availability").value in ("unknown", "not started")
    if health.dataframe and "state" in health.dataframe[0].value.columns and "check" in health.dataframe[0].value.columns:
        assert set(health.dataframe[0].value["state"]) == {"unknown"}
    assert metric(health, "Checks down now").value == "unknown"


def test_ticket_shares_and_the_p1_p2_count(scenario, pages):
    at = pages["tickets"]
    if not usable(scenario, "tickets:"):
        assert metric(at, "Usage questions").value == "unknown"
        return
    period = ((scenario.window.baseline_start, scenario.window.go_live_at) if not started(scenario)
              else (scenario.window.go_live_at, min(scenario.now, scenario.window.end)))
    usage, total = rows(scenario, "SELECT count(*) FILTER (WHERE category = 'usage'), count(*) FROM tickets "
                                  "WHERE created_at >= ? AND created_at < ?", period)[0]
    assert metric(at, "Usage questions").value == ("none" if not total else f"{usage / total:.0%}")
    if not started(scenario):  # the shares are the baseline week's, and the page says so
        assert any("the baseline week" in c.value for c in at.caption)
    urgent = rows(scenario, "SELECT count(*) FROM tickets WHERE created_at >= ? AND created_at < ? "
                            "AND priority IN ('P1', 'P2')", period)[0][0]
    if urgent:
        assert any(re.search(rf"the newest {min(urgent, 20)} of {urgent} P1/P2", c.value) for c in at.caption)


def test_crash_free_sessions(scenario, pages):
    if scenario.config.sentry is None:
        return
    tile = metric(pages["errors"], "Crash-free sessions")
    ever = rows(scenario, "SELECT coalesce(sum(sessions), 0) FROM session_health")[0][0]
    if not started(scenario) or not usable(scenario, "sentry"):
        assert tile.value in ("not started", "unknown")
    elif ever == 0:
        assert tile.value == "not offered"
    else:
        sessions, crashed = rows(scenario, "SELECT sum(sessions), sum(crashed) FROM session_health "
                                           "WHERE bucket_start >= ? AND bucket_start < ?",
                                 [scenario.window.go_live_at, min(scenario.now, scenario.window.end)])[0]
        assert tile.value == ("unknown" if not sessions else f"{100 * (1 - crashed / sessions):.2f} %")


def test_incident_tiles_agree_with_the_incidents_table(scenario, pages):
    unresolved = rows(scenario, "SELECT count(*) FROM incidents WHERE status <> 'resolved'")[0][0]
    assert metric(pages["overview"], "Unresolved incidents").value == str(unresolved)
    incidents = pages["incidents"]
    assert sum(int(metric(incidents, f"Unresolved SEV{k}").value) for k in range(1, 5)) == unresolved
    counts = incidents.dataframe[-1].value
    assert int(counts["total"].sum() - counts["resolved"].sum()) == unresolved
    if scenario.name == "overdue incident":
        table = incidents.dataframe[0].value
        row = table[table["title"] == "Trainer app cannot sync schedules"].iloc[0]
        assert row["resolution"] == "4 h overdue"  # SEV2: 240 min to resolve inside the window, opened 8 h ago
        assert row["acknowledgement"].endswith("overdue")


def test_planned_periods_are_left_out_and_drawn_apart(scenario):
    from dashboard.figures.overview import timeline_figure
    from hypercare.store.queries import overview

    s = scenario
    failed_planned = rows(s, """
        SELECT count(*) FROM health_checks h WHERE NOT ok AND checked_at >= ? AND checked_at < ?
        AND EXISTS (SELECT 1 FROM planned_periods p WHERE p.scope IN ('checks', 'all')
                    AND (p.check_names IS NULL OR list_contains(p.check_names, h.check_name))
                    AND h.checked_at >= p.starts_at AND h.checked_at < p.ends_at)""", [s.window.baseline_start, s.window.end])[0][0]
    failed_all = rows(s, "SELECT count(*) FROM health_checks WHERE NOT ok AND checked_at >= ? AND checked_at < ?",
                      [s.window.baseline_start, s.window.end])[0][0]
    series = overview.timeline(s.store.cursor(), s.window.span)
    by = series.groupby("series")["value"].sum()
    assert by.get("planned failed checks", 0) == failed_planned
    assert by.get("failed checks", 0) + by.get("planned failed checks", 0) == failed_all
    fig = timeline_figure(series, overview.decisions(s.store.cursor(), s.window.span),
                          overview.planned_periods(s.store.cursor(), s.window.span), s.window)
    planned_bars = [t for t in fig.data if t.name == "planned (cutover, maintenance)"]
    assert planned_bars and planned_bars[0].marker.pattern.shape == "/"
    periods = overview.planned_periods(s.store.cursor(), s.window.span)
    markers = [t for t in fig.data if t.name == "planned period"]
    assert (len(markers[0].x) if markers else 0) == len(periods)  # a fixed-size marker per period: visible at any zoom


def metric_of_overview_is_no_baseline(scenario) -> bool:
    from hypercare.store.queries import overview

    tile = overview.errors_per_hour(scenario.store.cursor(), scenario.window, scenario.now)
    return tile.value is not None and tile.baseline is None and tile.baseline_state.state == "no baseline"


def test_every_hour_is_its_own_bar_on_the_charts(scenario):
    """Both 02:00 hours of a fall-back are two bars: x values are distinct UTC instants."""
    from dashboard.figures.errors import errors_per_hour_figure
    from hypercare.store.queries import errors

    per_hour = errors.errors_per_hour(scenario.store.cursor(), scenario.window, scenario.now)
    if per_hour.empty:
        return
    bars = next(t for t in errors_per_hour_figure(per_hour, scenario.window).data if t.type == "bar")
    assert len(set(bars.x)) == len(per_hour)
    labels = list(bars.customdata)
    if scenario.name.startswith("DST fall-back"):
        assert "Sun 25 Oct 02:00 CEST" in labels and (scenario.now.hour < 2 or "Sun 25 Oct 02:00 CET" in labels)
        # and each has the one 02:00 hour of the week before as its baseline
        for hour, row in per_hour.set_index("hour").iterrows():
            copies = copies_a_week_before(scenario, hour.to_pydatetime())
            expected = [errors_in(scenario, a, b) for a, b in copies]
            if expected:
                assert row["baseline_mean"] == pytest.approx(sum(expected) / len(expected))
            else:
                assert math.isnan(row["baseline_mean"])
    if scenario.name == "DST spring-forward":
        start, _ = last_full_hour(scenario)  # 02:00–03:00 CEST on Sun 5 Apr: its copy was skipped
        last = per_hour.set_index("hour").loc[start]
        assert math.isnan(last["baseline_mean"]) and last["baseline_samples"] == 0
        assert metric_of_overview_is_no_baseline(scenario)


SOURCE_OF_METRIC = {"errors_vs_baseline": "sentry", "errors_per_hour": "sentry", "crash_free_rate": "sentry",
                    "availability": "checks", "error_budget_burn": "checks", "p95_latency_ms": "checks",
                    "tickets_per_hour": "tickets:", "tickets_per_hour_vs_baseline": "tickets:"}


def test_the_verdict_reads_the_same_states_and_counts_as_the_pages(scenario, pages):
    """What `hypercare status` prints comes from the same evaluation: a rule over a source the
    pages call unknown has insufficient data naming that state, never a verdict on stale data."""
    from hypercare.verdict import evaluate

    evaluation = evaluate(scenario.store.cursor(), scenario.config, scenario.window, scenario.now)
    for result in evaluation.rules:
        prefix = SOURCE_OF_METRIC.get(result.metric)
        if prefix and not usable(scenario, prefix) and started(scenario):
            assert result.insufficient and result.state in ("stale", "never collected", "failed"), result
        if result.metric == "open_incidents" and result.value is not None:
            severity = next((r.severity for r in scenario.config.rules if r.name == result.name), None)
            shown = (metric(pages["incidents"], f"Unresolved {severity}") if severity
                     else metric(pages["overview"], "Unresolved incidents"))
            assert result.value == int(shown.value), result.name


def test_no_exit_criterion_is_ready_on_a_source_the_pages_call_unknown(scenario):
    from hypercare.verdict import evaluate

    evaluation = evaluate(scenario.store.cursor(), scenario.config, scenario.window, scenario.now)
    for progress in evaluation.exit:
        prefix = SOURCE_OF_METRIC.get(progress.latest.metric)
        if prefix and not usable(scenario, prefix):
            assert progress.held_hours == 0 and not progress.ready, progress
