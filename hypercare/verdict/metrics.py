"""The one metric catalogue: every figure a rule, an exit criterion or an auto-open condition
can name, each measured by one function whose docstring says exactly what it measures.

A measuring function takes the `Inputs` (a cursor and what the config says), a half-open UTC
period [start, end) and a `Scope`, and returns a `Measured`: the value (None: the data can't
say), how many data points it rests on, and for ratios the baseline it divided by. It reads
through the page queries in `hypercare/store/queries/`, so a rule and a page never disagree.
Whether a source is fresh enough to trust is decided by the caller (hypercare/verdict/evaluate.py)
from the one state model; a function only says what the rows say.

Entries without a function (`measure=None`) are measured per signal by the auto-open engine
(hypercare/incidents/actions.py) and can't be used in [[rules]] or [[exit]].
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Literal

import duckdb
import numpy as np
import pandas as pd

from hypercare.store.queries import errors, health, incidents, overview, reconcile, tickets
from hypercare.store.queries.triage import NOTHING, SetAside
from hypercare.store.read import utc_hour
from hypercare.window import Period, Window

SourceKind = Literal["sentry", "checks", "tickets", "incidents", "reconcile"]
ScopeKey = Literal["checks", "projects", "severity"]
SEVERITY_ORDER = ("SEV1", "SEV2", "SEV3", "SEV4")


@dataclass(frozen=True)
class Inputs:
    """What every measuring function may read besides its period: the store, the window (for
    the same hours of the baseline), the availability target and the configured checks."""

    cur: duckdb.DuckDBPyConnection
    window: Window
    availability_target: float = 99.9
    check_names: tuple[str, ...] = ()
    memo: dict = field(default_factory=dict, compare=False, repr=False)  # reads shared within an evaluation
    reconcile_names: tuple[str, ...] = ()  # the configured [[reconcile]] checks
    aside: SetAside = NOTHING  # what the triage inbox has set aside at the evaluation's instant: left out of counts


@dataclass(frozen=True)
class Scope:
    """Which part of a source a rule looks at; None: all of it."""

    checks: tuple[str, ...] | None = None
    projects: tuple[str, ...] | None = None
    severity: str | None = None  # this severity or a more severe one

    @property
    def severities(self) -> tuple[str, ...] | None:
        if self.severity is None:
            return None
        return SEVERITY_ORDER[: SEVERITY_ORDER.index(self.severity) + 1]


@dataclass(frozen=True)
class Measured:
    """A measurement. `value` None: no data in the period. `baseline` (ratios only): the
    denominator, None when there is no baseline copy; `current`: the numerator."""

    value: float | None
    samples: int | None = None  # data points the value rests on; None: not a sampled figure
    baseline: float | None = None
    current: float | None = None
    no_baseline: str | None = None  # why a ratio has no value although the period has data
    set_aside: int | None = None  # issues or tickets set aside in the triage inbox, left out of the value


@dataclass(frozen=True)
class Metric:
    name: str
    label: str  # how a sentence names it: "Sentry errors per hour"
    unit: str  # "/h", "×", "%", "ms", "" (a count), "× budget"
    source: SourceKind
    measure: Callable[[Inputs, Period, Scope], Measured] | None
    scopes: frozenset[str] = frozenset()
    min_samples: int = 0
    sampled: str = ""  # what a data point is, for "3 of 10 <sampled>"
    instant: bool = False  # measured at the end of the period; `over` only places that instant
    auto_open: frozenset[str] = frozenset()  # auto-open sources that may name it
    values: tuple[str, ...] | None = None  # a text measure's allowed values (auto-open only)

    @property
    def doc(self) -> str:
        return (self.measure.__doc__ or "").strip() if self.measure else _AUTO_OPEN_DOCS.get(self.name, "")

    @property
    def check_metric(self) -> bool:
        return self.source == "checks"


# --- Sentry ---

def _hours(period: Period) -> float:
    return max(period.hours, 1e-9)


def errors_per_hour(src: Inputs, period: Period, scope: Scope) -> Measured:
    """Sentry error events per hour over the period: the events in the collected hourly buckets
    (errors.hourly_errors) divided by the hours that have a bucket. Data points: hours collected."""
    events = _hourly_errors(src, period, scope)
    if not len(events):
        return Measured(None, 0)
    return Measured(float(np.nansum(events)) / len(events), len(events))


def _hourly_errors(src: Inputs, period: Period, scope: Scope) -> np.ndarray:
    """errors.hourly_errors' events over the period (cut from a wider read, see `_whole_hours_of`)."""
    rows, cut = _whole_hours_of(src, ("hourly_errors", scope.projects), period,
                                lambda p: errors.hourly_errors(src.cur, p, scope.projects))
    return rows.to_numpy()[cut]


