"""The inbox: every current item of every source, ranked by score, ties broken by recency.

Set-aside state is not applied here: `items` is the whole list before any filtering. Each part
(`PARTS`) can be read on its own (`part`), so a page caches them one by one.
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
from hypercare.triage.tickets import cluster_items, p1_items
from hypercare.window import Window

PARTS = {  # name → (cur, config, window, now) → its items
    "sentry": lambda cur, config, window, now: sentry_items(cur, window and window.go_live_at, now, config.triage),
    "checks": lambda cur, config, window, now: check_items(cur, config, window and window.go_live_at, now),
    "P1 tickets": lambda cur, config, window, now: p1_items(cur, window, now),
    "ticket clusters": lambda cur, config, window, now: cluster_items(cur, window, now, config.triage),
    "incidents": lambda cur, config, window, now: incident_items(cur, window, now),
}


def items(cur: duckdb.DuckDBPyConnection, config: Config, now: datetime) -> list[Item]:
    """Every current item, ranked (score desc, then recency), before any set-aside filtering."""
    window = window_for(cur, config, as_of=now)
    return ranked(i for read in PARTS.values() for i in read(cur, config, window, now))


def part(cur: duckdb.DuckDBPyConnection, config: Config, window: Window | None, now: datetime, name: str) -> list[Item]:
    """The items of one part of the inbox (a key of PARTS), unranked, in `window` (as `items`
    reads it: window_for as of `now`); `ranked` of all parts is `items`."""
    return PARTS[name](cur, config, window, now)


def ranked(found: Iterable[Item]) -> list[Item]:
    """Highest score first; on equal scores the most recently seen first; then by key, so the
    order never depends on the order the sources were read in."""
    by_key = sorted(found, key=lambda i: i.key)
    return sorted(by_key, key=lambda i: (-i.score.total, -i.last_seen.timestamp()))
