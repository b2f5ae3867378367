"""The inbox as a person sees it: each current item with its triage state, the set-aside list, and
how many items nobody has triaged yet (the Overview's figure).

`combine` is pure: items (hypercare.triage.inbox.items) + the recorded actions + the incidents
open for a source. An item of source "incidents" is an incident already: it stays in the inbox
(it needs a person) but counts as triaged, with its own state. An item whose incident (opened
or linked from here) is resolved is untriaged again, "back: INC-n resolved", while it is still
an item (unless another incident is open for its source).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb

from hypercare.config import Config
from hypercare.store.queries import triage as q
from hypercare.triage import inbox
from hypercare.triage.model import Item
from hypercare.triage.state import ItemState, due_return, incident_source, state_of


@dataclass(frozen=True)
class Entry:
    """One line of the inbox or of the set-aside list. `item` None: a set-aside item that is not
    among the current items any more (its title and source are as recorded when it was set aside)."""

    key: str
    source: str
    title: str
    state: ItemState
    item: Item | None = None


@dataclass(frozen=True)
class InboxView:
    inbox: tuple[Entry, ...]  # ranked as inbox.items ranks them; set-aside items left out
    set_aside: tuple[Entry, ...]  # most recently set aside first
    due_back: tuple[str, ...] = ()  # set-aside items shown as back whose return is not recorded yet

    @property
    def untriaged(self) -> int:
        return sum(1 for e in self.inbox if e.state.state == "untriaged")


def combine(items: Sequence[Item], rows: Iterable[Mapping], covering: Mapping[tuple[str, str], tuple[str, str]],
            now: datetime) -> InboxView:
    """`rows`: queries.triage.item_states at `now`; `covering`: queries.triage.covering_incidents.
    A set-aside item due back at `now` (state.due_return) is in the inbox already, before the
    engine has written its return."""
    latest = {r["item_key"]: r for r in rows}
    current = {i.key: i for i in items}
    shown, aside, due = [], [], []
    for item in items:
        state = _state(item, latest.get(item.key), covering)
        back = due_return(state, item.score.without_age, now)
        if state.state == "set aside" and back is None:
            aside.append(Entry(item.key, item.source, item.title, state, item))
            continue
        if back is not None:  # shown as back (with why) until the engine writes its return
            state = ItemState(state.key, "untriaged", returned=back[1])
            due.append(item.key)
        shown.append(Entry(item.key, item.source, item.title, state, item))
    for key, row in latest.items():
        if key not in current and row["action"] == "set aside":
            state = state_of(key, row)
            if due_return(state, None, now) is None:
                aside.append(Entry(key, row["source"], row["title"], state))
    aside.sort(key=lambda e: e.state.acted_at, reverse=True)
    return InboxView(tuple(shown), tuple(aside), tuple(due))


def _state(item: Item, row: Mapping | None, covering: Mapping[tuple[str, str], tuple[str, str]]) -> ItemState:
    if item.source == "incidents" and (row is None or row["action"] == "returned"):
        found = covering.get(("incidents", item.ref))
        return ItemState(item.key, "has incident", item.ref, found[1] if found else None)
    open_for_source = covering.get(incident_source(item))
    state = state_of(item.key, row, open_for_source)
    if state.state != "has incident" or state.incident_status != "resolved":
        return state
    if open_for_source is not None:  # another incident is open for its source: that one covers it
        return ItemState(item.key, "has incident", *open_for_source)
    # its incident is resolved and it is still an item: it needs a person again
    return ItemState(item.key, "untriaged", state.incident_id, "resolved", actor=state.actor, acted_at=state.acted_at,
                     returned=f"{state.incident_id} resolved")


def inbox_view(cur: duckdb.DuckDBPyConnection, config: Config, now: datetime) -> InboxView:
    """The inbox at `now` with every item's state."""
    return combine(inbox.items(cur, config, now), q.item_states(cur, now), q.covering_incidents(cur), now)
