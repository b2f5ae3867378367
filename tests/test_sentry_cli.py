"""`hypercare collect --once --only sentry` against the fake Sentry, in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypercare.store import Store
from hypercare.store.read import scalar
from tests.fakes.sentry import FakeSentry
from tests.sentry_helpers import TOKEN

ROOT = Path(__file__).parents[1]


def test_collect_once(tmp_path):
    now = datetime.now(timezone.utc)  # the CLI runs on the system clock
    with FakeSentry(token=TOKEN) as fake:
        fake.add_issue("web", "TypeError: boom", now - timedelta(hours=1), now - timedelta(minutes=5), count=4)
        fake.add_error_counts("web", now - timedelta(hours=3), [1, 2, 3])
        config = tmp_path / "hypercare.toml"
        config.write_text(f"""
[release]
name = "Shop"
go_live_at = "{(now - timedelta(hours=2)).isoformat()}"
baseline_hours = 24

[store]
path = "hypercare.duckdb"

[sentry]
base_url = "{fake.url}"
org = "acme"
projects = ["web", "api"]
""")
        env = {**os.environ, "SENTRY_AUTH_TOKEN": TOKEN}
        done = subprocess.run([sys.executable, "-m", "hypercare.cli", "collect", "--once", "--only", "sentry",
                               "--config", str(config)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("sentry: ") and "ok" in done.stdout
    assert TOKEN not in done.stdout + done.stderr
    store = Store(tmp_path / "hypercare.duckdb")
    try:
        assert scalar(store.cursor(), "SELECT event_count FROM sentry_issues") == 4
    finally:
        store.close()
