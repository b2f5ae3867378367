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
