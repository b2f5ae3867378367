"""The outbox: delivery to a real webhook receiver with retries, once per row, across restarts;
bounded copies when answers never come, and a trickling receiver that holds nothing up."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone

from hypercare.incidents import actions as inc
from hypercare.incidents import notify
from hypercare.store import Store
from hypercare.store.read import arrow
from tests.fakes.webhook import WebhookReceiver
from tests.process import ROOT
from tests.test_incidents import CONFIG, WINDOW, who

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


def attempts(store):
    return [(r["attempt"], r["outcome"], r["status_code"]) for r in arrow(
        store.cursor(), "SELECT attempt, outcome, status_code FROM notification_attempts ORDER BY attempt").to_pylist()]


def outbox(store):
    return arrow(store.cursor(), "SELECT kind, channel, sent_at, attempts, last_error FROM notifications ORDER BY created_at").to_pylist()


def open_one(store):
    return inc.open_incident(store, CONFIG, title="Checkout <fails>", severity="SEV2", identity=who("ana"), now=NOW)


def test_fails_first_then_succeeds_after_its_backoff_and_is_delivered_once(store):
    open_one(store)
    with WebhookReceiver([500]) as hook:
        env = {"HOOK_L1": hook.url()}
        result = inc.tick(store, CONFIG, WINDOW, NOW, env=env)
        early = inc.tick(store, CONFIG, WINDOW, NOW + timedelta(seconds=20), env=env)  # backoff: 30 s
        again = inc.tick(store, CONFIG, WINDOW, NOW + timedelta(minutes=1), env=env)
        later = inc.tick(store, CONFIG, WINDOW, NOW + timedelta(minutes=2), env=env)
    assert [status for _, status, _ in hook.received] == [500, 200]
    assert hook.delivered == [{"text": "[SEV2] INC-1 Checkout &lt;fails&gt;: opened by ana (now with L1 desk)"}]
    assert [r.delivery for r in (result, early, again, later)] == [
        notify.Delivery(sent=0, failed=1), notify.Delivery(0, 0), notify.Delivery(1, 0), notify.Delivery(0, 0)]
    assert outbox(store) == [{"kind": "open", "channel": "HOOK_L1", "sent_at": NOW + timedelta(minutes=1),
                              "attempts": 2, "last_error": None}]
    assert attempts(store) == [(1, "failed", 500), (2, "delivered", 200)]


def test_a_failed_round_is_retried_on_the_next_tick(store):
    open_one(store)
    env = {}
    with WebhookReceiver([503]) as hook:
        env["HOOK_L1"] = hook.url()
        first = notify.deliver_pending(store, NOW, env=env)
        row = outbox(store)[0]
        assert first == notify.Delivery(sent=0, failed=1)
        assert row["sent_at"] is None and row["attempts"] == 1
        assert "503" in row["last_error"] and "secret-token" not in row["last_error"]
        assert "(attempt 1 of 8); trying again after 09:00:30 UTC" in row["last_error"]
        second = notify.deliver_pending(store, NOW + timedelta(minutes=1), env=env)
    assert second == notify.Delivery(sent=1, failed=0)
    assert len(hook.delivered) == 1
    assert outbox(store)[0]["sent_at"] == NOW + timedelta(minutes=1) and outbox(store)[0]["attempts"] == 2


def test_restart_does_not_resend(store, tmp_path):
    open_one(store)
    with WebhookReceiver() as hook:
        env = {"HOOK_L1": hook.url()}
        notify.deliver_pending(store, NOW, env=env)
        store.close()
        reopened = Store(tmp_path / "hypercare.duckdb")
        try:
            assert notify.deliver_pending(reopened, NOW, env=env) == notify.Delivery(0, 0)
            inc.tick(reopened, CONFIG, WINDOW, NOW, env=env)
        finally:
            reopened.close()
    assert len(hook.received) == 1


def test_missing_webhook_env_and_permanent_errors_are_recorded_and_bounded(store):
    open_one(store)
    assert notify.deliver_pending(store, NOW, env={}) == notify.Delivery(0, 1)
    assert outbox(store)[0]["last_error"].startswith("environment variable HOOK_L1 is not set")
    with WebhookReceiver([404] * 20) as hook:
        for k in range(notify.MAX_ATTEMPTS + 2):
            notify.deliver_pending(store, NOW + timedelta(hours=k), env={"HOOK_L1": hook.url()})
    row = outbox(store)[0]
    assert len(hook.received) == notify.MAX_ATTEMPTS - 1  # one POST per round; rounds stop at the cap
    assert row["attempts"] == notify.MAX_ATTEMPTS and row["sent_at"] is None
    assert "404" in row["last_error"] and "secret-token" not in row["last_error"]


def test_a_channel_that_is_down_costs_one_row_per_round(store):
    open_one(store)
    inc.add_note(store, "INC-1", "more", identity=who("ana"), now=NOW)
    inc.resolve(store, "INC-1", identity=who("ana"), now=NOW + timedelta(minutes=1))
    with WebhookReceiver([500, 500]) as hook:
        env = {"HOOK_L1": hook.url()}
        assert notify.deliver_pending(store, NOW, env=env) == notify.Delivery(0, 1)
        assert [r["attempts"] for r in outbox(store)] == [1, 0]
        assert notify.deliver_pending(store, NOW + timedelta(minutes=1), env=env) == notify.Delivery(0, 1)
        assert notify.deliver_pending(store, NOW + timedelta(minutes=3), env=env) == notify.Delivery(2, 0)
    assert [b["text"].split(": ")[1] for b in hook.delivered] == ["opened by ana (now with L1 desk)", "resolved by ana"]


def test_a_webhook_answering_after_the_deadline_gets_at_most_three_copies(store):
    """It answers 200, but only after the sender stopped waiting: each copy may have arrived."""
    open_one(store)
    with WebhookReceiver(["late"] * 20, late_seconds=30) as hook:
        env = {"HOOK_L1": hook.url()}
        for k in range(12):  # two hours of rounds, every backoff long past
            notify.deliver_pending(store, NOW + timedelta(minutes=10 * k), env=env, deadline=0.3)
        copies = hook.copies
    assert copies == notify.MAX_COPIES == 3
    row = outbox(store)[0]
    assert row["sent_at"] is None and row["attempts"] == 3
    assert row["last_error"].startswith("uncertain: the message went out but no answer from 127.0.0.1:")
    assert "the receiver may have it (3 of at most 3 copies sent); not sent again" in row["last_error"]
    assert attempts(store) == [(1, "uncertain", None), (2, "uncertain", None), (3, "uncertain", None)]


def test_uncertain_attempts_wait_for_their_backoff_and_an_answer_ends_them(store):
    open_one(store)
    with WebhookReceiver(["late", 200], late_seconds=30) as hook:
        env = {"HOOK_L1": hook.url()}
        notify.deliver_pending(store, NOW, env=env, deadline=0.3)
        assert "(1 of at most 3 copies sent); sending again after 09:00:30 UTC" in outbox(store)[0]["last_error"]
        assert notify.deliver_pending(store, NOW + timedelta(seconds=10), env=env, deadline=0.3) == notify.Delivery(0, 0)
        assert notify.deliver_pending(store, NOW + timedelta(seconds=30), env=env, deadline=0.3) == notify.Delivery(1, 0)
    assert hook.copies == 2
    assert arrow(store.cursor(), "SELECT uncertain, attempts FROM notifications").to_pylist() == [{"uncertain": 1, "attempts": 2}]
    assert attempts(store) == [(1, "uncertain", None), (2, "delivered", 200)]


def test_a_trickling_webhook_neither_stalls_the_tick_nor_delays_the_next_incident(store):
    """Delivery runs on its own worker (as under `serve`); the tick never waits for it."""
    open_one(store)
    with WebhookReceiver(["trickle"]) as hook:
        env = {"HOOK_L1": hook.url()}
        worker = threading.Thread(target=notify.deliver_pending, args=(store, NOW), kwargs={"env": env, "deadline": 5.0})
        started = time.perf_counter()
        worker.start()
        assert hook.got_request.wait(5)  # the POST is out and the receiver is trickling its answer
        second = inc.open_incident(store, CONFIG, title="Payments down", severity="SEV1", identity=who("bo"),
                                   now=NOW + timedelta(seconds=1))
        ticked = inc.tick(store, CONFIG, WINDOW, NOW + timedelta(seconds=2), deliver=False)
        assert worker.is_alive()  # the tick and the new incident did not wait for the delivery
        worker.join(15)
        took = time.perf_counter() - started
    assert not worker.is_alive() and took < 10  # the whole-answer deadline ended the POST
    assert second.incident_id == "INC-2" and ticked.delivery is None
    rows = outbox(store)
    assert rows[0]["attempts"] == 1 and rows[0]["last_error"].startswith("uncertain: the message went out but no answer")
    assert "within 5 s" in rows[0]["last_error"]
    assert rows[1]["attempts"] == 0  # INC-2's page waits for the next round, not behind a stuck one


def test_a_crash_mid_send_counts_towards_the_three_copies(store, tmp_path):
    """kill -9 while the webhook holds the answer: the attempt stays counted as uncertain."""
    open_one(store)
    path = store.path
    store.close()
    with WebhookReceiver(["late"] * 10, late_seconds=60) as hook:
        script = ("import sys; from datetime import datetime, timezone; from hypercare.store import Store; "
                  "from hypercare.incidents import notify; "
                  "notify.deliver_pending(Store(sys.argv[1]), datetime.now(timezone.utc), "
                  "env={'HOOK_L1': sys.argv[2]}, deadline=60)")
        proc = subprocess.Popen([sys.executable, "-c", script, str(path), hook.url()], cwd=ROOT)
        try:
            assert hook.got_request.wait(60)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
        reopened = Store(path)
        try:
            row = outbox(reopened)[0]
            assert row["attempts"] == 1 and row["last_error"].startswith("uncertain: sending since")
            for k in range(6):
                notify.deliver_pending(reopened, NOW + timedelta(days=1, hours=k), env={"HOOK_L1": hook.url()},
                                       deadline=0.3)
            assert attempts(reopened)[0][1] == "sending"  # the killed attempt, as it was left
        finally:
            reopened.close()
        assert hook.copies == notify.MAX_COPIES  # the crashed copy and two more, never a fourth
