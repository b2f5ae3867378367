"""The small languages of the config that name metrics: auto-open conditions (`when`), and the
metric, operator, threshold, period and scope of [[rules]] and [[exit]].

One parser both validates the config when it loads and builds what is evaluated at run time;
`hypercare/config.py` only calls it. Names come from the one catalogue (hypercare/verdict/metrics.py).
The health-check condition language is a different one and lives in hypercare/conditions.py.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Literal

from hypercare.verdict.metrics import CATALOGUE, RULE_METRICS, Metric, auto_open_measures
from hypercare.window import Period, Window

OPS = {
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}
RULE_OPS = (">", ">=", "<", "<=")
SCOPE_EXAMPLES = {"checks": 'checks = ["booking-api"]', "projects": 'projects = ["booking-web"]', "severity": 'severity = "SEV1"'}
_CONDITION = re.compile(r"^\s*([A-Za-z_]+)\s*(>=|<=|==|!=|>|<)\s*(.+?)\s*$")
_OVER = re.compile(r"^\s*(\d+)\s*([hm])\s*$")
OVER_HELP = ('write "1h" or "6h" (the last complete clock hours), "30m" (the trailing minutes; check '
             'metrics only) or "window" (the window so far)')


# --- periods ---

@dataclass(frozen=True)
class Over:
    """The period a rule measures: the last N complete clock hours, the trailing N minutes, or
    the (effective) window so far."""

    kind: Literal["hours", "minutes", "window"]
    amount: int = 0

    def period(self, window: Window, now: datetime) -> Period:
        """[start, end) in UTC. Hours end at the start of the current UTC hour; the window
        runs from go-live to `now` or its end, whichever comes first (empty before go-live)."""
        if self.kind == "window":
            return window.elapsed(now)
        if self.kind == "minutes":
            return Period(now - timedelta(minutes=self.amount), now)
        end = now.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
        return Period(end - timedelta(hours=self.amount), end)

    def words(self) -> str:
        if self.kind == "window":
            return "the window so far"
        unit = "hour" if self.kind == "hours" else "minute"
        return f"the last {unit}" if self.amount == 1 else f"the last {self.amount} {unit}s"

    def __str__(self) -> str:
        return "window" if self.kind == "window" else f"{self.amount}{self.kind[0]}"


def parse_over(text: str, metric: Metric | None = None) -> Over:
    """Raises ValueError saying what to write instead."""
    if text.strip() == "window":
        return Over("window")
    match = _OVER.match(text)
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"over = {text!r} doesn't parse; {OVER_HELP}")
    amount, unit = int(match.group(1)), match.group(2)
    if unit == "m":
        if metric is not None and not metric.check_metric:
            raise ValueError(f'over = {text!r}: minutes are for check metrics only; {metric.name} is counted '
                             f'in whole clock hours, so write e.g. over = "{max(1, math.ceil(amount / 60))}h"')
        return Over("minutes", amount)
    return Over("hours", amount)


# --- rules and exit criteria ---

def rule_metric(name: str, op: str, threshold: object, over: str, scope: Mapping[str, object]) -> tuple[Metric, Over]:
    """Check one rule's metric, operator, threshold, period and scope (the keys that are set);
    raises ValueError listing every problem with its fix."""
    problems = []
    metric = CATALOGUE.get(name)
    if metric is None or metric.measure is None:
        hint = " (it is an auto-open measure)" if metric is not None else ""
        problems.append(f"unknown metric {name!r}{hint}; use one of {', '.join(RULE_METRICS)}")
    if op not in RULE_OPS:
        problems.append(f"op {op!r} is not a comparison; use one of {', '.join(RULE_OPS)}")
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not math.isfinite(threshold):
        problems.append(f"threshold {threshold!r} is not a number; give one, e.g. threshold = 3")
    parsed = None
    try:
        parsed = parse_over(over, metric if metric is not None and metric.measure else None)
    except ValueError as exc:
        problems.append(str(exc))
    if metric is not None and metric.measure is not None:
        for key, value in scope.items():
            if value is not None and key not in metric.scopes:
                allowed = " or ".join(SCOPE_EXAMPLES[k] for k in sorted(metric.scopes)) or "no scope"
                problems.append(f"{metric.name} has no {key} scope; it takes {allowed}")
    if problems:
        raise ValueError("; ".join(problems))
    return metric, parsed


# --- auto-open conditions ---

@dataclass(frozen=True)
class Condition:
    """`measure op value`, e.g. `new_issue_users >= 50` or `priority == "P1"`."""

    measure: str
    op: str
    value: float | str

    @classmethod
    def parse(cls, text: str, source: str) -> Condition:
        """Raises ValueError saying what to write instead."""
        measures = auto_open_measures(source)
        examples = " or ".join(
            f'{m} == "{metric.values[0]}"' if metric.values else f"{m} >= 5" for m, metric in measures.items()
        )
        match = _CONDITION.match(text)
        if not match:
            raise ValueError(f"cannot read {text!r}; write 'measure operator value', e.g. {examples}")
        measure, op, raw = match.groups()
        if measure not in measures:
            raise ValueError(f"{measure!r} is not a {source} measure; use {examples}")
        allowed = measures[measure].values
        if allowed is None:
            try:
                value: float | str = float(raw)
            except ValueError:
                raise ValueError(f"{measure} compares with a number, not {raw}; e.g. {measure} >= 5") from None
        else:
            value = raw.strip("\"'")
            if op not in ("==", "!=") or raw[:1] not in "\"'" or value not in allowed:
                raise ValueError(f'{measure} takes == or != and one of {", ".join(allowed)} in quotes, e.g. {measure} == "{allowed[0]}"')
        return cls(measure, op, value)

    def holds(self, measured: Mapping[str, float | str | None]) -> bool:
        """False when the measure was not taken (None or absent): unknown never triggers."""
        actual = measured.get(self.measure)
        return actual is not None and OPS[self.op](actual, self.value)

    def __str__(self) -> str:
        value = f'"{self.value}"' if isinstance(self.value, str) else f"{self.value:g}"
        return f"{self.measure} {self.op} {value}"
