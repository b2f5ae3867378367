"""Which rows an inbox item stands for in the new-issue and ticket counts, so setting it aside
leaves exactly those out (queries.triage.set_aside reads them from `triage_actions.members`).

A Sentry issue and a P1 ticket stand for themselves. A ticket cluster stands for the tickets it
held when it was set aside: those matching its rule and value (hypercare.triage.tickets) created
from its first to its last ticket. Tickets of the same kind that come later count again; if they
pile up, the cluster's score rises and it comes back. Checks and incidents are in no such count.
"""

from __future__ import annotations

import duckdb

from hypercare.store.read import arrow
from hypercare.triage.model import Item
from hypercare.triage.tickets import STOPWORDS, SUBJECT_SQL

RULE_SQL = {  # a ticket's value under each cluster rule, as hypercare.triage.tickets groups them
    "label": "list_contains(list_transform(labels, lambda l: lower(trim(l))), ?)",
    "category": "category = ?",
    "subject": f"{SUBJECT_SQL} = ?",
}


def members(cur: duckdb.DuckDBPyConnection, item: Item) -> list[str]:
    if item.key.startswith(("sentry:", "tickets:")):
        return [item.key]
    if not item.key.startswith("cluster:"):
        return []
    rule, value = item.key.removeprefix("cluster:").split(":", 1)
    params = [list(STOPWORDS), value] if rule == "subject" else [value]
    rows = arrow(
        cur,
        f"SELECT 'tickets:' || source || ':' || ticket_id AS key FROM tickets "
        f"WHERE created_at >= ? AND created_at <= ? AND {RULE_SQL[rule]} ORDER BY key",
        [item.first_seen, item.last_seen, *params],
    ).to_pylist()
    return [r["key"] for r in rows]
