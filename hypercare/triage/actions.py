"""What people do with an inbox item: open an incident from it, link it to an open incident, set
it aside (known / accepted) or bring it back; and the engine bringing set-aside items back.

Each action is one transaction with its actor and time, appended to `triage_actions`. An action
that would not change the item's state (a second click of the same button) writes nothing and
returns what is there, so a double click never writes twice. Writes are serialised by one lock:
a second click waits for the first, then finds its row.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from datetime import datetime

import duckdb

from hypercare.auth.identity import Identity, require
from hypercare.config import Config
from hypercare.incidents import actions as incidents
from hypercare.store import Store
from hypercare.store.queries import triage as q
from hypercare.triage.members import members
from hypercare.triage.model import Item
from hypercare.triage.state import ASIDE_KINDS, ItemState, due_return, incident_source, state_of

ENGINE_ACTOR = incidents.ENGINE_ACTOR
_lock = threading.Lock()


class TriageError(incidents.IncidentError):
    """A triage action that cannot be taken, said so a person knows what to do instead."""


def open_incident(store: Store, config: Config, item: Item, *, identity: Identity, now: datetime,
                  title: str | None = None, severity: str | None = None, note: str | None = None) -> incidents.Incident:
    """Open an incident pre-filled from the item (its title, suggested severity and link), for
    the item's source, and record it on the item, in one transaction. If the item already has an
    unresolved incident, that one is returned and nothing is written."""
    require(identity, "responder", "opening an incident from the triage inbox")
    if item.source == "incidents":
        raise TriageError(f"{item.ref} is an incident already; act on it on the Incidents page")
    with _lock:
        current = _state(store, item.key)
        if current.state == "has incident" and current.incident_status != "resolved":
            return incidents.get_incident(store.cursor(), current.incident_id)
        link = f"; source: {item.link}" if item.link else ""
        what = (note or "").strip()
        opened_note = f"opened from triage: {item.title} ({item.key}{link})" + (f": {what}" if what else "")

        def record(cur: duckdb.DuckDBPyConnection, inc: incidents.Incident) -> None:
            _append(cur, item, "opened", identity.actor, now, incident_id=inc.incident_id)

        kind, ref = incident_source(item)
        return incidents.open_incident(
            store, config, title=(title or item.title), severity=severity or item.suggested_severity,
            identity=identity, now=now, source_kind=kind, source_ref=ref, note=opened_note, then=record)


def link(store: Store, item: Item, incident_id: str, *, identity: Identity, now: datetime) -> ItemState:
    """Link the item to an unresolved incident (it then shows that incident and its state); the
    incident's own timeline gets a note naming the item, in the same transaction."""
    require(identity, "responder", "linking an inbox item to an incident")
    with _lock, _writing(store) as cur:
        inc = incidents.get_incident(cur, incident_id)
        if inc is None:
            raise TriageError(f"no incident {incident_id}")
        if inc.status == "resolved":
            raise TriageError(f"{incident_id} is resolved; reopen it on the Incidents page or open a new one")
        current = _state_in(cur, item.key)
        if current.state == "has incident" and current.incident_id == incident_id:
            return current
        _append(cur, item, "linked", identity.actor, now, incident_id=incident_id)
        incidents.note_in(cur, inc, f"linked from triage: {item.title} ({item.key})", actor=identity.actor, now=now)
    return _state(store, item.key)


