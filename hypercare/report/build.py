"""Build a stakeholder report from the same query functions the pages use (never a twin of them).

`build_report(cur, config, window, now)` reads the store as of `now` and returns a `Report`;
rendering is hypercare.report.html / hypercare.report.markdown. Whether a figure can be shown is
decided by hypercare.states (through kpi.unless_stale): a stale source's figure is "unknown",
never a number.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

import duckdb
import pandas as pd
import pyarrow as pa

from hypercare.config import Config
from hypercare.incidents.escalation import in_hypercare
from hypercare.report import schedule
from hypercare.report.model import (
    Chart,
    Decision,
    Incidents,
    KeyFigure,
    OpenIncident,
    Planned,
    Report,
    ResolvedIncident,
    Status,
    Support,
    TicketCounts,
)
from hypercare.report.text import when
from hypercare.states import source_state
from hypercare.store.queries import errors, health, overview, tickets
from hypercare.store.queries import incidents as incident_queries
from hypercare.store.queries.freshness import Freshness, source_freshness
from hypercare.store.queries.triage import SetAside, set_aside
from hypercare.verdict import Evaluation, evaluate
from hypercare.verdict import status as verdict_words
from hypercare.window import Period, Window

HOUR = timedelta(hours=1)
MAX_REASONS = 3  # reasons listed under the status; the rest are counted
SHIFT_WITHOUT_SCHEDULE = timedelta(hours=8)  # "the last shift" when no [report] schedule says otherwise
# How each KPI of the Overview is named for people who don't read Sentry.
LABELS = {
    "errors_per_hour": "Errors per hour",
    "new_issues": "New error types",
    "availability": "Availability",
    "latency_p95": "Response time (95th percentile)",
    "tickets_per_hour": "Support tickets per hour",
}
SOURCE_NAMES = {"sentry": "Sentry", "checks": "Health checks", "tickets:": "Tickets"}


def build_report(cur: duckdb.DuckDBPyConnection, config: Config, window: Window, now: datetime,
                 notes: Sequence[str] = ()) -> Report:
    """The report as of `now` for the (effective) `window`."""
    slots = schedule.slots(config.report, window)
    previous = schedule.previous_before(slots, now)
    since = previous or max(window.go_live_at, now - SHIFT_WITHOUT_SCHEDULE)
    since_label = (f"since the last report ({when(previous, window.timezone)})" if previous
                   else "since go-live" if since == window.go_live_at else "in the last 8 h")
    sources = tuple(config.sources())
    # read once for every section (each of them read its own: ~2 ms a read)
    fresh, aside = source_freshness(cur, now, sources), set_aside(cur, now)
    release = config.release
    return Report(
        release=release.name, version=release.version, environment=release.environment,
        timezone=window.timezone, at=now, phase=window.phase(now), position=window.label(now),
        go_live_at=window.go_live_at, window_end=window.end, since=since, since_label=since_label,
        status=status(evaluate(cur, config, window, now, aside=aside), window),
        figures=key_figures(cur, config, window, now, fresh, aside),
        charts=charts(cur, config, window, now),
        incidents=incident_summary(cur, window, now, since),
        support=support(cur, window, now, since, fresh, aside),
        decisions=tuple(Decision(d.decided_at, d.kind, d.summary, _text(d.reason), _text(d.actor))
                        for d in overview.decisions(cur, Period(window.baseline_start, now)).itertuples()),
        planned=tuple(Planned(p.starts_at, p.ends_at, p.scope, p.reason)
                      for p in overview.planned_periods(cur, window.span).itertuples()),
        next_report_at=schedule.next_after(slots, now),
        notes=tuple(notes),
    )


def status(evaluation: Evaluation, window: Window) -> Status:
    """The verdict's own sentences (hypercare.verdict.status); exit could be ready once every
    criterion not yet held has held for its remaining hours, counted from the latest complete hour."""
    reasons = verdict_words.reasons(evaluation)
    latest_hour = evaluation.evaluated_at.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    ready_at = max((latest_hour + timedelta(hours=p.hold_hours - p.held_hours) for p in evaluation.exit),
                   default=None)
    return Status(
        value=evaluation.status, headline=f"{evaluation.status.upper()} — {evaluation.headline}",
        reasons=tuple(verdict_words.sentence(r, window.tz) for r in reasons[:MAX_REASONS]),
        more_reasons=max(len(reasons) - MAX_REASONS, 0),
        exit_progress=tuple(verdict_words.exit_words(p) for p in evaluation.exit),
        exit_ready_at=ready_at, ready_to_exit=evaluation.ready_to_exit,
    )


def key_figures(cur: duckdb.DuckDBPyConnection, config: Config, window: Window, now: datetime,
                fresh: Sequence[Freshness], aside: SetAside) -> tuple[KeyFigure, ...]:
    """The Overview's KPI tiles (overview.kpis: the same values, periods, states and the one
    rule for a change that matters), in words for stakeholders. `fresh` and `aside`: the
    sources' freshness and what the triage inbox sets aside, at `now`."""
    figures = []
    for kpi in overview.kpis(cur, window, now, tuple(config.sources()), config.health.availability_target,
                             fresh=fresh, aside=aside):
        prefix, _ = overview.KPI_SOURCES[kpi.key]
        extras = [f"{kpi.set_aside} set aside in the triage inbox, not counted" if kpi.set_aside else None]
        if kpi.key == "new_issues" and kpi.value:
            _, users = errors.largest_new_issue(cur, window.elapsed(now), aside=aside)
            extras.append(None if users is None else f"the most users any one of them hit: {users:,}")
        extra = "; ".join(e for e in extras if e) or None
        figures.append(KeyFigure(
            key=kpi.key, label=LABELS[kpi.key], value=kpi.value, unit=kpi.unit, period=kpi.period,
            baseline=kpi.baseline, compared_with=kpi.compared_with.removeprefix("vs "), target=kpi.target,
            shown_as=kpi.state.shown_as,
            # the state model decided (unless_stale inside overview.kpis); this only words it
            unknown_because=(None if kpi.value is not None else
                             _not_collected([f for f in fresh if f.collector.startswith(prefix)], prefix, window)
                             if kpi.state.state in ("stale", "failed", "never collected", "not configured")
                             else kpi.state.reason or None),
            extra=extra, higher_is_better=kpi.higher_is_better,
            change=kpi.change(kpi.target) if kpi.target is not None else kpi.change(),
        ))
    return tuple(figures)


