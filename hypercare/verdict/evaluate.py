"""Evaluate every rule and exit criterion at one instant: `evaluate(cur, config, window, now)`.

A rule is "insufficient data" — never green by default — when the window has not started, a
source it reads is not configured, never collected, stale or failing (hypercare.states), the
period has fewer data points than `min_samples`, or a ratio has no (or a zero) baseline. The
figures are read as the store knows them at `now`: freshness counts runs finished by then and
every period ends by then, so `--at` replays history (except Sentry's per-issue counts, which
are today's).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import duckdb

from hypercare.states import COLLECTED, FigureState, source_state
from hypercare.store.queries import errors
from hypercare.store.queries.freshness import Freshness, freshness_at
from hypercare.store.queries.sentry_server import server_offer
from hypercare.store.queries.triage import SetAside, set_aside
from hypercare.verdict import status as st
from hypercare.verdict.builtin import builtin_rules
from hypercare.verdict.metrics import READ_ALL, STREAK_HOURS, Inputs, Measured, Scope, at_hours, samples_needed
from hypercare.verdict.model import (
    Evaluation,
    ExitProgress,
    Rule,
    RuleResult,
    SourceState,
)
from hypercare.window import Period, Window

if TYPE_CHECKING:  # the config is read, never imported at run time: config.py sits above this package
    from hypercare.config import Config

SOURCE_WORDS = {"sentry": "Sentry", "checks": "health-check", "tickets": "ticket", "reconcile": "reconciliation"}
Memo = dict[tuple, Any]


def rules_from_config(config: Config) -> tuple[list[Rule], bool]:
    """The rules in the config, else the built-in set (unless `[status] builtin_rules = false`);
    the flag says whether the built-in set applies."""
    if config.rules:
        return [_rule(c, level=c.level) for c in config.rules], False
    if config.status.builtin_rules:
        return builtin_rules(config), True
    return [], False


def exit_criteria(config: Config) -> list[Rule]:
    return [_rule(c, hold_hours=c.hold_hours) for c in config.exit]


def _rule(c: Any, **extra: Any) -> Rule:
    scope = Scope(tuple(c.checks) if c.checks is not None else None,
                  tuple(c.projects) if c.projects is not None else None, c.severity)
    return Rule(c.name, c.metric, c.op, float(c.threshold), c.period, scope=scope, from_hour=c.from_hour,
                until_hour=c.until_hour, min_samples=c.min_samples, **extra)


def evaluate(cur: duckdb.DuckDBPyConnection, config: Config, window: Window | None, now: datetime, *,
             memo: Memo | None = None, aside: SetAside | None = None) -> Evaluation:
    """The status at `now` over `window` (the effective window: pass what the caller uses),
    with every rule's result and the exit progress. `memo` may be shared by evaluations of the
    same store (a replay) so a period measured once is not measured again. `aside`:
    triage.set_aside at `now` when the caller read it already (the report, for all its sections)."""
    rules, builtin = rules_from_config(config)
    if window is None:
        return Evaluation(now, "unknown", "Status unknown — the go-live instant is not known yet", (), (),
                          builtin=builtin, notes=("set release.go_live_at, or release.version and [sentry]",))
    criteria = exit_criteria(config)
    memo = memo if memo is not None else {}
    memo[STREAK_HOURS] = max((c.hold_hours or 1 for c in criteria), default=0)  # read with `now` (at_hours)
    judge = _Judge(cur, config, window, memo, set_aside(cur, now) if aside is None else aside)
    hours = window.hours_since_go_live(now)
    in_force = [r for r in rules if r.in_force(hours)]
    results = tuple(judge.result(r, now) for r in in_force)
    status, headline = st.overall(results)
    progress = tuple(judge.progress(c, now) for c in criteria)
    return Evaluation(now, status, headline, results, progress,
                      tuple(r.name for r in rules if not r.in_force(hours)), builtin)


class _Judge:
    """Evaluates rules against one store, remembering freshness and measurements by instant."""

    def __init__(self, cur: duckdb.DuckDBPyConnection, config: Config, window: Window, memo: Memo, aside: SetAside):
        """`aside`: what the triage inbox has set aside at the evaluation's instant, left out of
        every count it makes (the past hours of an exit streak too, so they agree with now)."""
        self.cur, self.window, self.memo = cur, window, memo
        self.sources = tuple(config.sources())
        self.inputs = Inputs(cur, window, config.health.availability_target, tuple(c.name for c in config.checks), memo,
                             tuple(r.name for r in config.reconcile), aside)

    def freshness(self, now: datetime) -> list[Freshness]:
        return at_hours(self.memo, ("freshness", self.sources), now,
                        lambda instants: freshness_at(self.cur, instants, self.sources))

    def offer(self):
        """What the Sentry server offers (read once per evaluation, or per replay)."""
        if "server offer" not in self.memo:
            self.memo["server offer"] = server_offer(self.cur)
        return self.memo["server offer"]

    def measure(self, rule: Rule, period: Period) -> Measured:
        key = ("measure", rule.metric, rule.scope, period, self.inputs.aside.members)
        if key not in self.memo:
            self.memo[key] = rule.entry.measure(self.inputs, period, rule.scope)
        return self.memo[key]

    def result(self, rule: Rule, now: datetime) -> RuleResult:
        metric = rule.entry
        period = rule.over.period(self.window, now)
        if metric.instant:
            period = Period(period.end, period.end)
        read = [f for f in self.freshness(now) if _reads(metric.source, f.collector)]
        base = dict(name=rule.name, metric=rule.metric, label=metric.label, unit=metric.unit, op=rule.op,
                    threshold=rule.threshold, over=str(rule.over), level=rule.level, period_start=period.start,
                    period_end=period.end, over_words="at" if metric.instant else rule.over.words(),
                    min_samples=samples_needed(metric, rule.min_samples),
                    sources=tuple(SourceState(f.collector, f.state, f.last_ok_at) for f in read))

        def insufficient(state: FigureState, m: Measured | None = None) -> RuleResult:
            return RuleResult(**base, result="insufficient data", state=state.state, reason=state.reason,
                              value=None, samples=m.samples if m else None,
                              baseline=m.baseline if m else None, current=m.current if m else None,
                              set_aside=m.set_aside if m else None)

        if now < self.window.go_live_at:
            start = self.window.local(self.window.go_live_at)
            return insufficient(FigureState("not started", f"the window starts {start:%a %d %b %H:%M}"))
        state = COLLECTED if metric.source == "incidents" else source_state(read, SOURCE_WORDS[metric.source])
        if metric.source == "sentry":  # a figure the server doesn't offer at all (users on GlitchTip)
            state = self.offer().restrict_metric(rule.metric, state)
        if not state.usable:
            return insufficient(state)
        m = self.measure(rule, period)
        needed = base["min_samples"]
        if m.value is None and m.no_baseline:
            return insufficient(FigureState("no baseline", m.no_baseline), m)
        if m.value is None:
            return insufficient(self._no_data(rule, period), m)
        if m.samples is not None and m.samples < needed:
            what = metric.sampled or "data points"
            return insufficient(FigureState("collected", f"only {m.samples} {what} in the period; the rule needs "
                                                         f"at least {needed} (min_samples)"), m)
        met = st.holds(m.value, rule.op, rule.threshold)
        return RuleResult(**base, result="met" if met else "not met", state="collected", reason="",
                          value=m.value, samples=m.samples, baseline=m.baseline, current=m.current,
                          set_aside=m.set_aside)

    def _no_data(self, rule: Rule, period: Period) -> FigureState:
        if rule.metric == "crash_free_rate" and self._window_sessions() == 0:
            return FigureState("not offered", "Sentry holds no release-health sessions for these projects "
                                              "(the server may not offer them)")
        return FigureState("collected", "no data in the period")

    def _window_sessions(self) -> int:
        """Release-health sessions over the whole window (read once: a streak asks each hour)."""
        if "window sessions" not in self.memo:
            self.memo["window sessions"] = errors.session_totals(self.cur, self.window.span)[0]
        return self.memo["window sessions"]

    def progress(self, rule: Rule, now: datetime) -> ExitProgress:
        """Evaluate at the end of each of the last `hold_hours` complete clock hours, newest
        first, until one fails."""
        latest_hour = now.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
        current = self.result(rule, now)
        if current.insufficient and current.state in NOT_NOW:
            # a source that can't be trusted now holds nothing, whatever it held an hour ago
            return ExitProgress(rule.name, 0, rule.hold_hours or 1, current)
        held: list[bool] = []
        latest = None
        for k in range(rule.hold_hours or 1):
            result = self.result(rule, latest_hour - timedelta(hours=k))
            latest = latest or result
            held.append(result.met)
            if not result.met:
                break
        return ExitProgress(rule.name, st.streak(held), rule.hold_hours or 1, latest)


NOT_NOW = frozenset({"stale", "failed", "never collected", "not configured"})


def _reads(source: str, collector: str) -> bool:
    return collector == source or (source == "tickets" and collector.startswith("tickets:"))


def replay(cur: duckdb.DuckDBPyConnection, config: Config, window: Window, instants: Sequence[datetime]) -> list[Evaluation]:
    """Evaluate at each instant in turn, sharing measurements (the demo's history, the benchmark)."""
    if not instants:
        return []
    last = max(instants).astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    memo: Memo = {READ_ALL: Period(window.baseline_start, last)}
    return [evaluate(cur, config, window, t, memo=memo) for t in instants]
