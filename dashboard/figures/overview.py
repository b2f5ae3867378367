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
    fig.add_vrect(x0=x(window.go_live_at), x1=x(window.end), fillcolor="#0f766e", opacity=0.06,
                  line_width=0, layer="below")
    for p in planned.itertuples():
        fig.add_vrect(x0=x(p.starts_at), x1=x(p.ends_at), fillcolor="#64748b", opacity=0.25, line_width=0,
                      layer="below")
    if len(planned):
        when = [f"{window.local_label(pd.Timestamp(p.starts_at).to_pydatetime(), '%a %d %b %H:%M')}–"
                f"{window.local_label(pd.Timestamp(p.ends_at).to_pydatetime(), '%H:%M')}" for p in planned.itertuples()]
        fig.add_trace(go.Scatter(
            x=[x(pd.Timestamp(p.starts_at).to_pydatetime()) for p in planned.itertuples()], y=[0] * len(planned),
            mode="markers", marker={"symbol": "square-open", "size": 11, "color": "#475569", "line": {"width": 2}},
            name="planned period", hovertext=[html.escape(f"planned {w}: {p.reason or ''}")
                                              for w, p in zip(when, planned.itertuples())],
            hoverinfo="text"), row=checks_row, col=1)
    fig.add_vline(x=x(window.go_live_at), line_color="#0f766e", line_width=2)
    fig.add_annotation(x=x(window.go_live_at), y=1.06, yref="paper", text="go-live", showarrow=False,
                       font={"color": "#0f766e"})
    for d in decisions.itertuples():
        colour = DECISION_COLOURS.get(d.kind, "#475569")
        at = x(pd.Timestamp(d.decided_at).to_pydatetime())
        fig.add_vline(x=at, line_color=colour, line_dash="dot", line_width=1)
        fig.add_trace(go.Scatter(x=[at], y=[0], mode="markers", marker_symbol="diamond",
                                 marker_color=colour, marker_size=9, name=d.kind, showlegend=False,
                                 hovertext=html.escape(f"{d.kind}: {d.summary}"), hoverinfo="text"),
                      row=len(SERIES), col=1)
    fig.update_layout(height=560, margin={"l": 10, "r": 10, "t": 40, "b": 10}, showlegend=False, bargap=0.05,
                      barmode="stack")
    return local_time_axis(fig, window.baseline_start, window.end, window)


def _bars(fig: go.Figure, part: pd.DataFrame, label: str, colour: str, window: Window, row: int,
          pattern: str = "") -> None:
    fig.add_trace(go.Bar(x=utc_x(part["hour"]), y=part["value"], name=label, marker_color=colour, width=HOUR_BAR_WIDTH, offset=0,
                         marker_pattern_shape=pattern, customdata=hover_labels(part["hour"], window),
                         hovertemplate="%{customdata}<br>%{y:,.0f}<extra>" + label + "</extra>"),
                  row=row, col=1)
