"""Up/down state of a check with hysteresis: thresholds of consecutive results, and the flips.

A check starts "unknown". It becomes "down" after `failure_threshold` failures in a row and
"up" after `success_threshold` successes in a row; a shorter streak keeps the current state,
so one slow answer never pages anyone. The state is rebuilt from stored rows (the last
transition and the latest results), so a restart keeps the streak it was in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

UNKNOWN, UP, DOWN = "unknown", "up", "down"


@dataclass(frozen=True)
class Outcome:
    """One check result as the state machine needs it."""

    at: datetime
    ok: bool
    reason: str | None = None  # why it failed


@dataclass(frozen=True)
class Transition:
    check_name: str
    changed_at: datetime
    from_state: str
    to_state: str
    reason: str


def streak(history: Sequence[bool]) -> tuple[bool | None, int]:
    """The value and length of the run of equal results at the end of `history` (oldest first)."""
    if not history:
        return None, 0
    last = history[-1]
    length = 0
    for ok in reversed(history):
        if ok != last:
            break
        length += 1
    return last, length


def advance(
    check_name: str,
    state: str,
    history: Sequence[bool],
    outcomes: Sequence[Outcome],
    failure_threshold: int,
    success_threshold: int,
) -> tuple[str, list[Transition]]:
    """Apply new `outcomes` (oldest first) to `state`, given the stored results before them.

    `history` holds the stored results' ok values, oldest first; only its trailing streak
    matters, so the last max(thresholds) are enough. Returns the new state and the flips.
    """
    run_ok, run_len = streak(history)
    transitions = []
    for outcome in outcomes:
        run_len = run_len + 1 if run_ok == outcome.ok else 1
        run_ok = outcome.ok
        if outcome.ok and state != UP and run_len >= success_threshold:
            reason = f"{run_len} successful check{'s' if run_len > 1 else ''} in a row"
            transitions.append(Transition(check_name, outcome.at, state, UP, reason))
            state = UP
        elif not outcome.ok and state != DOWN and run_len >= failure_threshold:
            reason = f"{run_len} failed check{'s' if run_len > 1 else ''} in a row; last: {outcome.reason or 'failed'}"
            transitions.append(Transition(check_name, outcome.at, state, DOWN, reason))
            state = DOWN
    return state, transitions
