"""Words and numbers as the report says them, shared by the HTML and Markdown renderers.

Nothing here escapes: callers pass the result through html.escape (HTML) or, for text from
outside, hypercare.outside_text.as_text (Markdown).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from hypercare.incidents.escalation import describe_minutes
from hypercare.report.model import KeyFigure, Report, TicketCounts
from hypercare.store.queries.triage import left_out

UNITS = {"events": "errors", "errors": "errors", "issues": "issues", "tickets": "tickets", "%": "%", "ms": "ms"}


def when(t: datetime, tz: str) -> str:
    """'Tue 24 Nov 12:00' in the report's time zone."""
    return f"{t.astimezone(ZoneInfo(tz)):%a %d %b %H:%M}"


def duration(minutes: float) -> str:
    """'35 min', '18 h'."""
    return describe_minutes(minutes)


def count(n: int, noun: str, plural: str | None = None) -> str:
    """'1 incident', '3 incidents', '2 SLA breaches'."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def response_line(r: Report) -> str:
    """MTTA, MTTR and SLA breaches in one sentence."""
    i = r.incidents
    mtta = "no acknowledgement yet" if i.mtta_minutes is None else duration(i.mtta_minutes)
    mttr = "none resolved yet" if i.mttr_minutes is None else duration(i.mttr_minutes)
    return (f"{count(i.opened_in_window, 'incident')} opened since go-live; mean time to acknowledge {mtta}, "
            f"to resolve {mttr}; {count(i.sla_breaches, 'SLA breach', 'SLA breaches')} since go-live, "
            f"{i.sla_breaches_since} {r.since_label}.")


def number(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value:.2f} %"
    if unit == "ms":
        return f"{value:,.0f} ms"
    shown = f"{value:,.0f}" if float(value).is_integer() or abs(value) >= 100 else f"{value:,.1f}"
    noun = UNITS.get(unit, unit)
    return f"{shown} {noun.removesuffix('s') if shown == '1' else noun}".rstrip()


def figure_value(f: KeyFigure) -> str:
    if f.value is None:
        return f"{f.shown_as} ({f.unknown_because or 'no data collected for this period'})"
    return number(f.value, f.unit)


def figure_baseline(f: KeyFigure) -> str:
    """'48 errors the same hour last week (now 0.5×)', or 'no baseline'."""
    if f.baseline is None:
        return "no baseline"
    text = f"{number(f.baseline, f.unit)} {f.compared_with}".rstrip()
    if f.value is not None and f.unit not in ("%", "ms") and f.baseline:
        text += f" (now {f.value / f.baseline:.1f}×)"
    elif f.value is not None and f.unit == "%":
        text += f" (now {f.value - f.baseline:+.2f} points)"
    elif f.value is not None and f.unit == "ms":
        text += f" (now {f.value - f.baseline:+,.0f} ms)"
    return text


def figure_target(f: KeyFigure) -> str:
    if f.target is None:
        return ""
    text = f"target {number(f.target, f.unit)}"
    if f.value is not None:
        met = f.value >= f.target if f.higher_is_better else f.value <= f.target
        text += ": met" if met else ": missed"
    return text


def headline(r: Report) -> str:
    """'T+38 h of 72 h (hypercare phase); report as of Tue 24 Nov 12:00 (Europe/Brussels).'"""
    return f"{r.position} ({r.phase} phase); report as of {when(r.at, r.timezone)} ({r.timezone})."


def more_reasons(r: Report) -> str:
    n = r.status.more_reasons
    return f"and {count(n, 'more reason')} (see `hypercare status`)" if n else ""


def support_sentence(counts: TicketCounts, what: str) -> str:
    """'63 of 91 tickets since go-live were usage questions: training and communication, not defects.'"""
    aside = left_out(counts.set_aside)  # tickets set aside in the triage inbox are in no count here
    if counts.total == 0:
        return f"No tickets {what}{aside}."
    tickets = f"{counts.total} ticket" + ("" if counts.total == 1 else "s")
    if counts.usage * 2 > counts.total:
        return (f"{counts.usage} of {tickets} {what} were usage questions: training and communication, "
                f"not defects ({counts.technical} technical){aside}.")
    if counts.technical * 2 > counts.total:
        return f"{counts.technical} of {tickets} {what} were technical problems ({counts.usage} usage questions){aside}."
    return (f"{tickets} {what}: {counts.usage} usage questions, {counts.technical} technical problems, "
            f"{counts.other} other{aside}.")


def next_report(r: Report) -> str:
    if r.next_report_at is None:
        return "No further shift report is scheduled ([report] at or every_hours)."
    return f"Next report: {when(r.next_report_at, r.timezone)}."


def exit_line(r: Report) -> str:
    ends = f"the window ends {when(r.window_end, r.timezone)}"
    if r.status.ready_to_exit:
        return f"Every exit criterion has held: ready to exit; {ends}."
    if r.status.exit_ready_at is not None:
        return f"Exit could be ready at {when(r.status.exit_ready_at, r.timezone)} at the earliest; {ends}."
    return f"No exit criteria are configured ([[exit]]); {ends}."
