"""What a stakeholder report says, as plain data: both renderers (HTML, Markdown) read only this.

Values are kept raw (None = unknown, with the sentence saying why) beside the instants they
refer to, in UTC; the renderers format them in the report's time zone. Text from outside
(titles, owners, notes, reasons, names) stays in its own fields so each renderer escapes it
its own way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class KeyFigure:
    """One line of the key-figures table: the value against the same hours of the baseline
    (and a target where one is configured)."""

    key: str
    label: str  # plain language, e.g. "Errors per hour"
    value: float | None  # None: unknown
    unit: str  # "errors", "issues", "%", "ms", "tickets"
    period: str  # what the value covers, e.g. "last full hour Tue 11:00–12:00"
    baseline: float | None = None  # None: no baseline
    compared_with: str = ""  # what the baseline is, e.g. "the same hour last week"
    target: float | None = None
    shown_as: str = "unknown"  # what stands instead of a value that can't be shown
    unknown_because: str | None = None  # e.g. "Sentry not collected since Tue 09:10"
    extra: str | None = None  # a short addition, e.g. "the most users one issue hit: 428"
    higher_is_better: bool = False
    change: str | None = None  # "worse" / "better" when the change matters (Kpi.change), else None


@dataclass(frozen=True)
class Chart:
    """An hourly series of the window beside the same hours of the baseline (mean, low–high band)."""

    key: str
    title: str
    hours: tuple[datetime, ...]  # UTC hour starts
    values: tuple[float | None, ...]
    baseline_mean: tuple[float | None, ...]
    baseline_low: tuple[float | None, ...] = ()
    baseline_high: tuple[float | None, ...] = ()
    target: float | None = None


@dataclass(frozen=True)
class OpenIncident:
    incident_id: str
    title: str
    severity: str
    status: str
    owner: str | None
    age_minutes: float
    breached: str  # "ack, resolve" or ""


@dataclass(frozen=True)
class ResolvedIncident:
    incident_id: str
    title: str
    severity: str
    opened_at: datetime
    resolved_at: datetime


@dataclass(frozen=True)
class Incidents:
    open: tuple[OpenIncident, ...]
    resolved: tuple[ResolvedIncident, ...]  # since the last report
    opened_in_window: int
    mtta_minutes: float | None
    mttr_minutes: float | None
    sla_breaches: int  # recorded since go-live
    sla_breaches_since: int  # recorded since the last report


@dataclass(frozen=True)
class TicketCounts:
    total: int
    usage: int
    technical: int
    other: int
    set_aside: int = 0  # tickets set aside in the triage inbox: in none of the counts above


@dataclass(frozen=True)
class Support:
    since_go_live: TicketCounts | None  # None: unknown (see unknown_because)
    last_shift: TicketCounts | None
    unknown_because: str | None = None


@dataclass(frozen=True)
class Decision:
    decided_at: datetime
    kind: str
    summary: str
    reason: str | None
    actor: str | None


@dataclass(frozen=True)
class Planned:
    starts_at: datetime
    ends_at: datetime
    scope: str
    reason: str


@dataclass(frozen=True)
class Status:
    """The verdict (hypercare.verdict.evaluate) as the report tells it."""

    value: str  # green, amber, red, unknown
    headline: str  # 'AMBER — Warning criteria met'; the reasons follow
    reasons: tuple[str, ...] = ()  # the most important first, at most MAX_REASONS
    more_reasons: int = 0  # reasons left out
    exit_progress: tuple[str, ...] = ()  # 'errors back to normal: held for 7 h of 12 h'
    exit_ready_at: datetime | None = None  # None: no exit criteria
    ready_to_exit: bool = False


@dataclass(frozen=True)
class Report:
    release: str
    version: str | None
    environment: str
    timezone: str
    at: datetime  # the instant the report stands for (UTC)
    phase: str
    position: str  # "T+38 h of 72 h"
    go_live_at: datetime
    window_end: datetime
    since: datetime  # start of "the last shift": the previous report's slot, else 8 h before
    since_label: str  # "since the last report (Tue 08:00)"
    status: Status
    figures: tuple[KeyFigure, ...]
    charts: tuple[Chart, ...]
    incidents: Incidents
    support: Support
    decisions: tuple[Decision, ...]
    planned: tuple[Planned, ...]
    next_report_at: datetime | None
    notes: tuple[str, ...] = field(default=())  # caveats about the data (e.g. a snapshot's age)
