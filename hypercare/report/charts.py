"""A report chart: an hourly series of the window over the band of the same hours of the baseline."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from hypercare.report.model import Chart

WINDOW_COLOUR = "#1d4ed8"
BAND_COLOUR = "rgba(100, 116, 139, 0.25)"
# Fits an A4 page's text width (170 mm at 96 dpi) so printing never rescales it.
WIDTH, HEIGHT = 640, 210


def chart_figure(chart: Chart, timezone: str) -> go.Figure:
    """Bars for the window's hours; the baseline's low–high band shaded and its mean dotted."""
    hours = pd.to_datetime(list(chart.hours), utc=True).tz_convert(timezone)
    fig = go.Figure()
    if any(v is not None for v in chart.baseline_high):
        fig.add_trace(go.Scatter(x=hours, y=list(chart.baseline_high), mode="lines", line={"width": 0},
                                 hoverinfo="skip", showlegend=False, connectgaps=False))
        fig.add_trace(go.Scatter(x=hours, y=list(chart.baseline_low), mode="lines", line={"width": 0},
                                 fill="tonexty", fillcolor=BAND_COLOUR, name="baseline range", hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=hours, y=list(chart.values), mode="lines", name="since go-live",
                             line={"color": WINDOW_COLOUR, "width": 2},
                             hovertemplate="%{x|%a %H:%M}: %{y:,.1f}<extra></extra>"))
    if any(v is not None for v in chart.baseline_mean):
        fig.add_trace(go.Scatter(x=hours, y=list(chart.baseline_mean), mode="lines", name="baseline (same hours)",
                                 line={"color": "#475569", "width": 1.5, "dash": "dot"},
                                 hovertemplate="baseline %{x|%a %H:%M}: %{y:,.1f}<extra></extra>"))
    if chart.target is not None:
        fig.add_hline(y=chart.target, line={"color": "#b45309", "width": 1, "dash": "dash"},
                      annotation_text=f"target {chart.target:g}", annotation_position="bottom right")
    fig.update_layout(
        width=WIDTH, height=HEIGHT, margin={"l": 45, "r": 10, "t": 30, "b": 30},
        title={"text": chart.title, "font": {"size": 13}, "x": 0.01},
        legend={"orientation": "h", "y": 1.12, "x": 1, "xanchor": "right", "font": {"size": 10}},
        font={"family": "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif", "size": 11},
        plot_bgcolor="white", paper_bgcolor="white",
    )
    fig.update_xaxes(tickformat="%a %H:%M", gridcolor="#e2e8f0")
    fig.update_yaxes(gridcolor="#e2e8f0", rangemode="tozero")
    if chart.target is not None:  # a percentage against its target is read near the top; 100 % stays visible
        low = min([v for v in (*chart.values, *chart.baseline_low) if v is not None] + [chart.target])
        fig.update_yaxes(range=[max(low - 1, 0), 100.5])
    return fig
