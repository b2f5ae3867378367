"""The "reconcile" collector end to end against real databases: two SQLite files, and the machine's
PostgreSQL and MariaDB servers (each test creates and drops tables of its own)."""

from __future__ import annotations

import logging
import os
import sqlite3
import uuid
from pathlib import Path

import pytest

from collectors.base import run_collector
from collectors.reconcile import ReconcileCollector, read_side
from collectors.registry import build_collectors
from hypercare.config import parse_config
from hypercare.store.queries.reconcile import latest_results
from hypercare.store.read import arrow, scalar

PG_URL = "postgresql+psycopg://postgres:{password}@127.0.0.1:5432/test"
MARIADB_URL = "mysql+pymysql://root@127.0.0.1:3306/test"
PASSWORD = "Pw-" + uuid.uuid4().hex[:12]  # trust auth ignores it; it must never be written anywhere
START = {
    "PostgreSQL": "start it with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` "
                  "(trust auth on 127.0.0.1:5432, a database named test)",
    "MariaDB": "start it with `start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd` "
               "(root without a password on 127.0.0.1:3306, a database named test)",
}


def make_config(*checks: dict, interval: float = 300):
    entries = [{"name": "accounts", "source_env": "SRC_DB", "target_env": "TGT_DB", "interval_seconds": interval,
                "timeout_seconds": 5, **c} for c in checks]
    return parse_config({"release": {"name": "r", "go_live_at": "2026-11-24T08:00:00+00:00"}, "reconcile": entries},
                        base_dir=Path("."))


def sqlite_file(path: Path, rows: int, amount: float = 2.5) -> Path:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY, email TEXT, balance REAL)")
    con.executemany("INSERT INTO accounts VALUES (?, ?, ?)", [(i, f"u{i}@gym.example", amount) for i in range(rows)])
    con.commit()
    con.close()
    return path


@pytest.fixture
def two_files(tmp_path):
    """A source with 5,000 accounts and a target that lost 23 of them."""
    return (sqlite_file(tmp_path / "source.db", 5000), sqlite_file(tmp_path / "target.db", 4977))


@pytest.fixture
def env(monkeypatch, two_files):
    monkeypatch.setenv("SRC_DB", f"sqlite:///{two_files[0]}")
    monkeypatch.setenv("TGT_DB", f"sqlite:///{two_files[1]}")
    return two_files


COUNT = "SELECT count(*) FROM accounts"


def rows_of(store) -> list[dict]:
    return arrow(store.cursor(), "SELECT * FROM reconciliations ORDER BY name, checked_at").to_pylist()


def by_name(store) -> dict[str, dict]:
    return {r["name"]: r for r in rows_of(store)}


def test_two_sqlite_files_mismatch_is_recorded_with_both_values(store, clock, env):
    run = run_collector(store, ReconcileCollector(make_config({"source_sql": COUNT, "target_sql": COUNT})), clock)
    assert run.status == "ok" and run.rows_written == 1
    row = rows_of(store)[0]
    assert (row["source_value"], row["target_value"], row["difference"]) == (5000, 4977, -23)
    assert row["matched"] is False and row["error"] is None
    assert row["checked_at"] == clock.now()


@pytest.mark.parametrize(("tolerance", "matched"), [
    (0, False), (22, False), (23, True), (23.5, True),  # absolute: |−23| ≤ tolerance
    ("0.45%", False), ("0.46%", True), ("1%", True),  # percent of the source: 0.46 % of 5,000 = 23
])
def test_tolerance_absolute_and_percent_of_the_source(store, clock, env, tolerance, matched):
    config = make_config({"source_sql": COUNT, "target_sql": COUNT, "tolerance": tolerance})
    run_collector(store, ReconcileCollector(config), clock)
    assert rows_of(store)[0]["matched"] is matched


def test_values_compare_exactly_before_they_are_stored(store, clock, env):
    """Checksums past 2^53 are equal as floats; the check compares what the databases returned."""
    config = make_config({"name": "checksum", "source_sql": "SELECT 9007199254740993",
                          "target_sql": "SELECT 9007199254740992"})
    run_collector(store, ReconcileCollector(config), clock)
    row = rows_of(store)[0]
    assert float(9007199254740993) == float(9007199254740992)
    assert row["matched"] is False and row["difference"] == -1


