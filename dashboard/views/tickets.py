"""Tickets: per hour against the baseline by priority or category, the technical/usage mix,
top labels, the newest P1/P2 tickets and each source's freshness."""

import streamlit as st

from dashboard import data, widgets
from dashboard.figures.tickets import hourly_figure, labels_figure, mix_figure, urgent_rows
from hypercare.states import figure_state
from hypercare.store.queries import freshness, tickets, triage
from hypercare.store.queries.kpi import since_go_live_words, unless_stale

context = data.ctx()
window = context.window()
st.title("Support tickets", anchor=False)
if window is None:
    st.warning("The go-live instant is not known yet: set release.go_live_at in the config.")
    st.stop()
sources = tuple(s for s in context.config.sources() if s[0].startswith("tickets:"))
if not sources:
    st.info("No ticket source configured: add a [[tickets]] entry (jira, zendesk, github or csv) to the config.")
    st.stop()

now = data.now()
fresh = data.cached(freshness.source_freshness)(now, sources)
state = figure_state(fresh, "ticket")  # stale or never collected: shares and lists are unknown, never a calm 0
before = window.phase(now) == "pre-go-live"
# Before go-live the mix, labels and P1/P2 describe the baseline week, and say so.
period = window.baseline if before else window.elapsed(now)
period_words = (f"the baseline week {window.span_label(period, '%a %d %b %H:%M')} (the window has not started)"
                if before else since_go_live_words(window, now))
mix = data.cached(tickets.ticket_mix)(period, data.cached(triage.set_aside)(now))  # set-aside tickets counted apart
tiles = st.columns(3)
with tiles[0]:
    widgets.kpi_tile(unless_stale(data.cached(tickets.since_go_live)(window, now), fresh, "ticket"))
for column, category, label in ((tiles[1], "usage", "Usage questions"), (tiles[2], "technical", "Technical problems")):
    share = mix.share(category)
    column.metric(label, state.shown_as if not state.usable else "none" if share is None else f"{share:.0%}")
    column.caption(f"share of tickets created {period_words}")
if state.usable:
    st.text(mix.summary)
    if mix.total:
        st.plotly_chart(mix_figure(mix), width="stretch")
else:
    st.info(f"Tickets are {state.sentence()}: shares, labels and the P1/P2 list are left out until it works again.")

by = st.segmented_control("Split by", ["priority", "category"], default="priority") or "priority"
st.caption("Tickets created per hour since go-live; the dashed line is the same hour last week.")
st.plotly_chart(hourly_figure(data.cached(tickets.hourly_tickets)(window, now, by), window), width="stretch")

if state.usable:
    left, right = st.columns([2, 3])
    with left:
        st.subheader("Top labels", anchor=False)
        st.caption(f"tickets created {period_words}")
        labels = data.cached(tickets.top_labels)(period)
        if len(labels):
            st.plotly_chart(labels_figure(labels), width="stretch")
        else:
            st.text("No labels in this period.")
    with right:
        st.subheader("Newest P1 / P2", anchor=False)
        urgent = data.cached(tickets.urgent_tickets)(period)
        total = data.cached(tickets.urgent_ticket_count)(period)
        st.caption(f"the newest {len(urgent)} of {total} P1/P2 tickets created {period_words}" if total
                   else f"created {period_words}")
        if len(urgent):
            st.dataframe(urgent_rows(urgent, window), hide_index=True, width="stretch", column_config={
                "url": st.column_config.LinkColumn("link", display_text="open"),
            })
        else:
            st.text("No P1 or P2 tickets in this period.")

unmapped = data.cached(tickets.unmapped_values)(period)
if len(unmapped):
    st.warning("Some values are not in the mappings; they are kept raw. Add them to categories, priorities "
               "or statuses of the [[tickets]] entry.")
    st.dataframe(unmapped, hide_index=True, width="stretch")

st.subheader("Data freshness", anchor=False)
widgets.freshness_table(fresh, window)
