"""The Incidents page: empty database, the demo, and an action that writes its audit event
to the incident the person chose, refused if that incident changed after the page showed it."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from streamlit.testing.v1 import AppTest

from hypercare.auth.identity import local_identity
from hypercare.incidents import actions as inc
from hypercare.clock import FixedClock
from hypercare.config import parse_config
from hypercare.runtime import AppContext, set_context
from hypercare.store.read import arrow
from tests.test_incidents import CONFIG, G, who

PAGE = "../dashboard/views/incidents.py"


def page(store, clock):
    set_context(AppContext(CONFIG, store, clock))
    return AppTest.from_file(PAGE, default_timeout=30).run()


def shown(markdown: str) -> str:
    """What a viewer reads: the Markdown source without as_text's backslashes."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")  # and its word joiners


def submit(at: AppTest) -> AppTest:
    """Click the action form's button (the one whose label names an incident)."""
    return next(b for b in at.button if "INC-" in b.label).click().run()


def test_empty_database_says_so(store, clock):
    at = page(store, clock)
    assert not at.exception
    assert "No unresolved incidents." in [i.value for i in at.info]
    assert [m.value for m in at.metric][:4] == ["0", "0", "0", "0"]


def test_an_action_writes_the_audit_event_and_shows_at_once(store):
    clock = FixedClock(G + timedelta(hours=2))
    inc.open_incident(store, CONFIG, title="Login <b>broken</b>", severity="SEV1", identity=who("hypercare"), now=clock.now())
    clock.advance(minutes=3)
    at = page(store, clock)
    assert not at.exception
    assert at.dataframe[0].value.iloc[0]["status"] == "open"
    assert "Login <b>broken</b>" in at.selectbox(key="incident").options[0]  # plain text, not markup
    at.selectbox(key="action").set_value("acknowledge").run()
    assert [b.label for b in at.button if "INC-" in b.label] == ["Acknowledge INC-1"]
    at.text_area(key="note").set_value("on it")
    submit(at)
    assert not at.exception and not at.error
    assert [shown(s.value) for s in at.success] == ["INC-1: acknowledge recorded."]
    log = arrow(store.cursor(), "SELECT kind, actor, note, occurred_at FROM incident_events ORDER BY occurred_at").to_pylist()
    # Without sign-in the OS user acts, never typed text.
    assert log[-1] == {"kind": "acknowledge", "actor": local_identity().actor, "note": "on it", "occurred_at": clock.now()}
    assert not [t for t in at.text_input if "acting" in t.label.lower()]
    assert at.dataframe[0].value.iloc[0]["status"] == "acknowledged"  # same run: caches were cleared
    assert list(at.dataframe[1].value["kind"]) == ["open", "acknowledge"]


def test_a_refused_action_is_an_error_sentence(store):
    clock = FixedClock(G + timedelta(hours=2))
    inc.open_incident(store, CONFIG, title="x", severity="SEV3", identity=who("ana"), now=clock.now())
    at = page(store, clock)
    at.selectbox(key="action").set_value("change severity").run()
    at.selectbox(key="severity").set_value("SEV3")
    submit(at)
    assert not at.exception
    assert [shown(e.value) for e in at.error] == ["choose a severity other than SEV3 among SEV1, SEV2, SEV3, SEV4."]


def test_only_the_actions_that_apply_to_the_shown_state_are_offered(store, clock):
    inc.open_incident(store, CONFIG, title="x", severity="SEV3", identity=who("ana"), now=clock.now())
    inc.mitigate(store, "INC-1", identity=who("ana"), now=clock.now())
    at = page(store, clock)
    assert at.selectbox(key="action").options == ["assign owner", "escalate", "change severity", "resolve", "add note"]


def test_opening_by_hand(store, clock):
    at = page(store, clock)
    at.text_input(key="new_title").set_value("Emails delayed")
    at.selectbox(key="new_severity").set_value("SEV4")
    next(b for b in at.button if b.label == "Open incident").click().run()
    assert not at.exception
    assert arrow(store.cursor(), "SELECT title, severity FROM incidents").to_pylist() == [{"title": "Emails delayed", "severity": "SEV4"}]
    assert arrow(store.cursor(), "SELECT actor FROM incident_events").to_pylist() == [{"actor": local_identity().actor}]
    assert at.metric[3].value == "1"


