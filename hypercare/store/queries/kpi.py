"""A KPI: a measured value beside the same hours of the baseline, with the words that explain it.

Every KPI says in words which period it measures (`period`, "last full hour Tue 10:00–11:00")
and what it is compared with (`compared_with`, "vs the same hour last week"), and carries its
state from the one state model (`hypercare.states`). `change()` is the one rule for when a
difference from the baseline (or the target) matters enough to colour it red or green.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from hypercare.states import COLLECTED, FigureState, baseline_state, figure_state
from hypercare.store.queries.freshness import Freshness
from hypercare.window import Period, Window

# A change matters (README, "Definitions every page shares") when it is at least this big:
COUNT_RATIO = 1.5  # counts: 1.5× the baseline or more, or 1/1.5 of it or less ...
COUNT_MIN = 3  # ... and at least 3 apart (so 1 vs 0 or 4 vs 2 stay grey)
PERCENT_POINTS = 0.1  # percentages: 0.1 points apart
LATENCY_RATIO, LATENCY_MIN_MS = 1.2, 20  # latency: 20 % and 20 ms apart

Change = Literal["worse", "better"]


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    value: float | None
    baseline: float | None
    unit: str
    note: str
    unknown_because: str | None = None  # why the value can't be trusted (a stale source, ...)
    period: str = ""  # the period measured, in words
    compared_with: str = ""  # what the baseline is, in words
    state: FigureState = COLLECTED  # the figure's state (hypercare.states)
    baseline_state: FigureState = COLLECTED  # "no baseline" when the same hours have no copy
    target: float | None = None  # a fixed target (availability), judged before the baseline
    higher_is_better: bool = False
    set_aside: int | None = None  # items set aside in the triage inbox that the value left out

    @property
    def ratio(self) -> float | None:
        """value / baseline, when both are known and the baseline isn't 0."""
        if self.value is None or not self.baseline:
            return None
        return self.value / self.baseline

    def change(self, reference: float | None = None) -> Change | None:
        """"worse", "better" or None (no change that matters) against `reference` (default:
        the baseline), by the one rule of COUNT_RATIO/COUNT_MIN, PERCENT_POINTS, LATENCY_*."""
        ref = self.baseline if reference is None else reference
        if self.value is None or ref is None:
            return None
        v, diff = self.value, self.value - ref
        if self.unit == "%":
            matters = abs(diff) >= PERCENT_POINTS
        elif self.unit == "ms":
            matters = abs(diff) >= LATENCY_MIN_MS and (ref == 0 or max(v, ref) / max(min(v, ref), 1e-9) >= LATENCY_RATIO)
        else:
            matters = abs(diff) >= COUNT_MIN and (ref == 0 or v == 0 or max(v, ref) / min(v, ref) >= COUNT_RATIO)
        if not matters:
            return None
        return "better" if (diff > 0) == self.higher_is_better else "worse"


def baseline_mean(window: Window, period: Period, measure: Callable[[Period], float | None]) -> float | None:
    """Mean of `measure` over the same hours of the baseline; None when there is no sample or
    no sample has data."""
    values = [v for v in (measure(s) for s in window.baseline_samples(period)) if v is not None]
    return sum(values) / len(values) if values else None


def measured_kpi(key: str, label: str, unit: str, window: Window, period: Period,
                 measure: Callable[[Period], float | None], note: str, *, period_words: str = "",
                 since_go_live: bool = False, now: datetime | None = None, **extra) -> Kpi:
    """`measure` over `period`, beside its mean over the same hours of the baseline.

    `since_go_live`: the figure is about the window so far, so before go-live (`now`) it is
    "not started" rather than a measurement of an empty period."""
    samples = window.baseline_samples(period)
    baseline = baseline_mean(window, period, measure) if samples else None
    kpi = Kpi(key, label, None, baseline, unit, note, period=period_words or note,
              compared_with=compared_with(window, period), baseline_state=baseline_state(len(samples), baseline),
              **extra)
    if since_go_live and now is not None:
        started = figure_state([], "", window, now)
        if started.state == "not started":
            return replace(kpi, baseline=None, state=started, unknown_because=started.reason)
    return replace(kpi, value=measure(period))


def compared_with(window: Window, period: Period) -> str:
    """'vs the same hour last week', 'vs the same hours of the day before' ..."""
    weekly = window.baseline_hours >= 7 * 24
    if period.hours <= 1:
        return "vs the same hour last week" if weekly else "vs the same hour of the days before"
    return "vs the same hours last week" if weekly else "vs the same hours of the days before"


def last_hour_words(window: Window, hour: Period) -> str:
    """'last full hour Tue 10:00–11:00' on the team's clock."""
    return f"last full hour {window.span_label(hour)}"


def since_go_live_words(window: Window, now: datetime) -> str:
    """'since go-live (38 h)', 'the whole 72 h window' once it is over."""
    since = window.elapsed(now)
    if now >= window.end:
        return f"the whole {window.window_hours:g} h window"
    return f"since go-live ({since.hours:.0f} h)" if now > window.go_live_at else "since go-live"


def with_set_aside(kpi: Kpi, count: Callable[[], int]) -> Kpi:
    """`kpi` with how many set-aside triage items its value left out (counted only when it has a value)."""
    return kpi if kpi.value is None else replace(kpi, set_aside=count())


def unless_stale(kpi: Kpi, sources: Sequence[Freshness], what: str) -> Kpi:
    """`kpi`, or "unknown" when its sources' state (hypercare.states.source_state) is not
    usable: a stale or empty source makes its figures unknown, never green. `what` names the
    kind of source. A figure already "not started" stays so."""
    if kpi.state.state == "not started":
        return kpi
    state = figure_state(sources, what)
    if not state.usable:
        return replace(kpi, value=None, unknown_because=state.reason, state=state)
    return kpi
