"""Reconciliation figures: the latest result of each check as a table people read, and the
difference of each check over time."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
import plotly.graph_objects as go

from dashboard.figures.timeaxis import hover_labels, local_time_axis, utc_x, x
from hypercare.states import COLLECTED, FigureState
from hypercare.window import Window, local_label

COLOURS = {"matches": "#2e7d32", "differs": "#c62828", "failed": "#9e9e9e"}


def number(value: float | None) -> str:
    """12,000 or 1,234.5; "—" for a side that was not read."""
    if value is None or pd.isna(value):
        return "—"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.6g}"


def signed(value: float) -> str:
    return number(value) if value < 0 else "+" + number(value)


def outcome(matched: object, difference: float | None) -> str:
    """"matches", "matches within tolerance (−3)", "differs by −23" (the target has 23 fewer)
    or "not compared" (a side failed)."""
    if matched is None or pd.isna(matched):
        return "not compared"
    if matched:
        return "matches" if not difference else f"matches within tolerance ({signed(difference)})"
    return f"differs by {signed(difference)}"


def ago(then: datetime, now: datetime) -> str:
    minutes = max(0, (now - then).total_seconds() / 60)
    if minutes < 1:
        return "just now"
    return f"{minutes:.0f} min ago" if minutes < 90 else f"{minutes / 60:.0f} h ago"


def latest_table(latest: pd.DataFrame, tz: ZoneInfo, now: datetime, state: FigureState = COLLECTED) -> pd.DataFrame:
    """One row per check (reconcile.latest_results): both values, the difference (target −
    source), whether it matched, when (team's clock, weekday), and the failed side's reason as
    text (a table cell shows it literally). While the source is stale or failing the outcome
    says so instead of an old match."""
    rows = latest.to_dict("records")
    return pd.DataFrame({
        "check": [r["name"] for r in rows],
        "source": [number(r["source_value"]) for r in rows],
        "target": [number(r["target_value"]) for r in rows],
        "result": [outcome(r["matched"], r["difference"]) if state.usable else f"{state.shown_as}: {state.reason}"
                   for r in rows],
        "checked": [f"{local_label(pd.Timestamp(r['checked_at']).to_pydatetime(), tz, '%a %d %b %H:%M')} "
                    f"({ago(pd.Timestamp(r['checked_at']).to_pydatetime(), now)})" for r in rows],
        "error": [r["error"] if isinstance(r["error"], str) else "—" for r in rows],
    }, columns=["check", "source", "target", "result", "checked", "error"])


def history_figure(history: pd.DataFrame, window: Window, start: datetime, end: datetime) -> go.Figure:
    """Target − source of each check over time (reconcile.history): a step line per check, each
    result a dot coloured by its outcome; results whose side failed sit on the zero line in grey."""
    fig = go.Figure()
    for name, rows in history.groupby("name", sort=True):
        kind = ["failed" if pd.isna(m) else "matches" if m else "differs" for m in rows["matched"]]
        diff = rows["difference"].astype("float64")
        fig.add_trace(go.Scatter(
            x=utc_x(rows["checked_at"]), y=diff.fillna(0), name=str(name), mode="lines+markers",
            line={"shape": "hv", "width": 2}, marker={"color": [COLOURS[k] for k in kind], "size": 7},
            customdata=list(zip(hover_labels(rows["checked_at"], window), kind)),
            hovertemplate="%{customdata[0]}: %{y:+,} (%{customdata[1]})<extra>%{fullData.name}</extra>"))
    fig.add_hline(y=0, line={"color": "#bdbdbd", "width": 1})
    if start <= window.go_live_at <= end:
        fig.add_vline(x=x(window.go_live_at), line={"color": "#616161", "dash": "dot"})
        fig.add_annotation(x=x(window.go_live_at), y=1, yref="paper", text="go-live", showarrow=False, yanchor="bottom")
    fig.update_layout(height=280, margin={"l": 10, "r": 10, "t": 30, "b": 10}, yaxis_title="target − source",
                      legend={"orientation": "h", "y": -0.25})
    return local_time_axis(fig, start, end, window)
