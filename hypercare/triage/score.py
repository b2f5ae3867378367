"""The inbox's priority score: a pure, deterministic function of what an item shows.

    users     min(30, 10 · log10(1 + users))                 0 when users aren't reported
    rate      min(20, 10 · log10(1 + per hour))              events, tickets or transitions in the last complete hour
    trend     clamp(5 · log2((last + 1) / (before + 1)), −5, +10)   last hour against the hour before
    severity  45 / 25 / 10 / 5 for level 1 / 2 / 3 / 4      fatal, down, P1, SEV1 are level 1
    new       15 when first seen since go-live
    age       −min(10, hours since first seen / 6)

The total is the sum; `without_age` leaves the age term out. The severity suggested for a new
incident reads `without_age` (an item does not become less severe by waiting): SEV1 from 100,
SEV2 from 60, SEV3 from 35, else SEV4. The README works an example through.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from hypercare.triage.model import Score, ScorePart

USERS_MAX = 30.0
RATE_MAX = 20.0
TREND_LOW, TREND_HIGH = -5.0, 10.0
SEVERITY_POINTS = {1: 45.0, 2: 25.0, 3: 10.0, 4: 5.0}
NEW_POINTS = 15.0
AGE_HOURS_PER_POINT = 6.0
AGE_MAX = 10.0
SUGGESTED = ((100.0, "SEV1"), (60.0, "SEV2"), (35.0, "SEV3"))


@dataclass(frozen=True)
class Signals:
    """What an item measures, as the score reads it.

    `users` None: not reported (`users_note` says why, e.g. the server doesn't count users).
    `last_hour` / `hour_before`: counts of `unit` in the last complete hour and the one before
    (None: unknown, or not a rate for this kind of item). `level`: 1 (most urgent) to 4, with the
    source's own word for it in `level_label` ("fatal", "down", "P1", "SEV2")."""

    users: int | None
    users_note: str
    last_hour: float | None
    hour_before: float | None
    unit: str
    level: int
    level_label: str
    new: bool
    first_seen: datetime


def _r(x: float) -> float:
    return round(x, 2) + 0.0  # + 0.0: never -0.0


def score(s: Signals, now: datetime) -> Score:
    """The score's points, its parts' sentences left until someone reads them (`Score.parts`):
    formatting them costs more than the arithmetic, and most items are only ranked."""
    age = _age_points(s, now)
    total = _r(_users_points(s) + _rate_points(s) + _trend_points(s) + SEVERITY_POINTS[s.level]
               + (NEW_POINTS if s.new else 0.0) + age)
    return Score(Parts(s, now), total, _r(total - age))


def parts(s: Signals, now: datetime) -> tuple[ScorePart, ...]:
    """The score's terms, each with its value, points and sentence."""
    return _users(s), _rate(s), _trend(s), _severity(s), _new(s), _age(s, now)


class Parts(Sequence):
    """`parts(signals, now)`, built on first read (and kept); a plain sequence of ScoreParts to its reader."""

    def __init__(self, signals: Signals, now: datetime):
        self.signals, self.now, self._built = signals, now, None

    def _parts(self) -> tuple[ScorePart, ...]:
        if self._built is None:
            self._built = parts(self.signals, self.now)
        return self._built

    def __getitem__(self, index):
        return self._parts()[index]

    def __len__(self) -> int:
        return 6

    def __eq__(self, other) -> bool:
        return isinstance(other, Sequence) and tuple(self) == tuple(other)

    def __hash__(self) -> int:
        return hash(self._parts())

    def __repr__(self) -> str:
        return repr(self._parts())

    def __getstate__(self) -> dict:  # a cached copy (Streamlit pickles results) carries the inputs only
        return {"signals": self.signals, "now": self.now, "_built": None}


def suggested_severity(score_: Score) -> str:
    return next((sev for low, sev in SUGGESTED if score_.without_age >= low), "SEV4")


def _users_points(s: Signals) -> float:
    return 0.0 if s.users is None else _r(min(USERS_MAX, 10 * math.log10(1 + max(0, s.users))))


def _rate_points(s: Signals) -> float:
    return 0.0 if s.last_hour is None else _r(min(RATE_MAX, 10 * math.log10(1 + max(0.0, s.last_hour))))


def _ratio(s: Signals) -> float:
    return (s.last_hour + 1) / (s.hour_before + 1)


def _trend_points(s: Signals) -> float:
    if s.last_hour is None or s.hour_before is None:
        return 0.0
    return _r(min(TREND_HIGH, max(TREND_LOW, 5 * math.log2(_ratio(s)))))


def _hours(s: Signals, now: datetime) -> float:
    return max(0.0, (now - s.first_seen).total_seconds() / 3600)


def _age_points(s: Signals, now: datetime) -> float:
    return _r(-min(AGE_MAX, _hours(s, now) / AGE_HOURS_PER_POINT))


def _users(s: Signals) -> ScorePart:
    points = _users_points(s)
    if s.users is None:
        return ScorePart("users", None, points, f"users not reported ({s.users_note}): 0 points")
    return ScorePart("users", float(s.users), points, f"{s.users:,} users affected: {points:g} of {USERS_MAX:g}")


def _rate(s: Signals) -> ScorePart:
    points = _rate_points(s)
    if s.last_hour is None:
        return ScorePart("rate", None, points, f"{s.unit} in the last hour not known: 0 points")
    return ScorePart("rate", float(s.last_hour), points,
                     f"{s.last_hour:,g} {s.unit} in the last complete hour: {points:g} of {RATE_MAX:g}")


def _trend(s: Signals) -> ScorePart:
    points = _trend_points(s)
    if s.last_hour is None or s.hour_before is None:
        return ScorePart("trend", None, points, "no hour to compare with: 0 points")
    ratio = _ratio(s)
    return ScorePart("trend", _r(ratio), points,
                     f"{s.last_hour:,g} {s.unit} in the last hour against {s.hour_before:,g} the hour before "
                     f"(×{ratio:.2f}): {points:+g}")


def _severity(s: Signals) -> ScorePart:
    points = SEVERITY_POINTS[s.level]
    return ScorePart("severity", float(s.level), points, f"{s.level_label} (level {s.level} of 4): {points:g}")


def _new(s: Signals) -> ScorePart:
    if s.new:
        return ScorePart("new", 1.0, NEW_POINTS, f"first seen since go-live: {NEW_POINTS:g}")
    return ScorePart("new", 0.0, 0.0, "known before go-live: 0 points")


def _age(s: Signals, now: datetime) -> ScorePart:
    hours = _hours(s, now)
    points = _age_points(s, now)
    return ScorePart("age", _r(hours), points, f"first seen {hours:,.1f} h ago: {points:g}")
