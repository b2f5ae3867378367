"""The inbox: every current item of every source, ranked by score, ties broken by recency.

Set-aside state is not applied here: `items` is the whole list before any filtering.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import duckdb

from hypercare.config import Config
from hypercare.runtime import window_for
from hypercare.triage.checks import check_items
from hypercare.triage.incidents import incident_items
from hypercare.triage.model import Item
from hypercare.triage.sentry import sentry_items
from hypercare.triage.tickets import ticket_items


def items(cur: duckdb.DuckDBPyConnection, config: Config, now: datetime) -> list[Item]:
    """Every current item, ranked (score desc, then recency), before any set-aside filtering."""
    window = window_for(cur, config, as_of=now)
    go_live_at = window.go_live_at if window else None
    found = (sentry_items(cur, go_live_at, now, config.triage) + check_items(cur, config, go_live_at, now)
             + ticket_items(cur, window, now, config.triage) + incident_items(cur, window, now))
    return ranked(found)


def ranked(found: Iterable[Item]) -> list[Item]:
    """Highest score first; on equal scores the most recently seen first; then by key, so the
    order never depends on the order the sources were read in."""
    by_key = sorted(found, key=lambda i: i.key)
    return sorted(by_key, key=lambda i: (-i.score.total, -i.last_seen.timestamp()))
