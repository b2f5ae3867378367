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
from typing import Literal

from hypercare.store.queries.freshness import Freshness

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


COLLECTED = FigureState("collected")


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
            return FigureState("failed", "; ".join(f"{s.collector} is failing" for s in failed))
        return FigureState("stale", "; ".join(f"{s.collector} is stale" for s in stale))
    return COLLECTED
