"""Triage: one ranked list of what needs a person now, each score in its parts, and the actions
(open an incident, link to one, set aside) with what was set aside and the log."""

from datetime import timedelta

import streamlit as st

from dashboard import data
from dashboard.figures.triage import SOURCE_WORDS, SOURCES, score_rows
from dashboard.triage_inbox import inbox_listing, triage_log
from hypercare.auth.identity import PermissionDenied
from hypercare.incidents.actions import IncidentError
from hypercare.incidents.escalation import SEVERITIES
from hypercare.outside_text import as_text
from hypercare.store.queries import incidents as incident_queries
from hypercare.triage import actions as triage
from hypercare.triage.state import RETURN_RATIO
from hypercare.triage.view import Entry
from hypercare.window import Window

OPEN, LINK, ASIDE, BACK = "open an incident", "link to an open incident", "set aside", "bring back"
BUTTONS = {OPEN: "Open the incident", LINK: "Link the item", ASIDE: "Set aside", BACK: "Bring it back into the inbox"}
FOR_HOURS = {"no end": None, "4 h": 4, "12 h": 12, "24 h": 24, "48 h": 48}

st.title("Triage inbox")
context, t = data.ctx(), data.now()
window = context.window()
shown_in = window or Window(t, timezone=context.config.release.timezone)  # the team's zone before go-live is known

listing = inbox_listing(t)
# set-aside items due back: their return goes on record; the cache is cleared only when one was written
# (a read-only copy writes none: clearing anyway would rebuild the inbox on every rerun)
if listing.due_back and triage.settle_returns(context.store, [listing.entries[k].item for k in listing.due_back], t):
    data.clear()


def offered(entry: Entry) -> list[str]:
    """The actions that apply to the item as it stands."""
    state = entry.state
    if state.state == "set aside":
        return [BACK] + ([OPEN, LINK] if entry.item is not None and entry.source != "incidents" else [])
    if entry.source == "incidents":
        return [ASIDE]
    if state.state == "has incident" and state.incident_status != "resolved":
        return [ASIDE, LINK]  # it has its incident: setting it aside is likelier than another link
    return [OPEN, LINK, ASIDE]


def act(action: str, key: str) -> None:
    """Form callback: runs before the rerun renders, so the page shows the change at once."""
    s, entry, now = st.session_state, listing.entries[key], context.clock.now()
    who = data.identity()
    try:
        if action == OPEN:
            inc = triage.open_incident(context.store, context.config, entry.item, identity=who, now=now,
                                       title=s.triage_title, severity=s.triage_severity, note=s.triage_note)
            s.triage_outcome = ("ok", f"{inc.incident_id} opened from the item.")
        elif action == LINK:
            state = triage.link(context.store, entry.item, s.triage_incident, identity=who, now=now)
            s.triage_outcome = ("ok", f"Linked to {state.incident_id}.")
        elif action == ASIDE:
            hours = FOR_HOURS[s.triage_for]
            triage.set_aside(context.store, entry.item, s.triage_kind, s.triage_reason, identity=who, now=now,
                             until=None if hours is None else now + timedelta(hours=hours))
            s.triage_outcome = ("ok", f"Set aside as {s.triage_kind}.")
        else:
            triage.bring_back(context.store, key, identity=who, now=now)
            s.triage_outcome = ("ok", "Back in the inbox.")
    except (IncidentError, PermissionDenied) as exc:  # TriageError is one too
        s.triage_outcome = ("error", f"{exc}.")
    data.clear()


cols = st.columns(3)
cols[0].metric("Untriaged", listing.untriaged, help="Items nobody has opened an incident for, linked or set aside")
cols[1].metric("With an incident", listing.with_incident)
cols[2].metric("Set aside", len(listing.aside_keys), help="Left out of the inbox and of the new-issue and ticket counts")

if "triage_outcome" in st.session_state:
    kind, message = st.session_state.pop("triage_outcome")
    (st.success if kind == "ok" else st.error)(as_text(message))  # may hold titles and names

