"""Health: each check's state and last failure, availability against target, latency, status strip, TLS."""

import streamlit as st

from dashboard import data, widgets
from dashboard.figures.health import (
    availability_figure,
    status_strip_figure,
    summary_table,
)
from hypercare.store.queries import freshness, health

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
if fresh and fresh[0].state == "stale":
    st.warning("The checks have not run successfully for over three intervals: the states below are out of date "
               "and the check collector needs attention (see Freshness).")
summary = data.cached(health.check_summary)(now, window, names)
overall = data.cached(health.availability)(elapsed.start, elapsed.end, names)
if summary["last_checked_at"].isna().all():
    st.info("No health results yet: they appear after the first run of the checks collector.")
else:
    down = int((summary["state"] == "down").sum())
    left, middle = st.columns(2)
    share = None if overall is None else 100 * overall[0] / overall[1]
    left.metric("Availability since go-live (all checks)", "no data" if share is None else f"{share:.3f} %",
                delta=None if share is None else f"{share - target:+.3f} points vs the {target:g} % target",
                help="Successful checks / checks since go-live; planned periods excluded.")
    middle.metric("Checks down", f"{down} of {len(names)}")
    st.dataframe(summary_table(summary, window.timezone), hide_index=True, width="stretch")
    strip = data.cached(health.status_strip)(elapsed.start, elapsed.end, names)
    st.subheader("Status per hour since go-live", anchor=False)
    st.plotly_chart(status_strip_figure(strip, window.timezone), width="stretch")
    st.subheader(f"Availability since go-live against the {target:g} % target", anchor=False)
    st.plotly_chart(availability_figure(summary, target), width="stretch")

st.subheader("Freshness", anchor=False)
widgets.freshness_table(fresh, window)
