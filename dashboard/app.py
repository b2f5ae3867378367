"""Entry script: page setup, the navigation (sections) and the shared sidebar chrome."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard import chrome, signin

HERE = Path(__file__).parent

st.set_page_config(page_title="Hypercare", page_icon=":material/monitor_heart:", layout="wide")

# Adding a page: one line here, in its section (README, "Adding a page").
PAGES = {
    "Monitor": [
        st.Page(HERE / "views/overview.py", title="Overview", icon=":material/dashboard:", default=True),
        st.Page(HERE / "views/errors.py", title="Errors", icon=":material/bug_report:"),
        st.Page(HERE / "views/health.py", title="Health", icon=":material/monitor_heart:"),
        st.Page(HERE / "views/tickets.py", title="Tickets", icon=":material/support_agent:"),
        st.Page(HERE / "views/readiness.py", title="Readiness", icon=":material/checklist:"),
    ],
    "Respond": [
        st.Page(HERE / "views/triage.py", title="Triage", icon=":material/inbox:"),
        st.Page(HERE / "views/incidents.py", title="Incidents & escalation", icon=":material/emergency:"),
        st.Page(HERE / "views/decisions.py", title="Decisions", icon=":material/gavel:"),
    ],
    "Report": [st.Page(HERE / "views/report.py", title="Stakeholder report", icon=":material/summarize:")],
}

who = signin.gate()  # nothing below runs for someone not signed in or without a role
navigation = st.navigation(PAGES)
chrome.sidebar()
with st.sidebar:
    signin.who_block(who)
chrome.run_page(navigation)
