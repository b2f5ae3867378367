"""Readiness: the go-live checklist by stage (owner, due, state, evidence), ticked here by
responders and leads, with its audit log; the reconciliation checks below it."""

import streamlit as st

from dashboard import data
from dashboard.checklist import checklist_states
from dashboard.reconcile import reconcile_section
from dashboard.figures.readiness import by_stage, item_rows, log_rows, stage_figure, table_height
from hypercare.auth.identity import PermissionDenied
from hypercare.outside_text import as_text
from hypercare.readiness.checklist import STAGE_WORDS, summarise
from hypercare.readiness.checklist_actions import ChecklistError, tick, untick
from hypercare.store.queries.readiness import checklist_log

context = data.ctx()
window = context.window()
tz = context.config.release.tz
items = context.config.checklist
now = data.now()

st.title("Readiness", anchor=False)
COLUMNS = {"item": st.column_config.TextColumn(width="large"), "state": st.column_config.TextColumn(width=110),
           "due": st.column_config.TextColumn(width=140), "owner": st.column_config.TextColumn(width=220),
           "how": st.column_config.TextColumn(width="large")}


def change() -> None:
    """Form callback: tick or un-tick the chosen item as the signed-in person, before the rerun renders."""
    s, at = st.session_state, context.clock.now()
    title = s.checklist_item
    try:
        if s.checklist_action == "tick":
            done = tick(context.store, data.identity(), items, title, at, s.get("checklist_note", ""))
            s.checklist_outcome = ("ok", f"Ticked: {title}." if done else f"{title} was ticked already; nothing recorded.")
        else:
            done = untick(context.store, data.identity(), items, title, at, s.get("checklist_reason", ""))
            s.checklist_outcome = ("ok", f"Un-ticked: {title}." if done else f"{title} was not ticked; nothing recorded.")
        s.checklist_note = s.checklist_reason = ""
    except (ChecklistError, PermissionDenied) as exc:
        s.checklist_outcome = ("error", f"Not recorded: {exc}")
    data.clear()


def tick_form(states) -> None:
    manual = {s.title: s for s in states if s.manual}
    if not manual:
        return
    st.subheader("Tick or un-tick an item", anchor=False)
    titles = list(manual)
    first_open = next((i for i, t in enumerate(titles) if not manual[t].done), 0)
    title = st.selectbox("Item", titles, index=first_open, key="checklist_item",
                         format_func=lambda t: f"{t} ({'done' if manual[t].done else manual[t].state})")
    ticked = manual[title].done
    st.session_state.checklist_action = "untick" if ticked else "tick"
    with st.form("checklist_change"):
        if ticked:
            st.text_area("Reason", key="checklist_reason", placeholder="Why it is not done after all (required)")
        else:
            st.text_input("Note", key="checklist_note", placeholder="Optional: what was done, where the proof is")
        st.caption(f"Recorded as {as_text(data.identity().actor)}.")
        verb = "Un-tick" if ticked else "Tick"
        st.form_submit_button(f"{verb} “{title}”", on_click=change, type="primary")


def checklist() -> None:
    states = data.cached(checklist_states)(window, now)
    summary = summarise(states)
    where = window.label(now) if window else "go-live instant not known yet"
    st.caption(f"{where} · checklist {summary.done} of {summary.total} done · {summary.overdue} overdue. Items with "
               "evidence tick themselves while the signal holds; the others are ticked here by a responder or lead.")
    if "checklist_outcome" in st.session_state:
        kind, message = st.session_state.pop("checklist_outcome")
        (st.success if kind == "ok" else st.error)(as_text(message))
    st.plotly_chart(stage_figure(states), width="stretch")
    stages = by_stage(states)
    if window is not None and now >= window.go_live_at and "after" in stages:  # what is still to do comes first
        stages = {"after": stages.pop("after"), **stages}
    for stage, shown in stages.items():
        done = sum(s.done for s in shown)
        st.subheader(f"{STAGE_WORDS[stage]} — {done} of {len(shown)} done", anchor=False)
        st.dataframe(item_rows(shown, tz, now), hide_index=True, width="stretch", height=table_height(len(shown)),
                     column_config=COLUMNS)
    if data.may("responder"):
        tick_form(states)
    else:
        st.info("Ticking items needs the responder role; everyone can read the checklist.")
    log = data.cached(checklist_log)(now)
    with st.expander(f"Ticks and un-ticks, newest first ({len(log)})"):
        if log.empty:
            st.caption("Nothing ticked yet.")
        else:
            st.dataframe(log_rows(log, tz), hide_index=True, width="stretch")


if items:
    checklist()
else:
    st.info("No checklist configured: add [[checklist]] entries to the config (see the README, \"[[checklist]]\").")

reconcile_section()  # the data-migration reconciliation checks (dashboard/reconcile.py)
