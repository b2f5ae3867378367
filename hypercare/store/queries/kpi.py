"""A KPI: a measured value beside the same hours of the baseline, with the note that explains it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from hypercare.store.queries.freshness import Freshness
from hypercare.states import source_state
from hypercare.window import Period, Window


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    value: float | None
    baseline: float | None
    unit: str
    note: str
    unknown_because: str | None = None  # why the value can't be trusted (a stale source, ...)

    @property
    def ratio(self) -> float | None:
        """value / baseline, when both are known and the baseline isn't 0."""
        if self.value is None or not self.baseline:
            return None
        return self.value / self.baseline


def baseline_mean(window: Window, period: Period, measure: Callable[[Period], float | None]) -> float | None:
    """Mean of `measure` over the same hours of the baseline; None when there is no sample or
    no sample has data."""
    values = [v for v in (measure(s) for s in window.baseline_samples(period)) if v is not None]
    return sum(values) / len(values) if values else None


def measured_kpi(key: str, label: str, unit: str, window: Window, period: Period,
                 measure: Callable[[Period], float | None], note: str) -> Kpi:
    """`measure` over `period`, beside its mean over the same hours of the baseline."""
    return Kpi(key, label, measure(period), baseline_mean(window, period, measure), unit, note)


def unless_stale(kpi: Kpi, sources: Sequence[Freshness], what: str) -> Kpi:
    """`kpi`, or "unknown" when its sources' state (hypercare.states.source_state) is not
    usable: a stale or empty source makes its figures unknown, never green. `what` names the
    kind of source."""
    state = source_state(sources, what)
    if not state.usable:
        return replace(kpi, value=None, unknown_because=state.reason)
    return kpi
