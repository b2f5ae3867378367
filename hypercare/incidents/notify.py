"""The notifications outbox: rows queued with the incident event, delivered to webhooks later.

A row per (event, channel); a channel is the name of the environment variable that holds a Slack-
or Teams-compatible incoming-webhook URL (`{"text": ...}`). Each round POSTs every due row once
(`hypercare.http.post_once`: a whole-answer deadline, no retry inside); a row that failed waits
for its backoff, up to MAX_ATTEMPTS. `sent_at` is recorded only by a compare-and-set on an unsent
row, so a restart never re-sends what was delivered.

A POST that went out but got no answer (a timeout, a dropped connection, a receiver answering
after the deadline) is *uncertain*: the receiver may have the message. Each attempt is counted as
uncertain before it is sent and taken back when an answer comes, so uncertain attempts, a crash
mid-send included, are bounded: at most MAX_COPIES copies of a message are ever sent.
Every attempt is a row in `notification_attempts`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb
import pyarrow as pa

from hypercare.http import post_once
from hypercare.redaction import register
from hypercare.store import Store
from hypercare.store.writes import insert_new

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8  # POSTs (one per round, with backoff between) before a row is given up
# A POST that went out but got no answer may have been delivered: at most this many such copies
# (the one that is answered included) are ever sent, crashes mid-send counted.
MAX_COPIES = 3
DEADLINE_SECONDS = 10.0  # the whole wait for a webhook's answer, however slowly it trickles
BATCH = 50  # rows per delivery round
BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_MAX = timedelta(minutes=15)

_delivering = threading.Lock()
_TS = pa.timestamp("us", tz="UTC")
_OUTBOX = pa.schema([("notification_id", pa.string()), ("incident_id", pa.string()), ("kind", pa.string()),
                     ("channel", pa.string()), ("created_at", _TS), ("sent_at", _TS), ("attempts", pa.int32()),
                     ("last_error", pa.string()), ("event_id", pa.string()), ("message", pa.string())])


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
    return queue_rows(cur, outbox_rows(incident_id, event_id, kind, channels, message, created_at))


def outbox_rows(
    incident_id: str | None, event_id: str, kind: str, channels: Sequence[str], message: str, created_at: datetime
) -> list[dict]:
    """The outbox rows of one event: one per distinct channel, unsent."""
    return [
        {"notification_id": notification_id(event_id, channel), "incident_id": incident_id, "kind": kind,
         "channel": channel, "created_at": created_at, "sent_at": None, "attempts": 0, "last_error": None,
         "event_id": event_id, "message": message}
        for channel in dict.fromkeys(channels)
    ]


def queue_rows(cur: duckdb.DuckDBPyConnection, rows: Sequence[Mapping]) -> int:
    """Add outbox rows (`outbox_rows`, any number of events) as one batch inside their events'
    transaction; a row whose id is stored already is kept as it is. Returns how many were added."""
    return insert_new(cur, "notifications", pa.Table.from_pylist(list(rows), schema=_OUTBOX), ["notification_id"])


@dataclass(frozen=True)
class Delivery:
    sent: int
    failed: int  # not delivered this round: refused, failed, or uncertain


def deliver_pending(
    store: Store,
    now: datetime,
    *,
    env: Mapping[str, str] | None = None,
    deadline: float = DEADLINE_SECONDS,
) -> Delivery:
    """Send the rows that are due, oldest first: one POST each, its outcome recorded.

    A channel that fails is left alone for the rest of the round, so a webhook that is down
    costs one row per round, not every row's. Every POST waits at most `deadline` seconds for
    the webhook's answer, so a round is bounded however slowly a receiver answers.
    `env` gives the webhook URLs (default: the process environment); `now` is recorded as the
    attempt's time and `sent_at`. Only one delivery round runs at a time in this process.
    """
    env = os.environ if env is None else env
    with _delivering:
        rows = store.cursor().execute(
            """SELECT notification_id, channel, message FROM notifications
               WHERE sent_at IS NULL AND coalesce(attempts, 0) < ? AND coalesce(uncertain, 0) < ?
                 AND (next_attempt_at IS NULL OR next_attempt_at <= ?)
               ORDER BY created_at, notification_id LIMIT ?""",
            [MAX_ATTEMPTS, MAX_COPIES, now, BATCH],
        ).fetchall()
        sent = failed = 0
        down: set[str] = set()  # a channel that failed this round is tried again next round, not now
        for nid, channel, message in rows:
            if channel in down:
                continue
            if _attempt(store, nid, channel, env.get(channel), message or "", now, deadline):
                sent += 1
            else:
                failed += 1
                down.add(channel)
        return Delivery(sent, failed)


def _attempt(store: Store, nid: str, channel: str, url: str | None, message: str, now: datetime,
             deadline: float) -> bool:
    """One POST of one row, recorded before (as possibly received, so a crash mid-send still
    counts towards MAX_COPIES) and after. Returns whether it was delivered."""
    if not url:
        attempt = _begin(store, nid, now, sending=False)
        _finish(store, nid, attempt, now, "not sent", None,
                f"environment variable {channel} is not set; export it with the channel's webhook URL", took_back=False)
        return False
    register(url)  # from now on no log line, message or page shows it
    attempt = _begin(store, nid, now, sending=True)
    answer = post_once(url, {"text": message}, deadline=deadline)
    if answer.status is not None and 200 <= answer.status < 300:
        _finish(store, nid, attempt, now, "delivered", answer.status, None, took_back=True)
        return True
    if answer.status is None and answer.maybe_received:
        copies = _copies(store, nid)
        more = copies < MAX_COPIES
        error = (f"uncertain: the message went out but {answer.reason}, so the receiver may have it "
                 f"({copies} of at most {MAX_COPIES} copies sent); "
                 + (f"sending again after {_retry_at(now, attempt):%H:%M:%S} UTC" if more else "not sent again"))
        _finish(store, nid, attempt, now, "uncertain", None, error, took_back=False)
        log.warning("notification %s to %s: %s", nid, channel, error)
        return False
    outcome = "refused" if answer.status is not None and answer.status < 500 and answer.status != 429 else "failed"
    more = attempt < MAX_ATTEMPTS
    error = (f"{answer.reason} (attempt {attempt} of {MAX_ATTEMPTS}); "
             + (f"trying again after {_retry_at(now, attempt):%H:%M:%S} UTC" if more else "not tried again"))
    _finish(store, nid, attempt, now, outcome, answer.status, error, took_back=True)
    log.warning("notification %s to %s not delivered: %s", nid, channel, error)
    return False


def _begin(store: Store, nid: str, now: datetime, *, sending: bool) -> int:
    """Count the attempt, as possibly received when a request goes out (a crash before
    `_finish` leaves it counted that way); returns the attempt's number."""
    note = f"uncertain: sending since {now:%H:%M:%S} UTC; if this stays, Hypercare stopped before the answer came"
    with store.transaction() as cur:
        attempt = cur.execute(
            """UPDATE notifications SET attempts = coalesce(attempts, 0) + 1,
                   uncertain = coalesce(uncertain, 0) + ?, last_error = coalesce(?, last_error)
               WHERE notification_id = ? AND sent_at IS NULL RETURNING attempts""",
            [int(sending), note if sending else None, nid],
        ).fetchall()[0][0]
        cur.execute(
            "INSERT INTO notification_attempts (notification_id, attempt, attempted_at, outcome) VALUES (?, ?, ?, ?)",
            [nid, attempt, now, "sending" if sending else "not sent"],
        )
    return attempt


