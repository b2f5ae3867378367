"""The Report page's list of shift reports written under `hypercare serve`."""

from __future__ import annotations

import duckdb
import pandas as pd

from hypercare.store.read import frame


def shift_reports(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Shift reports written, newest slot first: slot (UTC), kind (shift or exit), written_at,
    html_path, md_path, posted (True: the webhook took it; False: not yet; None: no webhook)."""
    return frame(
        cur,
        """SELECT r.slot, r.kind, r.written_at, r.html_path, r.md_path,
                  CASE WHEN r.notification_id IS NULL THEN NULL ELSE n.sent_at IS NOT NULL END AS posted
           FROM report_slots r LEFT JOIN notifications n USING (notification_id)
           ORDER BY r.slot DESC""",
    )
