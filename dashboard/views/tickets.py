"""Tickets: per hour against the baseline by priority or category, the technical/usage mix,
top labels, the newest P1/P2 tickets and each source's freshness."""

import streamlit as st

from dashboard import data, widgets
from dashboard.figures.tickets import hourly_figure, labels_figure, mix_figure
from hypercare.store.queries import freshness, tickets
from hypercare.store.queries.kpi import unless_stale

context = data.ctx()
window = context.window()
st.title("Support tickets", anchor=False)
if window is None:
    st.warning("The go-live instant is not known yet: set release.go_live_at in the config.")
    st.stop()
sources = tuple(s for s in context.config.sources() if s[0].startswith("tickets:"))
if not sources:
    st.info("No ticket source configured: add a [[tickets]] entry (jira, zendesk, github or csv) to the config.")

now = data.now()
fresh = data.cached(freshness.source_freshness)(now, sources)
period = window.baseline if window.phase(now) == "pre-go-live" else window.elapsed(now)
mix = data.cached(tickets.ticket_mix)(period)
tiles = st.columns(3)
with tiles[0]:
    widgets.kpi_tile(unless_stale(data.cached(tickets.since_go_live)(window, now), fresh, "ticket"))
tiles[1].metric("Usage questions", "–" if mix.total == 0 else f"{mix.share('usage'):.0%}")
tiles[2].metric("Technical problems", "–" if mix.total == 0 else f"{mix.share('technical'):.0%}")
st.text(mix.summary)
if mix.total:
    st.plotly_chart(mix_figure(mix), width="stretch")

by = st.segmented_control("Split by", ["priority", "category"], default="priority") or "priority"
st.plotly_chart(hourly_figure(data.cached(tickets.hourly_tickets)(window, now, by), window), width="stretch")

left, right = st.columns([2, 3])
with left:
    st.subheader("Top labels", anchor=False)
    labels = data.cached(tickets.top_labels)(period)
    if len(labels):
        st.plotly_chart(labels_figure(labels), width="stretch")
    else:
        st.text("No labels in this period.")
with right:
    st.subheader("Newest P1 / P2", anchor=False)
    urgent = data.cached(tickets.urgent_tickets)(period)
    if len(urgent):
        st.dataframe(urgent, hide_index=True, width="stretch", column_config={
            "created_at": st.column_config.DatetimeColumn("created", format="ddd D MMM HH:mm", timezone=window.timezone),
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
