"""The one time axis of every chart: x values are UTC instants, labels are the team's clock.

Plotting local wall-clock times would draw both 02:00 hours of a fall-back at the same x (two
bars looking like one) and squeeze nothing into a spring-forward's missing hour. So every chart
puts an hour at its UTC instant and labels the ticks and the hover text on `[release] timezone`'s
clock; a reading that a fall-back repeats carries its zone ("02:00 CEST", "02:00 CET").
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pandas as pd
import plotly.graph_objects as go

from hypercare.window import Window

STEPS_HOURS = (1, 2, 3, 6, 12, 24)
HOUR_BAR_WIDTH = 0.9 * 3_600_000  # milliseconds: an hourly bar is an hour wide, however sparse the series
MAX_TICKS = 14


def utc_x(values: pd.Series | list) -> list[datetime]:
    """UTC instants as naive datetimes: plotly draws them where they are, one per instant."""
    return [t.to_pydatetime().replace(tzinfo=None) for t in pd.to_datetime(pd.Series(values), utc=True)]


def hover_labels(values: pd.Series | list, window: Window, fmt: str = "%a %d %b %H:%M") -> list[str]:
    """Each instant on the team's clock, for hover text ('Sun 25 Oct 02:00 CEST'); each distinct
    instant is labelled once (a status strip repeats its 72 hours for every check)."""
    instants = pd.to_datetime(pd.Series(values), utc=True)
    labels = {t: window.local_label(t.to_pydatetime(), fmt) for t in instants.drop_duplicates()}
    return [labels[t] for t in instants]


def ticks(start: datetime, end: datetime, window: Window) -> tuple[list[datetime], list[str]]:
    """Tick positions (UTC) and labels (local) over [start, end): whole local hours that are a
    multiple of a step chosen so about MAX_TICKS fit; a new day shows its date."""
    hours = max((end - start).total_seconds() / 3600, 1)
    step = next((s for s in STEPS_HOURS if hours / s <= MAX_TICKS), 24)
    first = start.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    values, labels, t = [], [], first
    while t <= end:
        local = window.local(t)
        if t >= start and local.minute == 0 and local.hour % step == 0:
            values.append(t.replace(tzinfo=None))
            if step == 24 or local.hour == 0:
                labels.append(f"{local:%a %d %b}" + ("" if step == 24 else "<br>" + window.local_label(t, "%H:%M")))
            else:
                labels.append(window.local_label(t, "%H:%M"))
        t += timedelta(hours=1)
    if step == 24 and len(values) > MAX_TICKS:  # long spans: every other day
        values, labels = values[::2], labels[::2]
    return values, labels


def local_time_axis(fig: go.Figure, start: datetime, end: datetime, window: Window, **axis) -> go.Figure:
    """Label every x axis of `fig` on the team's clock over [start, end), saying the zone."""
    values, labels = ticks(start, end, window)
    fig.update_xaxes(tickmode="array", tickvals=values, ticktext=labels,
                     range=[start.astimezone(timezone.utc).replace(tzinfo=None),
                            end.astimezone(timezone.utc).replace(tzinfo=None)], **axis)
    return fig


def x(instant: datetime) -> datetime:
    """One instant on the x axis (UTC, naive)."""
    return instant.astimezone(timezone.utc).replace(tzinfo=None)
