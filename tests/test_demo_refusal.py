"""`hypercare demo` replaces only its own database, and only while no process holds it."""

from __future__ import annotations

from hypercare.demo import DEMO_MARKER
from hypercare.store import Store
from hypercare.store.read import scalar
from tests.process import free_port, hypercare, listening, wait_until
from tests.test_cli import config_file, run_cli


def count(path, sql: str) -> int:
    store = Store(path)
    try:
        return scalar(store.cursor(), sql)
    finally:
        store.close()


def test_the_demo_refuses_a_database_a_serving_process_holds(tmp_path):
    # `hypercare serve` owns D/demo.duckdb (its [store] path), with collected data in it
    data = tmp_path / "data"
    path = data / "hc.duckdb"
    store = Store(path)
    store.cursor().execute("INSERT INTO tickets (source, ticket_id, title) VALUES ('desk', '1', 'collected')")
    store.close()
    path.rename(data / "demo.duckdb")
    config = config_file(tmp_path).read_text().replace("data/hc.duckdb", "data/demo.duckdb")
    (tmp_path / "hypercare.toml").write_text(config)
    port = free_port()
    log = tmp_path / "serve.log"
    with hypercare("serve", "--config", str(tmp_path / "hypercare.toml"), "--port", str(port), log=log) as proc:
        wait_until(listening(port), proc, log)
        result = run_cli("demo", "--no-serve", "--data-dir", str(data))
        assert result.returncode == 1
        message = result.stderr.strip()
        assert len(message.splitlines()) == 1 and "Traceback" not in message
        assert f"{data / 'demo.duckdb'} is held by process {proc.pid} (hypercare serve --config" in message
        assert "another --data-dir" in message
    assert count(data / "demo.duckdb", "SELECT count(*) FROM tickets WHERE title = 'collected'") == 1


def test_the_demo_refuses_a_database_it_did_not_write_and_replaces_its_own(tmp_path):
    data = tmp_path / "d"
    foreign = Store(data / "demo.duckdb")  # a team's database that happens to carry the name
    foreign.cursor().execute("INSERT INTO tickets (source, ticket_id) VALUES ('desk', '1')")
    foreign.close()
    refused = run_cli("demo", "--no-serve", "--data-dir", str(data))
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        f"error: {data / 'demo.duckdb'} was not written by `hypercare demo` (it has no demo marker), so the demo "
        "left it alone (the demo replaces only a database it wrote itself, while no process has it open): move it "
        "away or give `hypercare demo` another --data-dir")
    assert count(data / "demo.duckdb", "SELECT count(*) FROM tickets") == 1

    (data / "demo.duckdb").unlink()
    earlier = Store(data / "demo.duckdb")  # an earlier demo (cut short): its marker, one made-up ticket
    earlier.cursor().execute(f"CREATE TABLE {DEMO_MARKER} (written_at TIMESTAMPTZ, seed BIGINT)")
    earlier.cursor().execute(f"INSERT INTO {DEMO_MARKER} VALUES (now(), 1)")
    earlier.cursor().execute("INSERT INTO tickets (source, ticket_id) VALUES ('earlier', '1')")
    earlier.close()
    again = run_cli("demo", "--no-serve", "--data-dir", str(data))  # its own file: replaced, not refused
    assert again.returncode == 0, again.stderr
    assert count(data / "demo.duckdb", f"SELECT count(*) FROM {DEMO_MARKER}") == 1
    assert count(data / "demo.duckdb", "SELECT count(*) FROM tickets WHERE source = 'earlier'") == 0
    assert count(data / "demo.duckdb", "SELECT count(*) FROM tickets") > 100


def test_a_file_that_is_not_a_database_is_refused_too(tmp_path):
    data = tmp_path / "d"
    data.mkdir()
    (data / "demo.duckdb").write_text("my notes\n")
    result = run_cli("demo", "--no-serve", "--data-dir", str(data))
    assert result.returncode == 1 and "can't be read as a demo database" in result.stderr
    assert (data / "demo.duckdb").read_text() == "my notes\n"
