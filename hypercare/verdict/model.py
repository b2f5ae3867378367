"""The verdict's nouns: a rule's result with its explanation, exit progress, the evaluation.

Every result carries what a person needs to check it: the measured value, the threshold, the
period [start, end) in UTC, the baseline where a ratio used one, how many data points it rests
on, and the freshness of each source it read. Values are frozen so an evaluation can be stored
as evidence (`to_json`) and never changes afterwards.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Literal

from hypercare.states import StateName
from hypercare.verdict.language import Over
from hypercare.verdict.metrics import CATALOGUE, Metric, Scope

Result = Literal["met", "not met", "insufficient data"]
Status = Literal["green", "amber", "red", "unknown"]
Level = Literal["warning", "critical"]


@dataclass(frozen=True)
class Rule:
    """A rule ([[rules]], `level` set) or an exit criterion ([[exit]], `hold_hours` set), as the
    evaluator uses it; built from the config or from the built-in set."""

    name: str
    metric: str
    op: str
    threshold: float
    over: Over
    level: Level | None = None
    scope: Scope = Scope()
    from_hour: float | None = None
    until_hour: float | None = None
    min_samples: int | None = None
    hold_hours: int | None = None

    @property
    def entry(self) -> Metric:
        return CATALOGUE[self.metric]

    def in_force(self, hours_since_go_live: float) -> bool:
        """Whether from_hour <= hours < until_hour (each bound only when set)."""
        if self.from_hour is not None and hours_since_go_live < self.from_hour:
            return False
        return self.until_hour is None or hours_since_go_live < self.until_hour


@dataclass(frozen=True)
class SourceState:
    """One source a rule read: its collector name, freshness ("fresh", "stale", "never") and its
    last successful run (None: never)."""

    collector: str
    state: str
    last_ok_at: datetime | None


@dataclass(frozen=True)
class RuleResult:
    """One rule or exit criterion evaluated at one instant.

    `result`: "met" (the condition holds: for a rule, the rollback or warning criterion is met;
    for an exit criterion, it is satisfied), "not met", or "insufficient data", with `state`
    naming why (hypercare.states) and `reason` saying it in words. `value` is None unless the
    data could say; `baseline`/`current` are the two sides of a ratio.
    """

    name: str
    metric: str
    label: str
    unit: str
    op: str
    threshold: float
    over: str
    level: Level | None  # None for an exit criterion
    result: Result
    state: StateName
    reason: str
    value: float | None
    period_start: datetime
    period_end: datetime
    over_words: str
    samples: int | None = None
    min_samples: int = 0
    baseline: float | None = None
    current: float | None = None
    sources: tuple[SourceState, ...] = ()
    set_aside: int | None = None  # issues or tickets set aside in the triage inbox, left out of the value

    @property
    def met(self) -> bool:
        return self.result == "met"

    @property
    def insufficient(self) -> bool:
        return self.result == "insufficient data"


@dataclass(frozen=True)
class ExitProgress:
    """An exit criterion's streak: the complete clock hours, counted back from the latest one,
    at which it held, out of `hold_hours`; `latest` is its result at the latest hour."""

    name: str
    held_hours: int
    hold_hours: int
    latest: RuleResult

    @property
    def ready(self) -> bool:
        return self.held_hours >= self.hold_hours


@dataclass(frozen=True)
class Evaluation:
    """The status at `evaluated_at` with every rule's result and the exit progress.

    `status` is lowercase (green, amber, red, unknown); `headline` says it as a sentence.
    `not_in_force` names the rules whose from_hour/until_hour exclude this instant;
    `builtin` is True when the built-in rule set applied (no [[rules]] configured).
    """

    evaluated_at: datetime
    status: Status
    headline: str
    rules: tuple[RuleResult, ...]
    exit: tuple[ExitProgress, ...]
    not_in_force: tuple[str, ...] = ()
    builtin: bool = False
    notes: tuple[str, ...] = field(default=())

    @property
    def ready_to_exit(self) -> bool:
        return bool(self.exit) and all(e.ready for e in self.exit)

    def to_dict(self) -> dict:
        data = asdict(self)
        for progress in data["exit"]:
            progress["ready"] = progress["held_hours"] >= progress["hold_hours"]
        data["ready_to_exit"] = self.ready_to_exit
        return data

    def to_json(self) -> str:
        """The whole evaluation as JSON (instants as ISO 8601 in UTC)."""
        return json.dumps(self.to_dict(), default=_iso, sort_keys=True)


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")
