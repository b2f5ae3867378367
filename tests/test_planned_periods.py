"""Planned periods marked and removed after the fact: who may, the note each leaves in the
decision log, the config's own periods left to the config, and availability and the rules
recomputed on the next read (the store functions and the Health page's section)."""

from __future__ import annotations

import re
import shutil
from datetime import datetime, time, timedelta, timezone

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.figures.planned import planned_rows
from hypercare import runtime
from hypercare.auth.identity import Identity, PermissionDenied, local_identity
from hypercare.clock import FixedClock
from hypercare.config import PlannedPeriodConfig
from hypercare.demo import DEMO_NOW, GO_LIVE, demo_window
from hypercare.store import Store
from hypercare.store.planned import PlannedPeriodError, mark_planned_period, remove_planned_period, write_planned_periods
from hypercare.store.queries import health
from hypercare.store.queries.planned import planned_period_list
from hypercare.store.read import frame
from hypercare.verdict import evaluate
from tests.test_health_page import PAGE

UTC = timezone.utc
LEAD = Identity("Sofie Peeters", "sofie@fitbook.example", "lead")
T = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)


def notes(store: Store) -> list[tuple[str, str, str]]:
    """(summary, reason, actor) of every note in the decision log, oldest first."""
    rows = frame(store.cursor(), "SELECT summary, reason, actor FROM decisions WHERE kind = 'note' ORDER BY decided_at")
    return [tuple(r) for r in rows.itertuples(index=False)]


def test_marking_writes_the_period_and_a_note_saying_who_did_what(store):
    pid = mark_planned_period(store, LEAD, T, T + timedelta(hours=2), ["payment-provider"], " PSP maintenance ",
                              T + timedelta(hours=3), "Europe/Brussels")
    (period,) = planned_period_list(store.cursor()).to_dict("records")
    assert period["period_id"] == pid and pid.startswith("page-")
    assert (period["scope"], list(period["check_names"]), period["reason"], period["marked_by"], period["from_config"]) == \
        ("checks", ["payment-provider"], "PSP maintenance", "Sofie Peeters <sofie@fitbook.example>", False)
    assert notes(store) == [("Planned period marked: Tue 24 Nov 02:00 – Tue 24 Nov 04:00 (Europe/Brussels), "
                             "checks payment-provider", "PSP maintenance", "Sofie Peeters <sofie@fitbook.example>")]
    mark_planned_period(store, LEAD, T, T + timedelta(hours=1), None, "Failover", T)
    assert sorted(planned_period_list(store.cursor())["scope"]) == ["all", "checks"]


@pytest.mark.parametrize(("start", "end", "checks", "reason", "says"), [
    (T, T, None, "x", "the end must be after the start"),
    (T, T + timedelta(hours=1), None, "  ", "reason is empty"),
    (T, T + timedelta(hours=1), [], "x", "no check chosen"),
])
def test_a_bad_period_is_refused_with_the_fix_and_nothing_is_written(store, start, end, checks, reason, says):
    with pytest.raises(PlannedPeriodError, match=says):
        mark_planned_period(store, LEAD, start, end, checks, reason, T)
    assert planned_period_list(store.cursor()).empty and notes(store) == []


@pytest.mark.parametrize("role", ["stakeholder", "responder"])
def test_only_a_lead_marks_or_removes(store, role):
    pid = mark_planned_period(store, LEAD, T, T + timedelta(hours=1), None, "Failover", T)
    someone = Identity("Ann", None, role)
    with pytest.raises(PermissionDenied, match="marking a planned period needs the lead role"):
        mark_planned_period(store, someone, T, T + timedelta(hours=1), None, "Failover", T)
    with pytest.raises(PermissionDenied, match="removing a planned period needs the lead role"):
        remove_planned_period(store, someone, pid, T)
    assert len(planned_period_list(store.cursor())) == 1 and len(notes(store)) == 1


def test_removing_a_period_marked_on_the_page_leaves_a_note_and_one_from_the_config_is_refused(store):
    config_period = PlannedPeriodConfig(starts_at=T, ends_at=T + timedelta(hours=1), reason="Cutover")
    with store.transaction() as cur:
        write_planned_periods(cur, [config_period], T)
    pid = mark_planned_period(store, LEAD, T, T + timedelta(hours=2), None, "Failover", T)
    with pytest.raises(PlannedPeriodError, match=r"comes from the config file: remove its \[\[planned_periods\]\] entry there"):
        remove_planned_period(store, LEAD, config_period.period_id, T)
    remove_planned_period(store, Identity("Karim", None, "lead"), pid, T + timedelta(minutes=5))
    assert planned_period_list(store.cursor())["period_id"].tolist() == [config_period.period_id]
    assert notes(store)[-1] == ("Planned period removed: Tue 24 Nov 01:00 – Tue 24 Nov 03:00 (UTC), all checks and the rules",
                                "It had been marked by Sofie Peeters <sofie@fitbook.example> for: Failover", "Karim")
    with pytest.raises(PlannedPeriodError, match="it was removed already"):
        remove_planned_period(store, LEAD, pid, T)
    # writing the config's periods again leaves a period marked on the page alone
    kept = mark_planned_period(store, LEAD, T, T + timedelta(hours=2), None, "Failover", T)
    with store.transaction() as cur:
        write_planned_periods(cur, [], T)
    assert planned_period_list(store.cursor())["period_id"].tolist() == [kept]