def errors_vs_baseline(src: Inputs, period: Period, scope: Scope) -> Measured:
    """Sentry errors per hour over the period ÷ errors per hour over the same hours of the
    baseline (the mean over every baseline copy that has data). Rates, not totals, so a copy that
    is an hour shorter or longer across a DST change compares fairly. A zero or absent baseline
    gives no value ("no baseline"), never a ratio against 0."""
    now = errors_per_hour(src, period, scope)
    return _vs_baseline(src, period, scope, errors_per_hour, now)


def new_issues(src: Inputs, period: Period, scope: Scope) -> Measured:
    """Sentry issues first seen in the period (any level, any status), leaving out the ones set
    aside in the triage inbox."""
    n = overview.count_new_issues(src.cur, period, scope.projects, src.aside)
    return Measured(float(n.counted), set_aside=n.set_aside)


def new_issue_users(src: Inputs, period: Period, scope: Scope) -> Measured:
    """The most users any one issue first seen in the period has hit (Sentry's user count as
    collected — today's count, Sentry keeps no history of it); never a sum over issues, which
    would count a person hit by two issues twice. 0 when no issue is new; no value when the
    server doesn't count users (GlitchTip). Issues set aside in the triage inbox are left out."""
    _, users = errors.largest_new_issue(src.cur, period, scope.projects, src.aside)
    left = overview.count_new_issues(src.cur, period, scope.projects, src.aside).set_aside
    return Measured(None if users is None else float(users), set_aside=left)


def crash_free_rate(src: Inputs, period: Period, scope: Scope) -> Measured:
    """Percent (0–100) of release-health sessions in the period that did not crash:
    100 × (1 − crashed ÷ sessions), over hourly buckets starting in the period. Data points:
    sessions. No sessions: no value (never 100 %)."""
    sessions, crashed = errors.session_totals(src.cur, period, scope.projects)
    if not sessions:
        return Measured(None, 0)
    return Measured(100.0 * (1 - crashed / sessions), sessions)


# --- health checks ---

def _check_counts(src: Inputs, period: Period, scope: Scope) -> tuple[int, int] | None:
    """(ok, counted) results of the scoped (else every) check in the period, planned periods left
    out: health.availability, or the sum of the scoped checks' hours of health.hourly_counts_by_check
    (one read that every scope shares)."""
    names = scope.checks
    hours = _whole_hours_of(src, ("check_counts",), period,
                            lambda p: health.hourly_counts_by_check(src.cur, p.start, p.end), shared=True)
    if hours is None:
        key = ("availability", period, names)
        if key not in src.memo:
            src.memo[key] = health.availability(src.cur, period.start, period.end, names)
        return src.memo[key]
    rows, cut = hours
    ok, counted = rows["ok"].to_numpy()[cut], rows["total"].to_numpy()[cut]
    if names is not None:
        scoped = np.asarray(rows["check_name"].array[cut].isin(names))  # the column's own: ~1/4 of the Series' cost
        ok, counted = ok[scoped], counted[scoped]
    total = int(counted.sum())
    return (int(ok.sum()), total) if total else None


READ_HOURS = timedelta(hours=24)
HOUR = timedelta(hours=1)
STREAK_HOURS = "streak hours"  # memo key: the longest hold of the exit criteria (hypercare.verdict.evaluate)
READ_ALL = "read all of"  # memo key: the span a replay reads at once (hypercare.verdict.evaluate.replay)


