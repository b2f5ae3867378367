"""Writing the verdict down: a `status_history` row per evaluation, and one notification per
change of status to or from RED, through the incidents' outbox to the level-1 webhook.

The row and its notification are written in one transaction; both are keyed by the evaluation
instant, so evaluating twice at the same instant writes nothing twice.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TYPE_CHECKING

from hypercare.incidents.notify import queue, slack_escape
from hypercare.store import Store
from hypercare.store.queries.status import status_before
from hypercare.verdict.evaluate import evaluate
from hypercare.verdict.model import Evaluation
from hypercare.verdict.status import reasons, sentence
from hypercare.window import Window

if TYPE_CHECKING:
    from hypercare.config import Config

NOTIFY_KIND = "status"


def record_status(store: Store, config: Config, window: Window | None, now: datetime) -> Evaluation:
    """Evaluate at `now`, store the result, and queue a notification when RED begins or ends."""
    evaluation = evaluate(store.cursor(), config, window, now)
    write_evaluation(store, config, evaluation, window)
    return evaluation


def write_evaluation(store: Store, config: Config, evaluation: Evaluation, window: Window | None) -> bool:
    """Store `evaluation` in status_history (replacing a row at the same instant); returns
    whether a status-change notification was queued."""
    at = evaluation.evaluated_at
    with store.transaction() as cur:
        before = status_before(cur, at)
        cur.execute("DELETE FROM status_history WHERE evaluated_at = ?", [at])
        cur.execute("INSERT INTO status_history (evaluated_at, status, reasons) VALUES (?, ?, ?)",
                    [at, evaluation.status, evaluation.to_json()])
        if before == evaluation.status or "red" not in (before, evaluation.status):
            return False
        level = config.escalation.levels[0] if config.escalation.levels else None
        if level is None or not level.webhook_env:
            return False
        event_id = hashlib.sha256(f"status|{at.isoformat()}|{before}|{evaluation.status}".encode()).hexdigest()[:24]
        queue(cur, None, event_id, NOTIFY_KIND, [level.webhook_env], change_message(evaluation, before, window), at)
        return True


def change_message(evaluation: Evaluation, before: str | None, window: Window | None) -> str:
    """'Hypercare status RED (was GREEN): Rollback criteria met — decision needed. <reason>'"""
    was = f" (was {before.upper()})" if before else ""
    text = f"Hypercare status {evaluation.status.upper()}{was}: {evaluation.headline}."
    top = reasons(evaluation)
    if top and window is not None:
        text += " " + slack_escape(sentence(top[0], window.tz)) + "."
    return text
