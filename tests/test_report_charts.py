"""The report's charts: on seeded random rows the availability and tickets charts are the pages'
hourly queries summed up as they were row by row, to the last bit; the HTML inlines plotly.js
byte for byte as plotly does."""

from __future__ import annotations

import random
from datetime import timedelta

import plotly.io as pio

from hypercare.demo import DEMO_NOW, demo_window
from hypercare.report import build, html
from hypercare.report.build import build_report
from hypercare.report.charts import chart_spec
from hypercare.store.queries import health, tickets
from hypercare.window import Window
from tests import verdict_helpers as h

NOW = h.GO_LIVE + timedelta(hours=30, minutes=20)


def test_the_availability_chart_is_each_hours_counts_divided(store, tmp_path):
    rng = random.Random(23)
    window = Window(h.GO_LIVE, 72, 48, "Europe/Brussels")
    t, rows = window.baseline_start, []
    while t < NOW:
        rows += [(name, t + timedelta(seconds=rng.randrange(60)), rng.random() > 0.07, rng.randrange(50, 900))
                 for name in ("api", "web")]
        t += timedelta(minutes=2)
    h.health_results(store, rows)
    cur = store.cursor()
    chart = next(c for c in build.charts(cur, h.make_config(tmp_path), window, NOW) if c.key == "availability")
    counts = health.hourly_counts(cur, window.go_live_at, NOW)
    percent = {build._instant(hour): float(100.0 * r.ok / r.total) for hour, r in counts.iterrows()}  # as it was
    assert len(chart.hours) == 31
    assert list(chart.values) == [percent[hour] for hour in chart.hours]


def test_the_tickets_chart_sums_the_tickets_pages_groups(store, tmp_path):
    rng = random.Random(29)
    window = Window(h.GO_LIVE, 72, 20, "Europe/Brussels")  # the first hours have no copy a day back: no baseline
    h.tickets(store, [{"created_at": window.baseline_start + timedelta(seconds=rng.uniform(0, 51 * 3600)),
                       "category": rng.choice(["technical", "usage", "other", None])} for _ in range(4000)])
    cur = store.cursor()
    chart = next(c for c in build.charts(cur, h.make_config(tmp_path), window, NOW) if c.key == "tickets_per_hour")
    by_hour = tickets.hourly_tickets(cur, window, NOW, "category")
    hours = sorted(set(by_hour["hour"]))
    groups = [by_hour[by_hour["hour"] == hour] for hour in hours]
    assert list(chart.hours) == [build._instant(hour) for hour in hours]
    assert list(chart.values) == [float(g["tickets"].sum()) for g in groups]
    baselines = [None if g["baseline"].isna().all() else float(g["baseline"].sum()) for g in groups]
    assert list(chart.baseline_mean) == baselines
    assert None in baselines and any(b is not None for b in baselines)


def test_plotly_js_is_inlined_where_and_as_plotly_inlines_it(demo):
    config, store = demo
    report = build_report(store.cursor(), config, demo_window(config), DEMO_NOW)
    as_plotly = ['<div class="chart">' + pio.to_html(
        chart_spec(chart, report.timezone), validate=False, full_html=False, include_plotlyjs=n == 0,
        div_id=f"chart-{chart.key}", config={"displayModeBar": False, "responsive": False}) + "</div>"
        for n, chart in enumerate(report.charts)]
    assert len(as_plotly) == 4
    assert [p for p in html._figures(report) if p.startswith('<div class="chart">')] == as_plotly