def test_go_live_not_known_yet(store, clock):
    config = parse_config({"release": {"name": "shop", "version": "shop@1"}, "sentry": {"org": "o", "projects": ["web"]}},
                          Path("."))
    inc.open_incident(store, config, title="x", severity="SEV2", identity=who("ana"), now=clock.now())
    set_context(AppContext(config, store, clock))
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    assert not at.exception
    assert "Normal targets in force." in [c.value for c in at.caption]
    assert len(at.metric) == 4  # no MTTA/MTTR without a window


def _four_open(store, clock):
    for n in range(1, 5):
        inc.open_incident(store, CONFIG, title=f"t{n}", severity="SEV3", identity=who("ana"), now=clock.now())
        clock.advance(minutes=1)


def test_the_choice_stays_on_the_chosen_incident_when_the_list_reorders(store):
    clock = FixedClock(G + timedelta(hours=2))
    _four_open(store, clock)
    at = page(store, clock)
    assert at.selectbox(key="incident").options[0].startswith("INC-4")  # newest unresolved first
    at.selectbox(key="incident").set_value("INC-2").run()
    at.selectbox(key="action").set_value("resolve").run()
    submit(at)  # INC-2 resolved: it moves to the end of the list
    assert not at.exception and not at.error
    assert at.selectbox(key="incident").value == "INC-2"
    at.selectbox(key="action").set_value("add note").run()
    assert [b.label for b in at.button if "INC-" in b.label] == ["Add the note to INC-2"]
    at.text_area(key="note").set_value("root cause: cache")
    submit(at)
    notes = arrow(store.cursor(), "SELECT incident_id FROM incident_events WHERE kind = 'note'").to_pylist()
    assert notes == [{"incident_id": "INC-2"}]


def test_an_action_on_an_incident_that_changed_after_the_page_showed_it_is_refused(store):
    clock = FixedClock(G + timedelta(hours=2))
    inc.open_incident(store, CONFIG, title="x", severity="SEV2", identity=who("ana"), now=clock.now())
    at = page(store, clock)
    at.selectbox(key="action").set_value("resolve").run()
    assert "INC-1 is open, SEV2, level 1, owner nobody." in [shown(c.value) for c in at.caption]
    clock.advance(minutes=2)
    inc.acknowledge(store, "INC-1", identity=who("bo"), now=clock.now())  # elsewhere, after the page was drawn
    inc.assign_owner(store, "INC-1", "Bo", identity=who("bo"), now=clock.now())
    submit(at)
    assert not at.exception
    assert [shown(e.value) for e in at.error] == [
        "INC-1 changed after this page showed it (it is now acknowledged, SEV2, level 1, owner Bo); "
        "nothing was recorded: look at it again and choose."
    ]
    kinds = arrow(store.cursor(), "SELECT kind FROM incident_events ORDER BY occurred_at, kind").to_pylist()
    assert [k["kind"] for k in kinds] == ["open", "acknowledge", "assign"]
    submit(at)  # the page now shows the new state: the same action goes through
    assert not at.error
    assert arrow(store.cursor(), "SELECT status FROM incidents").to_pylist() == [{"status": "resolved"}]


def test_the_form_shows_only_the_fields_the_action_uses(store, clock):
    inc.open_incident(store, CONFIG, title="x", severity="SEV2", identity=who("ana"), now=clock.now())
    at = page(store, clock)

    def fields():
        return {w.key for w in [*at.text_input, *at.text_area, *at.selectbox]}
    at.selectbox(key="action").set_value("acknowledge").run()
    assert "owner" not in fields() and "severity" not in fields()
    at.selectbox(key="action").set_value("assign owner").run()
    assert "owner" in fields() and "severity" not in fields()
    at.selectbox(key="action").set_value("change severity").run()
    assert "severity" in fields() and "owner" not in fields()
