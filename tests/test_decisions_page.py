"""The Decisions page on the demo: the log with its frozen evidence and CSV, recording a decision
(the form asks for hours only for extend), and extend/exit moving the window on every page."""

from __future__ import annotations

import io
import json
import re
import shutil
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.figures.decisions import log_csv, log_rows
from hypercare import runtime
from hypercare.auth.identity import Identity, local_identity
from hypercare.clock import FixedClock
from hypercare.decisions import record_decision
from hypercare.decisions.queries import decision_log
from hypercare.demo import DEMO_NOW, GO_LIVE
from hypercare.store import Store
from hypercare.store.read import frame

ROOT = Path(__file__).resolve().parent.parent
PAGE = str(ROOT / "dashboard" / "views" / "decisions.py")
APP = str(ROOT / "dashboard" / "app.py")
LEAD = Identity("Sofie Peeters", "sofie@fitbook.example", "lead")


def shown(markdown: str) -> str:
    """What a viewer reads: the Markdown source without as_text's backslashes."""
    return re.sub(r"\\(.)", r"\1", markdown)


@pytest.fixture
def copy(demo, tmp_path):
    """A copy of the demo database this test may write to: (config, store)."""
    config, store = demo
    path = tmp_path / "demo.duckdb"
    shutil.copy(store.publish_snapshot(), path)
    own = Store(path)
    yield config.model_copy(update={"store": config.store.model_copy(update={"path": path})}), own
    own.close()


def page(config, store, file: str = PAGE) -> AppTest:
    runtime.set_context(runtime.AppContext(config, store, FixedClock(DEMO_NOW), demo=True))
    return AppTest.from_file(file, default_timeout=30).run()


def test_the_log_lists_the_demo_decisions_newest_first_with_their_evidence(demo):
    config, store = demo
    at = page(config, store)
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["summary"]) == ["Payment provider flapping raised with the PSP", "Day-1 review: stable since the hotfix",
                                      "Rollback considered and declined", "Cutover complete, smoke tests green", "Go for cutover"]
    assert table["when"].iloc[2] == "Mon 23 Nov 09:00"  # T+11 h on the team's clock
    assert table["status then"].iloc[2] == "RED"
    assert not table.isna().any().any()
    at.selectbox(key="evidence_of").set_value("demo-decision-2").run()
    assert any(shown(m.value).startswith("**Status then: RED** — Rollback criteria met") for m in at.markdown)
    rules, tiles = at.dataframe[1].value, at.dataframe[2].value
    frozen = json.loads(frame(store.cursor(), "SELECT evidence FROM decisions WHERE decision_id = 'demo-decision-2'")
                        ["evidence"].item())
    assert set(rules["rule"]) == {r["name"] for r in frozen["evaluation"]["rules"]} | {e["name"] for e in frozen["evaluation"]["exit"]}
    assert list(tiles["figure"])[:len(frozen["kpis"])] == [k["label"] for k in frozen["kpis"]]


def test_the_csv_holds_every_decision_and_no_formula(demo, store):
    record_decision(store, LEAD, "note", "=HYPERLINK(\"http://x\")", "", GO_LIVE)
    log = decision_log(store.cursor())
    csv = pd.read_csv(io.BytesIO(log_csv(log, "Europe/Brussels")))
    assert csv["summary"].tolist() == ["'=HYPERLINK(\"http://x\")"]
    assert csv["decided_at_utc"].tolist() == ["2026-11-22T21:00:00Z"]
    assert csv["decided_at_local"].tolist() == ["2026-11-22 22:00 CET"]
    assert log_rows(log, "Europe/Brussels").iloc[0].to_dict() == {
        "when": "Sun 22 Nov 22:00", "kind": "note", "summary": "=HYPERLINK(\"http://x\")", "reason": "",
        "by": "Sofie Peeters <sofie@fitbook.example>", "hours": "", "status then": "not recorded"}


