"""Check items: a configured check that is down, or flapping.

Read from `check_transitions` alone (never the large results table): a check is down when its
latest transition by `now` went to "down"; it is flapping when it changed state at least
`[triage] flapping_transitions` times in the trailing hour (now − 1 h, now]. A check both down
and flapping is one item, "down". Checks no longer in the config are left out.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb

from hypercare.config import Config
from hypercare.store.read import arrow, records
from hypercare.triage.model import Item
from hypercare.triage.score import Signals, score, suggested_severity

HOUR = timedelta(hours=1)


def check_rows(cur: duckdb.DuckDBPyConnection, check_names: list[str], now: datetime, flapping: int) -> list[dict]:
    """Per check that is down or flapping: `state`, `since` (its latest transition), `reason`,
    `flips` in the trailing hour and `flips_before` in the hour before, and `first_flip` (the
    earliest transition of the trailing hour)."""
    if not check_names:
        return []
    return records(arrow(
        cur,
        """
        WITH a AS (SELECT ?::TIMESTAMPTZ AS now)
        SELECT check_name, arg_max(to_state, changed_at) AS state, max(changed_at) AS since,
               arg_max(reason, changed_at) AS reason,
               count(*) FILTER (WHERE changed_at > a.now - INTERVAL 1 HOUR) AS flips,
               count(*) FILTER (WHERE changed_at > a.now - INTERVAL 2 HOUR
                                  AND changed_at <= a.now - INTERVAL 1 HOUR) AS flips_before,
               min(changed_at) FILTER (WHERE changed_at > a.now - INTERVAL 1 HOUR) AS first_flip
        FROM check_transitions, a
        WHERE changed_at <= a.now AND list_contains(?::VARCHAR[], check_name)
        GROUP BY check_name
        HAVING state = 'down' OR flips >= ?
        ORDER BY check_name
        """,
        [now, check_names, flapping],
    ))


def check_items(cur: duckdb.DuckDBPyConnection, config: Config, go_live_at: datetime | None,
                now: datetime) -> list[Item]:
    names = [c.name for c in config.checks]
    return [_item(r, go_live_at, now) for r in check_rows(cur, names, now, config.triage.flapping_transitions)]


def _item(r: dict, go_live_at: datetime | None, now: datetime) -> Item:
    down = r["state"] == "down"
    first_seen = r["since"] if down else r["first_flip"]
    signals = Signals(
        users=None, users_note="checks don't count users",
        last_hour=None if down else r["flips"], hour_before=None if down else r["flips_before"],
        unit="transitions", level=1 if down else 2, level_label="down" if down else "flapping",
        new=go_live_at is not None and first_seen >= go_live_at, first_seen=first_seen,
    )
    s = score(signals, now)
    figures = {"transitions last hour": r["flips"], "transitions hour before": r["flips_before"]}
    if down:
        figures["minutes down"] = round((now - r["since"]).total_seconds() / 60)
    return Item(
        key=f"check:{r['check_name']}", source="checks", kind="down" if down else "flapping",
        title=f"{r['check_name']} — {r['reason']}" if r["reason"] else r["check_name"], ref=r["check_name"], first_seen=first_seen, last_seen=r["since"],
        figures=figures, link=None, score=s, suggested_severity=suggested_severity(s),
    )
