"""Incidents: the actions people and the engine take, auto-open from signals, the tick, demo seed.

Every change is a compare-and-set on the `incidents` row plus an `incident_events` row (actor,
time, note) in one transaction; events that page someone also queue their outbox rows there.
A tick's engine actions are planned one after another in memory and written together, in one
transaction, as three Arrow batches (incident rows, events, outbox): the same rows as applying
them one by one, at a fraction of the cost. Ids are derived from their content (no uuid4), so
re-applying the same change at the same instant never writes a second row and a seeded demo is
identical on every run.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta

import duckdb
import pyarrow as pa

from hypercare.auth.identity import Identity, require
from hypercare.config import AutoOpenRule, Config
from hypercare.incidents.escalation import (
    SEVERITIES,
    Action,
    EscalationPolicy,
    evaluate,
    next_due,
)
from hypercare.incidents.notify import Delivery, deliver_pending, outbox_rows, queue_rows, slack_escape
from hypercare.store import Store
from hypercare.store.queries import incidents as q
from hypercare.store.queries import reconcile
from hypercare.store.writes import append_rows, compare_and_set
from hypercare.window import Period, Window

ENGINE_ACTOR = "hypercare"
_NOTIFY = ("open", "reopen", "escalate", "sla_breach", "reminder", "resolve")
_DOING = {"acknowledge": "acknowledging", "assign": "assigning", "escalate": "escalating",
          "severity": "changing the severity of", "mitigate": "mitigating", "resolve": "resolving",
          "reopen": "reopening", "note": "adding a note to"}
_WORDS = {
    "open": "opened", "reopen": "reopened", "escalate": "escalated", "sla_breach": "SLA breached",
    "reminder": "reminder", "resolve": "resolved",
}


class IncidentError(Exception):
    """An action that cannot be taken, said so a person knows what to do instead."""


class IncidentConflict(IncidentError):
    pass


@dataclass(frozen=True)
class Incident:
    incident_id: str
    title: str
    severity: str
    status: str
    level: int
    owner: str | None
    opened_at: datetime
    acknowledged_at: datetime | None
    mitigated_at: datetime | None
    resolved_at: datetime | None
    source_kind: str | None
    source_ref: str | None
    policy: EscalationPolicy
    version: int = 0  # +1 with every change of the row: what a page's compare-and-set compares


_COLUMNS = [f.name for f in fields(Incident)]
_TS = pa.timestamp("us", tz="UTC")
_CHANGEABLE = {"severity": pa.string(), "status": pa.string(), "level": pa.int32(), "owner": pa.string(),
               "acknowledged_at": _TS, "mitigated_at": _TS, "resolved_at": _TS}  # what a plan may update
_EVENTS = pa.schema([("event_id", pa.string()), ("incident_id", pa.string()), ("occurred_at", _TS),
                     ("kind", pa.string()), ("from_value", pa.string()), ("to_value", pa.string()),
                     ("actor", pa.string()), ("note", pa.string())])


def get_incident(cur: duckdb.DuckDBPyConnection, incident_id: str) -> Incident | None:
    return _incidents(cur, [incident_id]).get(incident_id)


def _incidents(cur: duckdb.DuckDBPyConnection, incident_ids: Iterable[str]) -> dict[str, Incident]:
    """The named incidents in one read, by id (absent ids are left out)."""
    cols = ", ".join(c if c != "policy" else "policy::VARCHAR AS policy" for c in _COLUMNS)
    rows = cur.sql(f"SELECT {cols} FROM incidents WHERE incident_id IN (SELECT unnest(?::VARCHAR[]))",
                   params=[list(incident_ids)]).to_arrow_table().to_pylist()
    policies = {text: EscalationPolicy.from_json(text) for text in {r["policy"] for r in rows}}
    return {r["incident_id"]: Incident(**{**r, "policy": policies[r["policy"]]}) for r in rows}


# --- opening ---

_open_lock = threading.Lock()  # incident numbers are sequential: one opener at a time


def open_incident(
    store: Store,
    config: Config,
    *,
    title: str,
    severity: str,
    identity: Identity,
    now: datetime,
    source_kind: str | None = None,
    source_ref: str | None = None,
    note: str | None = None,
    then: Callable[[duckdb.DuckDBPyConnection, Incident], None] | None = None,
) -> Incident:
    """A person opens an incident (responder or lead); see `_open`. `then(cur, incident)` writes
    what goes with the opening (a triage action) in the same transaction."""
    require(identity, "responder", "opening an incident")
    return _open(store, config, title=title, severity=severity, actor=identity.actor, now=now,
                 source_kind=source_kind, source_ref=source_ref, note=note, then=then)


def _open(
    store: Store,
    config: Config,
    *,
    title: str,
    severity: str,
    actor: str,
    now: datetime,
    source_kind: str | None = None,
    source_ref: str | None = None,
    note: str | None = None,
    then: Callable[[duckdb.DuckDBPyConnection, Incident], None] | None = None,
) -> Incident:
    """Open at level 1 with the escalation policy in force now frozen into it.

    Raises IncidentError when an unresolved incident already covers the same source.
    """
    title, actor = _required(title, "a title"), _required(actor, "who is acting")
    if severity not in SEVERITIES:
        raise IncidentError(f"severity must be one of {', '.join(SEVERITIES)}, not {severity!r}")
    policy = EscalationPolicy.from_config(config.escalation)
    with _open_lock, _writing(store, "a new incident") as cur:
        if source_kind and (found := q.unresolved_for_source(cur, source_kind, source_ref)):
            raise IncidentError(f"{found} is already open for {source_kind} {source_ref}; add to it instead")
        number = q.last_incident_number(cur) + 1
        inc = Incident(f"INC-{number}", title, severity, "open", 1, None, now, None, None, None,
                       source_kind, source_ref, policy)
        cur.execute(
            f"INSERT INTO incidents ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})",
            [policy.to_json() if c == "policy" else getattr(inc, c) for c in _COLUMNS],
        )
        _write(cur, [], [_event(inc, "open", now, None, "open", actor, note, key=now.isoformat())])
        if then is not None:
            then(cur, inc)
    return inc


# --- actions on an open incident ---

_UNRESOLVED = ("open", "acknowledged", "mitigated")
APPLIES_TO = {  # the states each action applies to; anything else is refused with a sentence
    "acknowledge": ("open",), "assign owner": _UNRESOLVED, "escalate": _UNRESOLVED,
    "change severity": _UNRESOLVED, "mitigate": ("open", "acknowledged"), "resolve": _UNRESOLVED,
    "reopen": ("resolved",), "add note": (*_UNRESOLVED, "resolved"),
}

Plan = Callable[[Incident], tuple[dict, str | None, str | None] | None]


def acknowledge(store: Store, incident_id: str, *, identity: Identity, now: datetime, note: str | None = None,
                seen_version: int | None = None) -> Incident:
    def plan(inc: Incident):
        _expect(inc, "acknowledge", APPLIES_TO["acknowledge"])
        return {"status": "acknowledged", "acknowledged_at": inc.acknowledged_at or now}, inc.status, "acknowledged"
    return _act(store, incident_id, "acknowledge", identity, now, note, plan, seen_version)


def assign_owner(store: Store, incident_id: str, owner: str, *, identity: Identity, now: datetime, note: str | None = None,
                 seen_version: int | None = None) -> Incident:
    owner = _required(owner, "the owner's name")

    def plan(inc: Incident):
        _expect(inc, "assign", APPLIES_TO["assign owner"])
        if inc.owner == owner:
            raise IncidentError(f"{inc.incident_id} is already owned by {owner}")
        return {"owner": owner}, inc.owner, owner
    return _act(store, incident_id, "assign", identity, now, note, plan, seen_version)


def escalate(store: Store, incident_id: str, *, identity: Identity, now: datetime, note: str | None = None,
             seen_version: int | None = None) -> Incident:
    """Go up one level by hand (the engine does it when an acknowledgement is late)."""
    def plan(inc: Incident):
        _expect(inc, "escalate", APPLIES_TO["escalate"])
        if inc.level >= len(inc.policy.levels):
            raise IncidentError(f"{inc.incident_id} is at the top level ({inc.policy.level_name(inc.level)}) already")
        return {"level": inc.level + 1}, str(inc.level), str(inc.level + 1)
    return _act(store, incident_id, "escalate", identity, now, note, plan, seen_version)


def change_severity(store: Store, incident_id: str, severity: str, *, identity: Identity, now: datetime, note: str | None = None,
                    seen_version: int | None = None) -> Incident:
    def plan(inc: Incident):
        _expect(inc, "change the severity of", APPLIES_TO["change severity"])
        if severity not in SEVERITIES or severity == inc.severity:
            raise IncidentError(f"choose a severity other than {inc.severity} among {', '.join(SEVERITIES)}")
        return {"severity": severity}, inc.severity, severity
    return _act(store, incident_id, "severity", identity, now, note, plan, seen_version)


def mitigate(store: Store, incident_id: str, *, identity: Identity, now: datetime, note: str | None = None,
             seen_version: int | None = None) -> Incident:
    def plan(inc: Incident):
        _expect(inc, "mitigate", APPLIES_TO["mitigate"])
        return ({"status": "mitigated", "mitigated_at": now, "acknowledged_at": inc.acknowledged_at or now},
                inc.status, "mitigated")
    return _act(store, incident_id, "mitigate", identity, now, note, plan, seen_version)


def resolve(store: Store, incident_id: str, *, identity: Identity, now: datetime, note: str | None = None,
            seen_version: int | None = None) -> Incident:
    def plan(inc: Incident):
        _expect(inc, "resolve", APPLIES_TO["resolve"])
        return ({"status": "resolved", "resolved_at": now, "acknowledged_at": inc.acknowledged_at or now},
                inc.status, "resolved")
    return _act(store, incident_id, "resolve", identity, now, note, plan, seen_version)


def reopen(store: Store, incident_id: str, *, identity: Identity, now: datetime, note: str | None = None,
           seen_version: int | None = None) -> Incident:
    """Back to open: SLA timers, the level timer and reminders start again from now."""
    def plan(inc: Incident):
        _expect(inc, "reopen", APPLIES_TO["reopen"])
        return {"status": "open", "resolved_at": None, "mitigated_at": None}, inc.status, "open"
    return _act(store, incident_id, "reopen", identity, now, note, plan, seen_version)


def add_note(store: Store, incident_id: str, note: str, *, identity: Identity, now: datetime,
             seen_version: int | None = None) -> Incident:
    note = _required(note, "the note's text")
    return _act(store, incident_id, "note", identity, now, note, lambda inc: ({}, None, None), seen_version)


def note_in(cur: duckdb.DuckDBPyConnection, incident: Incident, note: str, *, actor: str, now: datetime) -> None:
    """A note on the incident's timeline written in the caller's transaction (what triage links to it)."""
    _write(cur, [], [_event(incident, "note", now, None, None, actor, note, key=f"{now.isoformat()}|{actor}|{note}")])


ACTIONS = ("acknowledge", "assign owner", "escalate", "change severity", "mitigate", "resolve", "reopen", "add note")


def actions_for(status: str) -> tuple[str, ...]:
    """The ACTIONS that apply to an incident in `status` (what a page offers for it)."""
    return tuple(a for a in ACTIONS if status in APPLIES_TO[a])


def perform(store: Store, incident_id: str, action: str, *, identity: Identity, now: datetime, owner: str | None = None,
            severity: str | None = None, note: str | None = None, seen_version: int | None = None) -> Incident:
    """One of ACTIONS by name (what the page's form sends).

    `seen_version`: the incident's `version` when the page showed it; if the incident changed
    since (someone acted, the engine escalated), the action is refused with IncidentConflict
    rather than applied to a state the person never saw.
    """
    common = {"identity": identity, "now": now, "seen_version": seen_version}
    simple = {"acknowledge": acknowledge, "escalate": escalate, "mitigate": mitigate, "resolve": resolve, "reopen": reopen}
    match action:
        case _ if action in simple:
            return simple[action](store, incident_id, note=note, **common)
        case "assign owner":
            return assign_owner(store, incident_id, owner or "", note=note, **common)
        case "change severity":
            return change_severity(store, incident_id, severity or "", note=note, **common)
        case "add note":
            return add_note(store, incident_id, note or "", **common)
    raise IncidentError(f"unknown action {action!r}; choose one of {', '.join(ACTIONS)}")


def _act(store: Store, incident_id: str, kind: str, identity: Identity, now: datetime, note: str | None,
         plan: Plan, seen_version: int | None) -> Incident:
    """A person's change: refused before anything is read or written unless they are a responder."""
    require(identity, "responder", f"{_DOING[kind]} an incident")

    def as_seen(inc: Incident):
        """Refuse unless the incident is still at the version the person saw."""
        if seen_version is not None and inc.version != seen_version:
            raise IncidentConflict(
                f"{incident_id} changed after this page showed it (it is now {inc.status}, {inc.severity}, "
                f"level {inc.level}, owner {inc.owner or 'nobody'}); nothing was recorded: look at it again and choose"
            )
        return plan(inc)
    return _change(store, [_Change(incident_id, kind, identity.actor, note, as_seen)], now)[0]


@dataclass(frozen=True)
class _Change:
    """One change to apply: `plan` decides it from the incident as the changes before it left it."""

    incident_id: str
    kind: str
    actor: str
    note: str | None
    plan: Plan
    key: str | None = None  # what makes its event unique (default: the instant, actor and note)


def _change(store: Store, changes: Sequence[_Change], now: datetime) -> list[Incident | None]:
    """Apply the changes in order, each as a compare-and-set plus its event, all in one transaction.

    Each plan sees the incident as the changes before it in the list left it, exactly as if they
    were applied one transaction at a time; a plan returning None changes nothing (its result is
    None). Planning is in memory; the rows are then written as three batches (`_write`)."""
    if not changes:
        return []
    for c in changes:
        _required(c.actor, "who is acting")
    what = changes[0].incident_id if len(changes) == 1 else "an incident of this tick"
    with _writing(store, what) as cur:
        seen = _incidents(cur, {c.incident_id for c in changes})
        current = dict(seen)
        results: list[Incident | None] = []
        events = []
        for c in changes:
            inc = current.get(c.incident_id)
            if inc is None:
                raise IncidentError(f"no incident {c.incident_id}")
            planned = c.plan(inc)
            if planned is None:
                results.append(None)
                continue
            updates, from_value, to_value = planned
            after = replace(inc, **updates, version=inc.version + 1) if updates else inc
            current[c.incident_id] = after
            actor, note = c.actor.strip(), (c.note or "").strip() or None
            key = c.key or f"{now.isoformat()}|{actor}|{note}"
            events.append(_event(after, c.kind, now, from_value, to_value, actor, note, key=key))
            results.append(after)
        _write(cur, [(seen[i], inc) for i, inc in current.items() if inc is not seen[i]], events)
    return results


@contextmanager
def _writing(store: Store, what: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """A transaction whose store failures come out as IncidentErrors a person can act on."""
    if store.read_only:
        raise IncidentError(
            f"this dashboard reads a read-only copy of {store.path.name}; take incident actions in the "
            "dashboard that `hypercare serve` runs, which owns the database"
        )
    try:
        with store.transaction() as cur:
            yield cur
    except duckdb.TransactionException:
        raise IncidentConflict(f"{what} was changed by someone else at the same moment; reload and try again") from None


def _compare_and_set(cur: duckdb.DuckDBPyConnection, inc: Incident, updates: dict) -> None:
    """Update one incident read as `inc`, unless it changed since (IncidentConflict)."""
    _compare_and_set_all(cur, [(inc, replace(inc, **updates, version=inc.version + 1))])


def _compare_and_set_all(cur: duckdb.DuckDBPyConnection, changes: Sequence[tuple[Incident, Incident]]) -> None:
    """Write each incident's new state (`after`) where it is still at the version read (`seen`),
    as one batch; if any changed meanwhile, nothing is kept (IncidentConflict)."""
    if not changes:
        return
    columns = [c for c in _CHANGEABLE if any(getattr(seen, c) != getattr(after, c) for seen, after in changes)]
    batch = pa.table({
        "incident_id": pa.array([seen.incident_id for seen, _ in changes], pa.string()),
        **{c: pa.array([getattr(after, c) for _, after in changes], _CHANGEABLE[c]) for c in columns},
        "version": pa.array([after.version for _, after in changes], pa.int32()),
        "seen_version": pa.array([seen.version for seen, _ in changes], pa.int32()),
    })
    if compare_and_set(cur, "incidents", batch, ["incident_id"], "seen_version") != len(changes):
        names = ", ".join(seen.incident_id for seen, _ in changes[:3]) + (", ..." if len(changes) > 3 else "")
        raise IncidentConflict(f"{names} changed meanwhile; reload and try again")


@dataclass(frozen=True)
class _Event:
    row: dict  # the incident_events row
    outbox: list[dict]  # its notifications rows


def _event(inc: Incident, kind: str, now: datetime, from_value: str | None, to_value: str | None, actor: str,
           note: str | None, key: str) -> _Event:
    """The event of a change to `inc` (as it is after the change) and the notifications it queues."""
    event_id = hashlib.sha256(f"{inc.incident_id}|{kind}|{to_value}|{key}".encode()).hexdigest()[:24]
    row = {"event_id": event_id, "incident_id": inc.incident_id, "occurred_at": now, "kind": kind,
           "from_value": from_value, "to_value": to_value, "actor": actor, "note": note}
    if kind not in _NOTIFY:
        return _Event(row, [])
    levels = range(1, inc.level + 1) if kind == "resolve" else [inc.level]  # resolve: everyone paged
    channels = [lv.webhook_env for n in levels if (lv := inc.policy.level(n)) and lv.webhook_env]
    message = _message(inc, kind, actor, note) if channels else ""
    return _Event(row, outbox_rows(inc.incident_id, event_id, kind, channels, message, now))


def _write(cur: duckdb.DuckDBPyConnection, changes: Sequence[tuple[Incident, Incident]], events: Sequence[_Event]) -> None:
    """The incident rows (compare-and-set), then the events not recorded yet and their outbox rows,
    as three batches in the caller's transaction. An event recorded already queues nothing: re-applied
    after an escalation, it would otherwise page the new level about something old."""
    _compare_and_set_all(cur, changes)
    ids = [e.row["event_id"] for e in events]
    stored = {r[0] for r in cur.execute(
        "SELECT event_id FROM incident_events WHERE event_id IN (SELECT unnest(?::VARCHAR[]))", [ids]).fetchall()}
    new: dict[str, _Event] = {}  # the first of each id, as one-by-one inserts would keep
    for e in events:
        if e.row["event_id"] not in stored:
            new.setdefault(e.row["event_id"], e)
    append_rows(cur, "incident_events", pa.Table.from_pylist([e.row for e in new.values()], schema=_EVENTS))
    queue_rows(cur, [n for e in new.values() for n in e.outbox])


def _message(inc: Incident, kind: str, actor: str, note: str | None) -> str:
    text = f"[{inc.severity}] {inc.incident_id} {slack_escape(inc.title)}: {_WORDS[kind]}"
    if actor != ENGINE_ACTOR:
        text += f" by {slack_escape(actor)}"
    if note:
        text += f": {slack_escape(note)}"
    level = inc.policy.level(inc.level)
    if kind != "resolve" and level is not None:
        text += f" (now with {inc.policy.level_name(inc.level)}{': ' + ', '.join(level.contacts) if level.contacts else ''})"
    return text


def _expect(inc: Incident, verb: str, states: tuple[str, ...]) -> None:
    if inc.status not in states:
        raise IncidentError(f"cannot {verb} {inc.incident_id}: it is {inc.status}")


def _required(value: str | None, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise IncidentError(f"give {what}")
    return value


# --- the engine applied ---

def apply_engine(store: Store, window: Window | None, now: datetime) -> list[Action]:
    """Evaluate every unresolved incident at `now` and record what was due, all in one
    transaction (nothing of it if anything fails); returns what was recorded."""
    actions = evaluate(q.incident_states(store.cursor()), window, now)
    applied = _change(store, [_engine_change(a) for a in actions], now)
    return [a for a, after in zip(actions, applied) if after is not None]


def _apply(store: Store, action: Action, now: datetime) -> Incident | None:
    """One engine action in a transaction of its own."""
    return _change(store, [_engine_change(action)], now)[0]


def _engine_change(action: Action) -> _Change:
    def plan(inc: Incident):
        if inc.status == "resolved":
            return None
        if (action.kind == "reminder" or action.sla == "ack") and inc.status != "open":
            return None  # acknowledged since it was evaluated
        if action.kind == "escalate":
            if inc.status != "open" or inc.level != action.to_level - 1:
                return None  # acknowledged or escalated since it was evaluated
            return {"level": action.to_level}, str(inc.level), str(action.to_level)
        return {}, None, action.sla
    key = f"{action.due_at.isoformat()}|engine"  # one event per due instant, however often applied
    return _Change(action.incident_id, action.kind, ENGINE_ACTOR, action.reason, plan, key)


# --- auto-open ---

@dataclass(frozen=True)
class Signal:
    source_kind: str
    source_ref: str
    title: str
    measured: Mapping[str, float | str | None]
    evidence_at: datetime  # when what the signal shows began (or was last seen)


def auto_open(store: Store, config: Config, window: Window | None, now: datetime) -> list[Incident]:
    """Open an incident for each signal a rule matches, unless its source is covered already:
    an unresolved incident for it, or one resolved after the signal's evidence."""
    cur = store.cursor()
    coverage = q.source_coverage(cur)
    opened = []
    for rule in config.escalation.auto_open:
        for signal in signals(cur, rule, window, now):
            source = (signal.source_kind, signal.source_ref)
            if source in coverage and (coverage[source] is None or coverage[source] >= signal.evidence_at):
                continue
            if not rule.condition.holds(signal.measured):
                continue
            value = signal.measured[rule.condition.measure]
            shown = f"{value:.4g}" if isinstance(value, float) else str(value)
            note = f"auto-opened: {rule.source} {rule.condition} (measured {shown}) within {rule.within_minutes:g} min"
            try:
                inc = _open(store, config, title=signal.title, severity=rule.severity, actor=ENGINE_ACTOR,
                           now=now, source_kind=signal.source_kind, source_ref=signal.source_ref, note=note)
            except IncidentError:
                continue  # opened by someone else meanwhile
            coverage[source] = None
            opened.append(inc)
    return opened


def signals(cur: duckdb.DuckDBPyConnection, rule: AutoOpenRule, window: Window | None, now: datetime) -> list[Signal]:
    """What the rule's source shows over the last `within_minutes`, measured as the rule needs."""
    since = now - timedelta(minutes=rule.within_minutes)
    measure = rule.condition.measure
    if rule.source == "sentry":
        if window is None:
            return []  # "new" means first seen since go-live
        # A new issue that reached the threshold within `within_minutes` of first being seen.
        return [
            Signal("sentry", r["issue_id"], f"Sentry {r['short_id'] or r['issue_id']}: {r['title']}",
                   {"new_issue_users": r["user_count"], "new_issue_events": r["event_count"]}, r["first_seen"])
            for r in q.sentry_signals(cur, max(since, window.go_live_at), now)
        ]
    if rule.source == "checks":
        return [
            Signal("checks", r["check_name"], f"Health check {r['check_name']} is down" + (f": {r['error']}" if r["error"] else ""),
                   {"down_minutes": (now - r["down_since"]).total_seconds() / 60}, r["down_since"])
            for r in q.check_down_streaks(cur, since, now)
        ]
    if rule.source == "reconcile":
        return [
            Signal("reconcile", r["name"], f"Reconciliation {r['name']} disagrees: source {r['source_value']:,.15g}, "
                   f"target {r['target_value']:,.15g} (difference {r['difference']:+,.15g})",
                   {"mismatched_by": abs(r["difference"]),
                    "mismatch_minutes": (now - r["mismatched_since"]).total_seconds() / 60}, r["mismatched_since"])
            for r in reconcile.mismatch_streaks(cur, since, now)
        ]
    if measure == "priority":
        return [
            Signal("tickets", f"{r['source']}:{r['ticket_id']}", f"{r['priority'] or 'Unprioritised'} ticket {r['ticket_id']}: {r['title']}",
                   {"priority": r["priority"]}, r["created_at"])
            for r in q.recent_tickets(cur, since, now)
        ]
    if window is None:
        return []
    samples = window.baseline_samples(Period(since, now))
    counts = q.ticket_counts(cur, [(since, now)] + [(p.start, p.end) for p in samples])
    baseline = sum(counts[1:]) / len(samples) if samples else 0
    if not baseline:
        return []  # no baseline (or an empty one): no ratio, never a guess
    ratio = counts[0] / baseline
    title = f"Ticket spike: {counts[0]} tickets in {rule.within_minutes:g} min, {ratio:.1f}x the baseline"
    return [Signal("tickets", "tickets_per_hour", title, {"tickets_per_hour_vs_baseline": ratio}, since)]


# --- the tick: what the scheduler runs ---

@dataclass(frozen=True)
class TickResult:
    opened: list[Incident]
    actions: list[Action]
    delivery: Delivery | None


def tick(store: Store, config: Config, window: Window | None, now: datetime, *,
         deliver: bool = True, env: Mapping[str, str] | None = None) -> TickResult:
    """Auto-open, apply the engine, then (with `deliver`) one delivery round of the outbox.
    Twice at the same `now` changes nothing.

    `window` is None while the go-live instant is unknown (normal targets, no baseline rules).
    `env` holds the webhook URLs (default: the environment). `hypercare serve` passes
    deliver=False and delivers on a worker of its own, so a slow webhook never holds the engine.
    """
    opened = auto_open(store, config, window, now)
    actions = apply_engine(store, window, now)
    delivery = deliver_pending(store, now, env=env) if deliver else None
    return TickResult(opened, actions, delivery)


# --- the demo's incidents ---

def seed_demo_incidents(store: Store, config: Config, window: Window, until: datetime | None = None) -> list[str]:
    """The demo's two incidents, played through the real actions and engine up to `until`
    (default T+38 h), their notifications marked delivered. Does nothing if incidents exist."""
    if q.last_incident_number(store.cursor()):
        return []
    T = window.go_live_at
    until = until or T + timedelta(hours=38)

    def at(h: int, m: int = 0) -> datetime:
        return T + timedelta(hours=h, minutes=m)

    amira = Identity("Amira (platform on-call)", None, "responder")
    jonas = Identity("Jonas (service desk)", None, "responder")
    checkout = "INC-1"
    script: list[tuple[datetime, Callable[[datetime], object]]] = [
        (at(9, 10), lambda t: _open(
            store, config, title="Checkout fails with 'slot no longer available'", severity="SEV2",
            actor=ENGINE_ACTOR, now=t, source_kind="sentry", source_ref="4507310001",
            note="auto-opened: sentry new_issue_users >= 50 within 30 min")),
        (at(9, 55), lambda t: acknowledge(store, checkout, identity=amira, now=t,
                                          note="Looking at it; booking-api pods are healthy, suspect slot cache")),
        (at(9, 56), lambda t: assign_owner(store, checkout, "Amira", identity=amira, now=t)),
        (at(11, 30), lambda t: add_note(store, checkout, "Slot cache keys changed format in 2.0; old entries "
                                        "read as expired, so open slots look taken", identity=amira, now=t)),
        (at(13, 20), lambda t: mitigate(store, checkout, identity=amira, now=t,
                                        note="Flushed the slot cache; checkout errors back to baseline")),
        (at(14, 5), lambda t: resolve(store, checkout, identity=amira, now=t,
                                      note="Hotfix fitbook-web@2.0.1 reads both key formats; deployed and verified")),
        (at(20), lambda t: _open(
            store, config, title="Payment provider health check flapping", severity="SEV3",
            actor=ENGINE_ACTOR, now=t, source_kind="checks", source_ref="payment-provider",
            note="auto-opened: checks down_minutes >= 5 within 10 min")),
        (at(20, 12), lambda t: acknowledge(store, "INC-2", identity=jonas, now=t,
                                           note="Provider status page reports degraded EU latency")),
        (at(20, 13), lambda t: assign_owner(store, "INC-2", "Jonas", identity=jonas, now=t)),
        (at(21, 40), lambda t: mitigate(store, "INC-2", identity=jonas, now=t,
                                        note="Raised the checkout payment timeout to 20 s; payments succeed, "
                                             "the check still flaps; waiting for the provider's fix")),
    ]
    evaluated_to = T
    for when, step in [s for s in script if s[0] <= until] + [(until, None)]:
        evaluated_to = _run_engine_until(store, window, evaluated_to, when)
        if step is not None:
            step(when)
    store.cursor().execute(
        "UPDATE notifications SET sent_at = created_at + INTERVAL 2 SECOND, attempts = 1 WHERE sent_at IS NULL"
    )
    return list(q.all_incidents(store.cursor())["incident_id"])


def _run_engine_until(store: Store, window: Window, start: datetime, end: datetime) -> datetime:
    """Apply the engine at each instant something falls due in (start, end); a person's step at
    `end` itself comes first, as they acted before that tick. Returns the last instant applied."""
    t = start
    while (due := next_due(q.incident_states(store.cursor()), window, t)) is not None and due < end:
        apply_engine(store, window, due)
        t = due
    return t
