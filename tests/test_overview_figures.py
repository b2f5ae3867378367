"""The Overview timeline's markers are built at once, and draw exactly what plotly's add_vrect /
add_vline drew (those took most of a rerun at a large go-live's size)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pandas as pd

from dashboard.figures.overview import DECISION_COLOURS, SERIES, timeline_figure
from dashboard.figures.timeaxis import x
from hypercare.window import Window

GO = datetime(2026, 10, 24, 21, 30, tzinfo=timezone.utc)  # a DST fall-back in the window, a half-hour go-live
W = Window(GO, 72, 168, "Europe/Berlin")


def inputs(rng: random.Random) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    hours = [W.baseline_start + timedelta(hours=h) for h in range(240)]
    series = pd.concat([pd.DataFrame({"hour": pd.to_datetime(hours, utc=True), "series": s,
                                      "value": [float(rng.randint(0, 9)) for _ in hours]})
                        for s in ("errors", "failed checks", "planned failed checks", "tickets")], ignore_index=True)
    kinds = list(DECISION_COLOURS) + ["extend"]
    at = sorted(GO + timedelta(minutes=rng.randint(0, 72 * 60)) for _ in range(rng.randint(0, 4)))
    decisions = pd.DataFrame({"decided_at": pd.to_datetime(at, utc=True), "kind": [rng.choice(kinds) for _ in at],
                              "summary": [f"<b>decision {k}</b>" for k in range(len(at))]})
    starts = sorted(GO - timedelta(minutes=rng.randint(60, 600)) for _ in range(rng.randint(0, 2)))
    planned = pd.DataFrame({"starts_at": pd.to_datetime(starts, utc=True),
                            "ends_at": pd.to_datetime([s + timedelta(minutes=90) for s in starts], utc=True),
                            "scope": ["checks"] * len(starts), "reason": ["cutover"] * len(starts)})
    return series, decisions, planned


def plotly_markers(fig, decisions: pd.DataFrame, planned: pd.DataFrame):
    """The shapes as add_vrect / add_vline add them, on a copy of `fig` without any."""
    ref = type(fig)(fig)
    ref.layout.shapes = ()
    ref.add_vrect(x0=x(W.go_live_at), x1=x(W.end), fillcolor="#0f766e", opacity=0.06, line_width=0, layer="below")
    for p in planned.itertuples():
        ref.add_vrect(x0=x(p.starts_at), x1=x(p.ends_at), fillcolor="#64748b", opacity=0.25, line_width=0, layer="below")
    ref.add_vline(x=x(W.go_live_at), line_color="#0f766e", line_width=2)
    for d in decisions.itertuples():
        ref.add_vline(x=x(d.decided_at), line_color=DECISION_COLOURS.get(d.kind, "#475569"), line_dash="dot", line_width=1)
    return ref.layout.shapes


def test_markers_are_the_shapes_plotly_would_add_on_every_row():
    for seed in (0, 3):  # 1 decision and 1 planned period, 3 and 2
        series, decisions, planned = inputs(random.Random(seed))
        fig = timeline_figure(series, decisions, planned, W)
        assert [s.to_plotly_json() for s in fig.layout.shapes] == \
               [s.to_plotly_json() for s in plotly_markers(fig, decisions, planned)]
        assert len(fig.layout.shapes) == len(SERIES) * (2 + len(planned) + len(decisions))


def test_decisions_are_one_trace_of_diamonds_in_their_colours_with_escaped_hover():
    series, decisions, planned = inputs(random.Random(3))
    fig = timeline_figure(series, decisions, planned, W)
    diamonds = [t for t in fig.data if t.name == "decision"]
    assert len(diamonds) == (1 if len(decisions) else 0) and len(decisions)
    assert list(diamonds[0].marker.color) == [DECISION_COLOURS.get(k, "#475569") for k in decisions["kind"]]
    assert list(diamonds[0].x) == [x(t) for t in decisions["decided_at"]]
    assert all(h.startswith(k + ": &lt;b&gt;") for h, k in zip(diamonds[0].hovertext, decisions["kind"]))
