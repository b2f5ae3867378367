"""The Overview's status block: the verdict as one plain sentence, its reasons, exit progress and
the status history strip. Kept apart from the KPI tiles so each can change on its own."""

from __future__ import annotations

from datetime import datetime

import duckdb
import streamlit as st

from dashboard import data
from dashboard.figures.status import status_strip_figure
from hypercare.outside_text import as_text
from hypercare.store.queries.status import status_history
from hypercare.verdict import Evaluation, evaluate
from hypercare.verdict.status import exit_words, reasons, sentence, summary
from hypercare.window import Window

BOXES = {"red": st.error, "amber": st.warning, "unknown": st.info, "green": st.success}


def current_evaluation(cur: duckdb.DuckDBPyConnection, window: Window, now: datetime) -> Evaluation:
    """The verdict at `now` under the running config (cached per rounded `now` by the page)."""
    return evaluate(cur, data.ctx().config, window, now)


def status_block(window: Window, now: datetime) -> None:
    evaluation = data.cached(current_evaluation)(window, now)
    BOXES[evaluation.status](as_text(summary(evaluation, window.tz)))
    listed = reasons(evaluation)
    if listed:
        with st.expander(f"Reasons ({len(listed)})", expanded=evaluation.status in ("red", "amber")):
            for result in listed:
                mark = "met" if result.met else "no data"
                st.markdown(f"- **{result.level} · {mark}** — " + as_text(sentence(result, window.tz)))
    if evaluation.builtin:
        st.caption("Rules: the built-in set (no [[rules]] in the config; see the README).")
    if evaluation.exit:
        ready = sum(p.ready for p in evaluation.exit)
        st.caption(f"Exit criteria: {ready} of {len(evaluation.exit)} held"
                   + (" — ready to exit hypercare" if evaluation.ready_to_exit else ""))
        for column, progress in zip(st.columns(len(evaluation.exit)), evaluation.exit):
            with column:
                st.progress(min(progress.held_hours / progress.hold_hours, 1.0), text=as_text(exit_words(progress)))
    history = data.cached(status_history)(window.span)
    st.plotly_chart(status_strip_figure(history, window), width="stretch")