def _whole_hours_of(src: Inputs, key: tuple, period: Period, read: Callable[[Period], pd.Series | pd.DataFrame],
                    shared: bool = False):
    """The hour-indexed rows of `read` for a period of whole UTC hours, cut from reads kept in
    `src.memo`: (rows, the slice of them in the period), which callers cut themselves (numpy's
    cut of a column is ~50x cheaper than pandas' and an evaluation cuts ~30 times). An evaluation
    asks for many nearby hours (a rule's period, an exit criterion's streak back in time), so
    after the first read of a kind the next one takes READ_HOURS up to the period's end (the
    first one too when the rows are `shared` by every scope: other rules will ask), and a replay
    reads everything once. Periods not made of whole hours are read as they are (None for the
    check counts and latencies, which have direct queries)."""
    aligned = all(t.minute == t.second == t.microsecond == 0 for t in (period.start, period.end))
    everything = src.memo.get(READ_ALL)  # a replay: one read of everything it will ask for
    if everything is None and key[0] == "hourly_errors":  # any span is one ~10 ms read of error_hourly:
        everything = Period(min(src.window.baseline_start, period.start), period.end)  # baseline copies too
    if everything is not None and not (everything.start <= period.start and period.end <= everything.end):
        everything = None
    if not aligned or (everything is None and period.end - period.start > READ_HOURS):
        return (read(period), slice(None)) if key[0] == "hourly_errors" else None  # the others have a direct query
    reads = src.memo.setdefault(key, [])
    for span, rows in reads:
        if span.start <= period.start and period.end <= span.end:
            break
    else:  # the first read is the period itself (a rule); a second, hours back from it (a streak)
        span = everything or (Period(period.end - READ_HOURS, period.end) if reads or shared else period)
        rows = read(span).sort_index()
        reads.append((span, rows))
    bounds = np.array([t.astimezone(timezone.utc).replace(tzinfo=None) for t in (period.start, period.end)],
                      dtype=f"datetime64[{rows.index.unit}]")  # UTC, as the index's integers
    lo, hi = rows.index.asi8.searchsorted(bounds.view("i8"))  # not the index's own search: ~0.2 ms a call
    return rows, slice(lo, hi)


def at_hours(memo: dict, key: tuple, at: datetime, read: Callable[[list[datetime]], list]):
    """`read([at])[0]`, kept in `memo`. An exit streak then asks for each of the whole UTC hours
    up to `at` in turn, so this reads `at` with the memo's STREAK_HOURS whole hours up to it (in
    a replay: up to the last hour it will ask for) in one go."""
    found = memo.setdefault(key, {})
    if at not in found:
        hour = utc_hour(at)
        everything = memo.get(READ_ALL)
        last = everything.end if everything is not None and everything.start <= hour <= everything.end else hour
        hours = [at] + [last - k * HOUR for k in range(int((last - hour) / HOUR) + memo.get(STREAK_HOURS, 0))]
        found.update(zip(hours, read(hours)))
    return found[at]


def availability(src: Inputs, period: Period, scope: Scope) -> Measured:
    """Percent of health-check results in the period that succeeded, over the scoped checks
    together (all by default, as on the Overview), leaving out results inside planned periods
    (health.availability). Data points: check results counted."""
    counts = _check_counts(src, period, scope)
    if counts is None:
        return Measured(None, 0)
    ok, total = counts
    return Measured(100.0 * ok / total, total)


def error_budget_burn(src: Inputs, period: Period, scope: Scope) -> Measured:
    """How fast failed checks consume the error budget of `[health] availability_target` over
    the period: (failed ÷ counted results) ÷ (1 − target). 1.0 spends the budget exactly over
    the window; the SRE workbook pages at 14.4 over 1 h. Planned periods are left out. With a
    100 % target there is no budget, so no value."""
    counts = _check_counts(src, period, scope)
    if counts is None:
        return Measured(None, 0)
    ok, total = counts
    budget = 1 - src.availability_target / 100
    if budget <= 0:
        return Measured(None, total, no_baseline="an availability_target of 100 % leaves no error budget")
    return Measured(((total - ok) / total) / budget, total)


def p95_latency_ms(src: Inputs, period: Period, scope: Scope) -> Measured:
    """The nearest-rank 95th percentile of check latency (ms) in the period, over the scoped checks
    together (all by default), for results that got an answer, outside planned periods. Data
    points: check results counted."""
    names = scope.checks
    hours = _whole_hours_of(src, ("latency", names), period,
                            lambda p: health.latency_histogram(src.cur, p.start, p.end, names))
    if hours is None:
        value = health.latency_percentile(src.cur, period.start, period.end, 0.95, names)
    else:
        rows, cut = hours
        value = health.nearest_rank(rows.iloc[cut], 0.95)
    counts = _check_counts(src, period, scope)
    return Measured(value, counts[1] if counts else 0)