def test_the_table_says_what_a_period_covers_and_where_it_comes_from(store):
    mark_planned_period(store, LEAD, T, T + timedelta(hours=2), ["api", "web"], "Deploy", T)
    with store.transaction() as cur:
        write_planned_periods(cur, [PlannedPeriodConfig(starts_at=T - timedelta(days=1), ends_at=T, reason="Cutover")], T)
    rows = planned_rows(planned_period_list(store.cursor()), "Europe/Brussels").to_dict("records")
    assert rows == [
        {"from": "Tue 24 Nov 02:00", "to": "Tue 24 Nov 04:00", "covers": "api, web", "reason": "Deploy",
         "marked by": "Sofie Peeters <sofie@fitbook.example>", "defined in": "this page"},
        {"from": "Mon 23 Nov 02:00", "to": "Tue 24 Nov 02:00", "covers": "all checks and the rules", "reason": "Cutover",
         "marked by": "config", "defined in": "the config file"},
    ]


# --- on the demo: availability and the rules recompute on the next read --------------------------

@pytest.fixture
def copy(demo, tmp_path):
    config, store = demo
    path = tmp_path / "demo.duckdb"
    shutil.copy(store.publish_snapshot(), path)
    own = Store(path)
    yield config.model_copy(update={"store": config.store.model_copy(update={"path": path})}), own
    own.close()


def raw_availability(store: Store, start: datetime, end: datetime, check: str | None = None) -> float:
    """Successful / all results in [start, end) outside planned periods, from the raw rows."""
    rows = frame(store.cursor(), "SELECT h.ok FROM health_checks h WHERE checked_at >= ? AND checked_at < ? "
                 "AND (?::VARCHAR IS NULL OR check_name = ?) AND NOT EXISTS (SELECT 1 FROM planned_periods p "
                 "WHERE h.checked_at >= p.starts_at AND h.checked_at < p.ends_at "
                 "AND (p.check_names IS NULL OR list_contains(p.check_names, h.check_name)))",
                 [start, end, check, check])
    return 100 * rows["ok"].mean()


def test_a_period_marked_later_changes_availability_and_the_rules_on_the_next_read(copy):
    config, store = copy
    window = demo_window(config)
    last6 = (DEMO_NOW - timedelta(hours=6), DEMO_NOW)
    before = evaluate(store.cursor(), config, window, DEMO_NOW)
    payment = {r.name: r for r in before.rules}["Payment provider degraded"]
    assert payment.met and before.status == "amber"
    mark_planned_period(store, LEAD, *last6, ["payment-provider"], "PSP maintenance window, announced", DEMO_NOW)
    ok, total = health.availability(store.cursor(), GO_LIVE, DEMO_NOW)
    assert 100 * ok / total == pytest.approx(raw_availability(store, GO_LIVE, DEMO_NOW))
    after = evaluate(store.cursor(), config, window, DEMO_NOW)
    assert not {r.name: r for r in after.rules}["Payment provider degraded"].met
    assert after.status != "amber"


def shown(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown)


def test_the_health_page_marks_and_removes_a_period_and_its_figures_follow(copy):
    config, store = copy
    runtime.set_context(runtime.AppContext(config, store, FixedClock(DEMO_NOW), demo=True))
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    assert not at.exception

    def availability_tile(at: AppTest) -> str:
        (tile,) = [m for m in at.metric if m.label == "Availability"]
        return tile.value

    assert availability_tile(at) == f"{raw_availability(store, GO_LIVE, DEMO_NOW):.2f} %"
    listed = at.dataframe[-1].value  # the planned periods: the demo's cutover, from the config
    assert listed["defined in"].tolist() == ["the config file"]
    at.radio(key="planned_scope").set_value("Only some checks").run()
    at.multiselect(key="planned_checks").set_value(["payment-provider"])
    start = (DEMO_NOW - timedelta(hours=6)).astimezone(config.release.tz)
    at.date_input(key="planned_start_date").set_value(start.date())
    at.time_input(key="planned_start_time").set_value(time(start.hour, 0))
    at.date_input(key="planned_end_date").set_value(DEMO_NOW.astimezone(config.release.tz).date())
    at.time_input(key="planned_end_time").set_value(time(DEMO_NOW.astimezone(config.release.tz).hour, 0))
    at.text_input(key="planned_reason").set_value("PSP maintenance")
    next(b for b in at.button if b.label == "Mark as planned").click().run()
    assert not at.exception and not at.error
    assert [shown(s.value) for s in at.success] == [
        "Planned period marked: availability and the rules leave it out from now on."]
    expected = raw_availability(store, GO_LIVE, DEMO_NOW)
    assert availability_tile(at) == f"{expected:.2f} %"
    assert at.dataframe[-1].value["defined in"].tolist() == ["this page", "the config file"]
    assert notes(store)[-1][2] == local_identity().actor

    next(b for b in at.button if b.label == "Remove this planned period").click().run()
    assert not at.exception and not at.error
    assert at.dataframe[-1].value["defined in"].tolist() == ["the config file"]
    assert [n for n in notes(store) if n[0].startswith("Planned period removed")] == [
        ("Planned period removed: Tue 24 Nov 06:00 – Tue 24 Nov 12:00 (Europe/Brussels), checks payment-provider",
         f"It had been marked by {local_identity().actor} for: PSP maintenance", local_identity().actor)]
    assert availability_tile(at) == f"{raw_availability(store, GO_LIVE, DEMO_NOW):.2f} %" != f"{expected:.2f} %"