sources = st.multiselect("Sources", SOURCES, default=list(SOURCES), key="triage_sources",
                         format_func=lambda s: f"{SOURCE_WORDS[s]} ({listing.counts[s]})")
table, shown = listing.shown(sources)
st.caption("Ranked by score (README, Triage inbox: users, rate, trend, severity, new since go-live, age); "
           "equal scores: the most recently seen first.")
if shown:
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "score": st.column_config.NumberColumn("score", format="%.1f", help="The sum of the parts: choose the item "
                                               "below to see them"),
        "rank": st.column_config.NumberColumn("rank", width=50),
        "title": st.column_config.TextColumn("title", width="medium"),  # the whole row fits at 1,400 px
        "link": st.column_config.LinkColumn("link", display_text="open"),
    })
else:
    st.info("Nothing in the inbox" + (" from these sources." if len(sources) < len(SOURCES) else "."))

choices = shown + list(listing.aside_keys)
if choices:
    acts = data.may("responder")
    st.subheader("Act on an item" if acts else "An item's score", anchor=False)
    key = st.selectbox("Item", choices, key="triage_item", format_func=listing.labels.__getitem__)
    entry = listing.entries[key]
    st.caption(as_text(f"{entry.title} — {entry.state.words}"))
    if entry.item is not None:
        with st.expander(f"Score {entry.item.score.total:.1f} in its parts", expanded=True):
            st.dataframe(score_rows(entry.item.score), hide_index=True, width="stretch")
    else:
        st.caption("Not among the current items any more; shown as it was when set aside.")
    if acts:
        action = st.radio("Action", offered(entry), key="triage_action", horizontal=True)
        with st.form("triage_act"):
            if action == OPEN:
                st.text_input("Title", value=entry.title, key="triage_title")
                st.selectbox("Severity (suggested from the score)", SEVERITIES, key="triage_severity",
                             index=SEVERITIES.index(entry.item.suggested_severity)
                             if entry.item.suggested_severity in SEVERITIES else len(SEVERITIES) - 1)
                st.text_area("What is known", key="triage_note")
            elif action == LINK:
                open_now = data.cached(incident_queries.open_incidents)(t, False)
                titles = dict(zip(open_now["incident_id"], open_now["title"])) if len(open_now) else {}
                ids = [i for i in titles if i != entry.state.incident_id]  # not the one it is linked to
                st.selectbox("Open incident", ids, key="triage_incident", format_func=lambda i: f"{i} · {titles[i]}")
            elif action == ASIDE:
                kinds = ["known", "accepted"] if data.may("lead") else ["known"]
                st.selectbox("As", kinds, key="triage_kind",
                             help="known: being handled or understood; accepted (leads): a risk we live with")
                st.text_area("Reason (required)", key="triage_reason")
                st.selectbox("For", list(FOR_HOURS), key="triage_for")
                st.caption(f"It comes back when its score without age rises {RETURN_RATIO - 1:.0%} above "
                           f"{entry.item.score.without_age:.1f}, or when the time is up.")
            st.caption(f"Recorded as {as_text(data.identity().actor)}.")
            disabled = action == LINK and not ids
            st.form_submit_button(BUTTONS[action], type="primary", on_click=act, args=(action, key), disabled=disabled)
            if disabled:
                st.caption("No other incident is open: open one from the item instead.")

st.subheader("Set aside", anchor=False)
st.caption(f"Left out of the inbox and of the new-issue and ticket counts (Overview, rules, report) until the "
           f"time is up or the score without age rises {RETURN_RATIO - 1:.0%} above its value when set aside.")
if listing.aside_keys:
    st.dataframe(listing.aside, hide_index=True, width="stretch",
                 column_config={c: st.column_config.TextColumn(c, width="medium") for c in ("title", "reason")})
else:
    st.text("Nothing is set aside.")

st.subheader("Triage log", anchor=False)
log = data.cached(triage_log)(shown_in)
if len(log):
    st.dataframe(log, hide_index=True, width="stretch",
                 column_config={c: st.column_config.TextColumn(c, width="medium") for c in ("item", "reason")})
else:
    st.text("No triage action yet.")
