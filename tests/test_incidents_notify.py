"""The outbox: delivery to a real webhook receiver with retries, once per row, across restarts."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypercare.incidents import actions as inc
from hypercare.incidents import notify
from hypercare.clock import FixedClock
from hypercare.store import Store
from hypercare.store.read import arrow
from tests.fakes.webhook import WebhookReceiver
from tests.test_incidents import CONFIG, WINDOW, who

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


def outbox(store):
    return arrow(store.cursor(), "SELECT kind, channel, sent_at, attempts, last_error FROM notifications ORDER BY created_at").to_pylist()


def open_one(store):
    return inc.open_incident(store, CONFIG, title="Checkout <fails>", severity="SEV2", identity=who("ana"), now=NOW)


def test_fails_first_then_succeeds_and_is_delivered_once(store):
    clock = FixedClock(NOW)
    open_one(store)
    with WebhookReceiver([500]) as hook:
        result = inc.tick(store, CONFIG, WINDOW, NOW, env={"HOOK_L1": hook.url()}, clock=clock)
        again = inc.tick(store, CONFIG, WINDOW, NOW + timedelta(minutes=1), env={"HOOK_L1": hook.url()}, clock=clock)
    assert [status for _, status, _ in hook.received] == [500, 200]
    assert len(clock.slept) == 1  # the backoff was slept through the injected clock
    assert hook.delivered == [{"text": "[SEV2] INC-1 Checkout &lt;fails&gt;: opened by ana (now with L1 desk)"}]
    assert result.delivery == notify.Delivery(sent=1, failed=0) and again.delivery == notify.Delivery(0, 0)
    assert outbox(store) == [{"kind": "open", "channel": "HOOK_L1", "sent_at": NOW, "attempts": 1, "last_error": None}]


def test_a_failed_round_is_retried_on_the_next_tick(store):
    open_one(store)
    env = {}
    with WebhookReceiver([503, 503, 503]) as hook:
        env["HOOK_L1"] = hook.url()
        first = notify.deliver_pending(store, NOW, env=env, clock=FixedClock(NOW))
        row = outbox(store)[0]
        assert first == notify.Delivery(sent=0, failed=1)
        assert row["sent_at"] is None and row["attempts"] == 1
        assert "503" in row["last_error"] and "secret-token" not in row["last_error"]
        second = notify.deliver_pending(store, NOW + timedelta(minutes=1), env=env, clock=FixedClock(NOW))
    assert second == notify.Delivery(sent=1, failed=0)
    assert len(hook.delivered) == 1
    assert outbox(store)[0]["sent_at"] == NOW + timedelta(minutes=1) and outbox(store)[0]["attempts"] == 2


def test_restart_does_not_resend(store, tmp_path):
    open_one(store)
    with WebhookReceiver() as hook:
        env = {"HOOK_L1": hook.url()}
        notify.deliver_pending(store, NOW, env=env, clock=FixedClock(NOW))
        store.close()
        reopened = Store(tmp_path / "hypercare.duckdb")
        try:
            assert notify.deliver_pending(reopened, NOW, env=env, clock=FixedClock(NOW)) == notify.Delivery(0, 0)
            inc.tick(reopened, CONFIG, WINDOW, NOW, env=env, clock=FixedClock(NOW))
        finally:
            reopened.close()
    assert len(hook.received) == 1


def test_missing_webhook_env_and_permanent_errors_are_recorded_and_bounded(store):
    open_one(store)
    assert notify.deliver_pending(store, NOW, env={}, clock=FixedClock(NOW)) == notify.Delivery(0, 1)
    assert outbox(store)[0]["last_error"].startswith("environment variable HOOK_L1 is not set")
    with WebhookReceiver([404] * 20) as hook:
        for k in range(notify.MAX_ATTEMPTS + 2):
            notify.deliver_pending(store, NOW + timedelta(minutes=k), env={"HOOK_L1": hook.url()}, clock=FixedClock(NOW))
    row = outbox(store)[0]
    assert len(hook.received) == notify.MAX_ATTEMPTS - 1  # a 404 is not retried within a round; rounds stop at the cap
    assert row["attempts"] == notify.MAX_ATTEMPTS and row["sent_at"] is None
    assert "404" in row["last_error"] and "secret-token" not in row["last_error"]


def test_a_channel_that_is_down_costs_one_row_per_round(store):
    open_one(store)
    inc.add_note(store, "INC-1", "more", identity=who("ana"), now=NOW)
    inc.resolve(store, "INC-1", identity=who("ana"), now=NOW + timedelta(minutes=1))
    with WebhookReceiver([500, 500, 500]) as hook:
        env = {"HOOK_L1": hook.url()}
        assert notify.deliver_pending(store, NOW, env=env, clock=FixedClock(NOW)) == notify.Delivery(0, 1)
        assert [r["attempts"] for r in outbox(store)] == [1, 0]
        assert notify.deliver_pending(store, NOW, env=env, clock=FixedClock(NOW)) == notify.Delivery(2, 0)
    assert [b["text"].split(": ")[1] for b in hook.delivered] == ["opened by ana (now with L1 desk)", "resolved by ana"]
