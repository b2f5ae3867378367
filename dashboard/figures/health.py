"""Health figures: the status strip (a heatmap of hours by check) and availability against target."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go

# status -> (code on the heatmap's scale, colour); "no data" stays blank
STATUS_STYLE = {"down": (0, "#dc2626"), "degraded": (1, "#f59e0b"), "up": (2, "#16a34a"), "planned": (3, "#94a3b8")}


def status_strip_figure(strip: pd.DataFrame, timezone: str) -> go.Figure:
    """One row per check, one cell per hour (team's time zone): up, degraded, down, planned.
    `strip`: check_name, hour_start, ok, total, status (queries.health.status_strip)."""
    names = list(dict.fromkeys(strip["check_name"]))
    hours = pd.to_datetime(strip["hour_start"], utc=True).dt.tz_convert(timezone)
    columns = list(dict.fromkeys(hours))
    codes = strip["status"].map(lambda s: STATUS_STYLE[s][0] if s in STATUS_STYLE else np.nan)
    shape = (len(names), len(columns))
    z = codes.to_numpy(dtype=float).reshape(shape)
    text = np.array([
        html.escape(f"{s} · {ok:,} of {total:,} checks ok") if total else s
        for s, ok, total in zip(strip["status"], strip["ok"], strip["total"])
    ], dtype=object).reshape(shape)
    n = len(STATUS_STYLE)
    fig = go.Figure(go.Heatmap(
        z=z, x=columns, y=[html.escape(name) for name in names], text=text, zmin=-0.5, zmax=n - 0.5,
        colorscale=_steps([colour for _, colour in sorted(STATUS_STYLE.values())]), showscale=False, xgap=1, ygap=2,
        hovertemplate="%{y}<br>%{x|%a %d %b %H:00}<br>%{text}<extra></extra>",
    ))
    fig.update_layout(height=80 + 34 * len(names), margin={"l": 10, "r": 10, "t": 10, "b": 10})
    fig.update_yaxes(autorange="reversed")
    return fig


def _steps(colours: list[str]) -> list[list]:
    """A colour scale of flat steps: code k (zmin -0.5, zmax n - 0.5) gets exactly colours[k]."""
    n = len(colours)
    return [[edge, colour] for k, colour in enumerate(colours) for edge in (k / n, (k + 1) / n)]


def availability_figure(summary: pd.DataFrame, target: float) -> go.Figure:
    """Availability over the elapsed window per check, as bars, with the target as a line.
    `summary`: check_name, availability_window (percent, None when no result)."""
    known = summary.dropna(subset=["availability_window"])
    colours = ["#16a34a" if a >= target else "#dc2626" for a in known["availability_window"]]
    fig = go.Figure(go.Bar(
        x=known["availability_window"], y=[html.escape(n) for n in known["check_name"]], orientation="h",
        marker_color=colours, text=[f"{a:.2f} %" for a in known["availability_window"]], textposition="auto",
        hovertemplate="%{y}: %{x:.3f} %<extra></extra>",
    ))
    low = min([target, *known["availability_window"]]) if len(known) else target
    fig.add_vline(x=target, line_color="#0f172a", line_dash="dash", annotation_text=f"target {target:g} %")
    fig.update_layout(height=80 + 40 * max(len(known), 1), margin={"l": 10, "r": 10, "t": 30, "b": 10})
    fig.update_xaxes(range=[max(0.0, low - (100 - low) * 0.5 - 0.05), 100], ticksuffix=" %")
    fig.update_yaxes(autorange="reversed")
    return fig


def summary_table(summary: pd.DataFrame, timezone: str) -> pd.DataFrame:
    """The per-check table as people read it: local times, percentages, "no baseline" in words.
    `summary`: queries.health.check_summary."""
    def percent(values: pd.Series, missing: str) -> list[str]:
        return [missing if pd.isna(v) else f"{v:.2f} %" for v in values]

    def local(values: pd.Series) -> pd.Series:
        return pd.to_datetime(values, utc=True).dt.tz_convert(timezone)

    last_ok = summary["last_ok"]
    return pd.DataFrame({
        "check": summary["check_name"],
        "state": summary["state"],
        "since": local(summary["since"]),
        "last result": ["no result yet" if pd.isna(v) else "ok" if v else "failed" for v in last_ok],
        "last failure": summary["last_failure"].fillna(""),
        "failed at": local(summary["last_failure_at"]),
        "window": percent(summary["availability_window"], "no data"),
        "24 h": percent(summary["availability_24h"], "no data"),
        "1 h": percent(summary["availability_1h"], "no data"),
        "baseline": percent(summary["availability_baseline"], "no baseline"),
        "p50 ms": summary["p50"],
        "p95 ms": summary["p95"],
        "p99 ms": summary["p99"],
        "TLS days left": summary["tls_days_left"].round(1),
    })
