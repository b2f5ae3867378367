"""The one state model: which state a figure read from given sources is in."""

from datetime import UTC, datetime

import pytest

from hypercare.auth.identity import Identity, PermissionDenied, local_identity, require
from hypercare.states import source_state
from hypercare.store.queries.freshness import Freshness

T = datetime(2026, 11, 23, 12, tzinfo=UTC)


def fresh(name, state, latest_ok=True):
    return Freshness(name, 300, T if state != "never" else None, T, None, latest_ok, state)


@pytest.mark.parametrize("sources, expected", [
    ([], "not configured"),
    ([fresh("sentry", "fresh")], "collected"),
    ([fresh("sentry", "stale")], "stale"),
    ([fresh("sentry", "stale", latest_ok=False)], "failed"),
    ([fresh("sentry", "never", latest_ok=None)], "never collected"),
    ([fresh("tickets:a", "fresh"), fresh("tickets:b", "stale")], "stale"),
    ([fresh("tickets:a", "stale"), fresh("tickets:b", "never", None)], "never collected"),
])
def test_the_worst_source_decides(sources, expected):
    state = source_state(sources, "ticket")
    assert state.state == expected
    assert state.usable == (expected == "collected")
    if expected != "collected":
        assert state.reason


def test_reason_names_the_source():
    assert source_state([fresh("tickets:b", "stale")], "ticket").reason == "tickets:b is stale"
    assert source_state([], "Sentry").reason == "no Sentry source is configured"


def test_roles_are_ordered_and_required():
    stakeholder = Identity("Sam", "sam@example.com", "stakeholder")
    with pytest.raises(PermissionDenied, match="needs the responder role"):
        require(stakeholder, "responder", "acknowledging an incident")
    require(Identity("Rita", None, "responder"), "responder", "acknowledging")
    assert not Identity("Rita", None, "responder").may("lead")
    assert local_identity().role == "lead"
    assert stakeholder.actor == "Sam <sam@example.com>"


def test_a_window_figure_before_go_live_is_not_started_whatever_its_sources_say():
    from datetime import timedelta

    from hypercare.states import figure_state, phase_state
    from hypercare.window import Window

    w = Window(T, 72, 168, "Europe/Brussels")
    early = T - timedelta(hours=3)
    state = figure_state([fresh("checks", "stale")], "health-check", w, early)
    assert (state.state, state.usable, state.shown_as) == ("not started", False, "not started")
    assert state.reason == "the window begins Mon 23 Nov 13:00"  # the team's clock
    assert figure_state([fresh("checks", "stale")], "health-check", w, T).state == "stale"
    assert phase_state(w, T).state == "collected"


def test_baseline_and_sessions_states():
    from hypercare.states import baseline_state, sessions_state

    assert baseline_state(0, None).state == "no baseline"
    assert baseline_state(2, None).state == "no baseline"
    assert baseline_state(2, 0.0).state == "collected"  # a zero baseline is a value
    assert sessions_state([fresh("sentry", "fresh")], 0).state == "not offered"
    assert sessions_state([fresh("sentry", "fresh")], 10).state == "collected"
    assert sessions_state([fresh("sentry", "stale")], 0).state == "stale"


@pytest.mark.parametrize("unit, value, baseline, higher_is_better, expected", [
    ("events", 0, 0, False, None),  # 0 vs 0: nothing to colour
    ("events", 4, 2, False, None),  # 2× but only 2 apart
    ("events", 12, 4, False, "worse"),
    ("events", 5, 0, False, "worse"),  # a zero baseline still judges a real jump
    ("events", 11, 10, False, None),
    ("events", 2, 12, False, "better"),
    ("%", 99.95, 100.0, True, None),
    ("%", 99.5, 100.0, True, "worse"),
    ("ms", 430, 400, False, None),
    ("ms", 600, 400, False, "worse"),
])
def test_a_change_is_coloured_only_when_it_matters(unit, value, baseline, higher_is_better, expected):
    from hypercare.store.queries.kpi import Kpi

    kpi = Kpi("k", "K", value, baseline, unit, "", higher_is_better=higher_is_better)
    assert kpi.change() == expected
