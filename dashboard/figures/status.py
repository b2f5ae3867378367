"""The status history as a coloured strip on the window's time axis (pure: DataFrame → Figure)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.figures.timeaxis import hover_labels, local_time_axis, utc_x
from hypercare.window import Window

COLOURS = {"red": "#dc2626", "amber": "#f59e0b", "unknown": "#94a3b8", "green": "#16a34a"}


def status_strip_figure(history: pd.DataFrame, window: Window) -> go.Figure:
    """One coloured band per evaluation, lasting until the next one (the last until the latest
    evaluation's own instant plus the median step); `history`: evaluated_at, status. The x axis
    spans baseline and window like the timeline below it, in the team's time zone."""
    fig = go.Figure()
    if not history.empty:
        # UTC instants on the one time axis (dashboard.figures.timeaxis), like the timeline below
        times = pd.to_datetime(history["evaluated_at"], utc=True).reset_index(drop=True)
        step = times.diff().median() if len(times) > 1 else pd.Timedelta(minutes=1)
        ends = list(times.iloc[1:]) + [times.iloc[-1] + step]
        labels = hover_labels(times, window, "%a %d %b %H:%M")
        starts = utc_x(times)
        for status, colour in COLOURS.items():
            picked = [i for i, s in enumerate(history["status"]) if s == status]
            if not picked:
                continue
            fig.add_trace(go.Bar(
                x=[(ends[i] - times[i]).total_seconds() * 1000 for i in picked], base=[starts[i] for i in picked],
                y=["status"] * len(picked), orientation="h", marker_color=colour, name=status.upper(),
                customdata=[labels[i] for i in picked],
                hovertemplate="%{customdata}<extra>" + status.upper() + "</extra>",
            ))
    fig.update_layout(height=90, margin={"l": 10, "r": 10, "t": 24, "b": 10}, barmode="overlay", bargap=0,
                      showlegend=True, legend={"orientation": "h", "y": 1.35, "x": 1, "xanchor": "right"},
                      title={"text": "Status history", "font": {"size": 13}, "y": 0.97})
    fig.update_xaxes(type="date")
    fig.update_yaxes(showticklabels=False)
    return local_time_axis(fig, window.baseline_start, window.end, window)
