"""Errors: new Sentry issues since go-live by impact, regressions, errors per hour against the
baseline, crash-free sessions, and how fresh the Sentry data is."""

import streamlit as st

from dashboard import data, widgets
from dashboard.figures.errors import (
    crash_free_figure,
    errors_per_hour_figure,
    issue_rows,
)
from hypercare.store.queries import errors, freshness

context = data.ctx()
window = context.window()
sentry = context.config.sentry

st.title("Errors", anchor=False)
if window is None:
    st.warning("The go-live instant is not known yet: set release.go_live_at, or wait for Sentry's deploy record.")
    st.stop()
if sentry is None:
    st.info("Sentry is not configured: add a [sentry] section (org, projects, token_env) to the config.")
    st.stop()

now = data.now()
fresh = data.cached(freshness.source_freshness)(now, (("sentry", sentry.interval_seconds),))[0]
if fresh.latest_ok is False:
    st.error(f"The last Sentry collection failed: {fresh.last_error}")

summary = data.cached(errors.summary)(window, now)
known = fresh.usable  # a stale or never-collected source makes its figures unknown, never a calm 0
crash_free = summary.crash_free_since_go_live
tiles = st.columns(4)
tiles[0].metric("New issues since go-live", f"{summary.new_issues:,}" if known else "unknown")
tiles[1].metric("Users hit by new issues", f"{summary.new_issue_users:,}" if known else "unknown")
tiles[2].metric("Regressions", f"{summary.regressions:,}" if known else "unknown")
tiles[3].metric("Crash-free sessions", widgets.format_number(crash_free * 100 if known and crash_free is not None else None, "%"),
                help="Since go-live; unknown without sessions (release health).")
if not known:
    st.caption(f"Sentry data is {widgets.STATE_LABELS[fresh.state].lower()}: these figures are unknown until collection works again.")

for heading, query, empty in (
    ("New issues since go-live, by impact", errors.new_issues, "No new issue since go-live."),
    ("Regressions", errors.regressions, "No regressed issue since go-live."),
):
    st.subheader(heading, anchor=False)
    issues = data.cached(query)(window, now)
    if issues.empty:
        st.info(empty if fresh.state != "never" else "No Sentry data yet.")
    else:
        # Titles come from outside: plain text cells, never markdown or HTML.
        st.dataframe(issue_rows(issues, window, errors.RECENT_HOURS), hide_index=True, width="stretch",
                     column_config={"title": st.column_config.TextColumn(width="large"),
                                    "link": st.column_config.LinkColumn("Sentry", display_text="open"),
                                    "first seen": st.column_config.DatetimeColumn(format="ddd D MMM HH:mm"),
                                    "last seen": st.column_config.DatetimeColumn(format="ddd D MMM HH:mm")})

st.subheader("Errors per hour against the same hours of the baseline", anchor=False)
per_hour = data.cached(errors.errors_per_hour)(window, now)
if per_hour.empty or per_hour["events"].isna().all():
    st.info("No error counts yet.")
else:
    st.plotly_chart(errors_per_hour_figure(per_hour, window), width="stretch")

st.subheader("Crash-free sessions", anchor=False)
sessions = data.cached(errors.crash_free)(window.span)
if sessions.empty:
    st.info("No release-health sessions: the crash-free rate is unknown (is session tracking on in the SDK?).")
else:
    st.plotly_chart(crash_free_figure(sessions, window), width="stretch")

st.subheader("Sentry data freshness", anchor=False)
widgets.freshness_table([fresh], window)
