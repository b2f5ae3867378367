"""Time as a dependency: every rule takes `now` from a clock so tests never read the wall clock."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class FixedClock:
    """A clock that only moves when told to; `sleep` advances it instead of waiting."""

    def __init__(self, at: datetime):
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._at = at.astimezone(timezone.utc)
        self._lock = threading.Lock()
        self.slept: list[float] = []

    def now(self) -> datetime:
        with self._lock:
            return self._at

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            self._at += timedelta(seconds=max(seconds, 0))

    def advance(self, **delta: float) -> None:
        with self._lock:
            self._at += timedelta(**delta)


def utc(dt: datetime) -> datetime:
    """`dt` in UTC; refuses naive datetimes, whose meaning would be a guess."""
    if dt.tzinfo is None:
        raise ValueError(f"naive datetime {dt!r}: give a time zone")
    return dt.astimezone(timezone.utc)
