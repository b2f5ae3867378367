"""The report as a Markdown summary short enough for a Slack or Teams message (no charts).

Text from outside (titles, owners, notes, reasons, names) goes through
hypercare.outside_text.as_text, so it can't become a link, an image, a heading or a table cell
break; the report's own words are written as Markdown.
"""

from __future__ import annotations

from hypercare.outside_text import as_text
from hypercare.report import text
from hypercare.report.model import Report

MAX_LISTED = 5  # incidents or decisions listed before "and N more"


def to_markdown(r: Report) -> str:
    tz = r.timezone
    lines = [f"# {as_text(r.release)} — hypercare report", "",
             f"**{text.headline(r)}**", "", f"**Status:** {as_text(r.status.headline)}"]
    lines += [f"- {as_text(reason)}" for reason in r.status.reasons]  # rule names come from the config
    lines += [f"- {text.more_reasons(r)}"] if r.status.more_reasons else []
    lines += [""] + [f"_{note}_" for note in r.notes] + ([""] if r.notes else [])  # the report's own words

    lines += ["## Key figures", "", "| Figure | Now | Before go-live | Target |", "|---|---|---|---|"]
    for f in r.figures:
        value = text.figure_value(f) + (f"; {f.extra}" if f.extra else "")
        baseline = text.figure_baseline(f) if f.value is not None else ""
        lines.append(f"| {f.label}, {f.period} | {value} | {baseline} | {text.figure_target(f)} |")

    i = r.incidents
    lines += ["", "## Incidents", ""]
    lines += [f"- Open: {o.severity} {o.incident_id} {as_text(o.title)} — {o.status}, owner "
              f"{as_text(o.owner) if o.owner else 'nobody yet'}, {text.duration(o.age_minutes)} old"
              + (f", SLA missed: {o.breached}" if o.breached else "") for o in i.open[:MAX_LISTED]]
    lines += _more(len(i.open), "open incidents")
    if not i.open:
        lines.append("- No open incidents.")
    lines += [f"- Resolved {r.since_label}: {x.severity} {x.incident_id} {as_text(x.title)} after "
              f"{text.duration((x.resolved_at - x.opened_at).total_seconds() / 60)}" for x in i.resolved[:MAX_LISTED]]
    lines += _more(len(i.resolved), "resolved incidents")
    if not i.resolved:
        lines.append(f"- No incident resolved {r.since_label}.")
    lines.append(f"- {text.response_line(r)}")

    s = r.support
    lines += ["", "## Support demand", ""]
    if s.since_go_live is None:
        lines.append(f"Tickets: unknown ({s.unknown_because or 'no data'}).")
    else:
        lines.append(f"{text.support_sentence(s.since_go_live, 'since go-live')} "
                     f"{text.support_sentence(s.last_shift, r.since_label)}")

    lines += ["", "## Decisions", ""]
    lines += [f"- {text.when(d.decided_at, tz)} **{as_text(d.kind)}**: {as_text(d.summary)}"
              + (f" — {as_text(d.reason)}" if d.reason else "") + (f" ({as_text(d.actor)})" if d.actor else "")
              for d in r.decisions[-MAX_LISTED:]]
    lines += _more(len(r.decisions), "earlier decisions")
    if not r.decisions:
        lines.append("- No decisions recorded yet.")
    lines += [f"- Planned: {text.when(p.starts_at, tz)}–{text.when(p.ends_at, tz)} {as_text(p.reason)}" for p in r.planned]

    lines += ["", "## Next steps", ""]
    lines += [f"- {as_text(x)}" for x in r.status.exit_progress]
    lines += [f"- {text.exit_line(r)}", f"- {text.next_report(r)}"]
    return "\n".join(lines) + "\n"


def _more(n: int, what: str) -> list[str]:
    return [f"- … and {n - MAX_LISTED} more {what} (see the HTML report)"] if n > MAX_LISTED else []