def _not_collected(sources: Sequence[Freshness], prefix: str, window: Window) -> str:
    """Why figures from these sources are unknown: 'Sentry not collected since Tue 09:10'."""
    name = SOURCE_NAMES[prefix]
    state = source_state(sources, name)
    if state.state == "not configured":
        return f"{name} not configured"
    if state.state == "never collected":
        return f"{name} never collected"
    last_ok = [f.last_ok_at for f in sources if f.last_ok_at is not None and not f.usable]
    failing = " (its collection is failing)" if state.state == "failed" else ""
    return f"{name} not collected since {when(min(last_ok), window.timezone)}{failing}" if last_ok else state.reason


def charts(cur: duckdb.DuckDBPyConnection, config: Config, window: Window, now: datetime) -> tuple[Chart, ...]:
    """Errors, availability, p95 latency and tickets per hour of the window beside the same hours of the baseline."""
    found = []
    per_hour = errors.errors_per_hour(cur, window, now)
    if len(per_hour):
        found.append(Chart("errors_per_hour", "Errors per hour", _instants(per_hour["hour"]),
                           _values(per_hour["events"]), _values(per_hour["baseline_mean"]),
                           _values(per_hour["baseline_low"]), _values(per_hour["baseline_high"])))
    elapsed = window.elapsed(now)
    if config.checks and elapsed.hours > 0:
        found += _check_charts(cur, window, elapsed, config.health.availability_target)
    by_hour = tickets.hourly_tickets(cur, window, now, "category")
    if len(by_hour):
        summed = by_hour.groupby("hour", sort=True).agg(tickets=("tickets", "sum"), baseline=("baseline", "sum"))
        # an hour no group has a baseline for has none (its sum would read 0); one grouped test, not a lambda per hour
        summed.loc[by_hour["baseline"].isna().groupby(by_hour["hour"], sort=True).all(), "baseline"] = math.nan
        found.append(Chart("tickets_per_hour", "Support tickets per hour", _instants(summed.index),
                           _values(summed["tickets"]), _values(summed["baseline"])))
    return tuple(found)


