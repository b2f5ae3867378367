"""Incidents & escalation: what is about to breach, who owns what, actions with an audit log."""

import streamlit as st

from dashboard import widgets
from dashboard.data import cached, clear, ctx, identity, may, now
from dashboard.figures.incidents import (
    notification_rows,
    open_rows,
    response_words,
    timeline_rows,
    unresolved_by_severity,
)
from hypercare.auth.identity import PermissionDenied
from hypercare.incidents import actions as incidents
from hypercare.incidents.escalation import SEVERITIES, describe_minutes, in_hypercare
from hypercare.outside_text import as_text
from hypercare.store.queries import incidents as q
from hypercare.window import Window

st.title("Incidents & escalation")
context, t = ctx(), now()
window = context.window()
# Times in the team's zone with the weekday; before the go-live instant is known, a window of the zone alone.
shown_in = window or Window(t, timezone=context.config.release.timezone)


# The button says what it will do to which incident, so a click can't land elsewhere.
BUTTONS = {
    "acknowledge": "Acknowledge {}", "assign owner": "Assign an owner to {}", "escalate": "Escalate {}",
    "change severity": "Change the severity of {}", "mitigate": "Mark {} mitigated", "resolve": "Resolve {}",
    "reopen": "Reopen {}", "add note": "Add the note to {}",
}


def act(action: str, incident_id: str, seen_version: int) -> None:
    """Form callback: `action` on the incident the page showed, refused if it changed since.
    Runs before the rerun renders, so the page shows the change at once."""
    s = st.session_state
    try:
        inc = incidents.perform(context.store, incident_id, action, identity=identity(), now=context.clock.now(),
                                owner=s.get("owner"), severity=s.get("severity"), note=s.note,
                                seen_version=seen_version)
        s.outcome = ("ok", f"{inc.incident_id}: {action} recorded.")
    except (incidents.IncidentError, PermissionDenied) as exc:
        s.outcome = ("error", f"{exc}.")
    clear()


def open_new() -> None:
    s = st.session_state
    try:
        inc = incidents.open_incident(context.store, context.config, title=s.new_title, severity=s.new_severity,
                                      identity=identity(), now=context.clock.now(), note=s.new_note)
        s.outcome = ("ok", f"{inc.incident_id}: open recorded.")
    except (incidents.IncidentError, PermissionDenied) as exc:
        s.outcome = ("error", f"{exc}.")
    clear()


counts = cached(q.incident_counts)()
unresolved = unresolved_by_severity(counts)  # the same table as at the bottom: tiles and table agree
cols = st.columns(len(SEVERITIES) + 2)
for col, sev in zip(cols, SEVERITIES):
    col.metric(f"Unresolved {sev}", unresolved[sev][0])
    col.caption(unresolved[sev][1] or "none")
if window is not None:
    rt = cached(q.response_times)(window.go_live_at, window.end)
    cols[-2].metric("MTTA (window)", "none yet" if rt.mtta_minutes is None else describe_minutes(rt.mtta_minutes))
    cols[-2].caption(response_words(rt.opened, rt.acknowledged, "acknowledged"))
    cols[-1].metric("MTTR (window)", "none yet" if rt.mttr_minutes is None else describe_minutes(rt.mttr_minutes))
    cols[-1].caption(response_words(rt.opened, rt.resolved, "resolved"))

if "outcome" in st.session_state:
    kind, message = st.session_state.pop("outcome")
    (st.success if kind == "ok" else st.error)(as_text(message))  # may hold names and titles

st.subheader("Unresolved incidents, most urgent first", anchor=False)
st.caption("Hypercare targets in force." if in_hypercare(window, t) else "Normal targets in force.")
open_now = cached(q.open_incidents)(t, in_hypercare(window, t))
if open_now.empty:
    st.info("No unresolved incidents.")
else:
    st.dataframe(open_rows(open_now, shown_in), hide_index=True)

everything = cached(q.all_incidents)()
acts = may("responder")
if everything.empty:
    st.info("No incidents yet" + (": open one below, or the auto-open rules will when a signal crosses its threshold."
                                   if acts else "."))
else:
    st.subheader("Act on an incident" if acts else "Incident history", anchor=False)
    # Options are ids and their labels never change, so the choice stays put when the list reorders.
    shown = everything.set_index("incident_id")
    chosen = st.selectbox("Incident", list(shown.index), key="incident",
                          format_func=lambda i: f"{i} · {shown.at[i, 'title']}")
    seen = shown.loc[chosen]
    st.caption(as_text(f"{chosen} is {seen.status}, {seen.severity}, level {seen.level}, "
                       f"owner {seen.owner if isinstance(seen.owner, str) else 'nobody'}."))
    if acts:
        action = st.selectbox("Action", incidents.actions_for(seen.status), key="action")
        with st.form("act"):
            if action == "assign owner":
                st.text_input("Owner", key="owner")
            if action == "change severity":
                st.selectbox("Severity", SEVERITIES, key="severity")
            st.text_area("Note (required)" if action == "add note" else "Note", key="note")
            st.caption(f"Recorded as {as_text(identity().actor)}.")
            st.form_submit_button(BUTTONS[action].format(chosen), on_click=act, type="primary",
                                  args=(action, chosen, int(seen.version)))
    st.markdown("**Timeline**")
    timeline = timeline_rows(cached(q.incident_timeline)(chosen), shown_in)
    st.dataframe(timeline, hide_index=True)
    widgets.csv_download(timeline, f"Download {chosen}'s timeline (CSV)", f"{chosen}-timeline.csv", key="timeline_csv")
    st.markdown("**Notifications**")
    st.dataframe(notification_rows(cached(q.incident_notifications)(chosen), shown_in), hide_index=True)

if acts:
    with st.expander("Open an incident"), st.form("open"):
        st.text_input("Title", key="new_title")
        st.selectbox("Severity", SEVERITIES, index=2, key="new_severity")
        st.text_area("What is known", key="new_note")
        st.caption(f"Recorded as {as_text(identity().actor)}.")
        st.form_submit_button("Open incident", on_click=open_new)

st.subheader("Incidents by severity and state", anchor=False)
st.dataframe(cached(q.incident_counts)())
