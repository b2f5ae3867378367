"""Reconciliation as a signal: the rule metric `reconcile_mismatches` (with its source's state) and
the auto-open source `reconcile`, on rows written as the collector writes them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pytest

from collectors.reconcile import results_table
from hypercare.auth.identity import Identity
from hypercare.config import ConfigError, parse_config
from hypercare.incidents import actions as inc
from hypercare.readiness.reconcile import Reconciliation
from hypercare.store.queries import reconcile as q
from hypercare.store.writes import append_rows, merge_rows
from hypercare.verdict.evaluate import evaluate
from hypercare.window import Window

G = datetime(2026, 11, 22, 21, 0, tzinfo=timezone.utc)
WINDOW = Window(G, 72, 168, "Europe/Brussels")
TS = pa.timestamp("us", tz="UTC")
CHECKS = [{"name": n, "source_env": "OLD_DB", "target_env": "NEW_DB", "source_sql": "SELECT 1", "target_sql": "SELECT 1",
           "interval_seconds": 300} for n in ("accounts", "bookings")]
ESCALATION = {
    "severities": {"SEV2": {"ack_minutes": 30, "resolve_minutes": 480}},
    "levels": [{"name": "L1", "escalate_after_minutes": 15}],
    "auto_open": [{"source": "reconcile", "when": "mismatch_minutes >= 30", "within_minutes": 15, "severity": "SEV2"}],
}


def make_config(**sections):
    data = {"release": {"name": "gym", "go_live_at": G.isoformat()}, "reconcile": CHECKS, **sections}
    return parse_config(data, Path("."))


def result(name: str, at: datetime, source: float | None, target: float | None, error: str | None = None) -> Reconciliation:
    if error:
        return Reconciliation(name, at, source, None, None, None, error)
    return Reconciliation(name, at, source, target, target - source, target == source, None)


def write(store, results: list[Reconciliation], runs: list[tuple[datetime, bool]] = ()) -> None:
    with store.transaction() as cur:
        merge_rows(cur, "reconciliations", results_table(results), ["name", "checked_at"])
        rows = [{"run_id": f"r{t.isoformat()}", "collector": "reconcile", "started_at": t, "finished_at": t, "ok": ok,
                 "status": "ok" if ok else "failed"} for t, ok in runs]
        append_rows(cur, "collector_runs", pa.Table.from_pylist(rows, schema=pa.schema([
            ("run_id", pa.string()), ("collector", pa.string()), ("started_at", TS), ("finished_at", TS),
            ("ok", pa.bool_()), ("status", pa.string())])))


def every_5_min(start: datetime, end: datetime) -> list[datetime]:
    out, t = [], start
    while t <= end:
        out.append(t)
        t += timedelta(minutes=5)
    return out


RULE = {"name": "migration whole", "metric": "reconcile_mismatches", "op": ">", "threshold": 0, "level": "critical"}


def outcome(store, config, now):
    return next(r for r in evaluate(store.cursor(), config, WINDOW, now).rules if r.name == "migration whole")


def test_the_rule_counts_checks_that_disagree_at_the_instant(store):
    config = make_config(rules=[RULE])
    times = every_5_min(G - timedelta(hours=3), G + timedelta(hours=2))
    results = [result("accounts", t, 5000, 5000) for t in times]
    results += [result("bookings", t, 12000, 11977 if t < G + timedelta(hours=1) else 12000) for t in times]
    write(store, results, [(t, True) for t in times])
    broken = outcome(store, config, G + timedelta(minutes=30))
    assert (broken.result, broken.value, broken.samples) == ("met", 1, 2)
    fixed = outcome(store, config, G + timedelta(hours=2))
    assert (fixed.result, fixed.value) == ("not met", 0)


def test_a_failed_side_or_a_check_never_run_is_insufficient_data(store):
    config = make_config(rules=[RULE])
    t = G + timedelta(hours=1)
    write(store, [result("accounts", t, 5000, 5000)], [(t, True)])
    only_one = outcome(store, config, t)
    assert (only_one.result, only_one.value) == ("insufficient data", None)  # bookings never ran
    write(store, [result("bookings", t, 12000, None, "target side (NEW_DB): could not connect: refused")])
    still = outcome(store, config, t)
    assert (still.result, still.value) == ("insufficient data", None)


@pytest.mark.parametrize(("runs", "state"), [([], "never collected"), ([(G - timedelta(hours=2), True)], "stale"),
                                             ([(G - timedelta(hours=2), True), (G - timedelta(hours=1), False)], "failed")])
def test_the_sources_state_decides_first(store, runs, state):
    config = make_config(rules=[RULE])
    write(store, [result(n, G - timedelta(hours=2), 1, 1) for n in ("accounts", "bookings")], runs)
    got = outcome(store, config, G)
    assert (got.result, got.state) == ("insufficient data", state)


def test_the_metric_needs_reconcile_checks_configured():
    with pytest.raises(ConfigError) as err:
        parse_config({"release": {"name": "gym", "go_live_at": G.isoformat()}, "rules": [RULE]}, Path("."))
    assert "reconcile_mismatches reads reconcile, which is not configured; add [[reconcile]] checks" in str(err.value)


def test_mismatch_streaks_start_after_the_last_match_and_skip_failed_runs(store):
    t0 = G + timedelta(hours=1)
    write(store, [result("bookings", t0, 12000, 12000), result("bookings", t0 + timedelta(minutes=5), 12000, 11977),
                  result("bookings", t0 + timedelta(minutes=10), 12000, None, "source side: timed out"),
                  result("bookings", t0 + timedelta(minutes=15), 12000, 11990),
                  result("accounts", t0 + timedelta(minutes=15), 5000, 5000)])
    got = q.mismatch_streaks(store.cursor(), t0, t0 + timedelta(minutes=20))
    assert got == [{"name": "bookings", "source_value": 12000, "target_value": 11990, "difference": -10,
                    "mismatched_since": t0 + timedelta(minutes=5)}]
    assert q.mismatch_streaks(store.cursor(), t0 + timedelta(minutes=16), t0 + timedelta(minutes=20)) == []  # none within


def test_auto_open_once_per_streak_and_again_after_a_fix_and_a_new_mismatch(store):
    config = make_config(escalation=ESCALATION)
    start = G + timedelta(hours=1)
    times = every_5_min(start, start + timedelta(hours=1))
    write(store, [result("bookings", t, 12000, 11977) for t in times])
    assert inc.tick(store, config, WINDOW, start + timedelta(minutes=25), deliver=False).opened == []  # 25 min < 30
    opened = inc.tick(store, config, WINDOW, start + timedelta(minutes=30), deliver=False).opened
    assert [(o.source_kind, o.source_ref, o.severity, o.title) for o in opened] == [
        ("reconcile", "bookings", "SEV2", "Reconciliation bookings disagrees: source 12,000, target 11,977 (difference -23)")]
    assert inc.tick(store, config, WINDOW, start + timedelta(minutes=45), deliver=False).opened == []  # still open
    inc.resolve(store, opened[0].incident_id, identity=Identity("Ana", None, "lead"), now=start + timedelta(minutes=50),
                note="re-ran the booking import")
    assert inc.tick(store, config, WINDOW, start + timedelta(minutes=55), deliver=False).opened == []  # same streak
    later = start + timedelta(hours=2)
    write(store, [result("bookings", later, 12000, 12000)]
          + [result("bookings", t, 12000, 11999) for t in every_5_min(later + timedelta(minutes=5), later + timedelta(minutes=40))])
    again = inc.tick(store, config, WINDOW, later + timedelta(minutes=40), deliver=False).opened
    assert [o.source_ref for o in again] == ["bookings"]


def test_auto_open_conditions_name_reconcile_measures():
    bad = {**ESCALATION, "auto_open": [{"source": "reconcile", "when": "difference > 0"}]}
    with pytest.raises(ConfigError) as err:
        make_config(escalation=bad)
    assert "'difference' is not a reconcile measure; use mismatched_by >= 5 or mismatch_minutes >= 5" in str(err.value)