def _check_charts(cur: duckdb.DuckDBPyConnection, window: Window, elapsed: Period, target: float) -> list[Chart]:
    """Availability and p95 latency per hour of the window, every check together as in the
    Overview's tiles (health.hourly_counts, health.latency_histogram + nearest_rank), beside the
    same hours of the baseline."""
    first = elapsed.start.replace(minute=0, second=0, microsecond=0)  # UTC hours, as the queries group them
    window_hours = [first + k * HOUR for k in range(math.ceil((elapsed.end - first) / HOUR))]
    copies = {h: window.baseline_samples(Period(h, h + HOUR)) for h in window_hours}
    starts = [c.start for cs in copies.values() for c in cs]
    # only the window and the baseline hours its copies fall in: with 10 M results each hour costs
    spans = [elapsed] + ([Period(min(starts), max(starts) + HOUR)] if starts else [])
    counts = pd.concat([health.hourly_counts(cur, s.start, s.end) for s in spans])
    # one division over the columns: the same float per hour as row by row (iterrows took ~10 ms)
    percent = dict(zip(_instants(counts.index), (100.0 * counts["ok"] / counts["total"]).tolist()))
    latency = pd.concat([health.latency_histogram(cur, s.start, s.end) for s in spans])
    # every hour's nearest rank at once (a pandas group per hour took ~0.25 s at 1,000 checks)
    by_hour = pa.Table.from_pandas(latency.rename_axis("check_name").reset_index(), preserve_index=False)
    p95 = {_instant(r.check_name): float(r.p95) for r in health.nearest_ranks(by_hour, (0.95,)).itertuples()}
    return [_hourly_chart("availability", "Availability per hour (%)", percent, window_hours, copies, target),
            _hourly_chart("latency_p95", "Response time, p95 (ms)", p95, window_hours, copies)]


def _hourly_chart(key: str, title: str, by_hour: dict[datetime, float], hours: list[datetime],
                  copies: dict[datetime, list[Period]], target: float | None = None) -> Chart:
    shown = [h for h in hours if by_hour.get(h) is not None]
    samples = [[by_hour[c.start] for c in copies[h] if by_hour.get(c.start) is not None] for h in shown]
    return Chart(key, title, tuple(shown), tuple(by_hour[h] for h in shown),
                 tuple(sum(s) / len(s) if s else None for s in samples),
                 tuple(min(s) if s else None for s in samples), tuple(max(s) if s else None for s in samples),
                 target=target)


def incident_summary(cur: duckdb.DuckDBPyConnection, window: Window, now: datetime, since: datetime) -> Incidents:
    """Open incidents (the Incidents page's query), those resolved since the last report,
    MTTA/MTTR over incidents opened in the window so far, and SLA breaches."""
    elapsed = window.elapsed(now)
    open_now = incident_queries.open_incidents(cur, now, in_hypercare(window, now))
    open_now = open_now[pd.to_datetime(open_now["opened_at"], utc=True) <= now] if len(open_now) else open_now
    resolved = incident_queries.resolved_between(cur, since, now)
    times = incident_queries.response_times(cur, elapsed.start, elapsed.end)
    return Incidents(
        open=tuple(OpenIncident(r.incident_id, r.title, r.severity, r.status, _text(r.owner), r.age_minutes, r.breached)
                   for r in open_now.itertuples()),
        resolved=tuple(ResolvedIncident(r.incident_id, r.title, r.severity, r.opened_at, r.resolved_at)
                       for r in resolved.itertuples()),
        opened_in_window=times.opened, mtta_minutes=times.mtta_minutes, mttr_minutes=times.mttr_minutes,
        sla_breaches=incident_queries.sla_breaches(cur, window.go_live_at, now),
        sla_breaches_since=incident_queries.sla_breaches(cur, since, now),
    )


def support(cur: duckdb.DuckDBPyConnection, window: Window, now: datetime, since: datetime,
            fresh: Sequence[Freshness], aside: SetAside) -> Support:
    """Tickets since go-live and in the last shift by category (the Tickets page's ticket_mix)."""
    sources = [f for f in fresh if f.collector.startswith("tickets:")]
    if not source_state(sources, "ticket").usable:
        return Support(None, None, _not_collected(sources, "tickets:", window))

    def counts(period: Period) -> TicketCounts:
        mix = tickets.ticket_mix(cur, period, aside)
        return TicketCounts(mix.total, mix.usage, mix.technical, mix.other, mix.set_aside)

    return Support(counts(window.elapsed(now)), counts(Period(since, max(since, now))))


def _instant(value) -> datetime:
    return pd.Timestamp(value).tz_convert("UTC").to_pydatetime()


def _instants(values) -> tuple[datetime, ...]:
    return tuple(pd.Timestamp(v).tz_convert("UTC").to_pydatetime() for v in values)


def _values(values) -> tuple[float | None, ...]:
    return tuple(None if pd.isna(v) else float(v) for v in values)


def _text(value) -> str | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
