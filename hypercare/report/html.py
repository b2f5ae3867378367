"""The report as one self-contained HTML file: opens offline, prints to clean A4 pages.

plotly's JavaScript is inlined once, with the first chart; no external font, script, style or
image is referenced. Every piece of text goes through html.escape, so a title from outside is
shown as text and never parsed.
"""

from __future__ import annotations

import functools
import os
from html import escape

import plotly.io as pio

from hypercare.report import text
from hypercare.report.charts import chart_spec
from hypercare.report.model import Report

CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: #0f172a;
       max-width: 820px; margin: 24px auto; padding: 0 16px; line-height: 1.45; font-size: 14px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 24px 0 8px;
  border-bottom: 1px solid #cbd5e1; padding-bottom: 3px; }
.meta { color: #475569; margin: 0 0 10px; }
.status { padding: 8px 12px; border-radius: 6px; background: #f1f5f9; border-left: 5px solid #64748b; }
.status-green { border-color: #15803d; } .status-amber { border-color: #d97706; }
.status-red { border-color: #b91c1c; background: #fef2f2; } .status-unknown { border-color: #64748b; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 10px; }
th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid #e2e8f0; vertical-align: top; }
th { background: #f8fafc; font-weight: 600; }
td.num { white-space: nowrap; } .unknown { color: #b45309; font-weight: 600; }
.worse { color: #b91c1c; font-weight: 600; } .better { color: #15803d; font-weight: 600; }
.small { color: #475569; font-size: 12px; font-weight: normal; }
.chart { break-inside: avoid; page-break-inside: avoid; margin: 4px 0; }
ul { margin: 4px 0 8px; padding-left: 20px; }
footer { margin-top: 28px; color: #64748b; font-size: 11px; }
@page { size: A4; margin: 14mm 16mm; }
@media print {
  body { margin: 0; max-width: none; padding: 0; font-size: 11.5px; }
  h2 { break-after: avoid; page-break-after: avoid; }
  table, tr, .status { break-inside: avoid; page-break-inside: avoid; }
  section { break-inside: auto; }
}
"""
SECTIONS = ("headline", "figures", "incidents", "support", "decisions", "next-steps")


def to_html(r: Report) -> str:
    e = escape
    tz = r.timezone
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(r.release)} — hypercare report {e(text.when(r.at, tz))}</title>",
        f"<style>{CSS}</style>", "</head>", "<body>",
        '<section id="headline">',
        f"<h1>{e(r.release)} — hypercare report</h1>",
        f'<p class="meta">{e(_release_line(r))}</p>',
        f"<p><strong>{e(text.headline(r))}</strong></p>",
        f'<div class="status status-{e(r.status.value)}"><strong>Status: {e(r.status.headline)}</strong>',
    ]
    if r.status.reasons:
        more = [text.more_reasons(r)] if r.status.more_reasons else []
        parts.append("<ul>" + "".join(f"<li>{e(reason)}</li>" for reason in [*r.status.reasons, *more]) + "</ul>")
    parts.append("</div>")
    parts += [f'<p class="small">{e(note)}</p>' for note in r.notes]
    parts.append("</section>")
    parts += _figures(r)
    parts += _incidents(r)
    parts += _support(r)
    parts += _decisions(r)
    parts += _next_steps(r)
    parts += [f"<footer>Written by Hypercare for {e(r.release)} at {e(text.when(r.at, tz))} ({e(tz)}). "
              "Figures come from the same queries as the dashboard.</footer>", "</body>", "</html>"]
    return "\n".join(parts)


def _release_line(r: Report) -> str:
    version = f"version {r.version} · " if r.version else ""
    return (f"{version}{r.environment} · went live {text.when(r.go_live_at, r.timezone)} · "
            f"window ends {text.when(r.window_end, r.timezone)} ({r.timezone})")


def _figures(r: Report) -> list[str]:
    e = escape
    rows = []
    for f in r.figures:
        value = text.figure_value(f)
        cls = ' class="num unknown"' if f.value is None else f' class="num {f.change or ""}"'
        extra = f'<br><span class="small">{e(f.extra)}</span>' if f.extra else ""
        rows.append(
            f"<tr><td>{e(f.label)}<br><span class=\"small\">{e(f.period)}</span></td><td{cls}>{e(value)}{extra}</td>"
            f"<td>{e(text.figure_baseline(f)) if f.value is not None else ''}</td><td>{e(text.figure_target(f))}</td></tr>"
        )
    parts = ['<section id="figures">', "<h2>Key figures</h2>",
             "<table><thead><tr><th>Figure</th><th>Now</th><th>Before go-live</th><th>Target</th></tr></thead>",
             "<tbody>" + "".join(rows) + "</tbody></table>"]
    for n, chart in enumerate(r.charts):
        spec = chart_spec(chart, r.timezone)
        div = pio.to_html(spec, validate=False, full_html=False, include_plotlyjs=False, div_id=f"chart-{chart.key}",
                          config={"displayModeBar": False, "responsive": False})
        # plotly.js inlined once, with the first chart, where and as pio.to_html inlines it
        start, bundle = _plotlyjs(spec["layout"]["width"], spec["layout"]["height"]) if n == 0 else ("", "")
        # one join: each `+` copied the whole bundle again (~2 ms a copy of its 9 MB as a str)
        parts.append("".join(['<div class="chart">', start, bundle, div.removeprefix(start), "</div>"]))
    parts.append("</section>")
    return parts


@functools.cache
def _plotlyjs(width: int, height: int) -> tuple[str, str]:
    """(how the HTML of a width × height chart starts, the plotly.js that pio.to_html inlines right
    after that start), from a probe chart rendered without and with it, once: a report then copies
    the bundle instead of plotly re-reading and re-formatting its 4.6 MB (~half the HTML's time)."""
    probe = {"data": [], "layout": {"width": width, "height": height}}
    without, inlined = (pio.to_html(probe, validate=False, full_html=False, include_plotlyjs=js, div_id="probe")
                        for js in (False, True))
    at = len(os.path.commonprefix([without, inlined]))  # inside the div's opening whitespace: the same in every chart
    return without[:at], inlined[at:at + len(inlined) - len(without)]


def _incidents(r: Report) -> list[str]:
    e, i, tz = escape, r.incidents, r.timezone
    parts = ['<section id="incidents">', "<h2>Incidents</h2>"]
    if i.open:
        parts.append("<table><thead><tr><th>Open incident</th><th>Severity</th><th>State</th><th>Owner</th>"
                     "<th>Age</th><th>SLA missed</th></tr></thead><tbody>")
        parts += [f"<tr><td>{e(o.incident_id)} {e(o.title)}</td><td>{e(o.severity)}</td><td>{e(o.status)}</td>"
                  f"<td>{e(o.owner or 'nobody yet')}</td><td class=\"num\">{e(text.duration(o.age_minutes))}</td>"
                  f"<td>{e(o.breached or 'no')}</td></tr>" for o in i.open]
        parts.append("</tbody></table>")
    else:
        parts.append("<p>No open incidents.</p>")
    if i.resolved:
        parts.append(f"<p>Resolved {e(r.since_label)}:</p><ul>")
        parts += [f"<li>{e(x.incident_id)} {e(x.title)} ({e(x.severity)}), resolved {e(text.when(x.resolved_at, tz))} "
                  f"after {e(text.duration((x.resolved_at - x.opened_at).total_seconds() / 60))}</li>" for x in i.resolved]
        parts.append("</ul>")
    else:
        parts.append(f"<p>No incident resolved {e(r.since_label)}.</p>")
    parts.append(f"<p>{e(text.response_line(r))}</p></section>")
    return parts


def _support(r: Report) -> list[str]:
    e, s = escape, r.support
    parts = ['<section id="support">', "<h2>Support demand</h2>"]
    if s.since_go_live is None:
        parts.append(f'<p class="unknown">Tickets: unknown ({e(s.unknown_because or "no data")}).</p>')
    else:
        parts.append(f"<p>{e(text.support_sentence(s.since_go_live, 'since go-live'))}</p>")
        parts.append(f"<p>{e(text.support_sentence(s.last_shift, r.since_label))}</p>")
    parts.append("</section>")
    return parts


def _decisions(r: Report) -> list[str]:
    e, tz = escape, r.timezone
    parts = ['<section id="decisions">', "<h2>Decisions and planned periods</h2>"]
    if r.decisions:
        parts.append("<table><thead><tr><th>When</th><th>Decision</th><th>Why</th><th>By</th></tr></thead><tbody>")
        parts += [f"<tr><td class=\"num\">{e(text.when(d.decided_at, tz))}</td><td><strong>{e(d.kind)}</strong>: "
                  f"{e(d.summary)}</td><td>{e(d.reason or '')}</td><td>{e(d.actor or '')}</td></tr>" for d in r.decisions]
        parts.append("</tbody></table>")
    else:
        parts.append("<p>No decisions recorded yet.</p>")
    if r.planned:
        parts.append("<p>Planned periods (left out of availability):</p><ul>")
        parts += [f"<li>{e(text.when(p.starts_at, tz))}–{e(text.when(p.ends_at, tz))}: {e(p.reason)}</li>" for p in r.planned]
        parts.append("</ul>")
    parts.append("</section>")
    return parts


def _next_steps(r: Report) -> list[str]:
    e = escape
    items = list(r.status.exit_progress) + [text.exit_line(r), text.next_report(r)]
    return ['<section id="next-steps">', "<h2>Next steps</h2>", "<ul>" + "".join(f"<li>{e(x)}</li>" for x in items) + "</ul>",
            "</section>"]