def p95_latency_vs_baseline(src: Inputs, period: Period, scope: Scope) -> Measured:
    """p95 check latency over the period ÷ its mean over the same hours of the baseline (each
    copy's own p95, averaged over the copies that have results)."""
    return _vs_baseline(src, period, scope, p95_latency_ms, p95_latency_ms(src, period, scope))


def checks_down(src: Inputs, period: Period, scope: Scope) -> Measured:
    """Health checks in state "down" at the end of the period (after `failure_threshold` failed
    results in a row; check_transitions), among the scoped or else every configured check."""
    names = list(scope.checks) if scope.checks is not None else list(src.check_names)
    if not names:
        return Measured(None)
    return Measured(float(health.down_at(src.cur, period.end, names)))


# --- tickets ---

def _tickets(src: Inputs, period: Period, per_hour: bool = True, **only: str) -> Measured:
    """Tickets created in the period (per hour, or all), set-aside ones left out (tickets.count_tickets)."""
    n = tickets.count_tickets(src.cur, period.start, period.end, aside=src.aside, **only)
    return Measured(n.counted / _hours(period) if per_hour else float(n.counted), set_aside=n.set_aside)


def tickets_per_hour(src: Inputs, period: Period, scope: Scope) -> Measured:
    """Tickets created per hour in the period, every source together, leaving out tickets set
    aside in the triage inbox."""
    return _tickets(src, period)


def tickets_per_hour_vs_baseline(src: Inputs, period: Period, scope: Scope) -> Measured:
    """Tickets created per hour in the period ÷ per hour in the same hours of the baseline
    (mean over the copies). A baseline with no ticket gives no value ("no baseline")."""
    return _vs_baseline(src, period, scope, tickets_per_hour, tickets_per_hour(src, period, scope))


def technical_tickets_per_hour(src: Inputs, period: Period, scope: Scope) -> Measured:
    """Tickets of category "technical" created per hour in the period (set-aside ones left out)."""
    return _tickets(src, period, category="technical")


def p1_tickets(src: Inputs, period: Period, scope: Scope) -> Measured:
    """Tickets of priority P1 created in the period, leaving out those set aside in the triage inbox."""
    return _tickets(src, period, per_hour=False, priority="P1")


# --- incidents (recorded by Hypercare itself: always collected) ---

def open_incidents(src: Inputs, period: Period, scope: Scope) -> Measured:
    """Incidents not resolved at the end of the period (from the audit log); with `severity`,
    only those of that severity or a more severe one."""
    by_severity = at_hours(src.memo, ("open_at",), period.end, lambda at: incidents.open_at_each(src.cur, at))
    severities = scope.severities
    return Measured(float(sum(n for s, n in by_severity.items() if severities is None or s in severities)))


def sla_breaches(src: Inputs, period: Period, scope: Scope) -> Measured:
    """SLA breaches (acknowledge or resolve target missed) recorded in the period; with
    `severity`, of incidents of that severity or a more severe one."""
    return Measured(float(incidents.sla_breaches(src.cur, period.start, period.end, scope.severities)))


# --- data-migration reconciliation ---

def reconcile_mismatches(src: Inputs, period: Period, scope: Scope) -> Measured:
    """[[reconcile]] checks whose latest result at the end of the period read both sides and
    found them apart beyond the check's tolerance (reconcile.tally_at). No value while any
    configured check has no such answer (it never ran, or a side failed on its latest run):
    an unread check might disagree too."""
    names = src.reconcile_names
    if not names:
        return Measured(None)
    tally = reconcile.tally_at(src.cur, period.end, names)
    return Measured(None if tally.unknown else float(tally.mismatched), len(names) - tally.unknown)


def _vs_baseline(src: Inputs, period: Period, scope: Scope,
                 rate: Callable[[Inputs, Period, Scope], Measured], now: Measured) -> Measured:
    """`now` ÷ the mean of `rate` over the same hours of the baseline."""
    copies = [m.value for s in src.window.baseline_samples(period) if (m := rate(src, s, scope)).value is not None]
    baseline = sum(copies) / len(copies) if copies else None
    if now.value is None:
        return Measured(None, now.samples, baseline)
    if baseline is None:
        return Measured(None, now.samples, None, now.value, "no copy of these hours in the baseline has data")
    if baseline == 0:
        return Measured(None, now.samples, 0.0, now.value, "the baseline is 0 for these hours, so no ratio",
                        now.set_aside)
    return Measured(now.value / baseline, now.samples, baseline, now.value, set_aside=now.set_aside)


