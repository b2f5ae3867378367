"""The Readiness page and the Overview's checklist line on the demo (at T+38 h and at T−3 h), against
states recomputed here from the raw rows; ticking through the page; the decision's frozen checklist."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.figures.readiness import item_rows, log_rows, stage_figure
from hypercare import runtime
from hypercare.auth.identity import local_identity
from hypercare.clock import FixedClock
from hypercare.config import parse_config
from hypercare.demo import DEMO_NOW, GO_LIVE
from hypercare.readiness.checklist import ItemState, Proof, Tick
from hypercare.store import Store
from hypercare.store.read import frame

ROOT = Path(__file__).resolve().parent.parent
PAGE = str(ROOT / "dashboard" / "views" / "readiness.py")
OVERVIEW = str(ROOT / "dashboard" / "views" / "overview.py")
DECISIONS = str(ROOT / "dashboard" / "views" / "decisions.py")
BRUSSELS = ZoneInfo("Europe/Brussels")


def shown(markdown: str) -> str:
    """What a viewer reads: the Markdown source without as_text's backslashes."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")


def render(config, store, now: datetime, file: str = PAGE) -> AppTest:
    runtime.set_context(runtime.AppContext(config, store, FixedClock(now), demo=True))
    at = AppTest.from_file(file, default_timeout=30).run()
    assert not at.exception, at.exception
    return at


def expected(config, store, now: datetime) -> dict[str, str]:
    """Each item's state recomputed from the rows and the README's definitions: done while its
    evidence holds (a check up with the checks collector fresh; no SEV1 open after go-live) or,
    without evidence, while its latest change by `now` is a tick; overdue from its due instant."""
    cur = store.cursor()
    latest = dict(cur.execute("SELECT item, arg_max(action, occurred_at) FROM checklist_events WHERE occurred_at <= ? "
                              "GROUP BY item", [now]).fetchall())
    (last_run,) = cur.execute("SELECT max(finished_at) FROM collector_runs WHERE collector = 'checks' AND ok "
                              "AND finished_at <= ?", [now + timedelta(minutes=1)]).fetchone()
    fresh = last_run is not None and now - last_run <= timedelta(seconds=3 * 60)
    up = dict(cur.execute("SELECT check_name, arg_max(to_state, changed_at) FROM check_transitions "
                          "WHERE changed_at <= ? GROUP BY check_name", [now]).fetchall())
    (sev1_open,) = cur.execute("SELECT count(*) FROM incidents WHERE severity = 'SEV1' AND opened_at <= ? "
                               "AND (resolved_at IS NULL OR resolved_at > ?)", [now, now]).fetchone()
    (last_reconcile,) = cur.execute("SELECT max(finished_at) FROM collector_runs WHERE collector = 'reconcile' AND ok "
                                    "AND finished_at <= ?", [now + timedelta(minutes=1)]).fetchone()
    reconciled = last_reconcile is not None and now - last_reconcile <= timedelta(seconds=3 * 900)
    latest_result = {}
    for name, checked_at, matched in cur.execute("SELECT name, checked_at, matched FROM reconciliations "
                                                 "WHERE checked_at <= ? ORDER BY checked_at", [now]).fetchall():
        latest_result[name] = matched
    go_live = config.release.go_live_at
    states = {}
    for item in config.checklist:
        due = item.due if isinstance(item.due, datetime) else go_live + item.due
        if item.evidence and item.evidence.startswith("check:"):
            done = fresh and up.get(item.evidence.removeprefix("check:")) == "up"
        elif item.evidence and item.evidence.startswith("reconcile:"):
            done = reconciled and latest_result.get(item.evidence.removeprefix("reconcile:")) is True
        elif item.evidence == "rule:Open SEV1 incident":
            done = now >= go_live and sev1_open == 0
        else:
            assert item.evidence is None
            done = latest.get(item.title) == "tick"
        states[item.title] = "done" if done else "overdue" if now >= due else "not done"
    return states


def page_states(at: AppTest) -> dict[str, str]:
    """The state each item shows on the page, as done / overdue / not done."""
    found = {}
    for table in at.dataframe:
        if "state" not in table.value.columns:
            continue
        for row in table.value.to_dict("records"):
            found[row["item"]] = ("done" if row["state"] == "done" else "overdue" if row["state"].endswith("overdue")
                                  else "not done")
    return found


