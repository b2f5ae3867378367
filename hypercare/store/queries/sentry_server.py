"""What the Sentry-compatible server offers (sentry.io, self-hosted Sentry, GlitchTip), as the
Sentry collector found out and keeps in its `server` checkpoint.

The collector writes it; pages and rules read it to say "not offered by this server (GlitchTip)"
instead of "unknown" or a confident 0.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import duckdb

from hypercare.states import COLLECTED, FigureState
from hypercare.store.writes import read_checkpoint

CHECKPOINT = ("sentry", "server")  # (collector, scope)

# Parts a server may lack, and how a sentence names them.
PARTS = {
    "error_counts": "error counts (stats_v2)",
    "sessions": "release-health sessions",
    "deploys": "deploys",
    "users": "users per issue",
    "regressions": "regressions (issue substatus)",
    "issue_stats": "hourly events per issue",
}
# The rule metrics (hypercare/verdict/metrics.py) built from a part a server may lack.
METRIC_PARTS = {"new_issue_users": "users", "crash_free_rate": "sessions",
                "errors_per_hour": "error_counts", "errors_vs_baseline": "error_counts"}
# Fields GlitchTip's issues don't carry: userCount is always 0, no substatus, no 24 h stats.
GLITCHTIP_LACKS = ("users", "regressions", "issue_stats")
SORT_BY_LAST_SEEN = ("date", "-last_seen")  # Sentry's, then GlitchTip's (it answers 422 to "date")


@dataclass(frozen=True)
class ServerOffer:
    kind: str = "sentry"  # "sentry" or "glitchtip" (told apart by GET /api/settings/)
    version: str | None = None
    missing: Mapping[str, str] = field(default_factory=dict)  # endpoint part -> what it answered
    sort: str = SORT_BY_LAST_SEEN[0]

    @property
    def name(self) -> str:
        if self.kind == "glitchtip":
            return f"GlitchTip {self.version}" if self.version else "GlitchTip"
        return "Sentry"

    @property
    def not_offered(self) -> dict[str, str]:
        """Part -> why, for every part this server doesn't offer."""
        lacks = {p: f"{self.name} doesn't report them" for p in GLITCHTIP_LACKS} if self.kind == "glitchtip" else {}
        return {**lacks, **{p: f"{self.name} answered {how}" for p, how in self.missing.items()}}

    def offers(self, part: str) -> bool:
        return part not in self.not_offered

    def state(self, part: str) -> FigureState:
        """`collected` as far as the server goes, or `not offered` with the reason to show."""
        if self.offers(part):
            return COLLECTED
        return FigureState("not offered", f"this server ({self.name}) doesn't offer {PARTS[part]}")

    def restrict(self, part: str, state: FigureState) -> FigureState:
        """`state` of a figure built from `part`, unless the server doesn't offer `part` at all:
        then "not offered", which outranks stale or failed (no run will ever bring it)."""
        return state if self.offers(part) else self.state(part)

    def restrict_metric(self, metric: str, state: FigureState) -> FigureState:
        """`restrict` for a rule metric: "not offered" when it is built from a part this server lacks."""
        part = METRIC_PARTS.get(metric)
        return self.restrict(part, state) if part else state

    def summary(self) -> str:
        """One sentence naming what this server doesn't offer ('' when it offers everything)."""
        parts = [PARTS[p] for p in PARTS if not self.offers(p)]
        return f"not offered by this server ({self.name}): {', '.join(parts)}" if parts else ""

    def with_missing(self, part: str, how: str | None) -> ServerOffer:
        """This offer with `part` marked missing (`how` it answered) or, with None, present again."""
        missing = {k: v for k, v in self.missing.items() if k != part}
        return replace(self, missing={**missing, part: how} if how else missing)

    def to_json(self) -> str:
        return json.dumps({"kind": self.kind, "version": self.version, "missing": dict(self.missing),
                           "sort": self.sort}, sort_keys=True)

    @classmethod
    def from_json(cls, raw: str | None) -> ServerOffer:
        """The stored offer; anything unreadable is the default (a Sentry that offers everything)."""
        try:
            data: Any = json.loads(raw) if raw else {}
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        missing = data.get("missing") if isinstance(data.get("missing"), dict) else {}
        return cls(kind=data.get("kind") if data.get("kind") in ("sentry", "glitchtip") else "sentry",
                   version=data.get("version") if isinstance(data.get("version"), str) else None,
                   missing={k: str(v) for k, v in missing.items() if k in PARTS},
                   sort=data.get("sort") if data.get("sort") in SORT_BY_LAST_SEEN else SORT_BY_LAST_SEEN[0])


def server_offer(cur: duckdb.DuckDBPyConnection) -> ServerOffer:
    """What the configured Sentry-compatible server offers, as last found out."""
    return ServerOffer.from_json(read_checkpoint(cur, *CHECKPOINT))
