"""When shift reports are due: slot instants from `[report]`, pure functions of the window.

Slots lie inside the window, after go-live: every local `at` time of each day (`[release]
timezone`'s clock, so a DST change keeps 08:00 at 08:00), or go-live + k × `every_hours`; plus
one at the window's end (the exit report). A slot is a UTC instant; its file name carries the
slot's local time and UTC offset, so the repeated hour of a DST change never collides.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta, timezone

from hypercare.config import ReportConfig
from hypercare.window import Window


def slots(report: ReportConfig, window: Window) -> list[datetime]:
    """Every slot of the window, oldest first (empty when no schedule is configured)."""
    found: set[datetime] = set()
    if report.every_hours:
        step = timedelta(hours=report.every_hours)
        t = window.go_live_at + step
        while t < window.end:
            found.add(t)
            t += step
    elif report.at:
        times = [time.fromisoformat(a) for a in report.at]
        day = window.local(window.go_live_at).date()
        while True:
            for at in times:
                # fold=0: a local time repeated by a DST change is its first occurrence, once a day
                t = datetime.combine(day, at, tzinfo=window.tz).astimezone(timezone.utc)
                if window.go_live_at < t < window.end:
                    found.add(t)
            if datetime.combine(day, time(0), tzinfo=window.tz) > window.end:
                break
            day += timedelta(days=1)
    else:
        return []
    found.add(window.end)
    return sorted(found)


def latest_due(all_slots: list[datetime], now: datetime) -> datetime | None:
    """The latest slot at or before `now` (earlier missed slots are never written)."""
    due = [s for s in all_slots if s <= now]
    return due[-1] if due else None


def next_after(all_slots: list[datetime], now: datetime) -> datetime | None:
    return next((s for s in all_slots if s > now), None)


def previous_before(all_slots: list[datetime], now: datetime) -> datetime | None:
    earlier = [s for s in all_slots if s < now]
    return earlier[-1] if earlier else None


def slug(name: str) -> str:
    """'FitBook booking platform' -> 'fitbook-booking-platform' (safe in any file system)."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "release"


def file_stem(release_name: str, slot: datetime, window: Window) -> str:
    """`<release-slug>-<YYYYMMDD-HHMM±HHMM>`: the slot's local time and its UTC offset."""
    return f"{slug(release_name)}-{window.local(slot):%Y%m%d-%H%M%z}"
