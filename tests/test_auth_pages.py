"""Every page for every role, through the entry script (sign-in gate, sidebar, page) in AppTest."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from hypercare import runtime
from hypercare.clock import FixedClock
from hypercare.config import AuthConfig
from hypercare.demo import DEMO_NOW
from hypercare.store.read import arrow
from tests.demo_db import open_demo_copy

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboard" / "app.py")
PAGES = sorted(str(p.relative_to(ROOT / "dashboard")) for p in (ROOT / "dashboard" / "views").glob("*.py"))
PEOPLE = {"stakeholder": ("sam", "Sam"), "responder": ("ravi", "Ravi"), "lead": ("lea", "Lea")}
PASSWORD = AuthConfig(mode="password", users=[
    {"username": u, "name": n, "email": f"{u}@example.com", "role": role} for role, (u, n) in PEOPLE.items()])
OIDC = AuthConfig(mode="oidc", roles_claim="groups", ask="the release manager (Lea)", roles=[
    {"role": "stakeholder", "domains": ["example.com"]}, {"role": "responder", "claim_values": ["oncall"]}])
# What a change is made with. Choosers (selectbox, radio, multiselect, dates) may stay as read filters;
# a page that writes through one of those keeps it behind `may(role)` like every other writing widget.
WRITES = ("button", "text_input", "text_area", "number_input", "chat_input")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    config, store = open_demo_copy(tmp_path_factory.mktemp("demo"))
    yield config, store
    store.close()


def app(demo_db, auth: AuthConfig, **session) -> AppTest:
    config, store = demo_db
    runtime.set_context(runtime.AppContext(config.model_copy(update={"auth": auth}), store, FixedClock(DEMO_NOW), demo=True))
    at = AppTest.from_file(APP, default_timeout=30)
    for key, value in session.items():
        at.session_state[key] = value
    return at


def as_role(demo_db, role: str, page: str) -> AppTest:
    at = app(demo_db, PASSWORD, hypercare_user=PEOPLE[role][0]).run()
    return at.switch_page(page).run()






@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("role", list(PEOPLE))
def test_every_page_for_every_role(demo_db, role, page):
    at = as_role(demo_db, role, page)
    assert not at.exception, at.exception
    assert f"Signed in as **{PEOPLE[role][1]}** · {role}" in [c.value for c in at.sidebar.caption]
    assert [b.label for b in at.sidebar.button] == ["Sign out"]
    if role == "stakeholder":
        # Stakeholders see every page and get nothing that could change anything.
        assert {kind: [w.label for w in at.main.get(kind)] for kind in WRITES} == {kind: [] for kind in WRITES}
        assert not at.main.get("form")


def test_responders_and_leads_get_the_incident_forms(demo_db):
    for role in ("responder", "lead"):
        at = as_role(demo_db, role, "views/incidents.py")
        labels = [b.label for b in at.main.button]
        # INC-2 is mitigated: the first action that applies to it
        assert labels == [f"Assign an owner to {at.selectbox(key='incident').value}", "Open incident"], labels
        assert f"Recorded as {PEOPLE[role][1]} <{PEOPLE[role][0]}@example.com>." in \
            [c.value.replace("\\", "").replace("\u2060", "") for c in at.main.caption]  # as_text's marks


def test_a_stakeholder_still_sees_the_incident_history(demo_db):
    at = as_role(demo_db, "stakeholder", "views/incidents.py")
    assert at.selectbox(key="incident").options  # choosing what to read is not a change
    assert "Incident history" in [s.value for s in at.subheader]
    assert len(at.dataframe) >= 3  # open incidents, timeline, notifications


def test_a_responder_action_is_recorded_as_the_signed_in_person(demo_db):
    at = as_role(demo_db, "responder", "views/incidents.py")
    at.selectbox(key="incident").set_value("INC-2")
    at.selectbox(key="action").set_value("add note").run()  # the form follows the chosen action
    at.text_area(key="note").set_value("provider says fixed by 14:00")
    next(b for b in at.main.button if b.label == "Add the note to INC-2").click().run()
    assert not at.exception and not at.error
    _, store = demo_db
    last = arrow(store.cursor(), "SELECT actor, note FROM incident_events WHERE kind = 'note' "
                                 "ORDER BY occurred_at DESC LIMIT 1").to_pylist()
    assert last == [{"actor": "Ravi <ravi@example.com>", "note": "provider says fixed by 14:00"}]


def test_password_mode_shows_only_the_sign_in_form_until_signed_in(demo_db):
    at = app(demo_db, PASSWORD).run()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    assert not at.metric and not at.sidebar.caption  # no page, no sidebar chrome
    at.text_input(key="signin_username").set_value("sam")
    at.text_input(key="signin_password").set_value("wrong")
    at.button[0].click().run()
    assert [e.value for e in at.error] == ["Wrong username or password."]
    assert at.text_input(key="signin_password").value == ""  # not kept in the session


def test_oidc_mode_not_signed_in_shows_the_sign_in_button_only(demo_db):
    at = app(demo_db, OIDC)
    at.user = {"is_logged_in": False}
    at.run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"] and not at.metric


def test_oidc_role_comes_from_the_mapping(demo_db):
    at = app(demo_db, OIDC)
    at.user = {"is_logged_in": True, "email": "ravi@partner.org", "name": "Ravi", "groups": ["oncall"]}
    at.run().switch_page("views/incidents.py").run()
    assert not at.exception
    assert "Signed in as **Ravi** · responder" in [c.value for c in at.sidebar.caption]
    assert "Open incident" in [b.label for b in at.main.button]


def test_oidc_person_without_a_role_sees_one_sentence_and_nothing_else(demo_db):
    at = app(demo_db, OIDC)
    at.user = {"is_logged_in": True, "email": "eve@elsewhere.org", "name": "Eve"}
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "You are signed in as Eve but have no role on this dashboard; ask the release manager \\(Lea\\) for one."]
    assert not at.metric and not at.button and not at.sidebar.caption and not at.title and not at.dataframe


def test_without_sign_in_the_sidebar_says_local_use_only(demo_db):
    at = app(demo_db, AuthConfig()).run()
    assert not at.exception
    assert any(c.value.startswith("Not signed in — local use only.") for c in at.sidebar.caption)
    assert not at.sidebar.button  # no sign-out without sign-in


@pytest.mark.parametrize(("page", "writes_for"), [
    ("views/incidents.py", "responder"), ("views/decisions.py", "lead"), ("views/health.py", "lead"),
    ("views/readiness.py", "responder")])
def test_each_role_gets_exactly_the_forms_its_role_may_use(demo_db, page, writes_for):
    if not (ROOT / "dashboard" / page).exists():
        pytest.skip(f"{page} is not there yet")
    ranks = list(PEOPLE)
    for role in ranks:
        at = as_role(demo_db, role, page)
        assert not at.exception
        may = ranks.index(role) >= ranks.index(writes_for)
        assert bool(at.main.get("form")) is may, (role, page)


def test_the_sign_in_page_refuses_after_five_failures_until_the_app_clock_moves_on(demo_db):
    from argon2 import PasswordHasher

    config, store = demo_db
    clock = FixedClock(DEMO_NOW)
    runtime.set_context(runtime.AppContext(config.model_copy(update={"auth": PASSWORD}), store, clock, demo=True))
    at = AppTest.from_file(APP, default_timeout=30)
    at.secrets["passwords"] = {"ravi": PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash("pw")}
    at.run()

    def attempt(password: str) -> list[str]:
        at.text_input(key="signin_username").set_value("ravi")
        at.text_input(key="signin_password").set_value(password)
        at.button[0].click().run()
        return [e.value for e in at.error]

    for _ in range(5):
        assert attempt("wrong") == ["Wrong username or password."]
    assert attempt("pw") == ["Too many failed sign-ins: try again after 11:15 UTC."]  # the app's clock, 15 min on
    clock.advance(minutes=15)
    assert attempt("pw") == []
    assert "Signed in as **Ravi** · responder" in [c.value for c in at.sidebar.caption]
