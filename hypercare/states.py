"""The one state model for every figure (DESIGN.md, "States of a figure").

A figure on a page, a rule's input, a CLI line and a report line all ask this module whether
what they show can be trusted, so a stale source can't look green anywhere and a table never
contradicts the tile above it. Pure functions of freshness rows, the window and `now`.

States:
- ``collected``: the sources ran recently and the period has data; the figure stands.
- ``partial``: collected, but a part the server doesn't offer is missing (the figure stands,
  with the missing part named).
- ``not offered``: the server has no such data (e.g. no release-health sessions).
- ``not configured``: no source of that kind is configured.
- ``never collected``: configured, but no successful run yet.
- ``stale``: no successful run for 3 x the source's interval.
- ``failed``: the latest run failed (and the last good one is older than the interval allows).
- ``not started``: the period lies before go-live; nothing to measure yet.
- ``no baseline``: the figure stands but has nothing to be compared with.

Only ``collected`` and ``partial`` (and ``no baseline``, which speaks of the comparison, not
the value) carry a value a person may act on; every other state shows "unknown" with its reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from hypercare.store.queries.freshness import Freshness
from hypercare.window import Window

StateName = Literal[
    "collected", "partial", "not offered", "not configured", "never collected", "stale", "failed",
    "not started", "no baseline",
]
STATES: tuple[StateName, ...] = (
    "collected", "partial", "not offered", "not configured", "never collected", "stale", "failed",
    "not started", "no baseline",
)
USABLE: frozenset[str] = frozenset({"collected", "partial", "no baseline"})


@dataclass(frozen=True)
class FigureState:
    """Whether a figure can be shown, and the sentence that says why not (or what it lacks)."""

    state: StateName
    reason: str = ""

    @property
    def usable(self) -> bool:
        """True when the value may be shown and judged (collected, partial, no baseline)."""
        return self.state in USABLE

    @property
    def shown_as(self) -> str:
        """What a cell or tile shows instead of a value that can't be shown."""
        return SHOWN_AS.get(self.state, "unknown")

    def sentence(self) -> str:
        """'unknown: sentry is stale', 'not started: the window begins Sun 22 Nov 22:00'."""
        return f"{self.shown_as}: {self.reason}" if self.reason else self.shown_as


COLLECTED = FigureState("collected")
SHOWN_AS = {"not started": "not started", "no baseline": "no baseline", "not offered": "not offered",
            "not configured": "not configured"}


def source_state(sources: Sequence[Freshness], what: str) -> FigureState:
    """The state of a figure read from `sources` (the freshness of every collector it reads).

    `what` names the kind of source in the sentence ("Sentry", "health-check", "ticket").
    No source: not configured. Otherwise the worst source decides, in the order never
    collected, stale (a failed latest run says "failed" in its reason), then collected.
    """
    if not sources:
        return FigureState("not configured", f"no {what} source is configured")
    never = [s.collector for s in sources if s.state == "never"]
    if never:
        return FigureState("never collected", "; ".join(f"{n} is not collected yet" for n in never))
    stale = [s for s in sources if s.state == "stale"]
    if stale:
        failed = [s for s in stale if s.latest_ok is False]
        if failed:
            return FigureState("failed", "; ".join(
                f"{s.collector}'s last run was interrupted" if s.latest_status == "interrupted" else f"{s.collector} is failing"
                for s in failed))
        return FigureState("stale", "; ".join(f"{s.collector} is stale" for s in stale))
    return COLLECTED


def phase_state(window: Window, now: datetime) -> FigureState:
    """The state of a figure about the window so far (since go-live): "not started" before
    go-live (saying when the window begins, in the team's zone), else collected."""
    if now < window.go_live_at:
        return FigureState("not started", f"the window begins {window.local(window.go_live_at):%a %d %b %H:%M}")
    return COLLECTED


def figure_state(sources: Sequence[Freshness], what: str, window: Window | None = None,
                 now: datetime | None = None) -> FigureState:
    """The one answer for a figure read from `sources`: a figure about the window so far is
    "not started" before go-live (pass `window` and `now`); otherwise the sources decide
    (`source_state`)."""
    if window is not None and now is not None:
        phase = phase_state(window, now)
        if phase.state == "not started":
            return phase
    return source_state(sources, what)


def baseline_state(samples: int, baseline: float | None) -> FigureState:
    """The state of a comparison: "no baseline" when the same hours of the baseline have no
    copy (`samples` == 0) or no copy had data (`baseline` None); collected otherwise. A
    baseline of 0 is a value (the change is shown, no ratio)."""
    if samples == 0:
        return FigureState("no baseline", "the baseline holds no copy of these hours")
    if baseline is None:
        return FigureState("no baseline", "no data was collected in the same hours before go-live")
    return COLLECTED


def sessions_state(sources: Sequence[Freshness], sessions_ever: int) -> FigureState:
    """The crash-free rate's state: "not offered" when no release-health session was ever
    collected (the server or the SDK doesn't offer them), else the Sentry source decides. A
    period without sessions is collected with no value ("unknown", never 100 %)."""
    state = source_state(sources, "Sentry")
    if state.usable and sessions_ever == 0:
        return FigureState("not offered", "no release-health sessions were collected (is session tracking on in the SDK?)")
    return state
