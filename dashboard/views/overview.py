"""Overview: where we are in the window, KPI tiles against the baseline, timeline, freshness."""

import streamlit as st

from dashboard import data, status, widgets
from dashboard.checklist import checklist_line
from dashboard.figures.incidents import unresolved_by_severity
from dashboard.figures.overview import timeline_figure
from dashboard.triage_inbox import inbox_listing
from hypercare.outside_text import as_text
from hypercare.store.queries import freshness, incidents, overview

# The built figure for the same inputs (plotly validates every property as a figure is built: most
# of a rerun otherwise); as long-lived as the query results it is drawn from.
timeline = st.cache_resource(ttl=data.TTL_SECONDS, max_entries=8, show_spinner=False)(timeline_figure)

context = data.ctx()
window = context.window()
release = context.config.release

st.title(f"{release.name} — hypercare overview", anchor=False)
if window is None:
    st.warning("The go-live instant is not known yet: set release.go_live_at in the config, or set "
               "release.version and [sentry] so it is read from the release's deploy.")
    st.stop()


@st.fragment(run_every="60s")
def live() -> None:
    now = data.now()
    go_live = window.local(window.go_live_at)
    st.caption(f"Version {as_text(release.version or '—')} · {as_text(release.environment)} · went live "
               f"{go_live:%a %d %b %Y %H:%M} ({release.timezone})")
    st.progress(window.progress(now), text=f"{window.label(now)} · phase: {window.phase(now)}")
    line = checklist_line(window, now)
    if line:
        st.info(as_text(line) + " — see the Readiness page.", icon=":material/checklist:")
    status.status_block(window, now)

    sources = tuple(context.config.sources())
    kpis = data.cached(overview.kpis)(window, now, sources, context.config.health.availability_target)
    columns = [c for _ in range(2) for c in st.columns(3)]
    for column, kpi in zip(columns, kpis):
        with column:
            widgets.kpi_tile(kpi)
    with columns[len(kpis)]:
        widgets.incident_tile(unresolved_by_severity(data.cached(incidents.incident_counts)()))
        untriaged = inbox_listing(now).untriaged  # the Triage page's build, shared
        st.caption(f"Triage inbox: {untriaged} untriaged item{'' if untriaged == 1 else 's'}")

    series = data.cached(overview.timeline)(window.span)
    decisions = data.cached(overview.decisions)(window.span)
    planned = data.cached(overview.planned_periods)(window.span)
    st.plotly_chart(timeline(series, decisions, planned, window), width="stretch")

    st.subheader("Data freshness", anchor=False)
    rows = data.cached(freshness.source_freshness)(now, sources)
    widgets.freshness_table(rows, window)


live()