def test_a_failing_side_never_stops_the_other_checks(store, clock, env, monkeypatch):
    monkeypatch.delenv("TGT_DB")
    config = make_config(
        {"name": "accounts", "source_sql": COUNT, "target_sql": COUNT},
        {"name": "broken", "source_sql": "SELECT count(*) FROM no_such_table", "target_sql": COUNT, "target_env": "SRC_DB"},
        {"name": "same", "source_sql": COUNT, "target_sql": COUNT, "target_env": "SRC_DB"},
    )
    run = run_collector(store, ReconcileCollector(config), clock)
    rows = by_name(store)
    assert rows["same"]["matched"] and rows["same"]["source_value"] == 5000
    assert rows["accounts"]["source_value"] == 5000 and rows["accounts"]["matched"] is None
    assert rows["accounts"]["error"] == (
        "target side: the environment variable TGT_DB is not set; set it to the database's SQLAlchemy URL "
        "(in the environment or .streamlit/secrets.toml)")
    assert rows["broken"]["error"] == "source side (SRC_DB): the query failed: no such table: no_such_table"
    assert rows["broken"]["target_value"] == 5000 and rows["broken"]["matched"] is None
    assert run.status == "failed" and run.rows_written == 3
    assert "accounts: target side: the environment variable TGT_DB is not set" in run.error
    assert "broken: source side (SRC_DB): the query failed" in run.error


def test_sqlite_is_opened_read_only(store, clock, env):
    sql = "DELETE FROM accounts RETURNING 1"
    run_collector(store, ReconcileCollector(make_config({"source_sql": sql, "target_sql": COUNT})), clock)
    assert rows_of(store)[0]["error"] == "source side (SRC_DB): the query failed: attempt to write a readonly database"
    assert sqlite3.connect(env[0]).execute(COUNT).fetchone()[0] == 5000


def test_sqlite_statement_timeout_stops_an_endless_query(tmp_path, env):
    endless = "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT count(*) FROM r"
    reason = read_side("source", "SRC_DB", endless, 0.3, os.environ)
    assert reason == "source side (SRC_DB): the query ran past the 0.3 s statement timeout and was stopped"


def test_a_missing_sqlite_file_is_not_created(tmp_path):
    missing = tmp_path / "nowhere.db"
    reason = read_side("target", "T", COUNT, 5, {"T": f"sqlite:///{missing}"})
    assert reason == "target side (T): could not connect: unable to open database file"
    assert not missing.exists()


@pytest.mark.parametrize(("sql", "reason"), [
    ("SELECT id FROM accounts", "the query returned more than one row; it must return one row with one number"),
    ("SELECT count(*), 1 FROM accounts", "the query returned 2 columns; it must return one row with one number"),
    ("SELECT id FROM accounts WHERE id < 0", "the query returned no row; it must return one row with one number"),
    ("SELECT email FROM accounts WHERE id = 1", "the query returned a str, not a number; make it return one number "
                                                "(a count, a sum or a numeric checksum)"),
    ("SELECT sum(balance) FROM accounts WHERE id < 0",
     "the query returned NULL; make it return a number (e.g. coalesce(sum(amount), 0))"),
])
def test_an_answer_that_is_not_one_number_is_a_reason(env, sql, reason):
    assert read_side("source", "SRC_DB", sql, 5, os.environ) == f"source side (SRC_DB): {reason}"


@pytest.mark.parametrize(("url", "reason"), [
    ("not a url", "its value is not a SQLAlchemy database URL (e.g. postgresql+psycopg://db.example.com/app)"),
    ("nosuchdb://u:{pw}@h/x", "SQLAlchemy knows no database of that kind; check the URL's scheme "
                              "(postgresql, mysql+pymysql, mssql+pyodbc, duckdb, sqlite)"),
    ("mysql+mysqldb://u:{pw}@h/x", "the database driver MySQLdb is not installed; pip install 'hypercare[mysql]'"),
])
def test_an_unusable_url_is_named_by_its_variable_never_shown(url, reason):
    assert read_side("source", "SRC_DB", COUNT, 5, {"SRC_DB": url.format(pw=PASSWORD)}) == f"source side (SRC_DB): {reason}"


def test_runs_follow_each_checks_interval_and_rerun_adds_nothing(store, clock, env):
    config = make_config({"source_sql": COUNT, "target_sql": COUNT, "interval_seconds": 600},
                         {"name": "often", "source_sql": COUNT, "target_sql": COUNT, "interval_seconds": 60})
    collector = ReconcileCollector(config)
    assert collector.interval_seconds == 60
    first = clock.now()
    run_collector(store, collector, clock)
    again = run_collector(store, collector, clock)  # same instant: nothing due
    assert again.rows_written == 0
    clock.advance(seconds=60)
    run_collector(store, collector, clock)
    assert [r["name"] for r in rows_of(store)] == ["accounts", "often", "often"]
    latest = latest_results(store.cursor())
    assert [t.to_pydatetime() for t in latest["checked_at"]] == [first, clock.now()]


