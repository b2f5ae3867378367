"""Errors: new Sentry issues since go-live by impact, regressions, errors per hour against the
baseline, crash-free sessions, and how fresh the Sentry data is."""

import streamlit as st

from dashboard import data, widgets
from dashboard.figures.errors import (
    crash_free_figure,
    errors_per_hour_figure,
    issue_rows,
)
from hypercare.outside_text import as_text
from hypercare.states import figure_state, sessions_state
from hypercare.store.queries import errors, freshness, sentry_server
from hypercare.store.queries.kpi import since_go_live_words
from hypercare.store.queries.triage import left_out

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
fresh = data.cached(freshness.source_freshness)(now, (("sentry", sentry.interval_seconds),))
if fresh[0].latest_ok is False:
    st.error(f"The last Sentry collection failed: {as_text(fresh[0].last_error)}")

summary = data.cached(errors.summary)(window, now)
state = figure_state(fresh, "Sentry", window, now)  # not started, stale, never collected: no figure stands
offer = data.cached(sentry_server.server_offer)()  # what this server (Sentry, GlitchTip) doesn't offer at all
users = offer.restrict("users", state)
sessions = offer.restrict("sessions", sessions_state(fresh, summary.sessions_ever))
crash_free = summary.crash_free_since_go_live
tiles = st.columns(4)
tiles[0].metric("New issues since go-live", f"{summary.new_issues:,}" if state.usable else state.shown_as)
tiles[1].metric("Users hit by new issues", summary.users_hit if users.usable else users.shown_as,
                help=users.reason if users.state == "not offered" else
                "From the most users one new issue hit (a lower bound) to the sum over issues (one person "
                "hit by two issues counts twice there).")
regressed = offer.restrict("regressions", state)
tiles[2].metric("Regressions", f"{summary.regressions:,}" if regressed.usable else regressed.shown_as,
                help=regressed.reason or None)
tiles[3].metric("Crash-free sessions", sessions.shown_as if not state.usable or not sessions.usable
                else widgets.format_number(None if crash_free is None else crash_free * 100, "%"),
                help="Since go-live; unknown without sessions (release health), never 100 %.")
if state.usable:
    tiles[0].caption(since_go_live_words(window, now) + left_out(summary.set_aside))
    if users.usable and summary.new_issues:
        tiles[1].caption("most hit by one issue – sum over issues" if summary.new_issue_users_max != summary.new_issue_users
                         else "by the one issue that hit most")
    tiles[3].caption(sessions.reason if not sessions.usable else "no sessions since go-live" if crash_free is None
                     else since_go_live_words(window, now))
    if offer.summary():
        st.caption(f"Partial: {offer.summary()}.")
else:
    st.caption(f"Sentry figures are {state.sentence()}.")

recent, earlier = errors.recent_hours(now)
for heading, query, empty, shown in (
    ("New issues since go-live, by impact", errors.new_issues, "No new issue since go-live.", state),
    ("Regressions", errors.regressions, "No regressed issue since go-live.", regressed),
):
    st.subheader(heading, anchor=False)
    if shown.state == "not offered":
        st.info(f"{heading}: {shown.sentence()}.")
        continue
    issues = data.cached(query)(window, now)
    # Titles come from outside: plain text cells, never markdown or HTML.
    table = issue_rows(issues, window, recent, earlier, offer)
    config = {"title": st.column_config.TextColumn(width="large"),
              "link": st.column_config.LinkColumn("link", display_text="open")}
    if not state.usable:
        st.info(f"{state.sentence().capitalize()}: the list is left out so it can't pass for the current one.")
        if len(issues):
            with st.expander(f"The {len(issues)} issues as last collected (may be out of date)"):
                st.dataframe(table, hide_index=True, width="stretch", column_config=config)
    elif issues.empty:
        st.info(empty)
    else:
        counted_issues = f"{len(issues)} issue{'' if len(issues) == 1 else 's'}"
        if query is errors.new_issues and summary.set_aside:  # the tile above leaves them out: say why it differs
            counted_issues += f" ({summary.set_aside} set aside in the triage inbox: listed, not counted above)"
        st.caption(f"{counted_issues} · trend: the last 3 complete hours {window.span_label(recent)} "
                   f"vs the 3 before ({window.span_label(earlier)}), {window.timezone}" if offer.offers("issue_stats")
                   else f"{counted_issues} · no hourly trend: {offer.state('issue_stats').reason}")
        st.dataframe(table, hide_index=True, width="stretch", column_config=config)

st.subheader("Errors per hour against the same hours of the baseline", anchor=False)
per_hour = data.cached(errors.errors_per_hour)(window, now)
counted = offer.restrict("error_counts", state)
if counted.state == "not offered":
    st.info(f"Errors per hour: {counted.sentence()}.")
elif per_hour.empty or per_hour["events"].isna().all():
    st.info("No error counts yet." if state.usable else f"Errors per hour are {state.sentence()}.")
else:
    if not state.usable:
        st.caption(f"{state.sentence().capitalize()}: hours after the last collection are missing.")
    st.plotly_chart(errors_per_hour_figure(per_hour, window), width="stretch")
    st.caption(f"Bars: errors per hour since go-live, on the {window.timezone} clock. Band and dashed line: the same "
               "hour on the days of the baseline (the same local hour last week when the baseline spans a week).")

st.subheader("Crash-free sessions", anchor=False)
if not sessions.usable:
    st.info(f"Crash-free rate: {sessions.sentence()}.")
else:
    per_hour_sessions = data.cached(errors.crash_free)(window.span)
    st.plotly_chart(crash_free_figure(per_hour_sessions, window), width="stretch")

st.subheader("Sentry data freshness", anchor=False)
widgets.freshness_table(fresh, window)
