"""The planned periods as a table (pure: DataFrame → DataFrame)."""

from __future__ import annotations

import pandas as pd

WHEN = "%a %d %b %H:%M"


def planned_rows(periods: pd.DataFrame, timezone: str) -> pd.DataFrame:
    """from, to (the team's clock, with the weekday), what it covers, reason, who marked it and
    where it is defined (removed there). No None or NaN in a cell."""
    local = lambda column: pd.to_datetime(periods[column], utc=True).dt.tz_convert(timezone).dt.strftime(WHEN)  # noqa: E731
    return pd.DataFrame({
        "from": local("starts_at"),
        "to": local("ends_at"),
        "covers": [_covers(scope, names) for scope, names in zip(periods["scope"], periods["check_names"])],
        "reason": periods["reason"].fillna(""),
        "marked by": periods["marked_by"].fillna(""),
        "defined in": periods["from_config"].map({True: "the config file", False: "this page"}),
    })


def _covers(scope: str, names) -> str:
    if scope == "all":
        return "all checks and the rules"
    return "every check" if names is None else ", ".join(names)
