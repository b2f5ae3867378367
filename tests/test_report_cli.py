"""`hypercare report` as a user runs it: a separate process, the files it writes, its exit codes."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from hypercare.store import Store
from hypercare.store.writes import append_rows
from tests.test_cli import config_file, run_cli

TS = pa.timestamp("us", tz="UTC")


def _held_store_with_a_decision(tmp_path: Path) -> Store:
    owner = Store(tmp_path / "data" / "hc.duckdb")  # this test process plays `hypercare serve`
    with owner.transaction() as cur:
        append_rows(cur, "decisions", pa.table({
            "decision_id": ["d1"], "decided_at": pa.array(["2026-11-23T08:00:00Z"]).cast(TS), "kind": ["go"],
            "summary": ["Go for <cutover>"], "reason": ["dry run passed"], "actor": ["Sofie"]}))
    owner.publish_snapshot()
    return owner


def test_report_reads_the_snapshot_while_serve_holds_the_database(tmp_path):
    config = config_file(tmp_path)
    owner = _held_store_with_a_decision(tmp_path)
    try:
        out = tmp_path / "out" / "report.md"
        result = run_cli("report", "--config", str(config), "--at", "2026-11-23T12:00:00+01:00", "--out", str(out))
        assert result.returncode == 0, result.stderr
        assert "snapshot" in result.stderr
        markdown = out.read_text()
        assert markdown.startswith("# Booking platform — hypercare report")
        assert "Go for \\<cutover\\>" in markdown and "Read from the snapshot" in markdown
        assert "T+14 h of 72 h" in markdown and "Mon 23 Nov 11:00 (UTC)" in markdown
        html_out = tmp_path / "report.html"
        result = run_cli("report", "--config", str(config), "--at", "2026-11-23T12:00:00+01:00", "--out", str(html_out))
        assert result.returncode == 0, result.stderr
        assert "Go for &lt;cutover&gt;" in html_out.read_text()
        assert not list(tmp_path.glob("**/*.tmp"))  # written to a temp file, then renamed
    finally:
        owner.close()


def test_report_format_comes_from_the_extension_or_the_flag(tmp_path):
    config = config_file(tmp_path)
    Store(tmp_path / "data" / "hc.duckdb").close()
    unknown = run_cli("report", "--config", str(config), "--out", str(tmp_path / "report.txt"))
    assert unknown.returncode == 2 and "end --out with .html or .md" in unknown.stderr
    forced = run_cli("report", "--config", str(config), "--out", str(tmp_path / "report.txt"), "--format", "md")
    assert forced.returncode == 0 and (tmp_path / "report.txt").read_text().startswith("# Booking platform")
    naive = run_cli("report", "--config", str(config), "--out", str(tmp_path / "r.md"), "--at", "2026-11-23T12:00")
    assert naive.returncode == 2 and "no UTC offset" in naive.stderr
