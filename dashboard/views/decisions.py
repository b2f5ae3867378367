"""Decisions: record go / no-go / rollback / continue / extend / exit / note with the evidence of the
moment frozen beside it; the log, newest first, with each decision's evidence; a CSV of the log."""

import streamlit as st

from dashboard import data
from dashboard.figures.decisions import choice_label, kpi_rows, log_csv, log_rows, rule_rows
from hypercare.auth.identity import PermissionDenied
from hypercare.decisions import KINDS, DecisionError, record_decision
from hypercare.decisions.evidence import freeze, frozen_evaluation
from hypercare.decisions.model import KIND_HELP
from hypercare.decisions.queries import decision_evidence, decision_log
from hypercare.outside_text import as_text

context = data.ctx()
window = context.window()
tz = context.config.release.timezone

st.title("Decisions", anchor=False)
if window is not None:
    st.caption(f"Window: {window.label(data.now())} · {window.describe()}. An extend decision makes it longer, "
               "an exit decision ends it: every page, rule and command follows.")


def record() -> None:
    """Form callback: record the decision with the evidence of this moment, before the rerun renders."""
    s, now = st.session_state, context.clock.now()
    try:
        decision = record_decision(
            context.store, data.identity(), s.kind, s.summary, s.reason, now,
            hours=s.get("hours") if s.kind == "extend" else None,
            evidence=lambda cur: freeze(cur, context.config, context.window(as_of=now), now))
        s.outcome = ("ok", f"Recorded: {decision.kind} — {decision.summary}, with the evidence of this moment.")
        s.summary = s.reason = ""
    except (DecisionError, PermissionDenied) as exc:
        s.outcome = ("error", f"Not recorded: {exc}.")
    data.clear()


if "outcome" in st.session_state:
    kind, message = st.session_state.pop("outcome")
    (st.success if kind == "ok" else st.error)(as_text(message))

if data.may("lead"):
    st.subheader("Record a decision", anchor=False)
    chosen = st.selectbox("Kind", KINDS, key="kind", format_func=lambda k: f"{k} — {KIND_HELP[k]}")
    with st.form("decide"):
        st.text_input("Summary", key="summary", placeholder="What was decided, in one line")
        st.text_area("Reason", key="reason", placeholder="Why (optional for a note)")
        if chosen == "extend":
            st.number_input("Hours to add to the window", min_value=1.0, max_value=720.0, value=12.0, step=1.0, key="hours")
        st.caption(f"Recorded as {as_text(data.identity().actor)}; the status, KPI tiles and open incidents of this "
                   "moment are frozen with it.")
        st.form_submit_button(f"Record {chosen}", on_click=record, type="primary")
else:
    st.info("Recording decisions needs the lead role; everyone can read the log.")

log = data.cached(decision_log)()
st.subheader("Decision log, newest first", anchor=False)
if log.empty:
    st.info("No decisions recorded yet.")
    st.stop()
st.dataframe(log_rows(log, tz), hide_index=True, width="stretch")
st.download_button("Download the log (CSV)", log_csv(log, tz), "decisions.csv", "text/csv")

st.subheader("Evidence frozen with a decision", anchor=False)
labels = {row["decision_id"]: choice_label(row, tz) for row in log.to_dict("records")}
picked = st.selectbox("Decision", list(labels), format_func=labels.get, key="evidence_of")
evidence = data.cached(decision_evidence)(picked) or {}
evaluation = frozen_evaluation(evidence)
if evaluation is not None:
    st.markdown(f"**Status then: {evaluation.status.upper()}** — {as_text(evaluation.headline)}")
    st.caption("Every rule and exit criterion as it was evaluated then.")
    st.dataframe(rule_rows(evaluation, tz), hide_index=True, width="stretch")
if evidence.get("kpis") or evidence.get("open_incidents"):
    st.caption("The KPI tiles and open incidents then.")
    st.dataframe(kpi_rows(evidence), hide_index=True, width="stretch")
if evidence.get("checklist"):
    frozen = evidence["checklist"]
    still = f"; still open: {', '.join(frozen['open'])}" if frozen["open"] else ""
    st.caption(as_text(f"The go-live checklist then: {frozen['done']} of {frozen['total']} done, "
                       f"{frozen['overdue']} overdue{still}."))
if not evidence:
    st.info("No evidence was recorded with this decision.")
with st.expander("The evidence as stored (JSON)"):
    st.json(evidence)
