"""Small rendering helpers shared by pages: KPI tiles and the freshness table."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from hypercare.outside_text import neutralise_frame
from hypercare.store.queries.freshness import Freshness
from hypercare.store.queries.kpi import Kpi
from hypercare.store.queries.triage import left_out
from hypercare.window import Window

STATE_LABELS = {"fresh": "fresh", "stale": "STALE", "never": "never collected"}


def format_number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "unknown"
    if unit == "%":
        return f"{value:.2f} %"
    if unit == "ms":
        return f"{value:,.0f} ms"
    return f"{value:,.0f}" if float(value).is_integer() or abs(value) >= 100 else f"{value:,.1f}"


def kpi_tile(kpi: Kpi) -> None:
    """A metric with its comparison as the delta, and in words underneath which period it
    measures and what it compares with. Red/green only when the change matters (Kpi.change);
    "unknown", "not started" and "no baseline" are said in words with their reason."""
    if not kpi.state.usable or kpi.value is None:
        shown = kpi.state.shown_as if not kpi.state.usable else "unknown"
        st.metric(kpi.label, shown, help=kpi.note)
        st.caption(f"{kpi.period} · {kpi.unknown_because or 'no data was collected in this period'}")
        return
    value = format_number(kpi.value, kpi.unit)
    period = kpi.period + left_out(kpi.set_aside)  # "· 2 set aside": what the triage inbox left out
    if kpi.target is not None:
        change = kpi.change(kpi.target)
        st.metric(kpi.label, value, delta=f"{kpi.value - kpi.target:+.2f} pts vs the {kpi.target:g} % target",
                  delta_color=CHANGE_COLOURS[change], delta_arrow="auto" if change else "off", help=kpi.note)
        last_week = ("no baseline" if kpi.baseline is None
                     else f"{format_number(kpi.baseline, kpi.unit)} ({kpi.value - kpi.baseline:+.2f} pts)")
        st.caption(f"{period} · {kpi.compared_with.removeprefix('vs ')}: {last_week}")
        return
    if kpi.baseline is None:
        st.metric(kpi.label, value, delta="no baseline", delta_color="off", delta_arrow="off", help=kpi.note)
        st.caption(f"{period} · {kpi.baseline_state.reason}")
        return
    change = kpi.change()
    st.metric(kpi.label, value, delta=baseline_delta(kpi), delta_color=CHANGE_COLOURS[change],
              delta_arrow="auto" if kpi.value != kpi.baseline else "off", help=kpi.note)
    st.caption(f"{period} · {kpi.compared_with}")


CHANGE_COLOURS = {"worse": "red", "better": "green", None: "gray"}


def baseline_delta(kpi: Kpi) -> str:
    """'+8 vs 2 (4.0×)', '-1.32 pts vs 100.00 %', '+12 ms vs 431 ms', 'same as 0': the change and the baseline."""
    delta = kpi.value - kpi.baseline
    baseline = format_number(kpi.baseline, kpi.unit)
    if delta == 0:
        return f"same as {baseline}"
    if kpi.unit == "%":
        return f"{delta:+.2f} pts vs {baseline}"
    if kpi.unit == "ms":
        return f"{delta:+,.0f} ms vs {baseline}"
    text = f"{format_number(delta)} vs {baseline}"
    text = ("+" if delta > 0 else "") + text
    return text + (f" ({kpi.ratio:.1f}×)" if kpi.ratio is not None else "")


def incident_tile(unresolved: dict[str, tuple[int, str]]) -> None:
    """Unresolved incidents with the count and states per severity underneath, from the same
    table as the Incidents page (dashboard.figures.incidents.unresolved_by_severity)."""
    total = sum(n for n, _ in unresolved.values())
    st.metric("Unresolved incidents", f"{total}", help="Incidents not resolved yet (open, acknowledged or mitigated)")
    st.caption(" · ".join(f"{sev} {n} ({words})" for sev, (n, words) in unresolved.items() if n) or "none")


def every(seconds: float) -> str:
    """'30 s', '5 min', '1 h'."""
    if seconds < 120:
        return f"{seconds:g} s"
    return f"{seconds / 60:g} min" if seconds < 7200 else f"{seconds / 3600:g} h"


def freshness_table(rows: Sequence[Freshness], window: Window | None) -> None:
    """One line per source: state, last successful collection (local time), last error."""
    if not rows:
        st.info("No sources configured: add [sentry], [[checks]] or [[tickets]] to the config.")
        return
    def local(t) -> str:
        if t is None:
            return "never"
        t = pd.Timestamp(t).to_pydatetime()
        return window.local_label(t, "%a %d %b %H:%M") if window else f"{t:%a %d %b %H:%M} UTC"

    table = pd.DataFrame({
        "source": [r.collector for r in rows],
        "state": [STATE_LABELS[r.state] for r in rows],
        "last successful collection": [local(r.last_ok_at) for r in rows],
        "every": [every(r.interval_seconds) for r in rows],
        "latest run said": [r.last_error or "—" for r in rows],
    })
    st.dataframe(table, hide_index=True, width="stretch")
    stale = [r.collector for r in rows if r.state != "fresh"]
    if stale:
        st.warning(f"Figures from {', '.join(stale)} are unknown until collection works again.")


def neutralised_csv(frame: pd.DataFrame) -> bytes:
    """`frame` as a UTF-8 CSV whose text cells can't run as spreadsheet formulas."""
    return neutralise_frame(frame).to_csv(index=False).encode("utf-8")


def csv_download(frame: pd.DataFrame, label: str, file_name: str, key: str) -> None:
    """The product's own "Download as CSV" (Streamlit's built-in one is off: it writes formulas)."""
    st.download_button(label, neutralised_csv(frame), file_name=file_name, mime="text/csv", key=key,
                       icon=":material/download:")
