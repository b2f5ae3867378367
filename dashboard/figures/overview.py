"""The Overview timeline: errors, failed checks and tickets per hour across baseline and window."""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from hypercare.window import Window

SERIES = [("errors", "Sentry errors / h", "#dc2626"), ("failed checks", "Failed checks / h", "#d97706"),
          ("tickets", "Tickets / h", "#2563eb")]
DECISION_COLOURS = {"go": "#15803d", "no-go": "#b91c1c", "rollback": "#b91c1c", "exit": "#15803d"}


def timeline_figure(series: pd.DataFrame, decisions: pd.DataFrame, planned: pd.DataFrame, window: Window) -> go.Figure:
    """One row per series, shared time axis in the team's time zone; the window shaded, go-live,
    each decision and each planned period marked. `series`: hour, series, value; `decisions`:
    decided_at, kind, summary; `planned`: starts_at, ends_at, reason."""
    fig = make_subplots(rows=len(SERIES), cols=1, shared_xaxes=True, vertical_spacing=0.04,
                        subplot_titles=[label for _, label, _ in SERIES])
    tz = window.timezone
    for row, (key, label, colour) in enumerate(SERIES, start=1):
        part = series[series["series"] == key]
        hours = pd.to_datetime(part["hour"], utc=True).dt.tz_convert(tz)
        fig.add_trace(go.Bar(x=hours, y=part["value"], name=label, marker_color=colour,
                             hovertemplate="%{x|%a %d %b %H:%M}<br>%{y:,.0f}<extra>" + label + "</extra>"),
                      row=row, col=1)
    local = lambda t: pd.Timestamp(t).tz_convert(tz)  # noqa: E731
    fig.add_vrect(x0=local(window.go_live_at), x1=local(window.end), fillcolor="#0f766e", opacity=0.06,
                  line_width=0, layer="below")
    for p in planned.itertuples():
        fig.add_vrect(x0=local(p.starts_at), x1=local(p.ends_at), fillcolor="#64748b", opacity=0.25, line_width=0,
                      layer="below")
    fig.add_vline(x=local(window.go_live_at), line_color="#0f766e", line_width=2)
    fig.add_annotation(x=local(window.go_live_at), y=1.06, yref="paper", text="go-live", showarrow=False,
                       font={"color": "#0f766e"})
    for d in decisions.itertuples():
        colour = DECISION_COLOURS.get(d.kind, "#475569")
        fig.add_vline(x=local(d.decided_at), line_color=colour, line_dash="dot", line_width=1)
        fig.add_trace(go.Scatter(x=[local(d.decided_at)], y=[0], mode="markers", marker_symbol="diamond",
                                 marker_color=colour, marker_size=9, name=d.kind, showlegend=False,
                                 hovertext=html.escape(f"{d.kind}: {d.summary}"), hoverinfo="text+x"),
                      row=len(SERIES), col=1)
    fig.update_layout(height=520, margin={"l": 10, "r": 10, "t": 40, "b": 10}, showlegend=False, bargap=0.05)
    fig.update_xaxes(range=[local(window.baseline_start), local(window.end)])
    return fig
