"""The Errors page's charts: errors per hour against the baseline band, crash-free rate over time."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.figures.timeaxis import HOUR_BAR_WIDTH, hover_labels, local_time_axis, utc_x, x
from hypercare.store.queries.sentry_server import ServerOffer
from hypercare.window import Period, Window

ERRORS = "#dc2626"
BASELINE = "#64748b"
SESSIONS = "#0f766e"


def errors_per_hour_figure(df: pd.DataFrame, window: Window) -> go.Figure:
    """Bars: error events per hour of the window. Band: lowest to highest of the same hours of
    the baseline, with their mean dashed. `df` is `queries.errors.errors_per_hour`. Hours sit at
    their UTC instants (both 02:00 hours of a fall-back are two bars), labelled locally."""
    hours, labels = utc_x(df["hour"]), hover_labels(df["hour"], window)
    fig = go.Figure()
    # the baseline is a step per hour [h, h + 1 h), like the bars beside it
    fig.add_trace(go.Scatter(x=hours, y=df["baseline_high"], mode="lines", line={"width": 0, "shape": "hv"},
                             hoverinfo="skip", showlegend=False))
    fig.add_trace(go.Scatter(x=hours, y=df["baseline_low"], mode="lines", line={"width": 0, "shape": "hv"}, fill="tonexty",
                             fillcolor="rgba(100,116,139,0.18)", name="baseline range (same hour last week)",
                             customdata=labels, hovertemplate="%{customdata}<br>baseline low %{y:,.0f}<extra></extra>"))
    fig.add_trace(go.Scatter(x=hours, y=df["baseline_mean"], mode="lines", name="baseline mean",
                             line={"color": BASELINE, "dash": "dash", "shape": "hv"}, customdata=labels,
                             hovertemplate="%{customdata}<br>baseline %{y:,.1f}<extra></extra>"))
    fig.add_trace(go.Bar(x=hours, y=df["events"], name="errors", marker_color=ERRORS, opacity=0.8, customdata=labels,
                         width=HOUR_BAR_WIDTH, offset=0,
                         hovertemplate="%{customdata}<br>%{y:,.0f} errors<extra></extra>"))
    fig.update_layout(height=340, margin={"l": 10, "r": 10, "t": 10, "b": 10}, bargap=0.1,
                      legend={"orientation": "h", "y": -0.2}, yaxis_title="errors / h")
    if len(df):
        start = pd.Timestamp(df["hour"].min()).to_pydatetime()
        end = pd.Timestamp(df["hour"].max()).to_pydatetime() + pd.Timedelta(hours=1)
        local_time_axis(fig, start, end, window)
    return fig


def crash_free_figure(df: pd.DataFrame, window: Window, span: Period | None = None) -> go.Figure:
    """Crash-free sessions (%) per hour over baseline and window; hours without sessions are
    gaps, not 100 %. `df` is `queries.errors.crash_free`."""
    span = span or window.span
    fig = go.Figure(go.Scatter(
        x=utc_x(df["hour"]), y=df["crash_free"] * 100, mode="lines", connectgaps=False, line={"color": SESSIONS},
        customdata=list(zip(hover_labels(df["hour"], window), df["sessions"], df["crashed"])), name="crash-free",
        hovertemplate="%{customdata[0]}<br>%{y:.2f} % crash-free<br>%{customdata[1]:,} sessions, "
                      "%{customdata[2]:,} crashed<extra></extra>"))
    fig.add_vline(x=x(window.go_live_at), line_color=SESSIONS, line_width=2)
    fig.update_layout(height=300, margin={"l": 10, "r": 10, "t": 10, "b": 10}, yaxis_title="crash-free %",
                      yaxis={"ticksuffix": " %"})
    return local_time_axis(fig, span.start, span.end, window)


def issue_rows(issues: pd.DataFrame, window: Window, recent: Period, earlier: Period,
               offer: ServerOffer = ServerOffer()) -> pd.DataFrame:
    """The issue table as shown: plain-text titles, counts, local times with the weekday, the
    permalink, and the trend over named complete hours. A count Sentry's stats don't cover says
    "unknown", never an empty or "None" cell. `issues` is `queries.errors.new_issues` or
    `regressions`; `recent`, `earlier`: `queries.errors.recent_hours`. Columns the server doesn't
    offer at all (users and the hourly trend on GlitchTip) are left out, not filled with "unknown"."""
    def local(column: str) -> list[str]:
        return local_minutes(issues[column], window)

    def counts(column: str) -> list[str]:
        return ["unknown" if pd.isna(v) else f"{int(v):,}" for v in issues[column]]

    trend = {f"events {window.span_label(recent, '%H:%M')}": counts("recent_events"),
             f"events {window.span_label(earlier, '%H:%M')}": counts("earlier_events")}
    return pd.DataFrame({
        "issue": issues["short_id"], "title": issues["title"], "project": issues["project"],
        **({"users": counts("user_count")} if offer.offers("users") else {}), "events": counts("event_count"),
        **(trend if offer.offers("issue_stats") else {}),
        "status": issues["status"].fillna("—"), "first seen": local("first_seen"), "last seen": local("last_seen"),
        "link": issues["permalink"],
    })


CLOCK = np.array([f"{m // 60:02d}:{m % 60:02d}" for m in range(24 * 60)], dtype=object)


def local_minutes(times: pd.Series, window: Window) -> list[str]:
    """`window.local_label(t, "%a %d %b %H:%M")` of each time, "—" for none, for thousands at once:
    the day written once per local date, the clock read from the minute of the day, and only a
    fall-back's repeated readings labelled one by one (they name their zone)."""
    utc = pd.to_datetime(times, utc=True)
    wall = utc.dt.tz_convert(window.tz).dt.tz_localize(None)
    minutes = wall.to_numpy("datetime64[m]")
    days, which = np.unique(minutes.astype("datetime64[D]"), return_inverse=True)
    day_words = np.array(["" if np.isnat(d) else f"{d.astype(datetime):%a %d %b} " for d in days], dtype=object)
    of_day = ((minutes - minutes.astype("datetime64[D]")).astype("int64")) % (24 * 60)  # NaT: any, dropped below
    labels = day_words[which.reshape(-1)] + CLOCK[of_day]
    repeated = (wall.dt.tz_localize(window.tz, ambiguous="NaT").isna() & wall.notna()).to_numpy()
    for i in np.flatnonzero(repeated):
        labels[i] = window.local_label(utc.iloc[i].to_pydatetime(), "%a %d %b %H:%M")
    labels[np.isnat(minutes)] = "—"
    return labels.tolist()
