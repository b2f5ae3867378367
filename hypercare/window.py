"""The hypercare window, its phases and "the same hours of the baseline" (DESIGN.md, Definitions).

Window: [go_live_at, go_live_at + window_hours). Baseline: [go_live_at - baseline_hours, go_live_at).
All instants are timezone-aware; the team's time zone only matters for the local clock used to find
the same hours of the baseline (a week back keeps the local hour across a DST change).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Literal
from zoneinfo import ZoneInfo

from hypercare.clock import utc

Phase = Literal["pre-go-live", "hypercare", "post-window"]


@dataclass(frozen=True)
class Period:
    """A half-open interval [start, end) in UTC."""

    start: datetime
    end: datetime

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600


@dataclass(frozen=True)
class Window:
    go_live_at: datetime
    window_hours: float = 72
    baseline_hours: float = 168
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        object.__setattr__(self, "go_live_at", utc(self.go_live_at))

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def end(self) -> datetime:
        return self.go_live_at + timedelta(hours=self.window_hours)

    @property
    def baseline_start(self) -> datetime:
        return self.go_live_at - timedelta(hours=self.baseline_hours)

    @property
    def hypercare(self) -> Period:
        return Period(self.go_live_at, self.end)

    @property
    def baseline(self) -> Period:
        return Period(self.baseline_start, self.go_live_at)

    @property
    def span(self) -> Period:
        """Baseline and window together: everything the dashboard charts."""
        return Period(self.baseline_start, self.end)

    def phase(self, now: datetime) -> Phase:
        if now < self.go_live_at:
            return "pre-go-live"
        if now < self.end:
            return "hypercare"
        return "post-window"

    def hours_since_go_live(self, now: datetime) -> float:
        return (now - self.go_live_at).total_seconds() / 3600

    def progress(self, now: datetime) -> float:
        """Share of the window elapsed, clamped to [0, 1]."""
        return min(max(self.hours_since_go_live(now) / self.window_hours, 0.0), 1.0)

    def label(self, now: datetime) -> str:
        """Where we are, as people say it: 'T−3 h', 'T+14 h of 72 h', 'window ended 5 h ago'."""
        h = self.hours_since_go_live(now)
        total = _hours(self.window_hours)
        if h < 0:
            return f"T−{math.ceil(-h)} h"
        if now < self.end:
            return f"T+{math.floor(h)} h of {total} h"
        return f"T+{math.floor(h)} h (the {total} h window ended {math.floor(h - self.window_hours)} h ago)"

    def elapsed(self, now: datetime) -> Period:
        """The part of the window that has happened: [go_live, min(now, end)); empty before go-live."""
        end = min(max(now, self.go_live_at), self.end)
        return Period(self.go_live_at, end)

    def last_hour(self, now: datetime) -> Period:
        """The last complete UTC clock hour before `now` (or before the window's end once it is
        over): whole hours line up with the sources' buckets, so a rate is never a partial count."""
        end = min(now, self.end).astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
        return Period(end - timedelta(hours=1), end)

    def local(self, instant: datetime) -> datetime:
        return instant.astimezone(self.tz)

    def baseline_samples(self, period: Period) -> list[Period]:
        """Copies of `period` shifted back to the same local hours of the baseline.

        A week back at a time when the baseline spans at least 7 days, else a day back; shifts
        are made on the team's local wall clock so a DST change keeps the local hour. Only
        copies that lie wholly inside the baseline (before go-live) count. An empty list means
        "no baseline", which callers show as such, never as 0.
        """
        step = timedelta(days=7) if self.baseline_hours >= 7 * 24 else timedelta(days=1)
        tz = self.tz
        start_local = period.start.astimezone(tz).replace(tzinfo=None)
        end_local = period.end.astimezone(tz).replace(tzinfo=None)
        samples = []
        k = 1
        while True:
            s = _from_local(start_local - k * step, tz)
            e = _from_local(end_local - k * step, tz)
            if s < self.baseline_start:
                break
            if e <= self.go_live_at and e > s:
                samples.append(Period(s, e))
            k += 1
        return samples


def _from_local(naive_local: datetime, tz: ZoneInfo) -> datetime:
    return naive_local.replace(tzinfo=tz).astimezone(timezone.utc)


def _hours(h: float) -> str:
    return f"{h:g}"
