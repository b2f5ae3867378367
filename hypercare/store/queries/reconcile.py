"""Data-migration reconciliation figures: the latest result of each check, its history, and how
the checks stand at an instant.

A row of `reconciliations` is one run of one check. `matched` is NULL when a side failed: such
a row says nothing about the data, so "mismatched" means a run that read both sides and found
them apart beyond the tolerance. The latest result of a check is its row with the greatest
`checked_at` at or before `at` (default: every row), whatever it says, so a check that starts
failing shows its error rather than an older match.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pandas as pd

from hypercare.store.read import arrow, first_row, frame

COLUMNS = "name, checked_at, source_value, target_value, difference, matched, error"


def latest_results(cur: duckdb.DuckDBPyConnection, at: datetime | None = None) -> pd.DataFrame:
    """One row per check name (its latest result at or before `at`), ordered by name, with
    columns name, checked_at, source_value, target_value, difference, matched, error."""
    return frame(cur, f"""
        SELECT {COLUMNS} FROM reconciliations
        WHERE ? IS NULL OR checked_at <= ?
        QUALIFY row_number() OVER (PARTITION BY name ORDER BY checked_at DESC) = 1
        ORDER BY name
        """, [at, at])


def history(cur: duckdb.DuckDBPyConnection, start: datetime, end: datetime,
            names: Sequence[str] | None = None) -> pd.DataFrame:
    """Every result in [start, end) of the named checks (None: all), by name then time."""
    return frame(cur, f"""
        SELECT {COLUMNS} FROM reconciliations
        WHERE checked_at >= ? AND checked_at < ? AND (?::VARCHAR[] IS NULL OR list_contains(?, name))
        ORDER BY name, checked_at
        """, [start, end, names, names])


@dataclass(frozen=True)
class Tally:
    """The checks' latest results at an instant: both sides agreed, disagreed, or unknown (the
    check never ran, or a side failed on its latest run)."""

    matched: int
    mismatched: int
    unknown: int


def tally_at(cur: duckdb.DuckDBPyConnection, at: datetime, names: Sequence[str]) -> Tally:
    """How the latest result at or before `at` of each of `names` came out."""
    matched, mismatched = first_row(cur, """
        SELECT count(*) FILTER (WHERE matched), count(*) FILTER (WHERE NOT matched) FROM (
            SELECT matched FROM reconciliations
            WHERE checked_at <= ? AND list_contains(?, name)
            QUALIFY row_number() OVER (PARTITION BY name ORDER BY checked_at DESC) = 1
        )
        """, [at, list(names)])
    return Tally(matched, mismatched, len(set(names)) - matched - mismatched)


def mismatch_streaks(cur: duckdb.DuckDBPyConnection, since: datetime, now: datetime) -> list[dict]:
    """Checks whose latest result in (since, now] is a mismatch: name, source_value, target_value,
    difference of that result, and `mismatched_since`, the first mismatch after the check's last
    match (a result whose side failed neither starts nor breaks the streak)."""
    return arrow(cur, """
        WITH latest AS (
            SELECT name, checked_at, source_value, target_value, difference, matched FROM reconciliations
            WHERE checked_at > ? AND checked_at <= ? AND matched IS NOT NULL
            QUALIFY row_number() OVER (PARTITION BY name ORDER BY checked_at DESC) = 1
        )
        SELECT l.name, l.source_value, l.target_value, l.difference,
               (SELECT min(r.checked_at) FROM reconciliations r
                WHERE r.name = l.name AND r.matched = false AND r.checked_at <= l.checked_at
                  AND r.checked_at > coalesce((SELECT max(m.checked_at) FROM reconciliations m
                                               WHERE m.name = l.name AND m.matched AND m.checked_at <= l.checked_at),
                                              '-infinity'::TIMESTAMPTZ)) AS mismatched_since
        FROM latest l WHERE NOT l.matched
        ORDER BY l.name
        """, [since, now]).to_pylist()