def _finish(store: Store, nid: str, attempt: int, now: datetime, outcome: str, status: int | None,
            error: str | None, *, took_back: bool) -> None:
    """Record the attempt's outcome; `took_back`: an answer came, so it no longer counts as uncertain."""
    delivered = outcome == "delivered"
    with store.transaction() as cur:
        cur.execute(
            """UPDATE notifications SET sent_at = ?, last_error = ?, next_attempt_at = ?,
                   uncertain = coalesce(uncertain, 0) - ?
               WHERE notification_id = ? AND sent_at IS NULL""",
            [now if delivered else None, error, None if delivered else _retry_at(now, attempt), int(took_back), nid],
        )
        cur.execute(
            "UPDATE notification_attempts SET outcome = ?, status_code = ?, error = ? WHERE notification_id = ? AND attempt = ?",
            [outcome, status, error, nid, attempt],
        )


def _copies(store: Store, nid: str) -> int:
    """Attempts that may have reached the receiver without an answer (this one included)."""
    return store.cursor().execute("SELECT uncertain FROM notifications WHERE notification_id = ?", [nid]).fetchall()[0][0]


def _retry_at(now: datetime, attempt: int) -> datetime:
    """Backoff after attempt 1, 2, ...: 30 s, 1, 2, 4, 8 min, then every 15 min."""
    return now + min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** (attempt - 1))


def slack_escape(text: str) -> str:
    """Slack reads &, < and > as markup; titles from outside must stay plain text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
