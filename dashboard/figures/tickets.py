"""The Tickets page's charts: tickets per hour against the baseline, the category mix, top labels."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.figures.timeaxis import HOUR_BAR_WIDTH, hover_labels, local_time_axis, utc_x
from hypercare.store.queries.tickets import TicketMix
from hypercare.window import Window

COLOURS = {
    "P1": "#b91c1c", "P2": "#ea580c", "P3": "#2563eb", "P4": "#64748b", "unset": "#cbd5e1",
    "technical": "#dc2626", "usage": "#0d9488", "other": "#94a3b8",
}
LAYOUT = {"margin": {"l": 10, "r": 10, "t": 30, "b": 10}, "legend": {"orientation": "h", "y": -0.15}}


def hourly_figure(hourly: pd.DataFrame, window: Window) -> go.Figure:
    """Stacked bars per group for each window hour, and the baseline total (the same hour last
    week) as a dashed line. Hours sit at their UTC instants, labelled on the team's clock.
    `hourly`: hour, group, tickets, baseline (NaN = no baseline)."""
    fig = go.Figure()
    if hourly.empty:
        fig.add_annotation(text="The window has not begun yet", showarrow=False, x=0.5, y=0.5,
                           xref="paper", yref="paper")
        return fig.update_layout(height=160, xaxis={"visible": False}, yaxis={"visible": False}, **LAYOUT)
    hourly = hourly.assign(x=utc_x(hourly["hour"]), label=hover_labels(hourly["hour"], window))
    for group, part in hourly.groupby("group", sort=False):
        fig.add_trace(go.Bar(
            x=part["x"], y=part["tickets"], name=group, marker_color=COLOURS.get(group), width=HOUR_BAR_WIDTH, offset=0,
            customdata=list(zip(part["label"], part["baseline"].map(lambda b: "none" if pd.isna(b) else f"{b:.1f}"))),
            hovertemplate="%{customdata[0]}<br>%{y} tickets (baseline %{customdata[1]})<extra>" + group + "</extra>",
        ))
    totals = hourly.groupby("x", sort=True)["baseline"].sum(min_count=1)
    if totals.notna().any():
        fig.add_trace(go.Scatter(x=totals.index, y=totals.values, name="baseline (same hour last week)", mode="lines",
                                 line={"color": "#111827", "dash": "dash", "shape": "hv"},
                                 hovertemplate="baseline %{y:.1f}<extra></extra>"))
    else:
        fig.add_annotation(text="no baseline for these hours", showarrow=False, x=1, y=1.08, xref="paper",
                           yref="paper", xanchor="right")
    fig.update_layout(barmode="stack", height=360, bargap=0.1, yaxis_title="tickets / h", **LAYOUT)
    start = pd.Timestamp(hourly["hour"].min()).to_pydatetime()
    end = pd.Timestamp(hourly["hour"].max()).to_pydatetime() + pd.Timedelta(hours=1)
    return local_time_axis(fig, start, end, window)


def urgent_rows(urgent: pd.DataFrame, window: Window) -> pd.DataFrame:
    """The newest P1/P2 table as shown: local times with the weekday, words for missing values."""
    return pd.DataFrame({
        "created": [window.local_label(t.to_pydatetime(), "%a %d %b %H:%M")
                    for t in pd.to_datetime(urgent["created_at"], utc=True)],
        "priority": urgent["priority"], "status": urgent["status"].fillna("—"), "title": urgent["title"].fillna("—"),
        "source": urgent["source"], "ticket_id": urgent["ticket_id"], "url": urgent["url"],
    })


def mix_figure(mix: TicketMix) -> go.Figure:
    """One 100 % bar: the shares of technical, usage and other tickets."""
    fig = go.Figure()
    for category in ("technical", "usage", "other"):
        count = getattr(mix, category)
        fig.add_trace(go.Bar(
            x=[count], y=["tickets"], orientation="h", name=category, marker_color=COLOURS[category],
            text=[f"{category} {mix.share(category):.0%}" if count else ""], textposition="inside",
            hovertemplate=f"{category}: %{{x}}<extra></extra>",
        ))
    fig.update_layout(barmode="stack", height=110, showlegend=False, margin={"l": 10, "r": 10, "t": 10, "b": 10},
                      xaxis={"visible": False}, yaxis={"visible": False})
    return fig


def labels_figure(labels: pd.DataFrame) -> go.Figure:
    """Horizontal bars, most used label on top. `labels`: label, tickets."""
    fig = go.Figure(go.Bar(x=labels["tickets"], y=labels["label"], orientation="h", marker_color="#2563eb",
                           hovertemplate="%{y}: %{x} tickets<extra></extra>"))
    fig.update_layout(height=max(160, 28 * len(labels) + 40), yaxis={"autorange": "reversed"}, **LAYOUT)
    return fig
