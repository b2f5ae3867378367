"""Errors shared by the core, the collectors and the dashboard."""

from __future__ import annotations


class CollectorError(Exception):
    """A source failed. `permanent` errors (bad token, unknown project) are not retried and are
    shown on the page as they are; the others are retried by the HTTP client and the next run.
    `rows_written`: what the run had committed before it failed (the run record reports it)."""

    def __init__(self, message: str, *, permanent: bool = False, rows_written: int = 0):
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.rows_written = rows_written
