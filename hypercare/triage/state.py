"""An inbox item's triage state from its latest recorded action: untriaged, has an incident, or
set aside; and when a set-aside item comes back. Pure functions.

A set-aside item comes back when its `until` passes, or when its score without the age term
rises RETURN_RATIO times (25 %) above its value when it was set aside: age alone never brings
anything back, getting worse does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from hypercare.triage.model import Item

RETURN_RATIO = 1.25
State = Literal["untriaged", "has incident", "set aside"]
ASIDE_KINDS = ("known", "accepted")


@dataclass(frozen=True)
class ItemState:
    """Where one item stands. `incident_*`: its incident (opened or linked from here, or an
    unresolved incident already open for its source); `returned`: why a set-aside item came back."""

    key: str
    state: State
    incident_id: str | None = None
    incident_status: str | None = None
    aside_kind: str | None = None
    reason: str | None = None
    until: datetime | None = None
    score_without_age: float | None = None
    actor: str | None = None
    acted_at: datetime | None = None
    returned: str | None = None

    @property
    def words(self) -> str:
        """'untriaged', 'INC-3 (acknowledged)', 'set aside (known)', 'back: the period ended'."""
        if self.state == "has incident":
            return f"{self.incident_id} ({self.incident_status or 'unknown state'})"
        if self.state == "set aside":
            return f"set aside ({self.aside_kind})"
        return f"back: {self.returned}" if self.returned else "untriaged"


def incident_source(item: Item) -> tuple[str, str]:
    """The (source_kind, source_ref) an incident opened for the item carries: what the engine's
    auto-open uses too ("tickets", "<source>:<ticket_id>" for a ticket), so neither opens a
    second incident for what the other covers."""
    if item.key.startswith("tickets:"):
        return "tickets", item.key.removeprefix("tickets:")
    if item.key.startswith("cluster:"):
        return "tickets", item.key
    return item.source, item.ref


def state_of(key: str, latest: Mapping | None, covering: tuple[str, str] | None = None) -> ItemState:
    """The state of item `key` from its latest triage action (`latest`: a triage_actions row
    with `incident_status` joined, or None) and `covering`, the (id, status) of an unresolved
    incident open for the item's source (opened by the engine or by hand on the Incidents page)."""
    action = latest["action"] if latest else None
    if action in ("opened", "linked"):
        return ItemState(key, "has incident", latest["incident_id"], latest.get("incident_status"),
                         actor=latest["actor"], acted_at=latest["acted_at"])
    if action == "set aside":
        return ItemState(key, "set aside", aside_kind=latest["aside_kind"], reason=latest["reason"],
                         until=latest["until"], score_without_age=latest["score_without_age"],
                         actor=latest["actor"], acted_at=latest["acted_at"])
    if covering is not None:
        return ItemState(key, "has incident", covering[0], covering[1])
    return ItemState(key, "untriaged", returned=latest["reason"] if action == "returned" else None,
                     actor=latest["actor"] if latest else None, acted_at=latest["acted_at"] if latest else None)


def due_return(aside: ItemState, score_without_age: float | None, now: datetime) -> tuple[datetime, str] | None:
    """When and why a set-aside item comes back at `now`, given its score without age now
    (None: the item is not in the inbox now, so it can't have got worse); None: it stays aside."""
    if aside.state != "set aside":
        return None
    if aside.until is not None and aside.until <= now:
        return aside.until, "the set-aside period ended"
    then = aside.score_without_age
    if score_without_age is not None and then is not None and score_without_age > then \
            and score_without_age >= RETURN_RATIO * then:
        return now, f"worse: score without age {score_without_age:.1f}, was {then:.1f} when set aside"
    return None
