"""Decisions: validation, the one row each writes (by whom), the effective window they shape,
and the evidence frozen with them."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pyarrow as pa
import pytest

from hypercare import runtime
from hypercare.auth.identity import Identity, PermissionDenied
from hypercare.clock import FixedClock
from hypercare.decisions import DecisionError, new_decision, record_decision
from hypercare.decisions.evidence import freeze
from hypercare.decisions.window import WindowDecision, effective_window, window_decisions
from hypercare.demo import demo_config
from hypercare.store import Store
from hypercare.store.db import migrate
from hypercare.store.read import frame, scalar
from hypercare.store.writes import append_rows
from hypercare.verdict import evaluate
from hypercare.window import Window

UTC = timezone.utc
GO_LIVE = datetime(2026, 11, 22, 21, 0, tzinfo=UTC)
LEAD = Identity("Sofie Peeters", "sofie@fitbook.example", "lead")
TS = pa.timestamp("us", tz="UTC")


def at(hours: float) -> datetime:
    return GO_LIVE + timedelta(hours=hours)


def stored(store: Store) -> list[dict]:
    return frame(store.cursor(), "SELECT * FROM decisions ORDER BY decided_at").to_dict("records")


# --- the model ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "summary", "reason", "hours", "says"), [
    ("abort", "x", "y", None, "kind 'abort' is not a decision kind"),
    ("go", "  ", "y", None, "summary is empty"),
    ("rollback", "Roll back", "", None, "reason is empty: say why the team decided 'rollback'"),
    ("extend", "Longer", "Flapping PSP", None, "hours must be a number above 0"),
    ("extend", "Longer", "Flapping PSP", 0, "hours must be a number above 0"),
    ("extend", "Longer", "Flapping PSP", float("nan"), "hours must be a number above 0"),
    ("extend", "Longer", "Flapping PSP", 24 * 31, "at most 720"),
    ("exit", "Done", "All criteria held", 12, "hours only go with extend, not 'exit'"),
])
def test_an_invalid_decision_names_the_field_and_the_fix(kind, summary, reason, hours, says):
    with pytest.raises(DecisionError, match=says.replace("(", r"\(").replace(")", r"\)")):
        new_decision(kind, summary, reason, "someone", at(1), hours)


def test_a_note_needs_no_reason_and_text_is_trimmed():
    d = new_decision("note", "  PSP ticket raised ", "", "someone", at(1))
    assert (d.kind, d.summary, d.reason, d.hours) == ("note", "PSP ticket raised", "", None)


# --- writing -----------------------------------------------------------------------------------

def test_record_decision_writes_one_row_with_the_identitys_actor(store):
    d = record_decision(store, LEAD, "extend", "Extend by 12 h", "Payment provider still flapping", at(40), hours=12,
                        evidence=lambda cur: {"seen": scalar(cur, "SELECT count(*) FROM decisions")})
    (row,) = stored(store)
    assert row["decision_id"] == d.decision_id
    assert row["actor"] == "Sofie Peeters <sofie@fitbook.example>"
    assert (row["kind"], row["summary"], row["reason"], row["hours"]) == ("extend", "Extend by 12 h",
                                                                           "Payment provider still flapping", 12.0)
    assert row["decided_at"].to_pydatetime() == at(40)
    assert json.loads(row["evidence"]) == {"seen": 0} == d.evidence


@pytest.mark.parametrize("role", ["stakeholder", "responder"])
def test_only_a_lead_records_a_decision_and_nothing_is_written_otherwise(store, role):
    asked = []
    with pytest.raises(PermissionDenied, match=f"recording a decision needs the lead role"):
        record_decision(store, Identity("Ann", None, role), "go", "Go", "Ready", at(0),
                        evidence=lambda cur: asked.append(1) or {})
    assert stored(store) == [] and asked == []


def test_a_failing_evidence_writes_nothing(store):
    def broken(cur):
        raise RuntimeError("evidence query failed")

    with pytest.raises(RuntimeError):
        record_decision(store, LEAD, "go", "Go", "Ready", at(0), evidence=broken)
    assert stored(store) == []


def test_migration_25_adds_hours_to_an_existing_database(tmp_path):
    import duckdb

    from hypercare.store.schema import MIGRATIONS
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_version (version INTEGER, description VARCHAR, applied_at TIMESTAMPTZ)")
    for version, description, sql in MIGRATIONS:
        if version < 25:
            con.execute(sql)
            con.execute("INSERT INTO schema_version VALUES (?, ?, now())", [version, description])
    con.execute("INSERT INTO decisions (decision_id, decided_at, kind, summary) VALUES ('old', now(), 'go', 'Go')")
    assert 25 in migrate(con)
    assert con.execute("SELECT decision_id, hours FROM decisions").fetchall() == [("old", None)]
    con.close()


# --- the effective window ----------------------------------------------------------------------

WINDOW = Window(GO_LIVE, 72, 168, "Europe/Brussels")


def test_without_decisions_the_window_is_the_configured_one():
    w = effective_window(WINDOW, [])
    assert w == WINDOW and w.end == at(72) and w.hours == 72 and w.describe() == "72 h as configured"


def test_extensions_add_up_and_move_the_end_label_and_progress():
    w = effective_window(WINDOW, [WindowDecision(at(60), "extend", 12), WindowDecision(at(70), "extend", 6)])
    assert w.end == at(90) and w.hours == 90
    assert w.phase(at(80)) == "hypercare"
    assert w.label(at(80)) == "T+80 h of 90 h"
    assert w.progress(at(45)) == 0.5
    assert w.elapsed(at(100)).end == at(90)
    assert w.describe() == "72 h as configured + 18 h extended"


def test_exit_ends_the_window_at_its_time():
    w = effective_window(WINDOW, [WindowDecision(at(48), "extend", 12), WindowDecision(at(50.5), "exit")])
    assert w.end == at(50.5) and w.exited
    assert w.phase(at(50)) == "hypercare" and w.phase(at(50.5)) == "post-window"
    assert w.label(at(55)) == "T+55 h (hypercare exited at T+50 h, 4 h ago)"
    assert w.progress(at(51)) == 1.0
    assert w.last_hour(at(60)).end == at(50)
    assert w.describe() == "72 h as configured + 12 h extended; exited at T+50.5 h"


def test_an_exit_after_the_planned_end_changes_nothing_and_one_before_go_live_ends_it_at_go_live():
    late = effective_window(WINDOW, [WindowDecision(at(80), "exit")])
    assert late.end == at(72) and not late.exited
    early = effective_window(WINDOW, [WindowDecision(at(-2), "exit")])
    assert early.end == GO_LIVE and early.hours == 0 and early.progress(at(1)) == 1.0


def test_an_extend_after_an_exit_reopens_the_window():
    w = effective_window(WINDOW, [WindowDecision(at(40), "exit"), WindowDecision(at(45), "extend", 24)])
    assert w.end == at(96) and not w.exited and w.phase(at(50)) == "hypercare"


def test_decisions_after_as_of_do_not_count():
    decisions = [WindowDecision(at(30), "extend", 12), WindowDecision(at(60), "exit")]
    assert effective_window(WINDOW, decisions, as_of=at(59)).end == at(84)
    assert effective_window(WINDOW, decisions, as_of=at(60)).end == at(60)
    assert effective_window(WINDOW, decisions, as_of=at(29)).end == at(72)


def test_the_app_context_window_applies_the_stored_decisions(tmp_path, store):
    config = demo_config(tmp_path)
    context = runtime.AppContext(config, store, FixedClock(at(38)))
    assert context.window().end == at(72)
    record_decision(store, LEAD, "note", "PSP flapping", "", at(30))  # a note doesn't move it
    record_decision(store, LEAD, "extend", "Extend", "PSP flapping", at(36), hours=24)
    assert [d.kind for d in window_decisions(store.cursor())] == ["extend"]
    assert context.window().end == at(96)
    record_decision(store, LEAD, "exit", "Exit", "All exit criteria held", at(50))
    assert context.window().end == at(50)
    assert context.window(as_of=at(49)).end == at(96)


# --- evidence ----------------------------------------------------------------------------------

def _errors(store: Store, start: datetime, hours: int, events: int) -> None:
    rows = [{"project": "booking-web", "bucket_start": start + timedelta(hours=h), "bucket_seconds": 3600,
             "events": events} for h in range(hours)]
    with store.transaction() as cur:
        cur.execute("DELETE FROM error_counts WHERE bucket_start >= ? AND bucket_start < ?",
                    [start, start + timedelta(hours=hours)])
        append_rows(cur, "error_counts", pa.Table.from_pylist(rows, schema=pa.schema(
            [("project", pa.string()), ("bucket_start", TS), ("bucket_seconds", pa.int32()), ("events", pa.int64())])))


def _fresh_sentry_run(store: Store, now: datetime) -> None:
    row = {"run_id": f"sentry-{now.isoformat()}", "collector": "sentry", "started_at": now, "finished_at": now,
           "ok": True, "rows_written": 1, "error": None}
    with store.transaction() as cur:
        append_rows(cur, "collector_runs", pa.Table.from_pylist([row]))


def test_evidence_is_frozen_when_the_decision_is_taken_and_later_rows_do_not_change_it(tmp_path, store):
    config = demo_config(tmp_path)
    now = at(11.5)
    _errors(store, WINDOW.baseline_start, 168 + 11, 4)  # 4 events an hour, baseline and window
    _errors(store, at(10), 1, 40)  # the last complete hour: 40, ten times the baseline
    _fresh_sentry_run(store, now - timedelta(minutes=1))
    context = runtime.AppContext(config, store, FixedClock(now))
    window = context.window()
    live = json.loads(evaluate(store.cursor(), config, window, now).to_json())
    d = record_decision(store, LEAD, "continue", "Rollback considered and declined", "Fix ships by 15:00", now,
                        evidence=lambda cur: freeze(cur, config, window, now))
    assert d.evidence["evaluation"] == live and d.evidence["status"] == live["status"]
    tiles = {k["key"]: k for k in d.evidence["kpis"]}
    assert (tiles["errors_per_hour"]["value"], tiles["errors_per_hour"]["baseline"]) == (40, 4)
    assert tiles["errors_per_hour"]["ratio"] == 10
    assert tiles["availability"]["value"] is None  # checks never collected: unknown, and why
    assert tiles["availability"]["unknown_because"] == "checks is not collected yet"
    assert d.evidence["window"]["label"] == "T+11 h of 72 h"
    assert d.evidence["frozen_at"] == now.isoformat()
    before = scalar(store.cursor(), "SELECT evidence::VARCHAR FROM decisions")

    _errors(store, at(10), 1, 7)  # the hour is corrected later, and more is collected
    _errors(store, at(11), 1, 90)
    record_decision(store, LEAD, "extend", "Extend", "More data needed", at(12), hours=12)
    assert scalar(store.cursor(), "SELECT evidence::VARCHAR FROM decisions WHERE decision_id = ?", [d.decision_id]) == before
    now_tiles = {k["key"]: k for k in freeze(store.cursor(), config, context.window(), now)["kpis"]}
    assert now_tiles["errors_per_hour"]["value"] == 7  # the live figure moved; the frozen one did not


def test_the_frozen_evaluation_reads_back_as_the_evaluation_it_was(demo):
    from hypercare.decisions.evidence import frozen_evaluation
    from hypercare.demo import DEMO_NOW, demo_window

    config, store = demo
    for hours in (11, 38):  # RED in the checkout bug, and the pinned now
        now = GO_LIVE + timedelta(hours=hours)
        live = evaluate(store.cursor(), config, demo_window(config), now)
        evidence = json.loads(json.dumps(freeze(store.cursor(), config, demo_window(config), now)))
        assert live.rules and frozen_evaluation(evidence) == live
        assert frozen_evaluation(json.loads(live.to_json())) == live  # a bare evaluation too
    assert frozen_evaluation({"checks_up": 4}) is None and frozen_evaluation(None) is None
    assert DEMO_NOW == GO_LIVE + timedelta(hours=38)
