"""The hypercare window, its phases and "the same hours of the baseline" (DESIGN.md, Definitions).

Window: [go_live_at, go_live_at + window_hours). Baseline: [go_live_at - baseline_hours, go_live_at).
The effective window (hypercare.decisions.window) adds the hours of `extend` decisions to its
end, or ends it at an `exit` decision; a Window carries both, so every user of `end` follows.
All instants are timezone-aware; the team's time zone only matters for the local clock used to find
the same hours of the baseline (a week back keeps the local hour across a DST change).
"""

from __future__ import annotations

import functools
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
    window_hours: float = 72  # as configured
    baseline_hours: float = 168
    timezone: str = "UTC"
    extended_hours: float = 0  # added by `extend` decisions
    ended_at: datetime | None = None  # the `exit` decision that ended the window, if any

    def __post_init__(self) -> None:
        object.__setattr__(self, "go_live_at", utc(self.go_live_at))
        if self.ended_at is not None:
            object.__setattr__(self, "ended_at", utc(self.ended_at))

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def planned_end(self) -> datetime:
        """The end as configured plus extensions, before any exit."""
        return self.go_live_at + timedelta(hours=self.window_hours + self.extended_hours)

    @property
    def exited(self) -> bool:
        """True when an exit decision ended the window before its planned end."""
        return self.ended_at is not None and self.ended_at < self.planned_end

    @property
    def end(self) -> datetime:
        """The effective end: the planned end, or the exit when it came first (never before go-live)."""
        if self.exited:
            return max(self.ended_at, self.go_live_at)
        return self.planned_end

    @property
    def hours(self) -> float:
        """The effective length of the window in hours."""
        return (self.end - self.go_live_at).total_seconds() / 3600

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
        if self.hours <= 0:
            return 0.0 if now < self.go_live_at else 1.0
        return min(max(self.hours_since_go_live(now) / self.hours, 0.0), 1.0)

    def label(self, now: datetime) -> str:
        """Where we are, as people say it: 'T−3 h', 'T+14 h of 72 h', 'window ended 5 h ago'."""
        h = self.hours_since_go_live(now)
        total = _hours(self.hours)
        if h < 0:
            return f"T−{math.ceil(-h)} h"
        if now < self.end:
            return f"T+{math.floor(h)} h of {total} h"
        ago = math.floor(h - self.hours)
        if self.exited:
            return f"T+{math.floor(h)} h (hypercare exited at T+{math.floor(self.hours)} h, {ago} h ago)"
        return f"T+{math.floor(h)} h (the {total} h window ended {ago} h ago)"

    def describe(self) -> str:
        """How the window's length came about: '72 h', '72 h + 12 h extended', '... exited at T+40 h'."""
        text = f"{_hours(self.window_hours)} h as configured"
        if self.extended_hours:
            text += f" + {_hours(self.extended_hours)} h extended"
        if self.exited:
            text += f"; exited at T+{_hours(round(self.hours, 1))} h"
        return text

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

    def local_label(self, instant: datetime, fmt: str = "%a %H:%M") -> str:
        """`instant` on the team's clock; a reading a fall-back repeats gets its zone
        abbreviation ('Sun 02:00 CEST', then 'Sun 02:00 CET'), so the two hours never look like one."""
        return local_label(instant, self.tz, fmt)

    def span_label(self, period: Period, fmt: str = "%a %H:%M") -> str:
        """A period on the team's clock: 'Tue 10:00–11:00'; the first 02:00 hour of a
        fall-back reads 'Sun 02:00 CEST–03:00', never '02:00–02:00'."""
        return span_label(period, self.tz, fmt)

    def baseline_samples(self, period: Period) -> list[Period]:
        """Copies of `period` shifted back to the same local wall-clock hours of the baseline.

        A week back when the baseline spans at least 7 days, else a day back; the shift is made
        on the team's wall clock, so a DST change keeps the local hour. The period's end is read
        as the wall time just before it, so the first 02:00 hour of a fall-back (whose end is
        the second 02:00) still spans 02:00–03:00: both 02:00 hours of a fall-back take the one
        02:00 hour of the week before. A copy that falls in a spring-forward's skipped hour is
        empty and left out; a one-hour copy that holds a fall-back's two 02:00 hours counts as
        two samples of an hour each. Only copies wholly inside the baseline (before go-live)
        count. An empty list means "no baseline", shown as such, never as 0.
        """
        # kept by instant (equal Periods in one zone may be different instants across a fall-back)
        return list(_baseline_samples(self, Period(period.start.astimezone(timezone.utc),
                                                   period.end.astimezone(timezone.utc))))


