"""Health figures: the status strip (a heatmap of hours by check) and availability against target."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.figures.timeaxis import hover_labels, local_time_axis, utc_x
from hypercare.states import COLLECTED, FigureState
from hypercare.window import Window

SHOWN = 50  # checks on the table, strip and bars until "show all": 1,000 rows bury the few that matter
# status -> (code on the heatmap's scale, colour); "no data" stays blank
STATUS_STYLE = {"down": (0, "#dc2626"), "degraded": (1, "#f59e0b"), "up": (2, "#16a34a"), "planned": (3, "#94a3b8")}
CODES = {status: code for status, (code, _) in STATUS_STYLE.items()}


def status_strip_figure(strip: pd.DataFrame, window: Window) -> go.Figure:
    """One row per check, one cell per hour: up, degraded, down, planned (grey, hatched by a
    second layer so it reads as planned at any zoom). Cells sit at their UTC hour and are
    labelled on the team's clock, so both 02:00 hours of a fall-back are two cells.
    `strip`: check_name, hour_start, ok, total, status (queries.health.status_strip), every
    check's hours in the same order, one check after another."""
    names = strip["check_name"].unique().tolist()
    columns = list(pd.to_datetime(strip["hour_start"], utc=True).unique())
    shape = (len(names), len(columns))
    statuses = strip["status"].tolist()
    z = np.array([CODES.get(s, np.nan) for s in statuses], dtype=float).reshape(shape)
    text = np.array(_cell_texts(statuses, strip["ok"].tolist(), strip["total"].tolist(),
                                hover_labels(columns, window, "%a %d %b %H:00")), dtype=object).reshape(shape)
    n = len(STATUS_STYLE)
    # a cell is drawn around its x: put it at the middle of its hour, so ticks at whole hours are its edges
    x_values = utc_x([c + pd.Timedelta(minutes=30) for c in columns])
    y_values = [html.escape(name) for name in names]
    fig = go.Figure(go.Heatmap(
        z=z, x=x_values, y=y_values, text=text, zmin=-0.5, zmax=n - 0.5,
        colorscale=_steps([colour for _, colour in sorted(STATUS_STYLE.values())]), showscale=False, xgap=1, ygap=2,
        hovertemplate="%{y}<br>%{text}<extra></extra>",
    ), layout={"height": 80 + 34 * len(names), "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
               "yaxis": {"autorange": "reversed"}})
    planned = np.argwhere(z == STATUS_STYLE["planned"][0])
    if len(planned):
        fig.add_trace(go.Scatter(
            x=[x_values[c] for _, c in planned], y=[y_values[r] for r, _ in planned], mode="markers",
            marker={"symbol": "x-thin", "size": 9, "line": {"width": 1.5, "color": "#334155"}}, name="planned",
            hoverinfo="skip", showlegend=False))
    if columns:
        local_time_axis(fig, columns[0].to_pydatetime(), columns[-1].to_pydatetime() + pd.Timedelta(hours=1), window)
    return fig


def _cell_texts(statuses: list[str], oks: list[int], totals: list[int], labels: list[str]) -> list[str]:
    """Each cell's hover text, row by row: its hour (`labels`, one per column), status and counts,
    escaped as HTML where it has counts. Labels, statuses and counts are formatted once each, not
    per cell (escaping the parts one by one escapes the whole): ~5x faster on 50 × 72 cells."""
    escaped = {s: html.escape(s) for s in set(statuses)}
    safe = [html.escape(label) for label in labels]
    counts = {v: f"{v:,}" for v in {*oks, *totals}}
    width = max(len(labels), 1)
    return [f"{safe[i % width]} · {escaped[s]} · {counts[ok]} of {counts[total]} checks ok" if total
            else f"{labels[i % width]} · {s}" for i, (s, ok, total) in enumerate(zip(statuses, oks, totals))]


def _steps(colours: list[str]) -> list[list]:
    """A colour scale of flat steps: code k (zmin -0.5, zmax n - 0.5) gets exactly colours[k]."""
    n = len(colours)
    return [[edge, colour] for k, colour in enumerate(colours) for edge in (k / n, (k + 1) / n)]


