"""The Triage page's tables as people read them: the ranked inbox, an item's score in its parts,
the set-aside list and the triage log. Times in the team's zone with the weekday, words ("—",
"no end", "not in the inbox now") for what is missing, never None or NaN. Cells hold outside text
as it is: a table cell is never read as Markdown or HTML."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from dashboard.figures.errors import local_minutes
from dashboard.figures.incidents import text_cells
from hypercare.triage.model import Score
from hypercare.triage.view import Entry, InboxView
from hypercare.window import Window

SOURCES = ("sentry", "checks", "tickets", "incidents")
SOURCE_WORDS = {"sentry": "Sentry", "checks": "Checks", "tickets": "Tickets", "incidents": "Incidents"}
ACTION_WORDS = {"opened": "opened an incident", "linked": "linked to an incident", "set aside": "set aside",
                "returned": "came back"}


def _when(t: datetime | None, window: Window, missing: str = "—") -> str:
    if t is None or pd.isna(t):
        return missing
    return window.local_label(pd.Timestamp(t).to_pydatetime(), "%a %d %b %H:%M")


def _points(x: float | None) -> str:
    return "—" if x is None or pd.isna(x) else f"{x:.1f}"


def inbox_rows(entries: Sequence[Entry], window: Window) -> pd.DataFrame:
    """The inbox, ranked: rank, score, source, kind, title, state, suggested severity, first and
    last seen, link."""
    return pd.DataFrame({
        "rank": list(range(1, len(entries) + 1)),
        "score": [e.item.score.total for e in entries],
        "source": [SOURCE_WORDS.get(e.source, e.source) for e in entries],
        "kind": [e.item.kind for e in entries],
        "title": [e.title for e in entries],
        "state": [e.state.words for e in entries],
        "suggested": [e.item.suggested_severity for e in entries],
        "first seen": [_when(e.item.first_seen, window) for e in entries],
        "last seen": [_when(e.item.last_seen, window) for e in entries],
        "link": [e.item.link or "" for e in entries],
    }, columns=["rank", "score", "source", "kind", "title", "state", "suggested", "first seen", "last seen", "link"])


def score_rows(score: Score) -> pd.DataFrame:
    """The score in its parts: part, measured, points, how; the last line is the total."""
    rows = [{"part": p.name, "measured": "not reported" if p.value is None else f"{p.value:g}",
             "points": _points(p.points), "how": p.explanation} for p in score.parts]
    rows.append({"part": "total", "measured": "", "points": _points(score.total),
                 "how": f"without the age term: {_points(score.without_age)}"})
    return pd.DataFrame(rows, columns=["part", "measured", "points", "how"])


def aside_rows(entries: Sequence[Entry], window: Window) -> pd.DataFrame:
    """The set-aside list: title, source, as (known/accepted), reason, until, by, when, score
    without age then and now (it comes back at 25 % above then)."""
    return pd.DataFrame({
        "title": [e.title for e in entries],
        "source": [SOURCE_WORDS.get(e.source, e.source) for e in entries],
        "as": [e.state.aside_kind for e in entries],
        "reason": [e.state.reason for e in entries],
        "until": [_when(e.state.until, window, "no end") for e in entries],
        "by": [e.state.actor for e in entries],
        "when": [_when(e.state.acted_at, window) for e in entries],
        "score then": [_points(e.state.score_without_age) for e in entries],
        "score now": [_points(e.item.score.without_age) if e.item else "not in the inbox now" for e in entries],
    }, columns=["title", "source", "as", "reason", "until", "by", "when", "score then", "score now"])


def log_rows(history: pd.DataFrame, window: Window) -> pd.DataFrame:
    """queries.triage.history as shown: when, item, action, incident, reason, until, by."""
    return pd.DataFrame({
        "when": local_minutes(history["acted_at"], window),
        "item": text_cells(history["title"]),
        "action": [ACTION_WORDS.get(a, a) + (f" ({k})" if isinstance(k, str) else "")
                   for a, k in zip(history["action"], history["aside_kind"])],
        "incident": text_cells(history["incident_id"]),
        "reason": text_cells(history["reason"]),
        "until": local_minutes(history["until"], window),
        "by": text_cells(history["actor"]),
    }, columns=["when", "item", "action", "incident", "reason", "until", "by"])


def source_counts(entries: Sequence[Entry]) -> dict[str, int]:
    """Items per source, every source listed (0 when none), for the filter's labels."""
    return {s: sum(1 for e in entries if e.source == s) for s in SOURCES}


@dataclass(frozen=True)
class Listing:
    """The inbox as the Triage page shows it, built once and read by every rerun: the ranked table
    and the set-aside list as frames, the counts, and each entry by its key."""

    table: pd.DataFrame  # inbox_rows of the whole inbox, ranked
    keys: tuple[str, ...]  # the table's item keys, row by row
    sources: tuple[str, ...]  # the table's sources (SOURCES), row by row
    aside: pd.DataFrame  # aside_rows
    aside_keys: tuple[str, ...]
    untriaged: int
    with_incident: int
    counts: dict[str, int]  # source_counts of the inbox
    labels: dict[str, str]  # key → how the item chooser names it
    entries: dict[str, Entry]  # key → its entry (inbox and set aside)
    due_back: tuple[str, ...]  # InboxView.due_back

    def shown(self, sources: Sequence[str]) -> tuple[pd.DataFrame, list[str]]:
        """The table's rows of these sources (ranks as in the whole inbox) and their keys."""
        mask = [s in sources for s in self.sources]
        return self.table[mask].reset_index(drop=True), [k for k, m in zip(self.keys, mask) if m]


def listing(view: InboxView, window: Window) -> Listing:
    labels = {e.key: f"{n}. {e.title}" for n, e in enumerate(view.inbox, 1)}
    labels.update({e.key: f"set aside · {e.title}" for e in view.set_aside})
    return Listing(
        table=inbox_rows(view.inbox, window), keys=tuple(e.key for e in view.inbox),
        sources=tuple(e.source for e in view.inbox), aside=aside_rows(view.set_aside, window),
        aside_keys=tuple(e.key for e in view.set_aside), untriaged=view.untriaged,
        with_incident=sum(1 for e in view.inbox if e.state.state == "has incident"),
        counts=source_counts(view.inbox), labels=labels,
        entries={e.key: e for e in (*view.inbox, *view.set_aside)}, due_back=view.due_back)
