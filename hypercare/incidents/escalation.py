"""The escalation engine: frozen policies, SLA deadlines, auto-open conditions and what is due now.

Pure functions of (incident states, window, now). An incident's policy is frozen when it opens and
holds both the hypercare and the normal targets; which apply is decided by comparing `now` with
the window, so targets relax by themselves when the window ends. Evaluating the result of an
applied evaluation at the same `now` yields nothing more: every due action moves the state past it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from hypercare.config import EscalationConfig
    from hypercare.window import Window

SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")
STATES = ("open", "acknowledged", "mitigated", "resolved")
POLICY_VERSION = 1


@dataclass(frozen=True)
class Targets:
    """Minutes from the start of the incident's clock; None means no target."""

    ack_minutes: float | None = None
    resolve_minutes: float | None = None


@dataclass(frozen=True)
class Level:
    name: str
    escalate_after_minutes: float
    contacts: tuple[str, ...] = ()
    webhook_env: str | None = None  # the channel: the env var that holds the webhook URL


@dataclass(frozen=True)
class EscalationPolicy:
    """The policy frozen into an incident when it opens (`incidents.policy`, JSON)."""

    normal: Mapping[str, Targets]
    hypercare: Mapping[str, Targets]
    levels: tuple[Level, ...]
    reminder_minutes: float

    @classmethod
    def from_config(cls, esc: EscalationConfig) -> EscalationPolicy:
        normal, hypercare = {}, {}
        for sev, t in esc.severities.items():
            normal[sev] = Targets(t.ack_minutes, t.resolve_minutes)
            hypercare[sev] = Targets(
                t.hypercare_ack_minutes or t.ack_minutes, t.hypercare_resolve_minutes or t.resolve_minutes
            )
        levels = tuple(
            Level(lv.name, lv.escalate_after_minutes, tuple(lv.contacts), lv.webhook_env) for lv in esc.levels
        )
        return cls(normal, hypercare, levels, esc.reminder_minutes)

    def targets(self, severity: str, in_hypercare: bool) -> Targets:
        return (self.hypercare if in_hypercare else self.normal).get(severity, Targets())

    def level(self, number: int) -> Level | None:
        return self.levels[number - 1] if 1 <= number <= len(self.levels) else None

    def level_name(self, number: int) -> str:
        level = self.level(number)
        if level is None:
            return f"level {number}"
        return level.name if level.name.startswith(f"L{number}") else f"L{number} {level.name}"

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": POLICY_VERSION,
                "reminder_minutes": self.reminder_minutes,
                "targets": {
                    "normal": {s: asdict(t) for s, t in sorted(self.normal.items())},
                    "hypercare": {s: asdict(t) for s, t in sorted(self.hypercare.items())},
                },
                "levels": [{**asdict(lv), "contacts": list(lv.contacts)} for lv in self.levels],
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> EscalationPolicy:
        data = json.loads(text)
        targets = data.get("targets", {})
        return cls(
            normal={s: Targets(**t) for s, t in targets.get("normal", {}).items()},
            hypercare={s: Targets(**t) for s, t in targets.get("hypercare", {}).items()},
            levels=tuple(Level(**{**lv, "contacts": tuple(lv.get("contacts", ()))}) for lv in data.get("levels", [])),
            reminder_minutes=data.get("reminder_minutes", 15),
        )


@dataclass(frozen=True)
class IncidentState:
    """What the engine needs to know about one incident."""

    incident_id: str
    severity: str
    status: str
    level: int  # 1-based
    policy: EscalationPolicy
    clock_started_at: datetime  # opened, or last reopened: the SLA timers run from here
    level_since: datetime  # when it reached its level (open, reopen or escalation)
    last_notified_at: datetime  # latest open/reopen/escalation/breach/reminder: reminders count from here
    breached: frozenset[str] = frozenset()  # SLAs already marked breached since the clock started


@dataclass(frozen=True)
class Deadlines:
    targets: Literal["hypercare", "normal"]
    ack_due_at: datetime | None  # None once acknowledged, or without a target
    resolve_due_at: datetime | None
    escalate_at: datetime | None  # None once acknowledged, or at the top level
    remind_at: datetime | None


@dataclass(frozen=True)
class Action:
    """Something due now, with the reason a person reads in the timeline and the notification."""

    incident_id: str
    kind: Literal["escalate", "sla_breach", "reminder"]
    due_at: datetime
    reason: str
    to_level: int | None = None
    sla: Literal["ack", "resolve"] | None = None