def availability_figure(summary: pd.DataFrame, target: float) -> go.Figure:
    """Availability over the elapsed window per check, as bars, with the target as a line.
    `summary`: check_name, availability_window (percent, None when no result). The axis starts
    at a round 90 % (or the next lower multiple of 10), said on the axis, so a small gap is not
    drawn as a big one."""
    known = summary.dropna(subset=["availability_window"])
    values = known["availability_window"].tolist()
    low = min([target, *values])
    floor = min(90.0, 10 * (low // 10))
    # the target line and its label as add_vline(annotation_position="top left") draws them, in
    # the one layout: add_vline works them out in ~9 ms, most of this figure's time. The line runs
    # below the bars, so it shows between them and never crosses a bar's label near 100 %.
    return go.Figure(go.Bar(
        x=known["availability_window"], y=[html.escape(n) for n in known["check_name"]], orientation="h",
        marker_color=["#16a34a" if a >= target else "#dc2626" for a in values], text=[f"{a:.2f} %" for a in values],
        textposition="auto", hovertemplate="%{y}: %{x:.3f} %<extra></extra>",
    ), layout={
        "shapes": [{"type": "line", "x0": target, "x1": target, "xref": "x", "y0": 0, "y1": 1, "yref": "y domain",
                    "line": {"color": "#0f172a", "dash": "dash"}, "layer": "below"}],
        "annotations": [{"text": f"target {target:g} %", "showarrow": False, "x": target, "xref": "x",
                         "xanchor": "right", "y": 1, "yref": "y domain", "yanchor": "top", "yshift": 18}],
        "height": 100 + 40 * max(len(known), 1), "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
        "xaxis": {"range": [floor, 100], "ticksuffix": " %", "title": {"text": f"availability (axis starts at {floor:g} %)"}},
        "yaxis": {"autorange": "reversed"},
    })


def summary_table(summary: pd.DataFrame, timezone: str, state: FigureState = COLLECTED,
                  started: bool = True, baseline_label: str = "same hours last week") -> pd.DataFrame:
    """The per-check table as people read it: local times with the weekday, percentages, and
    every missing figure in words ("no baseline", "no result", "not started", or "unknown"
    while the checks source is stale). `summary`: queries.health.check_summary; `state`: the
    checks source's state (hypercare.states); `started`: whether the window has begun."""
    def percent(values: pd.Series, missing: str) -> list[str]:
        if not state.usable:
            return [state.shown_as] * len(values)
        return [missing if pd.isna(v) else f"{v:.2f} %" for v in values]

    def local(values: pd.Series) -> list[str]:
        times = pd.to_datetime(values, utc=True).dt.tz_convert(timezone)
        return ["—" if pd.isna(t) else f"{t:%a %d %b %H:%M}" for t in times]

    latency = [
        "—" if pd.isna(p50) else f"{p50:,.0f} / {p95:,.0f} / {p99:,.0f}"
        for p50, p95, p99 in zip(summary["p50"], summary["p95"], summary["p99"])
    ]
    window = percent(summary["availability_window"], "no result") if started else ["not started"] * len(summary)
    return pd.DataFrame({
        "check": summary["check_name"],
        "state": summary["state"] if state.usable else [state.shown_as] * len(summary),
        "since": local(summary["since"]),
        "last result": ["no result yet" if pd.isna(v) else "ok" if v else "failed" for v in summary["last_ok"]],
        "last failure": summary["last_failure"].fillna("—"),
        "failed at": local(summary["last_failure_at"]),
        "since go-live": window,
        "last 24 h": percent(summary["availability_24h"], "no result"),
        "last 60 min": percent(summary["availability_1h"], "no result"),
        baseline_label: percent(summary["availability_baseline"], "no baseline") if started
        else ["not started"] * len(summary),
        "latency ms p50 / p95 / p99": latency if state.usable else [state.shown_as] * len(summary),
        "TLS days left": ["—" if pd.isna(v) else f"{v:.1f}" for v in summary["tls_days_left"]],
    })


def down_words(summary: pd.DataFrame, target: float, named: int = 10) -> str:
    """Why "0 of 4 down" can sit beside a check below target: down is the state now (failures
    in a row), availability is since go-live. Names the checks up now but below target, the
    lowest first when there are more than `named`."""
    below = [(a, f"{n} {a:.2f} %") for n, a, s in zip(summary["check_name"], summary["availability_window"],
                                                       summary["state"]) if pd.notna(a) and a < target and s != "down"]
    text = "down = failing now (failure_threshold failures in a row)"
    if len(below) > named:
        below = sorted(below, key=lambda b: b[0])[:named] + [(None, f"and {len(below) - named:,} more")]
    if below:
        text += f"; up now but below the {target:g} % target since go-live: " + ", ".join(w for _, w in below)
    return text


def worst_first(summary: pd.DataFrame, limit: int) -> pd.DataFrame:
    """At most `limit` rows of `summary` (queries.health.check_summary) for a page read under
    pressure. When every check fits, all of them in config order; else the worst first: down,
    then unknown, then the lowest availability over the last hour (no result there first), then
    since go-live, config order breaking ties."""
    if len(summary) <= limit:
        return summary
    rank = summary["state"].map({"down": 0, "unknown": 1}).fillna(2)
    keys = pd.DataFrame({"rank": rank, "hour": summary["availability_1h"], "window": summary["availability_window"],
                         "order": np.arange(len(summary))}, index=summary.index)
    order = keys.sort_values(["rank", "hour", "window", "order"], na_position="first", kind="stable").index
    return summary.loc[order[:limit]]


def hidden_words(shown: int, total: int) -> str:
    """The line under a bounded table: how many checks it leaves out, and in what order it shows."""
    return (f"Showing the {shown} checks that need attention most — down first, then the lowest availability "
            f"over the last hour and since go-live; {total - shown:,} more checks are doing better.")
