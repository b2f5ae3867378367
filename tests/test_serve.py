"""`hypercare serve`: one process runs the collectors, serves the pages and publishes the snapshot."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import requests

from tests.process import free_port, listening, wait_until

ROOT = Path(__file__).resolve().parent.parent


def test_serve_collects_serves_and_publishes_a_readable_snapshot(tmp_path, httpserver):
    httpserver.expect_request("/health").respond_with_json({"status": "UP"})
    config = tmp_path / "hypercare.toml"
    config.write_text(f"""
[release]
name = "Booking platform"
go_live_at = "2026-11-22T22:00:00+01:00"

[store]
path = "data/hc.duckdb"
snapshot_minutes = 0.01

[[checks]]
name = "api"
url = "{httpserver.url_for('/health')}"
interval_seconds = 1
""")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "hypercare.cli", "serve", "--config", str(config), "--port", str(port)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_until(listening(port), proc)
        assert requests.get(f"http://127.0.0.1:{port}/_stcore/health", timeout=10).text == "ok"
        snapshot = tmp_path / "data" / "hc.snapshot.duckdb"
        counts = {"results": 0, "runs": 0}

        def snapshot_has_two_runs() -> bool:
            if snapshot.exists():
                con = duckdb.connect(str(snapshot), read_only=True)
                counts["results"] = con.execute("SELECT count(*) FROM health_checks WHERE ok").fetchall()[0][0]
                counts["runs"] = con.execute("SELECT count(*) FROM collector_runs WHERE collector = 'checks' AND ok").fetchall()[0][0]
                con.close()
            return counts["runs"] >= 2

        wait_until(snapshot_has_two_runs, proc)
        assert counts["results"] >= 2
        # the database itself stays held by the serving process: a second writer is refused clearly
        second = subprocess.run([sys.executable, "-m", "hypercare.cli", "collect", "--once", "--config", str(config)],
                                cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert second.returncode == 1 and "hypercare serve" in second.stderr
    finally:
        proc.terminate()
        proc.wait(timeout=20)
