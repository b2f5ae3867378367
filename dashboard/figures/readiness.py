"""The Readiness page's tables and chart (pure: item states / the audit log → DataFrame, Figure)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
import plotly.graph_objects as go

from hypercare.incidents.escalation import describe_due
from hypercare.readiness.checklist import STAGE_WORDS, STAGES, ItemState
from hypercare.window import local_label

WHEN = "%a %d %b %H:%M"
STATE_COLOURS = {"done": "#2e7d32", "not done": "#9e9e9e", "overdue": "#c62828"}


def _when(instant: datetime | None, tz: ZoneInfo) -> str:
    return "" if instant is None else local_label(instant, tz, WHEN)


def _state(s: ItemState, now: datetime) -> str:
    """'done', 'due in 3 h', '2 h overdue', 'not done' (a relative due before go-live is known)."""
    if s.done:
        return "done"
    if s.due_at is None:
        return "not done"
    return describe_due((s.due_at - now).total_seconds() / 60)


def _how(s: ItemState, tz: ZoneInfo) -> str:
    """Evidence: what the signal says now; by hand: the latest tick or un-tick (by the person's
    name; the audit log has the address), with its note."""
    if s.evidence is not None:
        return s.proof.words if s.proof else f"{s.evidence}: not read"
    if s.tick is None:
        return "by hand; not ticked yet"
    verb = "ticked" if s.tick.action == "tick" else "un-ticked"
    text = f"{verb} by {re.sub(r' <[^<>]*>$', '', s.tick.actor)}, {_when(s.tick.at, tz)}"
    return f"{text}: {s.tick.note}" if s.tick.note else text


def item_rows(states: Sequence[ItemState], tz: ZoneInfo, now: datetime) -> pd.DataFrame:
    """One stage's items as people read them: item, state ('done', 'in 3 h', '2 h overdue'), due
    (the team's clock, with the weekday; "when go-live is known" for a relative due meanwhile),
    owner, and how it is done (the evidence's reading, or the latest tick with its note)."""
    return pd.DataFrame({
        "item": [s.title for s in states],
        "state": [_state(s, now) for s in states],
        "due": [_when(s.due_at, tz) or "when go-live is known" for s in states],
        "owner": [s.owner for s in states],
        "how": [_how(s, tz) for s in states],
    }, columns=["item", "state", "due", "owner", "how"])


def table_height(rows: int) -> int:
    """Pixels that show `rows` rows and the header without a scroll bar."""
    return 35 * (rows + 1) + 3


def by_stage(states: Sequence[ItemState]) -> dict[str, list[ItemState]]:
    """The items grouped by stage, in stage order, leaving out empty stages."""
    grouped = {stage: [s for s in states if s.stage == stage] for stage in STAGES}
    return {stage: items for stage, items in grouped.items() if items}


def stage_figure(states: Sequence[ItemState]) -> go.Figure:
    """Done, not done and overdue items per stage, as stacked horizontal bars."""
    stages = list(by_stage(states))
    fig = go.Figure()
    for state, colour in STATE_COLOURS.items():
        counts = [sum(s.state == state for s in states if s.stage == stage) for stage in stages]
        fig.add_trace(go.Bar(y=[STAGE_WORDS[s] for s in stages], x=counts, name=state, orientation="h",
                             marker_color=colour, text=[c or "" for c in counts], textposition="inside",
                             hovertemplate="%{y}: %{x} " + state + "<extra></extra>"))
    fig.update_layout(barmode="stack", height=60 + 45 * len(stages), margin=dict(l=10, r=10, t=10, b=10),
                      yaxis=dict(autorange="reversed"), xaxis=dict(title="items", dtick=1),
                      legend=dict(orientation="h", y=-0.3))
    return fig


def log_rows(log: pd.DataFrame, tz: ZoneInfo) -> pd.DataFrame:
    """The audit log, newest first: when (the team's clock), item, change, by, note or reason."""
    return pd.DataFrame({
        "when": [local_label(t.to_pydatetime(), tz, WHEN) for t in pd.to_datetime(log["occurred_at"], utc=True)],
        "item": log["item"],
        "change": log["action"].map({"tick": "ticked", "untick": "un-ticked"}),
        "by": log["actor"].fillna(""),
        "note or reason": log["note"].fillna(""),
    }, columns=["when", "item", "change", "by", "note or reason"])
