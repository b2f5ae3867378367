"""The notifications outbox: rows queued with the incident event, delivered to webhooks later.

A row per (event, channel); a channel is the name of the environment variable that holds a Slack-
or Teams-compatible incoming-webhook URL (`{"text": ...}`). Delivery goes through the one HTTP
client (retries with backoff); `sent_at` is recorded only by a compare-and-set on an unsent row, so
at most one successful delivery is recorded per row and a restart never re-sends what was
delivered. A crash between the webhook's answer and that record may send the message once more.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb

from hypercare.clock import Clock, SystemClock
from hypercare.http import HttpClient, HttpError, RetryPolicy
from hypercare.store import Store

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8  # deliveries tried (on successive ticks) before a row is given up
BATCH = 50  # rows per delivery round, so one tick stays short
# Per delivery: a few quick retries; the next tick retries again.
DELIVERY_POLICY = RetryPolicy(max_attempts=3, backoff_base=1.0, backoff_max=8.0, max_wait=30.0)

_delivering = threading.Lock()


def notification_id(event_id: str, channel: str) -> str:
    return hashlib.sha256(f"{event_id}|{channel}".encode()).hexdigest()[:24]


def queue(
    cur: duckdb.DuckDBPyConnection,
    incident_id: str | None,  # None: not about one incident (a change of the verdict)
    event_id: str,
    kind: str,
    channels: Sequence[str],
    message: str,
    created_at: datetime,
) -> int:
    """Add the rows for one event (inside the event's transaction); an existing row is kept."""
    added = 0
    for channel in dict.fromkeys(channels):
        added += cur.execute(
            """INSERT INTO notifications (notification_id, incident_id, kind, channel, created_at,
                                          sent_at, attempts, last_error, event_id, message)
               SELECT ?, ?, ?, ?, ?, NULL, 0, NULL, ?, ?
               WHERE NOT EXISTS (SELECT 1 FROM notifications WHERE notification_id = ?)""",
            [notification_id(event_id, channel), incident_id, kind, channel, created_at, event_id, message,
             notification_id(event_id, channel)],
        ).fetchall()[0][0]
    return added


@dataclass(frozen=True)
class Delivery:
    sent: int
    failed: int


def deliver_pending(
    store: Store,
    now: datetime,
    *,
    env: Mapping[str, str] | None = None,
    clock: Clock | None = None,
    policy: RetryPolicy = DELIVERY_POLICY,
) -> Delivery:
    """Send unsent rows, oldest first; record each outcome. `now` is recorded as `sent_at`.

    A channel that fails is left alone for the rest of the round, so a webhook that is down
    costs one row's retries per tick, not every row's.

    `env` gives the webhook URLs (default: the process environment); `clock` sleeps between
    retries. Only one delivery round runs at a time in this process.
    """
    env = os.environ if env is None else env
    with _delivering:
        rows = store.cursor().execute(
            """SELECT notification_id, channel, message FROM notifications
               WHERE sent_at IS NULL AND coalesce(attempts, 0) < ?
               ORDER BY created_at, notification_id LIMIT ?""",
            [MAX_ATTEMPTS, BATCH],
        ).fetchall()
        sent = failed = 0
        down: set[str] = set()  # a channel that failed this round is tried again next round, not now
        for nid, channel, message in rows:
            if channel in down:
                continue
            error = _send(env.get(channel), channel, message or "", clock or SystemClock(), policy)
            with store.transaction() as cur:
                if error is None:
                    cur.execute(
                        """UPDATE notifications SET sent_at = ?, attempts = coalesce(attempts, 0) + 1,
                           last_error = NULL WHERE notification_id = ? AND sent_at IS NULL""",
                        [now, nid],
                    )
                else:
                    cur.execute(
                        """UPDATE notifications SET attempts = coalesce(attempts, 0) + 1, last_error = ?
                           WHERE notification_id = ? AND sent_at IS NULL""",
                        [error, nid],
                    )
            if error is None:
                sent += 1
            else:
                failed += 1
                down.add(channel)
                log.warning("notification %s to %s not delivered: %s", nid, channel, error)
        return Delivery(sent, failed)


def _send(url: str | None, channel: str, message: str, clock: Clock, policy: RetryPolicy) -> str | None:
    """POST the message; None when delivered, else why not (the URL is never part of it)."""
    if not url:
        return f"environment variable {channel} is not set; export it with the channel's webhook URL"
    client = HttpClient(timeout=(3.0, 10.0), policy=policy, clock=clock, secrets=[url])
    try:
        client.request("POST", url, json={"text": message})
    except HttpError as exc:
        return exc.message
    return None


def slack_escape(text: str) -> str:
    """Slack reads &, < and > as markup; titles from outside must stay plain text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
