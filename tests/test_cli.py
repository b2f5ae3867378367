"""The command line as a user runs it: a separate process, its output and exit code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb

from hypercare.store import Store
from hypercare.store.read import scalar
from tests.process import ROOT


def run_cli(*args: str, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hypercare.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def config_file(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "hypercare.toml"
    path.write_text(f"""
[release]
name = "Booking platform"
go_live_at = "2026-11-22T22:00:00+01:00"

[store]
path = "data/hc.duckdb"
{extra}
""")
    return path


def test_collect_once_with_nothing_configured_says_so(tmp_path):
    result = run_cli("collect", "--once", "--config", str(config_file(tmp_path)))
    assert result.returncode == 0
    assert "No collectors to run" in result.stdout
    assert not (tmp_path / "data" / "hc.duckdb").exists()


def test_collect_once_while_the_database_is_held_gives_one_clear_sentence(tmp_path):
    config = config_file(tmp_path, '[[checks]]\nname = "api"\nurl = "http://127.0.0.1:9/health"\n')
    owner = Store(tmp_path / "data" / "hc.duckdb")  # this test process plays `hypercare serve`
    try:
        owner.publish_snapshot()
        result = run_cli("collect", "--once", "--config", str(config))
        assert result.returncode != 0
        message = result.stderr.strip()
        assert "Traceback" not in message and len(message.splitlines()) == 1
        assert "hc.duckdb is held by process" in message and "hc.snapshot.duckdb" in message
        # meanwhile the snapshot can be read by anyone
        con = duckdb.connect(str(owner.snapshot_path), read_only=True)
        assert scalar(con, "SELECT count(*) FROM collector_runs") == 0
        con.close()
    finally:
        owner.close()


def test_demo_without_serving_writes_the_database_and_its_snapshot(tmp_path):
    result = run_cli("demo", "--no-serve", "--data-dir", str(tmp_path / "d"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "d" / "demo.duckdb").exists() and (tmp_path / "d" / "demo.snapshot.duckdb").exists()
