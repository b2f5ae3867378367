"""The Health page's planned periods section: the list, and for a lead a form to mark a period
after the fact and a button to remove one marked here. Kept apart from the health figures."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import streamlit as st

from dashboard import data
from dashboard.figures.planned import planned_rows
from hypercare.auth.identity import PermissionDenied
from hypercare.outside_text import as_text
from hypercare.store.planned import PlannedPeriodError, mark_planned_period, remove_planned_period
from hypercare.store.queries.planned import planned_period_list

ALL = "All checks and the rules"
SOME = "Only some checks"


def planned_periods_section(check_names: tuple[str, ...]) -> None:
    context = data.ctx()
    tz = context.config.release.timezone
    st.subheader("Planned periods", anchor=False)
    st.caption("Cutovers and maintenance: results inside them stay stored but are left out of availability "
               "and the rules. Periods from the config file are removed by editing its [[planned_periods]] "
               "entries (the checks collector applies it on its next run); periods marked here are removed here.")
    if "planned_outcome" in st.session_state:
        kind, message = st.session_state.pop("planned_outcome")
        (st.success if kind == "ok" else st.error)(as_text(message))
    periods = data.cached(planned_period_list)()
    if periods.empty:
        st.info("No planned periods.")
    else:
        st.dataframe(planned_rows(periods, tz), hide_index=True, width="stretch")
    if not data.may("lead"):
        return
    with st.expander("Mark a planned period"):
        _mark_form(check_names, tz)
    here = periods[~periods["from_config"]]
    if not here.empty:
        labels = dict(zip(here["period_id"], planned_rows(here, tz).apply(
            lambda r: f"{r['from']} – {r['to']} · {r['covers']} · {r['reason']}", axis=1)))
        chosen = st.selectbox("A period marked here", list(labels), format_func=labels.get, key="planned_remove")
        st.button("Remove this planned period", on_click=_remove, args=(chosen,))


def _mark_form(check_names: tuple[str, ...], tz: str) -> None:
    scope = st.radio("Covers", (ALL, SOME), key="planned_scope", horizontal=True)
    if scope == SOME:
        st.multiselect("Checks", check_names, key="planned_checks")
    today = data.now().astimezone(ZoneInfo(tz)).date()
    with st.form("planned"):
        left, right = st.columns(2)
        left.date_input("Start date", value=today, key="planned_start_date")
        left.time_input("Start time", value=time(0, 0), step=timedelta(minutes=15), key="planned_start_time")
        right.date_input("End date", value=today, key="planned_end_date")
        right.time_input("End time", value=time(1, 0), step=timedelta(minutes=15), key="planned_end_time")
        st.text_input("Reason", key="planned_reason", placeholder="e.g. database failover, announced to users")
        st.caption(f"Times on the team's clock ({as_text(tz)}); recorded as {as_text(data.identity().actor)}, "
                   "with a note in the decision log.")
        st.form_submit_button("Mark as planned", on_click=_mark, args=(tz,), type="primary")


def _mark(tz: str) -> None:
    s, context = st.session_state, data.ctx()
    zone = ZoneInfo(tz)
    start = datetime.combine(s.planned_start_date, s.planned_start_time, zone)
    end = datetime.combine(s.planned_end_date, s.planned_end_time, zone)
    checks = None if s.planned_scope == ALL else list(s.get("planned_checks") or [])
    try:
        mark_planned_period(context.store, data.identity(), start, end, checks, s.planned_reason,
                            context.clock.now(), tz)
        s.planned_outcome = ("ok", "Planned period marked: availability and the rules leave it out from now on.")
        s.planned_reason = ""
    except (PlannedPeriodError, PermissionDenied) as exc:
        s.planned_outcome = ("error", f"Not marked: {exc}.")
    data.clear()


def _remove(period_id: str) -> None:
    s, context = st.session_state, data.ctx()
    try:
        remove_planned_period(context.store, data.identity(), period_id, context.clock.now(),
                              context.config.release.timezone)
        s.planned_outcome = ("ok", "Planned period removed: its results count again from now on.")
    except (PlannedPeriodError, PermissionDenied) as exc:
        s.planned_outcome = ("error", f"Not removed: {exc}.")
    data.clear()
