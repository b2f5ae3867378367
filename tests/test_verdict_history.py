"""status_history rows, the notification when RED begins or ends (once per change), and the demo's
history replayed by the real evaluator."""

from __future__ import annotations

import json
from datetime import timedelta

from hypercare.demo import GO_LIVE as DEMO_GO_LIVE
from hypercare.demo import ROLLBACK_DECLINED
from hypercare.incidents.notify import deliver_pending
from hypercare.store.read import scalar
from hypercare.verdict.history import record_status
from hypercare.window import Window
from tests.fakes.webhook import WebhookReceiver
from tests.verdict_helpers import GO_LIVE, error_buckets, make_config, runs

WINDOW = Window(GO_LIVE, 72, 168, "Europe/Brussels")
SPIKE = {"name": "spike", "metric": "errors_vs_baseline", "op": ">=", "threshold": 3, "level": "critical"}
ESCALATION = {"severities": {"SEV2": {"ack_minutes": 30, "resolve_minutes": 240}},
              "levels": [{"name": "L1 desk", "escalate_after_minutes": 15, "webhook_env": "DESK_HOOK"},
                         {"name": "L2 on-call", "escalate_after_minutes": 30, "webhook_env": "ONCALL_HOOK"}]}


def test_a_change_to_or_from_red_is_notified_exactly_once(store, tmp_path):
    counts, t = {}, WINDOW.baseline_start
    while t < WINDOW.end:
        counts[t] = 50 if t == GO_LIVE + timedelta(hours=9) else 10
        t += timedelta(hours=1)
    error_buckets(store, counts)
    runs(store, WINDOW.end, collectors=("sentry", "checks"), hours=320)
    config = make_config(tmp_path, tickets=None, rules=[SPIKE], escalation=ESCALATION)
    instants = [GO_LIVE + timedelta(hours=h, minutes=m) for h, m in
                [(8, 30), (9, 30), (10, 5), (10, 6), (10, 6), (10, 30), (11, 5), (12, 5)]]
    statuses = [record_status(store, config, WINDOW, t).status for t in instants]
    assert statuses == ["green", "green", "red", "red", "red", "red", "green", "green"]
    cur = store.cursor()
    assert scalar(cur, "SELECT count(*) FROM status_history") == 7  # the same instant twice is one row
    with WebhookReceiver() as hook:
        sent = deliver_pending(store, instants[-1], env={"DESK_HOOK": hook.url(), "ONCALL_HOOK": hook.url("/x")})
        again = deliver_pending(store, instants[-1], env={"DESK_HOOK": hook.url()})
    assert (sent.sent, again.sent) == (2, 0)
    texts = [body["text"] for body in hook.delivered]
    assert [path for path, _, _ in hook.received] == ["/services/T000/B000/secret-token"] * 2  # level 1 only
    assert texts[0].startswith("Hypercare status RED (was GREEN): Rollback criteria met — decision needed. spike — "
                               "Sentry errors 5.0× the same hours of the baseline over the last hour")
    assert texts[1].startswith("Hypercare status GREEN (was RED)")
    stored = json.loads(scalar(cur, "SELECT reasons FROM status_history ORDER BY evaluated_at LIMIT 1 OFFSET 2"))
    assert stored["status"] == "red" and stored["rules"][0]["value"] == 5.0


def test_the_demo_history_tells_the_story(demo):
    _, store = demo
    cur = store.cursor()
    rows = cur.execute("SELECT evaluated_at, status FROM status_history ORDER BY evaluated_at").fetchall()
    by_hour = {round((t - DEMO_GO_LIVE).total_seconds() / 3600): s for t, s in rows}
    assert sorted(by_hour) == list(range(39))  # every hour from go-live to the pinned T+38 h
    assert {h for h, s in by_hour.items() if s == "red"} == set(range(10, 15))  # the checkout bug
    assert all(by_hour[h] in ("green", "amber") for h in range(15, 39))
    assert by_hour[38] == "amber"
    latest = json.loads(scalar(cur, "SELECT reasons FROM status_history ORDER BY evaluated_at DESC LIMIT 1"))
    assert [r["name"] for r in latest["rules"] if r["result"] == "met"] == ["Payment provider degraded"]
    assert sorted(p["held_hours"] >= p["hold_hours"] for p in latest["exit"]) == [False, True, True]  # partly held
    evidence = json.loads(scalar(cur, "SELECT evidence FROM decisions WHERE summary = ?", [ROLLBACK_DECLINED]))
    assert evidence["status"] == "red" and evidence["evaluation"]["evaluated_at"] == "2026-11-23T08:00:00+00:00"
    assert evidence["evaluation"] == json.loads(scalar(cur, "SELECT reasons FROM status_history WHERE evaluated_at = ?",
                                         [DEMO_GO_LIVE + timedelta(hours=11)]))