@functools.lru_cache(maxsize=4096)
def _baseline_samples(window: Window, period: Period) -> tuple[Period, ...]:
    """Window.baseline_samples of a UTC period, kept: the wall-clock arithmetic costs ~40 µs a
    period, and a report asks for the copies of each window hour three times (~10 ms), every
    page rerun again."""
    step = timedelta(days=7) if window.baseline_hours >= 7 * 24 else timedelta(days=1)
    tz = window.tz
    start_wall = _wall(period.start, tz)
    end_wall = _wall(period.end - _TICK, tz) + _TICK
    wall_length = end_wall - start_wall
    samples = []
    k = 1
    while True:
        s = _from_wall(start_wall - k * step, tz)
        e = _from_wall(end_wall - k * step, tz)
        if s < window.baseline_start:
            break
        if window.go_live_at >= e > s:
            if e - s > wall_length and wall_length <= timedelta(hours=1):
                samples += [Period(s, s + wall_length), Period(e - wall_length, e)]
            else:
                samples.append(Period(s, e))
        k += 1
    return tuple(samples)


_TICK = timedelta(microseconds=1)


def local_label(instant: datetime, tz: ZoneInfo, fmt: str = "%a %H:%M") -> str:
    """`instant` on `tz`'s clock, with the zone abbreviation when a fall-back repeats the reading."""
    local = instant.astimezone(tz)
    text = f"{local:{fmt}}"
    return f"{text} {local:%Z}" if is_repeated(local) else text


def span_label(period: Period, tz: ZoneInfo, fmt: str = "%a %H:%M") -> str:
    """[start, end) on `tz`'s clock, the end read just before it: 'Sun 02:00 CEST–03:00'; a
    period longer than a day names both ends in full ('Sun 15 Nov 22:00 – Sun 22 Nov 22:00')."""
    if period.end - period.start > timedelta(days=1):
        return f"{local_label(period.start, tz, fmt)} – {local_label(period.end, tz, fmt)}"
    end_wall = _wall(period.end - _TICK, tz) + _TICK
    return f"{local_label(period.start, tz, fmt)}–{end_wall:%H:%M}"


def is_repeated(local: datetime) -> bool:
    """Whether this local reading occurs twice (the repeated hour of a fall-back)."""
    other = local.replace(fold=1 - local.fold)
    return other.utcoffset() != local.utcoffset()


def _wall(instant: datetime, tz: ZoneInfo) -> datetime:
    """The local wall-clock reading of `instant` (naive: a repeated hour reads the same twice)."""
    return instant.astimezone(tz).replace(tzinfo=None, fold=0)


def _from_wall(wall: datetime, tz: ZoneInfo) -> datetime:
    """The first UTC instant whose wall-clock reading is at or after `wall`: the first of two
    readings in a fall-back, the end of the gap for a reading a spring-forward skips."""
    first = wall.replace(tzinfo=tz, fold=0).astimezone(timezone.utc)
    second = wall.replace(tzinfo=tz, fold=1).astimezone(timezone.utc)
    earliest = min(first, second)
    if _wall(earliest, tz) == wall:
        return earliest
    if _wall(max(first, second), tz) == wall:
        return max(first, second)
    # in a gap: step from the earlier reading to where the wall clock passes `wall`
    t = earliest
    while _wall(t, tz) < wall:
        t += timedelta(minutes=15)
    while _wall(t - timedelta(minutes=1), tz) >= wall:
        t -= timedelta(minutes=1)
    return t


def _hours(h: float) -> str:
    return f"{h:g}"