def test_the_form_asks_for_hours_only_for_extend_and_records_with_frozen_evidence(copy):
    config, store = copy
    at = page(config, store)
    assert not at.number_input  # "go" is the first kind: no hours
    at.selectbox(key="kind").set_value("extend").run()
    assert [n.label for n in at.number_input] == ["Hours to add to the window"]
    at.text_input(key="summary").set_value("Extend by 12 h")
    at.text_area(key="reason").set_value("The payment provider still flaps; exit criteria not held")
    at.number_input(key="hours").set_value(12.0)
    at.button[0].click().run()
    assert not at.exception and not at.error
    assert [shown(s.value) for s in at.success] == [
        "Recorded: extend — Extend by 12 h, with the evidence of this moment."]
    row = frame(store.cursor(), "SELECT * FROM decisions WHERE kind = 'extend'").iloc[0]
    assert (row["actor"], row["hours"], row["decided_at"]) == (local_identity().actor, 12.0, pd.Timestamp(DEMO_NOW))
    evidence = json.loads(row["evidence"])
    assert evidence["status"] == "amber" and evidence["window"]["label"] == "T+38 h of 72 h"
    assert at.dataframe[0].value["hours"].iloc[0] == "+12 h"
    assert "T+38 h of 84 h" in at.caption[0].value  # the page itself follows at once


def test_a_decision_without_a_summary_is_refused_with_the_field_named(copy):
    config, store = copy
    at = page(config, store)
    at.text_area(key="reason").set_value("Because")
    at.button[0].click().run()
    assert [shown(e.value) for e in at.error] == ["Not recorded: summary is empty: say in one line what was decided."]
    assert len(decision_log(store.cursor())) == 5


PAGES = sorted(str(p.relative_to(ROOT / "dashboard")) for p in (ROOT / "dashboard" / "views").glob("*.py"))


def test_extend_and_exit_move_the_window_on_every_page(copy):
    config, store = copy
    record_decision(store, LEAD, "extend", "Extend", "PSP flapping", DEMO_NOW - timedelta(hours=2), hours=24)
    for view in PAGES:
        at = page(config, store, APP).switch_page(view).run()
        assert not at.exception, (view, at.exception)
        assert [t.value for t in at.sidebar.text] == ["T+38 h of 96 h"], view
    assert health_availability(page(config, store, APP)) == availability(store, DEMO_NOW)
    exit_at = DEMO_NOW - timedelta(hours=1, minutes=30)
    record_decision(store, LEAD, "exit", "Exit", "All exit criteria held", exit_at)
    for view in PAGES:
        at = page(config, store, APP).switch_page(view).run()
        assert not at.exception, (view, at.exception)
        assert [t.value for t in at.sidebar.text] == ["T+38 h (hypercare exited at T+36 h, 1 h ago)"], view
    # the figures end with the window: availability since go-live stops at the exit
    assert health_availability(page(config, store, APP)) == availability(store, exit_at) != availability(store, DEMO_NOW)


def health_availability(at: AppTest) -> str:
    at = at.switch_page("views/health.py").run()
    (tile,) = [m for m in at.metric if m.label == "Availability"]
    return tile.value


def availability(store, end) -> str:
    """Successful checks / checks in [go-live, end), planned periods left out: from the raw rows."""
    rows = frame(store.cursor(), "SELECT h.ok FROM health_checks h WHERE checked_at >= ? AND checked_at < ? AND NOT EXISTS "
                 "(SELECT 1 FROM planned_periods p WHERE h.checked_at >= p.starts_at AND h.checked_at < p.ends_at)",
                 [GO_LIVE, end])
    return f"{100 * rows['ok'].mean():.2f} %"


def test_a_stakeholder_reads_the_log_and_evidence_but_gets_no_form(demo):
    from tests.test_auth_pages import PASSWORD

    config, store = demo
    runtime.set_context(runtime.AppContext(config.model_copy(update={"auth": PASSWORD}), store, FixedClock(DEMO_NOW)))
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state["hypercare_user"] = "sam"  # signed in as Sam, a stakeholder
    at = at.run().switch_page("views/decisions.py").run()
    assert not at.exception
    assert "Recording decisions needs the lead role; everyone can read the log." in [i.value for i in at.info]
    assert not at.main.get("form") and [s.key for s in at.selectbox] == ["evidence_of"]
    assert len(at.dataframe[0].value) == 5
