"""The inbox as a person sees it (hypercare.triage.view.combine): each item's state from the
recorded actions and the incidents open for its source; the set-aside list; the untriaged count."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypercare.triage.model import Item, Score
from hypercare.triage.view import combine

NOW = datetime(2026, 11, 24, 11, 0, tzinfo=timezone.utc)


def item(key: str, source: str = "sentry", without_age: float = 40.0) -> Item:
    ref = key.split(":", 1)[1]
    return Item(key, source, "new", f"title of {key}", ref, NOW - timedelta(hours=3), NOW, {}, None,
                Score((), without_age - 2, without_age), "SEV3")


def row(key: str, action: str, at: datetime, **extra) -> dict:
    base = {"item_key": key, "source": "sentry", "ref": key.split(":", 1)[1], "title": f"recorded {key}",
            "action": action, "incident_id": None, "incident_status": None, "aside_kind": None, "reason": None,
            "until": None, "score_without_age": None, "members": None, "actor": "Ana", "acted_at": at}
    return {**base, **extra}


def test_states_from_actions_and_incidents():
    items = [item("sentry:1"), item("sentry:2"), item("sentry:3"), item("check:api", "checks"),
             item("incident:INC-4", "incidents"), item("sentry:5", without_age=60.0)]
    rows = [
        row("sentry:2", "linked", NOW - timedelta(hours=1), incident_id="INC-1", incident_status="acknowledged"),
        row("sentry:3", "set aside", NOW - timedelta(hours=2), aside_kind="known", reason="seen", score_without_age=40.0),
        row("sentry:5", "set aside", NOW - timedelta(hours=2), aside_kind="known", reason="seen", score_without_age=40.0),
        row("sentry:9", "set aside", NOW - timedelta(hours=1), aside_kind="accepted", reason="old", score_without_age=10.0),
        row("sentry:8", "set aside", NOW - timedelta(hours=5), aside_kind="known", reason="x", until=NOW - timedelta(minutes=1)),
    ]
    covering = {("checks", "api"): ("INC-3", "open"), ("incidents", "INC-4"): ("INC-4", "open")}
    view = combine(items, rows, covering, NOW)
    words = {e.key: e.state.words for e in view.inbox}
    assert words == {
        "sentry:1": "untriaged",
        "sentry:2": "INC-1 (acknowledged)",
        "check:api": "INC-3 (open)",  # the engine auto-opened it for the check
        "incident:INC-4": "INC-4 (open)",  # an incident item is an incident already
        "sentry:5": "back: worse: score without age 60.0, was 40.0 when set aside",  # before the row is written
    }
    assert [e.key for e in view.inbox] == ["sentry:1", "sentry:2", "check:api", "incident:INC-4", "sentry:5"]  # as ranked
    # set aside: still there, and one no longer among the items (as recorded); sentry:8's until passed
    assert [(e.key, e.title, e.item is None) for e in view.set_aside] == \
        [("sentry:9", "recorded sentry:9", True), ("sentry:3", "title of sentry:3", False)]
    assert view.untriaged == 2


def test_an_item_whose_incident_is_resolved_is_back_while_it_still_qualifies():
    """Opened or linked to an incident that is resolved since: untriaged again, saying which
    incident was resolved; an incident open for its source still covers it; an item that no
    longer qualifies (not among the items) is not listed at all."""
    items = [item("sentry:1"), item("sentry:2"), item("check:api", "checks")]
    rows = [
        row("sentry:1", "opened", NOW - timedelta(hours=2), incident_id="INC-1", incident_status="resolved"),
        row("sentry:2", "linked", NOW - timedelta(hours=2), incident_id="INC-2", incident_status="mitigated"),
        row("check:api", "linked", NOW - timedelta(hours=2), incident_id="INC-3", incident_status="resolved"),
        row("sentry:7", "opened", NOW - timedelta(hours=2), incident_id="INC-7", incident_status="resolved"),
    ]
    covering = {("checks", "api"): ("INC-5", "open")}
    view = combine(items, rows, covering, NOW)
    states = {e.key: e.state for e in view.inbox}
    assert {k: s.words for k, s in states.items()} == \
        {"sentry:1": "back: INC-1 resolved", "sentry:2": "INC-2 (mitigated)", "check:api": "INC-5 (open)"}
    assert (states["sentry:1"].state, states["sentry:1"].incident_id) == ("untriaged", "INC-1")
    assert view.untriaged == 1
