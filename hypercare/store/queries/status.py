"""The status history (`status_history`): what the verdict was at each evaluation."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

from hypercare.store.read import frame, scalar
from hypercare.window import Period


def status_history(cur: duckdb.DuckDBPyConnection, span: Period) -> pd.DataFrame:
    """Evaluations in [start, end), oldest first: evaluated_at (UTC), status (lowercase)."""
    return frame(
        cur,
        "SELECT evaluated_at, status FROM status_history WHERE evaluated_at >= ? AND evaluated_at < ? ORDER BY evaluated_at",
        [span.start, span.end],
    )


def status_before(cur: duckdb.DuckDBPyConnection, at: datetime) -> str | None:
    """The status of the latest evaluation before `at`; None when there is none."""
    return scalar(cur, "SELECT arg_max(status, evaluated_at) FROM status_history WHERE evaluated_at < ?", [at])
