"""Ticking and un-ticking checklist items by hand: one `checklist_events` row per change.

A responder or lead ticks an item without evidence (an item with evidence follows its signal);
an un-tick needs a reason. A change that would not change the item's state (a double click, two
people ticking at once) writes nothing: the state is read and the row written in one transaction,
under a lock, because two DuckDB transactions appending to a table never conflict.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from hypercare.auth.identity import Identity, require
from hypercare.clock import utc
from hypercare.config import ChecklistItemConfig
from hypercare.readiness.checklist import EVIDENCE_KINDS, parse_evidence
from hypercare.store import Store
from hypercare.store.queries.readiness import latest_ticks

_one_change_at_a_time = threading.Lock()


class ChecklistError(ValueError):
    """A change that can't be made, told as a sentence naming what to fix; nothing was written."""


def tick(store: Store, identity: Identity, items: Sequence[ChecklistItemConfig], title: str, now: datetime,
         note: str = "") -> bool:
    """Tick the item titled `title` as `identity` (a responder or lead) at `now`, with an optional
    note. Returns False, writing nothing, when it is ticked already."""
    return _change(store, identity, items, title, "tick", now, note.strip())


def untick(store: Store, identity: Identity, items: Sequence[ChecklistItemConfig], title: str, now: datetime,
           reason: str) -> bool:
    """Un-tick the item as `identity`, saying why. Returns False, writing nothing, when it is not ticked."""
    reason = (reason or "").strip()
    if not reason:
        raise ChecklistError(f"reason is empty: say why {title!r} is not done after all")
    return _change(store, identity, items, title, "untick", now, reason)


def _change(store: Store, identity: Identity, items: Sequence[ChecklistItemConfig], title: str,
            action: Literal["tick", "untick"], now: datetime, note: str) -> bool:
    require(identity, "responder", "ticking or un-ticking a checklist item")
    item = next((i for i in items if i.title == title), None)
    if item is None:
        raise ChecklistError(f"no checklist item is titled {title!r}; choose one from [[checklist]] in the config")
    if item.evidence is not None:
        kind, name = parse_evidence(item.evidence)
        raise ChecklistError(f"{title!r} ticks itself ({EVIDENCE_KINDS[kind]}: {kind} {name!r}); it can't be "
                             "ticked by hand")
    now = utc(now)
    with _one_change_at_a_time, store.transaction() as cur:
        latest = latest_ticks(cur, now).get(title)
        ticked = latest is not None and latest.action == "tick"
        if ticked == (action == "tick"):
            return False
        # numbered in order, so two changes stamped with the same instant still read in the order made
        (count,) = cur.execute("SELECT count(*) FROM checklist_events").fetchall()[0]
        cur.execute("INSERT INTO checklist_events (event_id, item, action, actor, occurred_at, note) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [f"checklist-{count + 1:09d}", title, action, identity.actor, now, note or None])
    return True
