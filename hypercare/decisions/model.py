"""A decision as the team records it, and what makes one valid (pure: no store, no clock)."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hypercare.clock import utc

KINDS = ("go", "no-go", "rollback", "continue", "extend", "exit", "note")
KIND_HELP = {
    "go": "go ahead with the go-live (or the next step)",
    "no-go": "do not go ahead",
    "rollback": "roll the release back",
    "continue": "stay on the new system and keep watching",
    "extend": "make the hypercare window longer by a number of hours",
    "exit": "leave hypercare now: the window ends at this decision",
    "note": "write down what happened, without a decision",
}
MAX_EXTEND_HOURS = 24 * 30  # a month: more is a typo, not an extension


class DecisionError(ValueError):
    """A decision that can't be recorded, told as a sentence naming the field and the fix."""


@dataclass(frozen=True)
class Decision:
    decision_id: str
    decided_at: datetime  # UTC
    kind: str
    summary: str
    reason: str
    actor: str
    hours: float | None = None  # extend only: hours added to the window
    evidence: dict[str, Any] = field(default_factory=dict)


def new_decision(kind: str, summary: str, reason: str, actor: str, now: datetime, hours: float | None = None,
                 evidence: dict[str, Any] | None = None) -> Decision:
    """A valid Decision, or DecisionError saying which field is wrong and how to fix it.

    Every kind needs a summary; every kind but `note` needs a reason; `extend` needs hours
    (more than 0, at most a month) and no other kind takes them."""
    if kind not in KINDS:
        raise DecisionError(f"kind {kind!r} is not a decision kind: use one of {', '.join(KINDS)}")
    summary, reason = (summary or "").strip(), (reason or "").strip()
    if not summary:
        raise DecisionError("summary is empty: say in one line what was decided")
    if not reason and kind != "note":
        raise DecisionError(f"reason is empty: say why the team decided {kind!r}")
    if kind == "extend":
        if hours is None or not math.isfinite(hours) or not 0 < hours <= MAX_EXTEND_HOURS:
            raise DecisionError(f"hours must be a number above 0 and at most {MAX_EXTEND_HOURS} for extend: "
                                "give the hours to add to the window")
        hours = float(hours)
    elif hours is not None:
        raise DecisionError(f"hours only go with extend, not {kind!r}: leave hours empty")
    return Decision(f"decision-{uuid.uuid4().hex[:16]}", utc(now), kind, summary, reason, actor, hours, evidence or {})
