"""The Incidents page: empty database, the demo, and an action that writes its audit event."""

from __future__ import annotations

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


def test_empty_database_says_so(store, clock):
    at = page(store, clock)
    assert not at.exception
    assert "No open incidents." in [i.value for i in at.info]
    assert [m.value for m in at.metric][:4] == ["0", "0", "0", "0"]


def test_an_action_writes_the_audit_event_and_shows_at_once(store):
    clock = FixedClock(G + timedelta(hours=2))
    inc.open_incident(store, CONFIG, title="Login <b>broken</b>", severity="SEV1", identity=who("hypercare"), now=clock.now())
    clock.advance(minutes=3)
    at = page(store, clock)
    assert not at.exception
    assert at.dataframe[0].value.iloc[0]["status"] == "open"
    assert "Login <b>broken</b>" in at.selectbox(key="incident").options[0]  # plain text, not markup
    at.selectbox(key="action").set_value("acknowledge")
    at.text_area(key="note").set_value("on it")
    at.button[0].click().run()
    assert not at.exception and not at.error
    assert [s.value for s in at.success] == ["INC-1: acknowledge recorded."]
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
    at.selectbox(key="action").set_value("reopen")
    at.button[0].click().run()
    assert not at.exception
    assert [e.value for e in at.error] == ["cannot reopen INC-1: it is open."]


def test_opening_by_hand(store, clock):
    at = page(store, clock)
    at.text_input(key="new_title").set_value("Emails delayed")
    at.selectbox(key="new_severity").set_value("SEV4")
    at.button[0].click().run()
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
