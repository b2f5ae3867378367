"""Hysteresis: thresholds of consecutive results before a check flips, and streaks across runs."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypercare.health_state import DOWN, UNKNOWN, UP, Outcome, advance, streak

T0 = datetime(2026, 11, 24, 11, 0, tzinfo=timezone.utc)


def outcomes(pattern: str) -> list[Outcome]:
    """'++-' → ok, ok, failed, one minute apart."""
    return [Outcome(T0 + timedelta(minutes=i), c == "+", None if c == "+" else f"status 503 #{i}") for i, c in enumerate(pattern)]


def flips(pattern: str, state: str = UNKNOWN, history: str = "", f: int = 3, s: int = 2):
    final, transitions = advance("api", state, [c == "+" for c in history], outcomes(pattern), f, s)
    return final, [(t.changed_at - T0, t.from_state, t.to_state) for t in transitions]


def test_streak_counts_the_trailing_run():
    assert streak([]) == (None, 0)
    assert streak([True, False, False]) == (False, 2)
    assert streak([True, True, True]) == (True, 3)


def test_flaps_shorter_than_the_thresholds_change_nothing():
    assert flips("+-+--+-", state=UP) == (UP, [])
    assert flips("-+-++", state=DOWN, s=3) == (DOWN, [])


def test_down_after_failure_threshold_and_up_after_success_threshold():
    state, changes = flips("++--" "-" "-+" "+", state=UP)
    assert state == UP
    assert changes == [(timedelta(minutes=4), UP, DOWN), (timedelta(minutes=7), DOWN, UP)]


def test_unknown_until_a_threshold_is_reached():
    assert flips("+") == (UNKNOWN, [])
    assert flips("++") == (UP, [(timedelta(minutes=1), UNKNOWN, UP)])
    assert flips("---") == (DOWN, [(timedelta(minutes=2), UNKNOWN, DOWN)])


def test_stored_history_continues_the_streak_across_restarts():
    # two failures were stored before the restart; the third one flips it
    assert flips("-", state=UP, history="++--") == (DOWN, [(timedelta(0), UP, DOWN)])
    # an older success breaks the failure streak: no flip yet
    assert flips("-", state=UP, history="-+-") == (UP, [])


def test_a_longer_streak_does_not_flip_twice():
    assert flips("---", state=DOWN, history="---") == (DOWN, [])


def test_transition_reason_tells_the_streak_and_the_last_failure():
    _, transitions = advance("api", UP, [], outcomes("---"), 3, 2)
    assert transitions[0].reason == "3 failed checks in a row; last: status 503 #2"
    _, transitions = advance("api", DOWN, [], outcomes("+"), 3, 1)
    assert transitions[0].reason == "1 successful check in a row"
