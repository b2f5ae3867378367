"""Reconciliation figures: the latest result of each check as a table people read, and the
difference of each check over time."""

from __future__ import annotations

from datetime import datetime
from itertools import cycle
from zoneinfo import ZoneInfo

import pandas as pd
import plotly.graph_objects as go

from dashboard.figures.timeaxis import hover_labels, local_time_axis, utc_x, x
from hypercare.states import COLLECTED, FigureState
from hypercare.window import Window, local_label

COLOURS = {"differs": "#c62828", "failed": "#757575"}
LINE_COLOURS = ["#1565c0", "#6a1b9a", "#00838f", "#ef6c00", "#558b2f"]  # one per check, none red or grey


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
    """Target − source of each check over time (reconcile.history): a step line per check, with
    the results that differed marked red and those whose side failed marked grey (a gap in the
    line, the mark at the value before it: a failed side measured nothing)."""
    fig = go.Figure()
    differs, failed = [], []
    for (name, rows), colour in zip(history.groupby("name", sort=True), cycle(LINE_COLOURS)):
        diff = rows["difference"].astype("float64")
        when = hover_labels(rows["checked_at"], window)
        fig.add_trace(go.Scatter(
            x=utc_x(rows["checked_at"]), y=diff, name=str(name), mode="lines", connectgaps=False,
            line={"shape": "hv", "width": 2, "color": colour},
            customdata=when, hovertemplate="%{customdata}: %{y:+,}<extra>%{fullData.name}</extra>"))
        for t, label, value, before, matched in zip(rows["checked_at"], when, diff, diff.ffill().fillna(0), rows["matched"]):
            if pd.isna(matched):
                failed.append((t, before, f"{name} · {label}"))
            elif not matched:
                differs.append((t, value, f"{name} · {label}"))
    for points, label, marker in ((differs, "differed", {"color": COLOURS["differs"], "size": 6}),
                                  (failed, "a side failed", {"color": COLOURS["failed"], "size": 9, "symbol": "x"})):
        if points:
            fig.add_trace(go.Scatter(x=utc_x([t for t, _, _ in points]), y=[v for _, v, _ in points], name=label,
                                     mode="markers", marker=marker, customdata=[c for _, _, c in points],
                                     hovertemplate="%{customdata}: %{y:+,}<extra>" + label + "</extra>"))
    fig.add_hline(y=0, line={"color": "#bdbdbd", "width": 1})
    if start <= window.go_live_at <= end:
        fig.add_vline(x=x(window.go_live_at), line={"color": "#616161", "dash": "dot"})
        fig.add_annotation(x=x(window.go_live_at), y=1, yref="paper", text="go-live", showarrow=False, yanchor="bottom")
    fig.update_layout(height=280, margin={"l": 10, "r": 10, "t": 30, "b": 10}, yaxis_title="target − source",
                      legend={"orientation": "h", "y": -0.25})
    return local_time_axis(fig, start, end, window)
