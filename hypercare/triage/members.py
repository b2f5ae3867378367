"""Which rows an inbox item stands for in the new-issue and ticket counts, so setting it aside
leaves exactly those out (queries.triage.set_aside reads them from `triage_actions.members`).

A Sentry issue and a P1 ticket stand for themselves. A ticket cluster stands for the tickets it
held when it was set aside: its `ticket_keys` (hypercare.triage.tickets: those matching its rule
and value in its period). Tickets of the same kind that come later count again; if they pile up,
the cluster's score rises and it comes back. Checks and incidents are in no such count.
"""

from __future__ import annotations

from hypercare.triage.model import Item


def members(item: Item) -> list[str]:
    if item.key.startswith(("sentry:", "tickets:")):
        return [item.key]
    if item.key.startswith("cluster:"):
        return list(item.figures["ticket_keys"])
    return []
