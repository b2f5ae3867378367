"""The go-live checklist: items from `[[checklist]]`, and the state of each at an instant (pure).

An item is *done* while its evidence holds (`check:NAME` up, `reconcile:NAME` matching,
`rule:NAME` not met) or, for an item without evidence, while its latest manual change is a
tick; *overdue* when past its due instant (`now >= due`) and not done; else *not done*. Unknown
evidence (a stale source, a rule without data) never makes an item done. A relative due
(`"-24h"`, `"+2h"`) counts elapsed time from go-live, so across a DST change "-24h" is 24 real
hours before, whatever the wall clock reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from hypercare.clock import utc

if TYPE_CHECKING:  # the config is read, never imported: config.py calls the parsers below
    from hypercare.config import ChecklistItemConfig
    from hypercare.window import Window

Stage = Literal["before", "cutover", "after"]
STAGES: tuple[Stage, ...] = ("before", "cutover", "after")
STAGE_WORDS = {"before": "Before go-live", "cutover": "Cutover", "after": "After go-live"}
EVIDENCE_KINDS = {"check": "done while that check is up", "reconcile": "done while it matches",
                  "rule": "done while that rule is not met"}
State = Literal["done", "not done", "overdue"]

_RELATIVE = re.compile(r"([+-])\s*(\d+(?:\.\d+)?)\s*(m|min|h|d)")
_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days"}
MAX_RELATIVE = timedelta(days=365)
DUE_HELP = ('give an instant with its UTC offset (e.g. "2026-11-22T18:00:00+01:00") or a time relative to '
            'go-live with its sign (e.g. "-24h", "-30m", "+2h")')


def parse_due(value: Any) -> datetime | timedelta:
    """`due` as written in the config: an aware datetime (TOML datetime or ISO string) or a signed
    offset from go-live ("-24h", "+90m", "-2d"). Raises ValueError saying how to write it."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"{value.isoformat()} has no UTC offset; {DUE_HELP}")
        return value
    if not isinstance(value, str):
        raise ValueError(DUE_HELP)
    text = value.strip()
    match = _RELATIVE.fullmatch(text)
    if match:
        sign, amount, unit = match.groups()
        offset = timedelta(**{_UNITS[unit]: float(amount)})
        if offset > MAX_RELATIVE:
            raise ValueError(f"{text!r} is more than a year from go-live; {DUE_HELP}")
        return -offset if sign == "-" else offset
    if re.fullmatch(r"\d+(\.\d+)?\s*(m|min|h|d)", text):
        raise ValueError(f"{text!r} has no sign: write \"-{text}\" (before go-live) or \"+{text}\" (after)")
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a due time; {DUE_HELP}") from None
    if instant.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset; {DUE_HELP}")
    return instant


def parse_evidence(text: str) -> tuple[str, str]:
    """'check:booking-api' -> ('check', 'booking-api'); ValueError naming the kinds otherwise."""
    kind, sep, name = text.partition(":")
    kind, name = kind.strip(), name.strip()
    if not sep or kind not in EVIDENCE_KINDS or not name:
        kinds = ", ".join(f'"{k}:NAME" ({words})' for k, words in EVIDENCE_KINDS.items())
        raise ValueError(f"{text!r} is not evidence; write one of {kinds}, or leave evidence out to tick it by hand")
    return kind, name


def due_at(due: datetime | timedelta, go_live_at: datetime | None) -> datetime | None:
    """The due instant in UTC; None for a relative due while the go-live instant is unknown."""
    if isinstance(due, datetime):
        return utc(due)
    return None if go_live_at is None else utc(go_live_at) + due


@dataclass(frozen=True)
class Tick:
    """The latest manual change of an item: a tick or an un-tick, by whom, when, and the note
    (for an un-tick, the reason)."""

    action: Literal["tick", "untick"]
    actor: str
    at: datetime
    note: str | None = None


@dataclass(frozen=True)
class Proof:
    """What an item's evidence says now: `holds` True, False, or None when it can't be known
    (never done on unknown data); `words` says it ('check booking-api is up')."""

    holds: bool | None
    words: str


@dataclass(frozen=True)
class ItemState:
    title: str
    owner: str
    stage: Stage
    due_at: datetime | None  # None: relative to a go-live instant not known yet
    evidence: str | None
    state: State
    done_by: str  # 'ticked by Ana …' / 'check booking-api is up'; '' when not done
    tick: Tick | None = None
    proof: Proof | None = None

    @property
    def done(self) -> bool:
        return self.state == "done"

    @property
    def manual(self) -> bool:
        """Ticked by a person (no evidence), not by a signal."""
        return self.evidence is None


def item_state(item: ChecklistItemConfig, go_live_at: datetime | None, tick: Tick | None, proof: Proof | None,
               now: datetime) -> ItemState:
    """The state of one item at `now`. Items with evidence follow it (a tick is ignored);
    items without follow their latest tick or un-tick."""
    due = due_at(item.due, go_live_at)
    if item.evidence is not None:
        done = proof is not None and proof.holds is True
        done_by = proof.words if done else ""
        tick = None
    else:
        done = tick is not None and tick.action == "tick"
        done_by = f"ticked by {tick.actor}" if done else ""
    state: State = "done" if done else "overdue" if due is not None and now >= due else "not done"
    return ItemState(item.title, item.owner, item.stage, due, item.evidence, state, done_by, tick, proof)


def checklist_states(items: Sequence[ChecklistItemConfig], go_live_at: datetime | None, ticks: dict[str, Tick],
                     proofs: dict[str, Proof], now: datetime) -> list[ItemState]:
    """Every item's state, in config order; `ticks` by title, `proofs` by evidence text."""
    return [item_state(i, go_live_at, ticks.get(i.title), proofs.get(i.evidence) if i.evidence else None, now)
            for i in items]


@dataclass(frozen=True)
class Summary:
    total: int
    done: int
    overdue: int
    open: tuple[str, ...]  # titles of the items not done, in config order

    def to_dict(self) -> dict[str, Any]:
        return {"total": self.total, "done": self.done, "overdue": self.overdue, "open": list(self.open)}


def summarise(states: Iterable[ItemState]) -> Summary:
    states = list(states)
    return Summary(len(states), sum(s.done for s in states), sum(s.state == "overdue" for s in states),
                   tuple(s.title for s in states if not s.done))


def overview_line(summary: Summary, window: Window, now: datetime) -> str | None:
    """The Overview's line: before go-live 'T−3 h · checklist 18 of 22 done · 2 overdue'; after it,
    while items are open (the `after` ones, normally), 'Checklist: 2 items still open (…) · 1
    overdue'; None when there is no checklist or, after go-live, nothing is open."""
    if not summary.total:
        return None
    overdue = f" · {summary.overdue} overdue" if summary.overdue else ""
    if now < window.go_live_at:
        return f"{window.label(now)} · checklist {summary.done} of {summary.total} done{overdue}"
    if not summary.open:
        return None
    n = len(summary.open)
    return f"Checklist: {n} item{'s' if n != 1 else ''} still open ({', '.join(summary.open)}){overdue}"
