"""Shared set-up for the Sentry tests: a config pointing at the fake server, a seeded scenario."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from hypercare.config import Config, parse_config
from hypercare.http import RetryPolicy
from tests.fakes.sentry import FakeSentry

GO_LIVE = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
TOKEN = "sntrys_test_token_0123456789"
# Backoff without randomness; waits still go through the FixedClock.
POLICY = RetryPolicy(max_attempts=4, backoff_base=1.0, jitter=lambda: 1.0)


def make_config(url: str, tmp_path: Path, release: dict[str, Any] | None = None, **sentry: Any) -> Config:
    return parse_config(
        {
            "release": {"name": "Shop", "version": "shop@2.0.0", "environment": "production",
                        "go_live_at": GO_LIVE.isoformat(), "window_hours": 72, "baseline_hours": 168,
                        **(release or {})},
            "store": {"path": str(tmp_path / "hypercare.duckdb")},
            "sentry": {"base_url": url, "org": "acme", "projects": ["web", "api"], **sentry},
        },
        base_dir=tmp_path,
    )


def seed(fake: FakeSentry, issues_per_project: int = 5) -> None:
    """A small go-live: issues before and after T0, hourly counts, sessions for the release."""
    for p, slug in enumerate(("web", "api")):
        for n in range(issues_per_project):
            first = GO_LIVE + timedelta(hours=-30 + 7 * n, minutes=p)
            fake.add_issue(slug, f"{slug} error {n}", first, first + timedelta(hours=2, minutes=n),
                           count=10 * (n + 1), user_count=n + 1, first_release="shop@2.0.0")
        fake.add_error_counts(slug, GO_LIVE - timedelta(hours=168), [3 + p] * (168 + 72))
        fake.add_sessions(slug, GO_LIVE, [{"healthy": 90, "errored": 6, "crashed": 3, "abnormal": 1}] * 25)  # up to 10:00 on the 24th
    fake.sessions_release = "shop@2.0.0"
