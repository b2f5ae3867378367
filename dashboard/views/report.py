"""Report: the stakeholder report as it is sent, both formats to download, past shift reports."""

from functools import partial
from pathlib import Path

import streamlit as st
import streamlit.components.v1 as components

from dashboard import data
from hypercare.report import output, schedule
from hypercare.report.text import when
from hypercare.store.queries import report as report_queries

context = data.ctx()
window = context.window()
config = context.config
st.title("Stakeholder report", anchor=False)
if window is None:
    st.warning("The go-live instant is not known yet: set release.go_live_at in the config.")
    st.stop()

now = data.now()
html, markdown = data.cached(output.documents)(config, window, now)
stem = schedule.file_stem(config.release.name, now, window)
left, right, _ = st.columns([1, 1, 2])
# callables: the ~5 MB file goes to the browser on a click, not with every rerun
left.download_button("HTML report", lambda: html, f"{stem}.html", "text/html", on_click="ignore", icon=":material/download:",
                     help="One self-contained file: opens offline in any browser; print it to PDF for A4 pages.")
right.download_button("Markdown summary", lambda: markdown, f"{stem}.md", "text/markdown", on_click="ignore",
                      icon=":material/download:", help="Short enough to paste into a Slack or Teams message.")

with st.expander("Shift reports written by `hypercare serve`", expanded=True):
    past = data.cached(report_queries.shift_reports)()
    slots = schedule.slots(config.report, window)
    following = schedule.next_after(slots, now)
    st.caption(f"Next: {when(following, window.timezone)}." if following else
               "No shift report is scheduled: set [report] at or every_hours in the config.")
    for row in past.itertuples():
        posted = {True: " · posted", False: " · not posted yet"}.get(row.posted, "")
        label, html_button, md_button = st.columns([2, 1, 1])
        label.text(f"{when(row.slot, window.timezone)} · {row.kind} report{posted}")
        for column, path, kind in ((html_button, Path(row.html_path), "HTML"), (md_button, Path(row.md_path), "Markdown")):
            if path.exists():
                column.download_button(kind, partial(path.read_bytes), path.name, on_click="ignore", key=f"{kind}-{path.name}")
            else:
                column.caption(f"{kind} file missing")

components.html(html, height=2700, scrolling=True)
