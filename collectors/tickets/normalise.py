"""Pure mapping of a source's raw status, priority and labels to the shared ticket vocabulary.

Every source turns its JSON (or CSV row) into a `RawTicket`; `Normaliser.row` maps it to a row of
the `tickets` table. Values the mappings don't know are kept raw and named in `unmapped`, never
dropped: status or priority stays NULL, category becomes "other".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa

from hypercare.config import TicketSourceBase

# Built-in vocabulary, extended (and overridden) by each source's configured mappings.
STATUSES: dict[str, list[str]] = {
    "open": ["open", "new", "to do", "todo", "in progress", "reopened", "backlog", "triage"],
    "pending": ["pending", "hold", "on hold", "waiting", "waiting for customer", "waiting for support"],
    "solved": ["solved", "resolved", "done", "fixed", "completed"],
    "closed": ["closed", "cancelled", "canceled", "won't do", "rejected", "duplicate", "not_planned", "deleted"],
}
PRIORITIES: dict[str, list[str]] = {
    "P1": ["p1", "urgent", "highest", "critical", "blocker"],
    "P2": ["p2", "high", "major"],
    "P3": ["p3", "normal", "medium"],
    "P4": ["p4", "low", "lowest", "minor", "trivial"],
}
CATEGORIES: dict[str, list[str]] = {
    "technical": ["bug", "incident", "problem", "error", "outage", "defect"],
    "usage": ["question", "how-to", "howto", "usage", "help"],
}
OTHER = "other"

TICKET_SCHEMA = pa.schema([
    ("source", pa.string()),
    ("ticket_id", pa.string()),
    ("created_at", pa.timestamp("us", tz="UTC")),
    ("updated_at", pa.timestamp("us", tz="UTC")),
    ("status", pa.string()),
    ("priority", pa.string()),
    ("category", pa.string()),
    ("labels", pa.list_(pa.string())),
    ("title", pa.string()),
    ("url", pa.string()),
    ("status_raw", pa.string()),
    ("priority_raw", pa.string()),
    ("category_raw", pa.string()),
    ("unmapped", pa.list_(pa.string())),
])


@dataclass(frozen=True)
class RawTicket:
    """A ticket as its source says it, before mapping. Times are aware (any zone).

    `priority_raw` None means "look for a priority among the labels" (GitHub has no field);
    `category_raw` is a dedicated type field (Jira issue type, Zendesk type, a CSV column), whose
    unknown values are flagged; labels that map to nothing are just labels.
    """

    ticket_id: str
    created_at: datetime
    updated_at: datetime
    title: str | None = None
    url: str | None = None
    status_raw: str | None = None
    priority_raw: str | None = None
    category_raw: str | None = None
    labels: Sequence[str] = field(default_factory=tuple)
    status: str | None = None  # the source's own answer when the mappings don't know status_raw


def _lookup(builtin: Mapping[str, list[str]], configured: Mapping[str, list[str]]) -> dict[str, str]:
    table = {value.casefold(): key for key, values in builtin.items() for value in values}
    table.update({value.casefold(): key for key, values in configured.items() for value in values})
    return table


class Normaliser:
    """The mappings of one configured source."""

    def __init__(self, source: TicketSourceBase):
        self.source = source.source
        self.statuses = _lookup(STATUSES, source.statuses)
        self.priorities = _lookup(PRIORITIES, source.priorities)
        self.categories = _lookup(CATEGORIES, source.categories)
        # Configured categories are tried first, in the order the file gives them.
        self.category_order = [*source.categories, *(c for c in CATEGORIES if c not in source.categories)]

    def status(self, raw: str | None) -> str | None:
        return self.statuses.get(raw.casefold()) if raw else None

    def priority(self, raw: str | None) -> str | None:
        return self.priorities.get(raw.casefold()) if raw else None

    def priority_label(self, labels: Iterable[str]) -> tuple[str | None, str | None]:
        """The highest priority any label maps to, and that label."""
        found = [(p, label) for label in labels if (p := self.priority(label))]
        return min(found) if found else (None, None)

    def category(self, values: Iterable[str]) -> str | None:
        hits = {self.categories.get(v.casefold()) for v in values if v}
        return next((c for c in self.category_order if c in hits), None)

    def row(self, t: RawTicket) -> dict[str, Any]:
        unmapped = []
        status = self.status(t.status_raw) or t.status
        if status is None and t.status_raw:
            unmapped.append("status")
        if t.priority_raw is None:
            priority, priority_raw = self.priority_label(t.labels)
        else:
            priority, priority_raw = self.priority(t.priority_raw), t.priority_raw or None
            if priority is None and priority_raw:
                unmapped.append("priority")
        category = self.category([t.category_raw or "", *t.labels])
        if category is None and t.category_raw:
            unmapped.append("category")
        return {
            "source": self.source,
            "ticket_id": t.ticket_id,
            "created_at": t.created_at,
            "updated_at": t.updated_at,
            "status": status,
            "priority": priority,
            "category": category or OTHER,
            "labels": list(t.labels),
            "title": t.title,
            "url": t.url,
            "status_raw": t.status_raw,
            "priority_raw": priority_raw,
            "category_raw": t.category_raw or None,
            "unmapped": unmapped,
        }

    def table(self, tickets: Iterable[RawTicket]) -> pa.Table:
        return pa.Table.from_pylist([self.row(t) for t in tickets], schema=TICKET_SCHEMA)