def set_aside(store: Store, item: Item, kind: str, reason: str, *, identity: Identity, now: datetime,
              until: datetime | None = None) -> ItemState:
    """Set the item aside as `known` (a responder's call) or `accepted` (a lead's: accepting a
    risk), with a reason and optionally until when. It leaves the inbox and the counts until it
    comes back (hypercare.triage.state.due_return)."""
    if kind not in ASIDE_KINDS:
        raise TriageError(f"set aside as one of {', '.join(ASIDE_KINDS)}, not {kind!r}")
    require(identity, "lead" if kind == "accepted" else "responder", f"setting an inbox item aside as {kind}")
    reason = (reason or "").strip()
    if not reason:
        raise TriageError("give the reason it is set aside (what is known, or why the risk is accepted)")
    if until is not None and until <= now:
        raise TriageError("until must be later than now; leave it empty to set the item aside with no end")
    with _lock, _writing(store) as cur:
        current = _state_in(cur, item.key)
        if (current.state == "set aside" and (current.aside_kind, current.reason, current.until) == (kind, reason, until)):
            return current
        _append(cur, item, "set aside", identity.actor, now, aside_kind=kind, reason=reason, until=until,
                score_without_age=float(item.score.without_age), members=members(item))
    return _state(store, item.key)


def bring_back(store: Store, key: str, *, identity: Identity, now: datetime) -> ItemState:
    """Bring the set-aside item `key` back into the inbox by hand (also one that left the inbox)."""
    require(identity, "responder", "bringing a set-aside item back")
    with _lock, _writing(store) as cur:
        latest = q.latest_action(cur, key)
        if latest is None or latest["action"] != "set aside":
            return state_of(key, latest)
        _append(cur, _Recorded(latest), "returned", identity.actor, now, reason=f"brought back by {identity.actor}")
    return _state(store, key)


def settle_returns(store: Store, items: Iterable[Item], now: datetime) -> list[str]:
    """Write a `returned` row for every set-aside item that is due back at `now` (its until
    passed, or its score without age rose 25 %), in one transaction; returns their keys. Runs
    where the inbox is computed and from the serve status hook; twice at once writes once.
    `items` is read only when something is set aside (the hook passes a lazy inbox)."""
    if store.read_only:
        return []
    with _lock:
        rows = {r["item_key"]: r for r in q.item_states(store.cursor(), now) if r["action"] == "set aside"}
        if not rows:
            return []
        scores = {i.key: float(i.score.without_age) for i in items}
        due = {}
        for key, row in rows.items():
            back = due_return(state_of(key, row), scores.get(key), now)
            if back is not None:
                due[key] = (row, *back)
        if not due:
            return []
        with _writing(store) as cur:
            for key, (row, at, why) in due.items():
                _append(cur, _Recorded(row), "returned", ENGINE_ACTOR, at, reason=why)
    return sorted(due)


# --- reading and writing ---

class _Recorded:
    """An item as its last row recorded it (the engine brings back items that may have left the inbox)."""

    def __init__(self, row: Mapping):
        self.key, self.source, self.ref, self.title = row["item_key"], row["source"], row["ref"], row["title"]


def _state(store: Store, key: str) -> ItemState:
    return _state_in(store.cursor(), key)


def _state_in(cur: duckdb.DuckDBPyConnection, key: str) -> ItemState:
    return state_of(key, q.latest_action(cur, key))


def _append(cur: duckdb.DuckDBPyConnection, item: Item | _Recorded, action: str, actor: str, at: datetime, *,
            incident_id: str | None = None, aside_kind: str | None = None, reason: str | None = None,
            until: datetime | None = None, score_without_age: float | None = None,
            members: list[str] | None = None) -> None:
    seq = q.next_seq(cur)
    action_id = hashlib.sha256(f"{item.key}|{seq}|{action}|{at.isoformat()}".encode()).hexdigest()[:24]
    cur.execute(
        """INSERT INTO triage_actions (action_id, seq, item_key, source, ref, title, action, incident_id, aside_kind,
                                       reason, until, score_without_age, members, actor, acted_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [action_id, seq, item.key, item.source, item.ref, item.title, action, incident_id, aside_kind, reason,
         until, score_without_age, members, actor, at],
    )


def _writing(store: Store) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
    if store.read_only:
        raise TriageError(f"this dashboard reads a read-only copy of {store.path.name}; take triage actions in the "
                          "dashboard that `hypercare serve` runs, which owns the database")
    return store.transaction()
