"""The Health page's figures, built the fast way, equal the straightforward builders they replaced
(kept here as the reference) on seeded random strips and summaries, to the last hover text."""

from __future__ import annotations

import html
import json
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from dashboard.figures.health import STATUS_STYLE, _steps, availability_figure, status_strip_figure
from dashboard.figures.timeaxis import hover_labels, local_time_axis, utc_x
from hypercare.window import Window


def _strip_as_before(strip: pd.DataFrame, window: Window) -> go.Figure:
    names = list(dict.fromkeys(strip["check_name"]))
    columns = list(dict.fromkeys(pd.to_datetime(strip["hour_start"], utc=True)))
    codes = strip["status"].map(lambda s: STATUS_STYLE[s][0] if s in STATUS_STYLE else np.nan)
    shape = (len(names), len(columns))
    z = codes.to_numpy(dtype=float).reshape(shape)
    labels = hover_labels(strip["hour_start"], window, "%a %d %b %H:00")
    text = np.array([
        html.escape(f"{label} · {s} · {ok:,} of {total:,} checks ok") if total else f"{label} · {s}"
        for label, s, ok, total in zip(labels, strip["status"], strip["ok"], strip["total"])
    ], dtype=object).reshape(shape)
    n = len(STATUS_STYLE)
    x_values = utc_x([c + pd.Timedelta(minutes=30) for c in columns])
    y_values = [html.escape(name) for name in names]
    fig = go.Figure(go.Heatmap(
        z=z, x=x_values, y=y_values, text=text, zmin=-0.5, zmax=n - 0.5,
        colorscale=_steps([colour for _, colour in sorted(STATUS_STYLE.values())]), showscale=False, xgap=1, ygap=2,
        hovertemplate="%{y}<br>%{text}<extra></extra>",
    ))
    planned = np.argwhere(z == STATUS_STYLE["planned"][0])
    if len(planned):
        fig.add_trace(go.Scatter(
            x=[x_values[c] for _, c in planned], y=[y_values[r] for r, _ in planned], mode="markers",
            marker={"symbol": "x-thin", "size": 9, "line": {"width": 1.5, "color": "#334155"}}, name="planned",
            hoverinfo="skip", showlegend=False))
    fig.update_layout(height=80 + 34 * len(names), margin={"l": 10, "r": 10, "t": 10, "b": 10})
    fig.update_yaxes(autorange="reversed")
    if columns:
        local_time_axis(fig, columns[0].to_pydatetime(), columns[-1].to_pydatetime() + pd.Timedelta(hours=1), window)
    return fig


def _availability_as_before(summary: pd.DataFrame, target: float) -> go.Figure:
    known = summary.dropna(subset=["availability_window"])
    colours = ["#16a34a" if a >= target else "#dc2626" for a in known["availability_window"]]
    fig = go.Figure(go.Bar(
        x=known["availability_window"], y=[html.escape(n) for n in known["check_name"]], orientation="h",
        marker_color=colours, text=[f"{a:.2f} %" for a in known["availability_window"]], textposition="auto",
        hovertemplate="%{y}: %{x:.3f} %<extra></extra>",
    ))
    low = min([target, *known["availability_window"]]) if len(known) else target
    floor = min(90.0, 10 * (low // 10))
    fig.add_vline(x=target, line_color="#0f172a", line_dash="dash", layer="below", annotation_text=f"target {target:g} %",
                  annotation_position="top left", annotation_yshift=18)
    fig.update_layout(height=100 + 40 * max(len(known), 1), margin={"l": 10, "r": 10, "t": 40, "b": 10})
    fig.update_xaxes(range=[floor, 100], ticksuffix=" %", title_text=f"availability (axis starts at {floor:g} %)")
    fig.update_yaxes(autorange="reversed")
    return fig


def _plain(fig: go.Figure) -> dict:
    return json.loads(pio.to_json(fig, validate=False))


FALL_BACK = datetime(2026, 10, 24, 20, 0, tzinfo=timezone.utc)  # Brussels repeats 02:00 the next night


def _strip(rng: np.random.Generator, checks: int, hours: int) -> pd.DataFrame:
    """A status_strip-shaped grid: every check's hours in order, counts and statuses at random."""
    names = [f"check-{i}" for i in range(checks - 1)] + ["a<b> & 'c'"]
    starts = [FALL_BACK + timedelta(hours=h) for h in range(hours)]
    total = rng.choice([0, 0, 1, 60, 120, 2_000], checks * hours)
    ok = np.minimum(total, rng.choice([0, 1, 59, 60, 120, 2_000], checks * hours))
    status = np.where(total == 0, rng.choice(["planned", "no data"], checks * hours),
                      np.where(ok == total, "up", np.where(ok == 0, "down", "degraded")))
    return pd.DataFrame({"check_name": np.repeat(names, hours), "hour_start": starts * checks,
                         "ok": ok.astype(object), "total": total.astype(object), "status": status})


@pytest.mark.parametrize("seed", range(6))
def test_status_strip_figure_equals_the_cell_by_cell_one(seed):
    rng = np.random.default_rng(seed)
    strip = _strip(rng, checks=int(rng.integers(1, 8)), hours=int(rng.integers(1, 30)))
    window = Window(FALL_BACK, 72, 168, "Europe/Brussels")
    assert _plain(status_strip_figure(strip, window)) == _plain(_strip_as_before(strip, window))


def test_status_strip_figure_of_no_cells_equals_the_old_one():
    strip = pd.DataFrame(columns=["check_name", "hour_start", "ok", "total", "status"])
    window = Window(FALL_BACK, 72, 168, "Europe/Brussels")
    assert _plain(status_strip_figure(strip, window)) == _plain(_strip_as_before(strip, window))


@pytest.mark.parametrize("seed", range(6))
def test_availability_figure_equals_the_add_vline_one(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 12))
    values = np.round(rng.uniform(40, 100, n), int(rng.integers(0, 4))).astype(object)
    values[rng.random(n) < 0.2] = None
    summary = pd.DataFrame({"check_name": [f"c<{i}>" for i in range(n)], "availability_window": values})
    target = float(rng.choice([99.9, 99.5, 95.0, 42.0]))
    assert _plain(availability_figure(summary, target)) == _plain(_availability_as_before(summary, target))