@pytest.mark.parametrize("hours", [38, -3, 0])
def test_the_page_shows_each_item_as_recomputed_from_the_rows(demo, hours):
    config, store = demo
    now = GO_LIVE + timedelta(hours=hours)
    at = render(config, store, now)
    want = expected(config, store, now)
    assert page_states(at) == want
    done, overdue = sum(s == "done" for s in want.values()), sum(s == "overdue" for s in want.values())
    assert shown(at.caption[0].value).split(". ")[0].endswith(f"checklist {done} of {len(want)} done · {overdue} overdue")
    stages = [s.value.split(" — ")[0] for s in at.subheader][:3]
    assert stages == (["Before go-live", "Cutover", "After go-live"] if hours < 0
                      else ["After go-live", "Before go-live", "Cutover"])  # after go-live, what is left first


def test_the_demo_story_at_minus_3_h_go_live_and_plus_38_h(demo):
    config, store = demo
    at_minus_3, at_go_live, now = (expected(config, store, GO_LIVE + timedelta(hours=h)) for h in (-3, 0, 38))
    assert sorted(t for t, s in at_minus_3.items() if s == "overdue") == [
        "Change freeze on the old platform", "Payment provider told the new callback URL",
        "Service desk briefed, FAQ for migrated clients published"]
    before_and_cutover = [i.title for i in config.checklist if i.stage != "after"]
    assert sorted(t for t in before_and_cutover if at_go_live[t] != "done") == [
        "Booking API healthy on the new platform", "Web front end healthy on the new platform"]
    assert [t for t, s in now.items() if s != "done"] == ["Hand over to operations"]
    bookings = "All 12,000 bookings reconcile (the 23 without a class mapping re-imported)"
    assert [expected(config, store, GO_LIVE + timedelta(hours=h))[bookings] for h in (10, 11.5)] == ["not done", "done"]


def test_the_overview_says_where_the_checklist_stands_before_and_after_go_live(demo):
    config, store = demo
    before = render(config, store, GO_LIVE - timedelta(hours=3), OVERVIEW)
    lines = [shown(i.value) for i in before.info if "checklist" in i.value.lower()]
    assert lines == ["T−3 h · checklist 8 of 23 done · 3 overdue — see the Readiness page."]
    after = render(config, store, DEMO_NOW, OVERVIEW)
    lines = [shown(i.value) for i in after.info if "checklist" in i.value.lower()]
    assert lines == ["Checklist: 1 item still open (Hand over to operations) — see the Readiness page."]


def test_the_go_decision_froze_the_checklist_of_its_moment(demo):
    config, store = demo
    (decided_at, evidence), = store.cursor().execute(
        "SELECT decided_at, evidence FROM decisions WHERE kind = 'go'").fetchall()
    frozen = json.loads(evidence)["checklist"]
    want = expected(config, store, decided_at)
    assert {i["title"]: i["state"] for i in frozen["items"]} == want
    assert (frozen["done"], frozen["overdue"], frozen["total"]) == (sum(s == "done" for s in want.values()), 0, 23)
    at = render(config, store, DEMO_NOW, DECISIONS)
    at.selectbox(key="evidence_of").set_value("demo-decision-0").run()
    assert any(shown(c.value).startswith(f"The go-live checklist then: {frozen['done']} of 23 done, 0 overdue; "
                                         "still open: Go decision recorded, ") for c in at.caption)


# --- ticking through the page ----------------------------------------------------------------------

@pytest.fixture
def small(tmp_path):
    config = parse_config({"release": {"name": "Booking", "go_live_at": "2026-11-22T22:00:00+01:00",
                                       "timezone": "Europe/Brussels"},
                           "checklist": [{"title": "Backups verified", "owner": "Lotte", "due": "-6h", "stage": "before"},
                                         {"title": "Announce", "owner": "Nora", "due": "+2h", "stage": "after"}]},
                          base_dir=tmp_path)
    store = Store(tmp_path / "h.duckdb")
    yield config, store
    store.close()


def rows(store) -> list[dict]:
    return frame(store.cursor(), "SELECT item, action, actor, note FROM checklist_events ORDER BY occurred_at").to_dict("records")


