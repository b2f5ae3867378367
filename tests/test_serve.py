"""`hypercare serve`: one process runs the collectors, serves the pages and publishes the snapshot."""

from __future__ import annotations

import duckdb
import requests

from tests.process import free_port, hypercare, listening, wait_until
from tests.test_cli import config_file, run_cli


def test_serve_collects_serves_and_publishes_a_readable_snapshot(tmp_path, httpserver):
    httpserver.expect_request("/health").respond_with_json({"status": "UP"})
    config = config_file(tmp_path, f"""snapshot_minutes = 0.01

[[checks]]
name = "api"
url = "{httpserver.url_for('/health')}"
interval_seconds = 1
""")
    port = free_port()
    log = tmp_path / "serve.log"
    with hypercare("serve", "--config", str(config), "--port", str(port), log=log) as proc:
        wait_until(listening(port), proc, log)
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

        wait_until(snapshot_has_two_runs, proc, log)
        assert counts["results"] >= 2
        # the database itself stays held by the serving process: a second writer is refused clearly
        second = run_cli("collect", "--once", "--config", str(config))
        assert second.returncode == 1 and "hypercare serve" in second.stderr
