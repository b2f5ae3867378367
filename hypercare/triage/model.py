"""The inbox's nouns: an item, its score and the parts the score is made of.

Titles are outside text kept raw; the page escapes them (hypercare/outside_text.py). Keys are
stable across collector re-runs and restarts: `sentry:<issue_id>`, `check:<check_name>`,
`tickets:<source>:<ticket_id>` (a P1 ticket), `cluster:<rule>:<normalised value>`,
`incident:<incident_id>`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ScorePart:
    """One term of the score: the measured `value` (None: unknown or not reported), the points it
    adds, and a sentence saying how."""

    name: str
    value: float | None
    points: float
    explanation: str


@dataclass(frozen=True)
class Score:
    """`total` is the sum of the parts' points; `without_age` leaves the age term out, so it
    changes only when the item itself does (what "comes back when worse" compares). `parts`
    is a sequence of ScoreParts; score.score builds their sentences only when they are read."""

    parts: Sequence[ScorePart]
    total: float
    without_age: float

    def part(self, name: str) -> ScorePart:
        return next(p for p in self.parts if p.name == name)


@dataclass(frozen=True)
class Item:
    key: str
    source: str  # "sentry" | "checks" | "tickets" | "incidents"
    kind: str  # "new issue", "regression", "spike", "down", "flapping", "ticket cluster", "P1 ticket", "SLA breach", "unacknowledged"
    title: str  # raw outside text
    ref: str  # issue_id / check name / ticket key / incident id
    first_seen: datetime
    last_seen: datetime
    figures: dict  # named numbers shown with the item (None: unknown)
    link: str | None
    score: Score
    suggested_severity: str  # SEV1..SEV4, for "open an incident"
