"""The data-migration reconciliation section (for the bottom of a page): the latest result of each
`[[reconcile]]` check and their history. Kept apart from the page it sits on."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from dashboard import data
from dashboard.figures.reconcile import history_figure, latest_table
from hypercare.states import figure_state
from hypercare.store.queries import freshness, reconcile

HISTORY_BEFORE_GO_LIVE = timedelta(hours=24)  # migration rehearsals and the cutover itself


def reconcile_section() -> None:
    context = data.ctx()
    names = tuple(r.name for r in context.config.reconcile)
    st.subheader("Data-migration reconciliation", anchor=False)
    if not names:
        st.info("No reconciliation checks configured: add [[reconcile]] entries to the config (see the README, "
                "\"[[reconcile]]\") to compare the migrated data with its source.")
        return
    st.caption("Each check reads one number from the source and one from the target database "
               "(read-only, with a statement timeout); the difference is target − source.")
    now = data.now()
    sources = tuple(s for s in context.config.sources() if s[0] == "reconcile")
    state = figure_state(data.cached(freshness.source_freshness)(now, sources), "reconciliation")
    latest = data.cached(reconcile.latest_results)(now)
    latest = latest[latest["name"].isin(names)]
    if latest.empty:
        st.info("No reconciliation results yet: they appear after the reconcile collector's first run "
                "(`hypercare serve`, or `hypercare collect --once --only reconcile`).")
        return
    if not state.usable:
        st.warning(f"Reconciliation results are {state.sentence()}. The values below are from the last runs "
                   "and may be out of date until the reconcile collector works again (the Overview's Freshness "
                   "table says why).")
    st.dataframe(latest_table(latest, context.config.release.tz, now, state), hide_index=True, width="stretch")
    window = context.window()
    if window is None:  # the chart marks go-live; the table above stands without it
        return
    history = data.cached(reconcile.history)(window.go_live_at - HISTORY_BEFORE_GO_LIVE, now + timedelta(seconds=1), names)
    if history.empty:
        return
    start = min(history["checked_at"].min().to_pydatetime(), window.go_live_at) - timedelta(hours=1)
    st.plotly_chart(history_figure(history, window, start, now), width="stretch")
    st.caption("Target − source of each check since the day before go-live; 0 is a match. Red dots differed "
               "beyond the check's tolerance; a grey × marks a run whose side failed (no value, so the line "
               "breaks there).")