def test_the_registry_builds_it_and_the_config_names_its_source(env, clock):
    config = make_config({"source_sql": COUNT, "target_sql": COUNT})
    assert [c.name for c in build_collectors(config, clock)] == ["reconcile"]
    assert config.sources() == [("reconcile", 300)]


# --- real servers ---

def _server(name: str, url: str):
    import sqlalchemy as sa

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool, connect_args={"connect_timeout": 3})
    try:
        engine.connect().close()
    except sa.exc.OperationalError:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is not reachable and CI=true; {START[name]}")
        pytest.skip(f"{name} is not running; {START[name]}")
    return engine


@pytest.fixture
def postgres():
    """A schema of our own in the test database, with a 5,000-row source and a target 23 rows short."""
    engine = _server("PostgreSQL", PG_URL.format(password=PASSWORD))
    schema = "hc_" + uuid.uuid4().hex[:10]
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        for table, n in (("source_accounts", 5000), ("target_accounts", 4977)):
            conn.exec_driver_sql(f"CREATE TABLE {schema}.{table} AS SELECT g AS id FROM generate_series(1, {n}) g")
    yield schema
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    engine.dispose()


@pytest.fixture
def mariadb():
    """Tables of our own in the test database: 12,000 source bookings, 11,977 in the target."""
    engine = _server("MariaDB", MARIADB_URL)
    prefix = "hc_" + uuid.uuid4().hex[:10]
    with engine.begin() as conn:
        for table, n in (("source_bookings", 12000), ("target_bookings", 11977)):
            conn.exec_driver_sql(f"CREATE TABLE {prefix}_{table} (id INT PRIMARY KEY)")
            conn.exec_driver_sql(f"INSERT INTO {prefix}_{table} SELECT seq FROM seq_1_to_{n}")
    yield prefix
    with engine.begin() as conn:
        for table in ("source_bookings", "target_bookings"):
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {prefix}_{table}")
    engine.dispose()


def test_postgresql_mismatch_tolerance_timeout_and_read_only(store, clock, postgres, monkeypatch, caplog):
    monkeypatch.setenv("PG_DB", PG_URL.format(password=PASSWORD))
    pg = postgres
    count = {"source_sql": f"SELECT count(*) FROM {pg}.source_accounts", "target_sql": f"SELECT count(*) FROM {pg}.target_accounts",
             "source_env": "PG_DB", "target_env": "PG_DB"}
    config = make_config(
        {"name": "accounts", **count},
        {"name": "accounts-tolerated", **count, "tolerance": 25},
        {"name": "pg-slow", "source_env": "PG_DB", "target_env": "PG_DB", "timeout_seconds": 0.5,
         "source_sql": "SELECT 1 FROM pg_sleep(5)", "target_sql": f"DELETE FROM {pg}.target_accounts RETURNING 1"},
    )
    with caplog.at_level(logging.DEBUG):
        run = run_collector(store, ReconcileCollector(config), clock)
    rows = by_name(store)
    assert [rows["accounts"][k] for k in ("source_value", "target_value", "difference", "matched")] == [5000, 4977, -23, False]
    assert rows["accounts-tolerated"]["matched"] is True
    assert rows["pg-slow"]["error"] == (
        "source side (PG_DB): the query ran past the 0.5 s statement timeout and was stopped; "
        "target side (PG_DB): the query failed: cannot execute DELETE in a read-only transaction")
    assert run.status == "failed" and run.error.startswith("pg-slow: source side (PG_DB)")
    with _server("PostgreSQL", PG_URL.format(password="")).connect() as conn:
        assert conn.exec_driver_sql(f"SELECT count(*) FROM {pg}.target_accounts").scalar() == 4977  # nothing deleted
    assert_no_secret(store, caplog, [PASSWORD, PG_URL.format(password=PASSWORD)])


