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
    parts = (_users(s), _rate(s), _trend(s), _severity(s), _new(s), _age(s, now))
    total = _r(sum(p.points for p in parts))
    return Score(parts, total, _r(total - parts[-1].points))


def suggested_severity(score_: Score) -> str:
    return next((sev for low, sev in SUGGESTED if score_.without_age >= low), "SEV4")


def _users(s: Signals) -> ScorePart:
    if s.users is None:
        return ScorePart("users", None, 0.0, f"users not reported ({s.users_note}): 0 points")
    points = _r(min(USERS_MAX, 10 * math.log10(1 + max(0, s.users))))
    return ScorePart("users", float(s.users), points, f"{s.users:,} users affected: {points:g} of {USERS_MAX:g}")


def _rate(s: Signals) -> ScorePart:
    if s.last_hour is None:
        return ScorePart("rate", None, 0.0, f"{s.unit} in the last hour not known: 0 points")
    points = _r(min(RATE_MAX, 10 * math.log10(1 + max(0.0, s.last_hour))))
    return ScorePart("rate", float(s.last_hour), points,
                     f"{s.last_hour:,g} {s.unit} in the last complete hour: {points:g} of {RATE_MAX:g}")


def _trend(s: Signals) -> ScorePart:
    if s.last_hour is None or s.hour_before is None:
        return ScorePart("trend", None, 0.0, "no hour to compare with: 0 points")
    ratio = (s.last_hour + 1) / (s.hour_before + 1)
    points = _r(min(TREND_HIGH, max(TREND_LOW, 5 * math.log2(ratio))))
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
    hours = max(0.0, (now - s.first_seen).total_seconds() / 3600)
    points = _r(-min(AGE_MAX, hours / AGE_HOURS_PER_POINT))
    return ScorePart("age", _r(hours), points, f"first seen {hours:,.1f} h ago: {points:g}")
