"""From rule results to a status, and the sentences that explain it. Pure functions.

Precedence: RED when a critical rule is met; AMBER when a warning rule is met; UNKNOWN when
nothing is met but a critical rule has insufficient data (a met rule outranks an unknown one);
GREEN when nothing is met and every critical rule had data. With no rule in force at all the
status is UNKNOWN: a verdict is never green by default.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypercare.store.queries.triage import left_out
from hypercare.verdict.language import OPS
from hypercare.verdict.model import Evaluation, ExitProgress, RuleResult, Status
from hypercare.window import Period, span_label

HEADLINES: dict[Status, str] = {
    "red": "Rollback criteria met — decision needed",
    "amber": "Warning criteria met",
    "unknown": "Status unknown — a rollback criterion has insufficient data",
    "green": "No rollback or warning criterion met",
}
NO_RULES = "Status unknown — no rollback criteria are in force"
OP_WORDS = {">": ">", ">=": "≥", "<": "<", "<=": "≤"}


def holds(value: float, op: str, threshold: float) -> bool:
    return OPS[op](value, threshold)


def overall(rules: Sequence[RuleResult]) -> tuple[Status, str]:
    """The status of the rules in force, and its headline."""
    critical = [r for r in rules if r.level == "critical"]
    if any(r.met for r in critical):
        return "red", HEADLINES["red"]
    if any(r.met for r in rules if r.level == "warning"):
        return "amber", HEADLINES["amber"]
    if not critical:
        return "unknown", NO_RULES
    if any(r.insufficient for r in critical):
        return "unknown", HEADLINES["unknown"]
    return "green", HEADLINES["green"]


def streak(held_newest_first: Sequence[bool]) -> int:
    """How many hours in a row, from the latest back, an exit criterion held."""
    n = 0
    for held in held_newest_first:
        if not held:
            break
        n += 1
    return n


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "unknown"
    if unit == "×":
        return f"{value:.1f}×"
    if unit == "× budget":
        return f"{value:.1f}×"
    if unit == "%":
        return f"{value:.2f} %"
    if unit == "ms":
        return f"{value:,.0f} ms"
    if unit == "/h":
        return f"{value:,.1f} / h"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def period_words(result: RuleResult, tz: ZoneInfo) -> str:
    """'the last hour, Mon 07:00–08:00', 'the window so far, Sun 22:00 – Tue 12:00', 'at Tue 12:00'."""
    start, end = result.period_start.astimezone(tz), result.period_end.astimezone(tz)
    if result.period_start == result.period_end:
        return f"at {end:%a %H:%M}"
    same_day = start.date() == end.date() or result.period_end - result.period_start <= timedelta(hours=1)
    # span_label: the first 02:00 hour of a fall-back reads 'Sun 02:00 CEST–03:00', never '02:00–02:00'
    span = (span_label(Period(result.period_start, result.period_end), tz) if same_day
            else f"{start:%a %H:%M} – {end:%a %H:%M}")
    return f"{result.over_words}, {span}"


def measured_words(result: RuleResult) -> str:
    """The value as a sentence part: 'Sentry errors 4.2× the same hours of the baseline'."""
    value = format_value(result.value, result.unit)
    if result.unit == "×":
        return f"{result.label} {value} the same hours of the baseline{left_out(result.set_aside)}"
    if result.unit == "× budget":
        return f"{result.label} {value} the sustainable rate"
    return f"{result.label} {value}{left_out(result.set_aside)}"


def threshold_words(result: RuleResult) -> str:
    unit = "×" if result.unit == "× budget" else result.unit
    return f"threshold {OP_WORDS.get(result.op, result.op)} {format_value(result.threshold, unit)}"


def sentence(result: RuleResult, tz: ZoneInfo) -> str:
    """One reason as a stakeholder reads it, with value, threshold and period."""
    when = period_words(result, tz)
    over = "" if result.period_start == result.period_end else "over "
    if result.insufficient:
        return f"{result.name}: insufficient data ({result.state}) — {result.reason}; {result.label} {over}{when}"
    extra = ""
    if result.baseline is not None and result.current is not None:
        extra = f"; {format_value(result.current, _base_unit(result))} vs {format_value(result.baseline, _base_unit(result))}"
    return f"{result.name} — {measured_words(result)} {over}{when} ({threshold_words(result)}{extra})"


def _base_unit(result: RuleResult) -> str:
    return "ms" if result.metric.startswith("p95") else "/h"


def reasons(evaluation: Evaluation) -> list[RuleResult]:
    """What explains the status, most important first: met critical, met warning, then critical
    and warning rules with insufficient data."""
    order = [
        lambda r: r.met and r.level == "critical",
        lambda r: r.met and r.level == "warning",
        lambda r: r.insufficient and r.level == "critical",
        lambda r: r.insufficient and r.level == "warning",
    ]
    return [r for test in order for r in evaluation.rules if test(r)]


def summary(evaluation: Evaluation, tz: ZoneInfo) -> str:
    """The status as one plain sentence: 'RED — Rollback criteria met: <first reason>.'"""
    top = reasons(evaluation)
    first = f": {sentence(top[0], tz)}" if top and evaluation.status in ("red", "amber", "unknown") else ""
    more = len([r for r in top if r.met or r.level == "critical"]) - 1
    tail = f" (and {more} more)" if first and more > 0 else ""
    return f"{evaluation.status.upper()} — {evaluation.headline}{first}{tail}."


def exit_words(progress: ExitProgress) -> str:
    if progress.ready:
        return f"{progress.name}: held for {progress.hold_hours} h of {progress.hold_hours} h — ready"
    return f"{progress.name}: held for {progress.held_hours} h of {progress.hold_hours} h"


def as_of(now: datetime, tz: ZoneInfo) -> str:
    return f"{now.astimezone(tz):%a %d %b %Y %H:%M} ({tz.key})"