def in_hypercare(window: Window | None, now: datetime) -> bool:
    return window is not None and window.phase(now) == "hypercare"


def deadlines(state: IncidentState, hypercare: bool) -> Deadlines:
    policy, unacked = state.policy, state.status == "open"
    t = policy.targets(state.severity, hypercare)
    level = policy.level(state.level)
    return Deadlines(
        targets="hypercare" if hypercare else "normal",
        ack_due_at=_after(state.clock_started_at, t.ack_minutes) if unacked else None,
        resolve_due_at=_after(state.clock_started_at, t.resolve_minutes) if state.status != "resolved" else None,
        escalate_at=(
            _after(state.level_since, level.escalate_after_minutes)
            if unacked and level is not None and state.level < len(policy.levels)
            else None
        ),
        remind_at=_after(state.last_notified_at, policy.reminder_minutes) if unacked else None,
    )


def evaluate(states: Iterable[IncidentState], window: Window | None, now: datetime) -> list[Action]:
    """Everything due at `now`: SLA breaches, escalations, and reminders when nothing else is sent."""
    hypercare = in_hypercare(window, now)
    actions: list[Action] = []
    for s in states:
        if s.status == "resolved":
            continue
        d = deadlines(s, hypercare)
        t = s.policy.targets(s.severity, hypercare)
        due: list[Action] = []
        for sla, due_at, minutes, what in (
            ("ack", d.ack_due_at, t.ack_minutes, "acknowledged"),
            ("resolve", d.resolve_due_at, t.resolve_minutes, "resolved"),
        ):
            if due_at is not None and now >= due_at and sla not in s.breached:
                reason = (
                    f"{s.severity} not {what} within {describe_minutes(minutes)} ({d.targets} target); "
                    f"was due {_when(due_at, window)}"
                )
                due.append(Action(s.incident_id, "sla_breach", due_at, reason, sla=sla))
        if d.escalate_at is not None and now >= d.escalate_at:
            level = s.policy.level(s.level)
            reason = (
                f"not acknowledged within {describe_minutes(level.escalate_after_minutes)} at "
                f"{s.policy.level_name(s.level)}; escalated to {s.policy.level_name(s.level + 1)}"
            )
            due.append(Action(s.incident_id, "escalate", d.escalate_at, reason, to_level=s.level + 1))
        # A breach or an escalation already pages someone; a reminder on top would be noise.
        if not due and d.remind_at is not None and now >= d.remind_at:
            age = describe_minutes((now - s.clock_started_at).total_seconds() / 60)
            reason = f"still not acknowledged {age} after opening, at {s.policy.level_name(s.level)}"
            due.append(Action(s.incident_id, "reminder", d.remind_at, reason))
        actions.extend(due)
    return actions


def next_due(states: Iterable[IncidentState], window: Window | None, now: datetime) -> datetime | None:
    """The earliest instant after `now` at which `evaluate` may return something new."""
    hypercare = in_hypercare(window, now)
    times = []
    for s in states:
        if s.status == "resolved":
            continue
        d = deadlines(s, hypercare)
        times += [d.escalate_at, d.remind_at]
        times += [due for sla, due in (("ack", d.ack_due_at), ("resolve", d.resolve_due_at)) if sla not in s.breached]
    if window is not None:
        times += [window.go_live_at, window.end]  # the targets in force change there
    future = [t for t in times if t is not None and t > now]
    return min(future, default=None)


def _after(start: datetime, minutes: float | None) -> datetime | None:
    return None if minutes is None else start + timedelta(minutes=minutes)


def describe_minutes(minutes: float) -> str:
    """A duration for people: '35 min', '2.5 h', '18 h'."""
    if minutes < 120:
        return f"{minutes:.0f} min"
    return f"{minutes / 60:.1f} h".replace(".0 h", " h")


def describe_due(minutes_left: float | None) -> str:
    """A deadline for people: 'in 25 min', '6 h overdue', 'due now'; '—' when there is none."""
    if minutes_left is None:
        return "—"
    if abs(minutes_left) < 0.5:
        return "due now"
    return f"in {describe_minutes(minutes_left)}" if minutes_left > 0 else f"{describe_minutes(-minutes_left)} overdue"


def _when(instant: datetime, window: Window | None) -> str:
    """An instant in the team's zone with the weekday ('Mon 23 Nov 14:05 (Europe/Brussels)')."""
    if window is None:
        return f"{instant.astimezone(timezone.utc):%a %d %b %H:%M} UTC"
    return f"{window.local_label(instant, '%a %d %b %H:%M')} ({window.timezone})"
