"""Health: each check's state and last failure, availability against target, latency, status strip, TLS."""

import streamlit as st

from dashboard import data, widgets
from dashboard.figures.health import (
    SHOWN,
    availability_figure,
    down_words,
    hidden_words,
    status_strip_figure,
    summary_table,
    worst_first,
)
from dashboard.planned import planned_periods_section
from hypercare.states import figure_state, phase_state
from hypercare.store.queries import freshness, health, overview
from hypercare.store.queries.kpi import compared_with, unless_stale

context = data.ctx()
window = context.window()
names = tuple(c.name for c in context.config.checks)
target = context.config.health.availability_target

st.title("Health checks", anchor=False)
if window is None:
    st.warning("The go-live instant is not known yet: set release.go_live_at in the config.")
    st.stop()
if not names:
    st.info("No health checks configured: add [[checks]] entries to the config (README, Health checks).")
    st.stop()

now = data.now()
elapsed = window.elapsed(now)
sources = tuple(s for s in context.config.sources() if s[0] == "checks")
fresh = data.cached(freshness.source_freshness)(now, sources)
state = figure_state(fresh, "health-check")  # stale or never collected: every figure below is unknown
started = phase_state(window, now).state != "not started"
if state.state in ("stale", "failed"):
    st.warning(f"The checks have not run successfully for over three intervals ({state.reason}): states and "
               "availability are unknown until the check collector works again (see Freshness).")
elif not state.usable:
    st.warning(f"Health figures are {state.sentence()}: they appear after the checks collector's first "
               "successful run (`hypercare serve`, or `hypercare collect --once --only checks`).")
summary = data.cached(health.check_summary)(now, window, names)
if summary["last_checked_at"].isna().all():
    st.info("No health results yet: they appear after the first run of the checks collector.")
else:
    left, middle = st.columns(2)
    with left:
        widgets.kpi_tile(unless_stale(data.cached(overview.availability)(window, now, target), fresh, "health-check"))
    down = int((summary["state"] == "down").sum())
    middle.metric("Checks down now", f"{down} of {len(names):,}" if state.usable else state.shown_as)
    middle.caption(down_words(summary, target) if state.usable else state.reason)
    shown = summary
    if len(names) > SHOWN and not st.toggle(f"Show all {len(names):,} checks", key="health_all"):
        shown = worst_first(summary, SHOWN)
        st.caption(hidden_words(len(shown), len(names)))
    st.dataframe(summary_table(shown, window.timezone, state, started,
                               compared_with(window, window.hypercare).removeprefix("vs the ")),
                 hide_index=True, width="stretch")
    st.subheader("Status per hour since go-live", anchor=False)
    if not started:
        st.info(f"{phase_state(window, now).reason.capitalize()}: the strip starts at go-live.")
    elif not state.usable:
        st.info(f"Unknown: {state.reason}. The strip is hidden so old hours don't pass for the current state.")
    else:
        strip = data.cached(health.status_strip)(elapsed.start, elapsed.end, tuple(shown["check_name"]))
        st.plotly_chart(status_strip_figure(strip, window), width="stretch")
        if (strip["status"] == "planned").any():
            st.caption("Grey cells marked × are planned periods (cutovers, maintenance): left out of availability.")
        st.subheader(f"Availability since go-live against the {target:g} % target", anchor=False)
        st.plotly_chart(availability_figure(shown, target), width="stretch")

st.subheader("Freshness", anchor=False)
widgets.freshness_table(fresh, window)

planned_periods_section(names)  # the list, and for a lead: mark one after the fact, remove one marked here
