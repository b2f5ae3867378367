"""The inbox as `hypercare triage` prints it: lines for a terminal, or JSON for a script, each
item with its triage state, then the set-aside list.

Titles and reasons are outside text: in the terminal they pass `outside_text.for_terminal` (no
escape sequence reaches it); in JSON they stay raw (json.dumps escapes what JSON needs).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from hypercare.incidents.escalation import describe_minutes
from hypercare.outside_text import for_terminal
from hypercare.triage.model import Item
from hypercare.triage.state import ItemState
from hypercare.triage.view import InboxView


def _when(t: datetime, tz: ZoneInfo) -> str:
    return f"{t.astimezone(tz):%a %d %b %H:%M}"


def _figure(name: str, value: object) -> str:
    if value is None:
        return f"{name} unknown"
    if isinstance(value, float) and not value.is_integer():
        return f"{name} {value:,.2f}".rstrip("0")
    return f"{name} {value:,.0f}" if isinstance(value, (int, float)) else f"{name} {value}"


def lines(found: Sequence[Item], now: datetime, tz: ZoneInfo, states: Mapping[str, str] | None = None) -> list[str]:
    """One block per item, most urgent first: rank, score, suggested severity, source, kind,
    title; its figures; first and last seen with their age; key and link. `states`: the triage
    state shown per key, where one is known."""
    states = states or {}
    out = [f"Triage inbox: {len(found)} item{'' if len(found) == 1 else 's'} as of {_when(now, tz)} ({tz.key})"]
    for n, item in enumerate(found, 1):
        state = f" · {states[item.key]}" if item.key in states else ""
        out.append(f"{n:>3}. {item.score.total:6.1f}  {item.suggested_severity}  {item.source} · {item.kind} · "
                   f"{for_terminal(item.title)}{state}")
        figures = " · ".join(_figure(k, v) for k, v in item.figures.items() if not isinstance(v, (tuple, list)))
        first = describe_minutes(max(0.0, (now - item.first_seen).total_seconds() / 60))
        last = describe_minutes(max(0.0, (now - item.last_seen).total_seconds() / 60))
        out.append(f"       {figures}" if figures else "       no figures")
        out.append(f"       first seen {_when(item.first_seen, tz)} ({first} ago), last seen "
                   f"{_when(item.last_seen, tz)} ({last} ago)")
        out.append(f"       {item.key}" + (f" · {for_terminal(item.link)}" if item.link else ""))
    return out


def as_dict(item: Item) -> dict:
    """The item for JSON: instants in ISO 8601 UTC, the score with its parts."""
    return {
        "key": item.key, "source": item.source, "kind": item.kind, "title": item.title, "ref": item.ref,
        "first_seen": item.first_seen.isoformat(), "last_seen": item.last_seen.isoformat(),
        "figures": item.figures, "link": item.link, "suggested_severity": item.suggested_severity,
        "score": {"total": item.score.total, "without_age": item.score.without_age,
                  "parts": [{"name": p.name, "value": p.value, "points": p.points, "explanation": p.explanation}
                            for p in item.score.parts]},
    }


def view_lines(view: InboxView, now: datetime, tz: ZoneInfo) -> list[str]:
    """The inbox with each item's state, then the items set aside (who, why, until when)."""
    out = lines([e.item for e in view.inbox], now, tz, {e.key: for_terminal(e.state.words) for e in view.inbox})
    out[0] += f"; {view.untriaged} untriaged, {len(view.set_aside)} set aside"
    if view.set_aside:
        out.append(f"Set aside ({len(view.set_aside)}):")
    for e in view.set_aside:
        s = e.state
        until = f" until {_when(s.until, tz)}" if s.until else ", no end"
        by = f" by {for_terminal(s.actor)} {_when(s.acted_at, tz)}" if s.actor and s.acted_at else ""
        out.append(f"     {e.source} · {for_terminal(e.title)} · {s.aside_kind}{by}{until} — {for_terminal(s.reason)}")
        out.append(f"       {e.key}")
    return out


def _state(s: ItemState) -> dict:
    return {"state": s.state, "words": s.words, "incident_id": s.incident_id, "incident_status": s.incident_status,
            "aside_kind": s.aside_kind, "reason": s.reason, "until": s.until.isoformat() if s.until else None,
            "actor": s.actor, "acted_at": s.acted_at.isoformat() if s.acted_at else None, "returned": s.returned}


def view_json(view: InboxView, now: datetime) -> str:
    """The inbox's items (`as_dict`), each with its `state`, and `set_aside`: the items set aside."""
    return json.dumps({
        "as_of": now.isoformat(), "untriaged": view.untriaged,
        "items": [{**as_dict(e.item), "state": _state(e.state)} for e in view.inbox],
        "set_aside": [{"key": e.key, "source": e.source, "title": e.title, "state": _state(e.state)}
                      for e in view.set_aside],
    }, indent=2, ensure_ascii=False)
