"""The planned periods stored (from the config and marked on a page), for the Health page's list."""

from __future__ import annotations

import duckdb
import pandas as pd

from hypercare.store.planned import CONFIG_MARKER
from hypercare.store.read import frame


def planned_period_list(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every planned period, latest start first: period_id, starts_at, ends_at, scope,
    check_names (None: every check), reason, marked_by, marked_at, from_config (True: written
    from the config file, removed by editing it; False: marked on a page, removable there)."""
    return frame(
        cur,
        "SELECT period_id, starts_at, ends_at, scope, check_names, reason, marked_by, marked_at, "
        "marked_by = ? AS from_config FROM planned_periods ORDER BY starts_at DESC, period_id",
        [CONFIG_MARKER],
    )