def test_two_tabs_ticking_the_same_item_record_one_tick_and_an_untick_needs_a_reason(small):
    config, store = small
    now = GO_LIVE - timedelta(hours=7)
    first, second = render(config, store, now), render(config, store, now)
    assert [b.label for b in first.button] == ["Tick “Backups verified”"]  # the first open item
    first.text_input(key="checklist_note").set_value("restore tested on staging")
    first.button[0].click().run()
    second.button[0].click().run()  # still showing "Tick": nothing more is written
    assert [shown(s.value) for s in second.success] == ["Backups verified was ticked already; nothing recorded."]
    assert rows(store) == [{"item": "Backups verified", "action": "tick", "actor": local_identity().actor,
                            "note": "restore tested on staging"}]
    assert page_states(first)["Backups verified"] == "done"
    # the same item stays chosen, and the form now asks only for what an un-tick uses
    assert [b.label for b in first.button] == ["Un-tick “Backups verified”"] and not first.text_input
    first.button[0].click().run()  # no reason
    assert [shown(e.value) for e in first.error] == [
        "Not recorded: reason is empty: say why 'Backups verified' is not done after all"]
    first.text_area(key="checklist_reason").set_value("restore failed on production")
    first.button[0].click().run()
    assert [(r["action"], r["note"]) for r in rows(store)] == [("tick", "restore tested on staging"),
                                                              ("untick", "restore failed on production")]
    log = next(t.value for t in first.dataframe if "change" in t.value.columns)
    assert list(log["change"]) == ["un-ticked", "ticked"]


def test_without_a_checklist_the_page_says_how_to_add_one(tmp_path):
    config = parse_config({"release": {"name": "B", "go_live_at": "2026-11-22T22:00:00+01:00"}}, base_dir=tmp_path)
    store = Store(tmp_path / "h.duckdb")
    try:
        at = render(config, store, GO_LIVE)
        assert [shown(i.value) for i in at.info] == [
            'No checklist configured: add [[checklist]] entries to the config (see the README, "[[checklist]]").',
            'No reconciliation checks configured: add [[reconcile]] entries to the config (see the README, '
            '"[[reconcile]]") to compare the migrated data with its source.']
        assert not at.dataframe and not at.button
    finally:
        store.close()


# --- the pure tables -------------------------------------------------------------------------------

def test_item_rows_say_due_on_the_teams_clock_with_the_weekday_and_the_fall_back_hour():
    first_0230 = datetime(2026, 10, 25, 0, 30, tzinfo=timezone.utc)  # 02:30 CEST, then again at 01:30 UTC (CET)
    now = datetime(2026, 10, 25, 0, 0, tzinfo=timezone.utc)
    states = [
        ItemState("A", "Ana", "before", first_0230, None, "not done", ""),
        ItemState("B", "Ana", "before", first_0230 + timedelta(hours=1), None, "not done", ""),
        ItemState("C", "Bo", "cutover", now - timedelta(hours=6), "check:api", "overdue", "", None,
                  Proof(False, "check api is down")),
        ItemState("D", "Bo", "after", None, None, "done", "ticked by Ana", Tick("tick", "Ana <ana@example.com>", now, "ok")),
    ]
    table = item_rows(states, BRUSSELS, now)
    assert list(table["due"]) == ["Sun 25 Oct 02:30 CEST", "Sun 25 Oct 02:30 CET", "Sat 24 Oct 20:00",
                                  "when go-live is known"]
    assert list(table["state"]) == ["in 30 min", "in 90 min", "6 h overdue", "done"]
    assert list(table["how"]) == ["by hand; not ticked yet", "by hand; not ticked yet", "check api is down",
                                  "ticked by Ana, Sun 25 Oct 02:00 CEST: ok"]
    figure = stage_figure(states)
    counts = {t.name: dict(zip(t.y, t.x)) for t in figure.data}
    assert counts == {"done": {"Before go-live": 0, "Cutover": 0, "After go-live": 1},
                      "not done": {"Before go-live": 2, "Cutover": 0, "After go-live": 0},
                      "overdue": {"Before go-live": 0, "Cutover": 1, "After go-live": 0}}


def test_log_rows_have_no_empty_values():
    import pandas as pd

    log = pd.DataFrame({"occurred_at": [pd.Timestamp("2026-11-22T20:00:00Z")], "item": ["A"], "action": ["untick"],
                        "actor": ["Ana"], "note": [None]})
    assert log_rows(log, BRUSSELS).to_dict("records") == [
        {"when": "Sun 22 Nov 21:00", "item": "A", "change": "un-ticked", "by": "Ana", "note or reason": ""}]
