"""The Overview timeline: errors, failed checks and tickets per hour across baseline and window."""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.figures.timeaxis import HOUR_BAR_WIDTH, hover_labels, local_time_axis, utc_x, x
from hypercare.window import Window

SERIES = [("errors", "Sentry errors / h", "#dc2626"), ("failed checks", "Failed checks / h", "#d97706"),
          ("tickets", "Tickets / h", "#2563eb")]
PLANNED = ("planned failed checks", "planned (cutover, maintenance)", "#94a3b8")
DECISION_COLOURS = {"go": "#15803d", "no-go": "#b91c1c", "rollback": "#b91c1c", "exit": "#15803d"}


def timeline_figure(series: pd.DataFrame, decisions: pd.DataFrame, planned: pd.DataFrame, window: Window) -> go.Figure:
    """One row per series on one time axis (UTC instants, labelled on the team's clock); the
    window shaded, go-live and each decision marked. Failed checks inside a planned period are
    a separate grey, hatched series stacked on the others, and each planned period has a marker
    of fixed size on the failed-checks row, so it reads as planned at any zoom. `series`: hour,
    series, value; `decisions`: decided_at, kind, summary; `planned`: starts_at, ends_at, reason."""
    fig = make_subplots(rows=len(SERIES), cols=1, shared_xaxes=True, vertical_spacing=0.06,
                        subplot_titles=[label for _, label, _ in SERIES])
    for row, (key, label, colour) in enumerate(SERIES, start=1):
        _bars(fig, series[series["series"] == key], label, colour, window, row)
    checks_row = 1 + [key for key, _, _ in SERIES].index("failed checks")
    _bars(fig, series[series["series"] == PLANNED[0]], PLANNED[1], PLANNED[2], window, checks_row, pattern="/")
    if len(planned):
        when = [f"{window.local_label(pd.Timestamp(p.starts_at).to_pydatetime(), '%a %d %b %H:%M')}–"
                f"{window.local_label(pd.Timestamp(p.ends_at).to_pydatetime(), '%H:%M')}" for p in planned.itertuples()]
        fig.add_trace(go.Scatter(
            x=[x(pd.Timestamp(p.starts_at).to_pydatetime()) for p in planned.itertuples()], y=[0] * len(planned),
            mode="markers", marker={"symbol": "square-open", "size": 11, "color": "#475569", "line": {"width": 2}},
            name="planned period", hovertext=[html.escape(f"planned {w}: {p.reason or ''}")
                                              for w, p in zip(when, planned.itertuples())],
            hoverinfo="text"), row=checks_row, col=1)
    marks = [_band(window.go_live_at, window.end, "#0f766e", 0.06)]
    marks += [_band(p.starts_at, p.ends_at, "#64748b", 0.25) for p in planned.itertuples()]
    marks.append(_line(window.go_live_at, {"color": "#0f766e", "width": 2}))
    colours = [DECISION_COLOURS.get(kind, "#475569") for kind in decisions["kind"]]
    times = [x(pd.Timestamp(at).to_pydatetime()) for at in decisions["decided_at"]]
    marks += [_line(at, {"color": colour, "dash": "dot", "width": 1}) for at, colour in zip(times, colours)]
    if len(decisions):  # one trace for every decision's diamond
        fig.add_trace(go.Scatter(x=times, y=[0] * len(times), mode="markers", marker_symbol="diamond",
                                 marker_color=colours, marker_size=9, name="decision", showlegend=False,
                                 hovertext=[html.escape(f"{d.kind}: {d.summary}") for d in decisions.itertuples()],
                                 hoverinfo="text"), row=len(SERIES), col=1)
    fig.update_layout(shapes=[{**mark, "xref": ref, "yref": f"{ref.replace('x', 'y')} domain"}
                              for mark in marks for ref in _AXES])
    fig.add_annotation(x=x(window.go_live_at), y=1.06, yref="paper", text="go-live", showarrow=False,
                       font={"color": "#0f766e"})
    fig.update_layout(height=560, margin={"l": 10, "r": 10, "t": 40, "b": 10}, showlegend=False, bargap=0.05,
                      barmode="stack")
    return local_time_axis(fig, window.baseline_start, window.end, window)


_AXES = ["x"] + [f"x{row}" for row in range(2, len(SERIES) + 1)]  # one copy of each marker per row


def _band(start, end, colour: str, opacity: float) -> dict:
    """A shaded span across every row (what add_vrect draws, built at once: add_vrect took most of a rerun)."""
    return {"type": "rect", "x0": x(pd.Timestamp(start).to_pydatetime()), "x1": x(pd.Timestamp(end).to_pydatetime()),
            "y0": 0, "y1": 1, "fillcolor": colour, "opacity": opacity, "line": {"width": 0}, "layer": "below"}


def _line(at, line: dict) -> dict:
    """A vertical line across every row (what add_vline draws)."""
    return {"type": "line", "x0": x(pd.Timestamp(at).to_pydatetime()), "x1": x(pd.Timestamp(at).to_pydatetime()), "y0": 0, "y1": 1, "line": line}


def _bars(fig: go.Figure, part: pd.DataFrame, label: str, colour: str, window: Window, row: int,
          pattern: str = "") -> None:
    fig.add_trace(go.Bar(x=utc_x(part["hour"]), y=part["value"], name=label, marker_color=colour, width=HOUR_BAR_WIDTH, offset=0,
                         marker_pattern_shape=pattern, customdata=hover_labels(part["hour"], window),
                         hovertemplate="%{customdata}<br>%{y:,.0f}<extra>" + label + "</extra>"),
                  row=row, col=1)