_AUTO_OPEN_DOCS = {
    "new_issue_events": "Events of one new Sentry issue (first seen since go-live), checked within "
                        "within_minutes of it first being seen.",
    "down_minutes": "Minutes a health check has been failing without a success in between.",
    "priority": "The priority of a ticket created within within_minutes.",
    "mismatched_by": "How far apart the two sides of a reconciliation check are (|target − source|, in the "
                     "check's units) on its latest result, when that result is a mismatch within within_minutes.",
    "mismatch_minutes": "Minutes a reconciliation check has disagreed: since the first mismatch after its last "
                        "match (a run whose side failed doesn't break the streak).",
}

_SENTRY, _CHECKS, _SEV = frozenset({"projects"}), frozenset({"checks"}), frozenset({"severity"})
CATALOGUE: dict[str, Metric] = {m.name: m for m in (
    Metric("errors_per_hour", "Sentry errors per hour", "/h", "sentry", errors_per_hour, _SENTRY, 1, "hours collected"),
    Metric("errors_vs_baseline", "Sentry errors", "×", "sentry", errors_vs_baseline, _SENTRY, 1, "hours collected"),
    Metric("new_issues", "New Sentry issues", "", "sentry", new_issues, _SENTRY),
    Metric("new_issue_users", "Users hit by the largest new Sentry issue", "", "sentry", new_issue_users, _SENTRY,
           auto_open=frozenset({"sentry"})),
    Metric("new_issue_events", "Events of a new Sentry issue", "", "sentry", None, auto_open=frozenset({"sentry"})),
    Metric("crash_free_rate", "Crash-free sessions", "%", "sentry", crash_free_rate, _SENTRY, 100, "sessions"),
    Metric("availability", "Availability", "%", "checks", availability, _CHECKS, 10, "check results"),
    Metric("error_budget_burn", "Error budget burn", "× budget", "checks", error_budget_burn, _CHECKS, 10, "check results"),
    Metric("p95_latency_ms", "Check latency p95", "ms", "checks", p95_latency_ms, _CHECKS, 20, "check results"),
    Metric("p95_latency_vs_baseline", "Check latency p95", "×", "checks", p95_latency_vs_baseline, _CHECKS, 20,
           "check results"),
    Metric("checks_down", "Health checks down", "", "checks", checks_down, _CHECKS, instant=True),
    Metric("down_minutes", "Minutes a check is down", "", "checks", None, auto_open=frozenset({"checks"})),
    Metric("tickets_per_hour", "Tickets per hour", "/h", "tickets", tickets_per_hour),
    Metric("tickets_per_hour_vs_baseline", "Tickets per hour", "×", "tickets", tickets_per_hour_vs_baseline,
           auto_open=frozenset({"tickets"})),
    Metric("technical_tickets_per_hour", "Technical tickets per hour", "/h", "tickets", technical_tickets_per_hour),
    Metric("p1_tickets", "P1 tickets", "", "tickets", p1_tickets),
    Metric("priority", "Ticket priority", "", "tickets", None, auto_open=frozenset({"tickets"}),
           values=("P1", "P2", "P3", "P4")),
    Metric("open_incidents", "Open incidents", "", "incidents", open_incidents, _SEV, instant=True),
    Metric("sla_breaches", "SLA breaches", "", "incidents", sla_breaches, _SEV),
    Metric("reconcile_mismatches", "Reconciliation checks that disagree", "", "reconcile", reconcile_mismatches,
           instant=True, sampled="checks answered"),
    Metric("mismatched_by", "How far a reconciliation check's sides are apart", "", "reconcile", None,
           auto_open=frozenset({"reconcile"})),
    Metric("mismatch_minutes", "Minutes a reconciliation check has disagreed", "", "reconcile", None,
           auto_open=frozenset({"reconcile"})),
)}
RULE_METRICS: tuple[str, ...] = tuple(name for name, m in CATALOGUE.items() if m.measure is not None)


def auto_open_measures(source: str) -> dict[str, Metric]:
    """The catalogue entries an [[escalation.auto_open]] rule of `source` may compare."""
    return {name: m for name, m in CATALOGUE.items() if source in m.auto_open}


def samples_needed(metric: Metric, min_samples: int | None) -> int:
    return metric.min_samples if min_samples is None else min_samples