def test_mariadb_mismatch_tolerance_timeout_and_read_only(store, clock, mariadb, monkeypatch, caplog):
    monkeypatch.setenv("MARIA_DB", MARIADB_URL)
    monkeypatch.setenv("MARIA_BAD", f"mysql+pymysql://root:{PASSWORD}@127.0.0.1:3306/test")
    my = mariadb
    count = {"source_sql": f"SELECT count(*) FROM {my}_source_bookings", "target_sql": f"SELECT count(*) FROM {my}_target_bookings",
             "source_env": "MARIA_DB", "target_env": "MARIA_DB"}
    config = make_config(
        {"name": "bookings", **count},
        {"name": "bookings-tolerated", **count, "tolerance": "0.2%"},  # 0.2 % of 12,000 = 24 ≥ 23
        {"name": "maria-slow", "source_env": "MARIA_DB", "target_env": "MARIA_BAD", "timeout_seconds": 0.5,
         "source_sql": "SELECT SLEEP(5)", "target_sql": "SELECT 1"},
        {"name": "maria-write", "source_env": "MARIA_DB", "target_env": "MARIA_DB",
         "source_sql": f"DELETE FROM {my}_target_bookings", "target_sql": f"SELECT count(*) FROM {my}_target_bookings WHERE id LIKE '1%'"},
    )
    with caplog.at_level(logging.DEBUG):
        run = run_collector(store, ReconcileCollector(config), clock)
    rows = by_name(store)
    assert [rows["bookings"][k] for k in ("source_value", "target_value", "difference", "matched")] == [12000, 11977, -23, False]
    assert rows["bookings-tolerated"]["matched"] is True
    assert rows["maria-slow"]["error"].startswith(
        "source side (MARIA_DB): the query ran past the 0.5 s statement timeout and was stopped; "
        "target side (MARIA_BAD): could not connect: Access denied for user 'root'@")
    assert rows["maria-write"]["error"] == (
        "source side (MARIA_DB): the query failed: Cannot execute statement in a READ ONLY transaction (error 1792)")
    expected_like = sum(1 for i in range(1, 11978) if str(i).startswith("1"))
    assert rows["maria-write"]["target_value"] == expected_like  # '%' reached the server as written
    assert run.status == "failed"
    with _server("MariaDB", MARIADB_URL).connect() as conn:
        assert conn.exec_driver_sql(f"SELECT count(*) FROM {my}_target_bookings").scalar() == 11977  # nothing deleted
    assert_no_secret(store, caplog, [PASSWORD, "mysql+pymysql://root:"])


def test_a_check_across_postgresql_and_mariadb(store, clock, postgres, mariadb, monkeypatch):
    monkeypatch.setenv("PG_DB", PG_URL.format(password=PASSWORD))
    monkeypatch.setenv("MARIA_DB", MARIADB_URL)
    config = make_config({"name": "across", "source_env": "PG_DB", "target_env": "MARIA_DB",
                          "source_sql": f"SELECT sum(id) FROM {postgres}.source_accounts",  # numeric: a Decimal
                          "target_sql": f"SELECT sum(id) FROM {mariadb}_source_bookings WHERE id <= 5000"})
    run_collector(store, ReconcileCollector(config), clock)
    row = rows_of(store)[0]
    assert (row["source_value"], row["target_value"], row["matched"]) == (5000 * 5001 / 2, 5000 * 5001 / 2, True)


def assert_no_secret(store, caplog, secrets: list[str]) -> None:
    """No URL or password in any text column of any table, nor in any log line."""
    cur = store.cursor()
    columns = cur.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE data_type IN ('VARCHAR', 'JSON') OR data_type LIKE 'VARCHAR%'").fetchall()
    assert ("reconciliations", "error") in columns
    for table, column in columns:
        for secret in secrets:
            found = scalar(cur, f'SELECT count(*) FROM "{table}" WHERE contains(CAST("{column}" AS VARCHAR), ?)', [secret])
            assert found == 0, f"{table}.{column} holds a secret"
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    for secret in secrets:
        assert secret not in logged


def test_no_url_or_password_in_duckdb_or_logs_when_sides_fail(store, clock, env, monkeypatch, caplog):
    monkeypatch.setenv("SRC_DB", f"postgresql+psycopg://bob:{PASSWORD}@127.0.0.1:1/test")
    monkeypatch.setenv("TGT_DB", f"mysql+pymysql://bob:{PASSWORD}@127.0.0.1:1/test")
    with caplog.at_level(logging.DEBUG):
        run = run_collector(store, ReconcileCollector(make_config({"source_sql": COUNT, "target_sql": COUNT})), clock)
    error = rows_of(store)[0]["error"]
    assert error.startswith("source side (SRC_DB): could not connect: ") and "; target side (TGT_DB): could not connect: " in error
    assert run.status == "failed"
    assert_no_secret(store, caplog, [PASSWORD, "bob:", "127.0.0.1:1/test"])
