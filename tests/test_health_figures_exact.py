"""The Health page's figures, built the fast way, equal what the straightforward builders they
replaced made, on seeded random strips and summaries: the strip cell by cell, to the last hover
text; the availability bars as add_vline drew their target (that builder kept as the reference)."""

from __future__ import annotations

import html
import json
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from dashboard.figures.health import STATUS_STYLE, availability_figure, status_strip_figure
from dashboard.figures.timeaxis import hover_labels
from hypercare.window import Window


def _cells_as_before(strip: pd.DataFrame, window: Window) -> tuple[np.ndarray, np.ndarray]:
    """Each cell's code and hover text, cell by cell, as the page's first builder made them."""
    names = list(dict.fromkeys(strip["check_name"]))
    columns = list(dict.fromkeys(pd.to_datetime(strip["hour_start"], utc=True)))
    shape = (len(names), len(columns))
    codes = strip["status"].map(lambda s: STATUS_STYLE[s][0] if s in STATUS_STYLE else np.nan)
    labels = hover_labels(strip["hour_start"], window, "%a %d %b %H:00")
    text = [html.escape(f"{label} · {s} · {ok:,} of {total:,} checks ok") if total else f"{label} · {s}"
            for label, s, ok, total in zip(labels, strip["status"], strip["ok"], strip["total"])]
    return codes.to_numpy(dtype=float).reshape(shape), np.array(text, dtype=object).reshape(shape)


def _assert_cells(fig: go.Figure, strip: pd.DataFrame, window: Window) -> None:
    """The heatmap's codes and texts are the cell-by-cell ones, a planned marker on each planned cell."""
    z, text = _cells_as_before(strip, window)
    heatmap, *markers = fig.data
    np.testing.assert_array_equal(np.asarray(heatmap.z, dtype=float).reshape(z.shape), z)
    assert np.asarray(heatmap.text, dtype=object).reshape(z.shape).tolist() == text.tolist()
    planned = [(heatmap.y[r], heatmap.x[c]) for r, c in np.argwhere(z == STATUS_STYLE["planned"][0])]
    assert [pair for trace in markers for pair in zip(trace.y, trace.x)] == planned


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
    _assert_cells(status_strip_figure(strip, window), strip, window)


def test_status_strip_figure_of_no_cells_has_no_cell():
    strip = pd.DataFrame(columns=["check_name", "hour_start", "ok", "total", "status"])
    window = Window(FALL_BACK, 72, 168, "Europe/Brussels")
    _assert_cells(status_strip_figure(strip, window), strip, window)


@pytest.mark.parametrize("seed", range(6))
def test_availability_figure_equals_the_add_vline_one(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 12))
    values = np.round(rng.uniform(40, 100, n), int(rng.integers(0, 4))).astype(object)
    values[rng.random(n) < 0.2] = None
    summary = pd.DataFrame({"check_name": [f"c<{i}>" for i in range(n)], "availability_window": values})
    target = float(rng.choice([99.9, 99.5, 95.0, 42.0]))
    assert _plain(availability_figure(summary, target)) == _plain(_availability_as_before(summary, target))
