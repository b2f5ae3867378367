"""Reading the decision log and the evidence frozen with each decision."""

from __future__ import annotations

import json
from typing import Any

import duckdb
import pandas as pd

from hypercare.store.read import frame, scalar


def decision_log(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every decision, newest first: decision_id, decided_at (UTC), kind, summary, reason, actor,
    hours (extend only, else NaN), status (the verdict frozen in its evidence; None when the
    evidence holds none)."""
    return frame(
        cur,
        "SELECT decision_id, decided_at, kind, summary, reason, actor, hours, "
        "json_extract_string(evidence, '$.status') AS status "
        "FROM decisions ORDER BY decided_at DESC, decision_id DESC",
    )


def decision_evidence(cur: duckdb.DuckDBPyConnection, decision_id: str) -> dict[str, Any] | None:
    """The evidence frozen with the decision, as stored; None when there is no such decision or it
    holds none."""
    text = scalar(cur, "SELECT evidence::VARCHAR FROM decisions WHERE decision_id = ?", [decision_id])
    return None if text is None else json.loads(text)
