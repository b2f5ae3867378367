"""The Errors page's charts: errors per hour against the baseline band, crash-free rate over time."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from hypercare.window import Window

ERRORS = "#dc2626"
BASELINE = "#64748b"
SESSIONS = "#0f766e"


def _local(series: pd.Series, window: Window) -> pd.Series:
    return pd.to_datetime(series, utc=True).dt.tz_convert(window.timezone)


def errors_per_hour_figure(df: pd.DataFrame, window: Window) -> go.Figure:
    """Bars: error events per hour of the window. Band: lowest to highest of the same hours of
    the baseline, with their mean dashed. `df` is `queries.errors.errors_per_hour`."""
    hours = _local(df["hour"], window)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=hours, y=df["baseline_high"], mode="lines", line={"width": 0},
                             hoverinfo="skip", showlegend=False))
    fig.add_trace(go.Scatter(x=hours, y=df["baseline_low"], mode="lines", line={"width": 0}, fill="tonexty",
                             fillcolor="rgba(100,116,139,0.18)", name="baseline range",
                             hovertemplate="%{x|%a %H:%M}<br>baseline low %{y:,.0f}<extra></extra>"))
    fig.add_trace(go.Scatter(x=hours, y=df["baseline_mean"], mode="lines", name="baseline mean",
                             line={"color": BASELINE, "dash": "dash"},
                             hovertemplate="%{x|%a %H:%M}<br>baseline %{y:,.1f}<extra></extra>"))
    fig.add_trace(go.Bar(x=hours, y=df["events"], name="errors", marker_color=ERRORS, opacity=0.8,
                         hovertemplate="%{x|%a %d %b %H:%M}<br>%{y:,.0f} errors<extra></extra>"))
    fig.update_layout(height=340, margin={"l": 10, "r": 10, "t": 10, "b": 10}, bargap=0.1,
                      legend={"orientation": "h", "y": -0.15}, yaxis_title="errors / h")
    return fig


def crash_free_figure(df: pd.DataFrame, window: Window) -> go.Figure:
    """Crash-free sessions (%) per hour over baseline and window; hours without sessions are
    gaps, not 100 %. `df` is `queries.errors.crash_free`."""
    hours = _local(df["hour"], window)
    fig = go.Figure(go.Scatter(
        x=hours, y=df["crash_free"] * 100, mode="lines", connectgaps=False, line={"color": SESSIONS},
        customdata=df[["sessions", "crashed"]].to_numpy(), name="crash-free",
        hovertemplate="%{x|%a %d %b %H:%M}<br>%{y:.2f} % crash-free<br>%{customdata[0]:,} sessions, "
                      "%{customdata[1]:,} crashed<extra></extra>"))
    go_live = pd.Timestamp(window.go_live_at).tz_convert(window.timezone)
    fig.add_vline(x=go_live, line_color=SESSIONS, line_width=2)
    fig.update_layout(height=300, margin={"l": 10, "r": 10, "t": 10, "b": 10}, yaxis_title="crash-free %",
                      yaxis={"ticksuffix": " %"})
    return fig


def issue_rows(issues: pd.DataFrame, window: Window, recent_hours: int) -> pd.DataFrame:
    """The issue table as shown: plain-text titles, counts, local times and the permalink.
    `issues` is `queries.errors.new_issues` or `regressions`."""
    local = lambda column: _local(issues[column], window)  # noqa: E731
    return pd.DataFrame({
        "issue": issues["short_id"], "title": issues["title"], "project": issues["project"],
        "users": issues["user_count"], "events": issues["event_count"],
        f"last {recent_hours} h": issues["recent_events"], f"{recent_hours} h before": issues["earlier_events"],
        "status": issues["status"], "first seen": local("first_seen"), "last seen": local("last_seen"),
        "link": issues["permalink"],
    })

