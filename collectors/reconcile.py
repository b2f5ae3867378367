"""The reconciliation collector: each due `[[reconcile]]` check reads one number from the source and
one from the target database of a data migration, and records whether they agree.

Databases are reached through SQLAlchemy URLs read from the environment at run time (the config
names only the variables). Each side runs on a fresh connection (no pool: a check runs every few
minutes, and nothing must hold a connection in between) in its own thread, read-only where the
driver allows it and with a statement timeout, and is always rolled back:

| dialect    | read-only                              | statement timeout                        |
|------------|----------------------------------------|------------------------------------------|
| postgresql | default_transaction_read_only = on     | statement_timeout                        |
| mysql      | SET SESSION TRANSACTION READ ONLY      | max_execution_time (MySQL, SELECT only)  |
| mariadb    | SET SESSION TRANSACTION READ ONLY      | max_statement_time                       |
| sqlite     | the file opened with ?mode=ro          | a progress handler past the deadline     |
| duckdb     | read_only=True                         | none (DuckDB has none)                   |
| mssql      | none (rolled back)                     | pyodbc's query timeout                   |

A side that fails becomes a sentence naming the side and the reason (never the URL) in the row's
`error`; the other side and the other checks go on. Such a run is recorded as failed, naming the
checks, so the source's state says its figures can't be trusted.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa

from collectors.base import RunOutcome
from hypercare.config import Config, ReconcileConfig
from hypercare.http import redact
from hypercare.readiness.reconcile import Reconciliation, exact_number, reconcile
from hypercare.store import Store
from hypercare.store.writes import merge_rows

log = logging.getLogger(__name__)

DUE_SLACK = timedelta(seconds=1)  # a check due a moment from now counts as due this cycle
MAX_REASON = 300  # characters of a driver's message kept in the row
# Drivers a URL may need, and the extra that installs each (pyproject.toml).
EXTRAS = {"psycopg": "postgresql", "psycopg2": "postgresql", "pymysql": "mysql", "MySQLdb": "mysql",
          "pyodbc": "mssql", "duckdb_engine": "duckdb"}
# Driver errors that mean "the statement timeout stopped it": PostgreSQL's query_canceled
# SQLSTATE, MySQL's ER_QUERY_TIMEOUT, MariaDB's ER_STATEMENT_TIMEOUT, ODBC's timeout SQLSTATE.
TIMEOUT_SQLSTATES = {"57014", "HYT00", "HYT01"}
TIMEOUT_ERRNOS = {3024, 1969}

SCHEMA = pa.schema([
    ("name", pa.string()), ("checked_at", pa.timestamp("us", tz="UTC")), ("source_value", pa.float64()),
    ("target_value", pa.float64()), ("difference", pa.float64()), ("matched", pa.bool_()), ("error", pa.string()),
])


class SideFailed(Exception):
    """A side's reason, without the side's name (the caller adds it)."""


def read_number(url_text: str, sql: str, timeout: float) -> Decimal:
    """Run `sql` once against the database at `url_text`, read-only where the driver allows it,
    within `timeout` seconds, and return its one number. Raises SideFailed with the reason."""
    import sqlalchemy as sa  # on first use: it takes a second or more to import, and only [[reconcile]] needs it

    try:
        url = sa.make_url(url_text)
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool, **_engine_options(url, timeout))
    except sa.exc.NoSuchModuleError:  # before ArgumentError, its base class
        raise SideFailed("SQLAlchemy knows no database of that kind; check the URL's scheme "
                         "(postgresql, mysql+pymysql, mssql+pyodbc, duckdb, sqlite)") from None
    except sa.exc.ArgumentError:
        raise SideFailed("its value is not a SQLAlchemy database URL (e.g. postgresql+psycopg://db.example.com/app)") from None
    except ModuleNotFoundError as exc:
        raise SideFailed(_missing_driver(exc)) from None
    sa.event.listen(engine, "connect", _session_setup(engine.dialect.name, timeout))
    stage = "could not connect"
    try:
        with engine.connect() as conn:
            stage = "the query failed"
            # as written: no parameters, so a '%' in LIKE 'a%' is not taken for a placeholder
            rows = conn.execution_options(no_parameters=True).exec_driver_sql(sql).fetchmany(2)
            conn.rollback()  # never commit: a reconciliation only reads
    except sa.exc.DBAPIError as exc:
        raise SideFailed(_reason(exc.orig, stage, timeout)) from None
    except ModuleNotFoundError as exc:
        raise SideFailed(_missing_driver(exc)) from None
    finally:
        engine.dispose()
    if len(rows) != 1 or len(rows[0]) != 1:
        shape = "no row" if not rows else (f"{len(rows[0])} columns" if len(rows) == 1 else "more than one row")
        raise SideFailed(f"the query returned {shape}; it must return one row with one number")
    try:
        return exact_number(rows[0][0])
    except ValueError as exc:
        raise SideFailed(str(exc)) from None


def _engine_options(url, timeout: float) -> dict:
    """Connect timeouts, and the read-only connection a dialect takes at connect time."""
    seconds = max(1, round(timeout))
    dialect = url.get_backend_name()
    if dialect == "postgresql":
        return {"connect_args": {"connect_timeout": max(2, seconds)}}
    if dialect in ("mysql", "mariadb"):
        # read_timeout: a backstop if the server ignores its own statement timeout
        return {"connect_args": {"connect_timeout": seconds, "read_timeout": seconds + 5}}
    if dialect == "mssql":
        return {"connect_args": {"timeout": seconds}}
    if dialect == "duckdb":
        return {"connect_args": {"read_only": True}}
    if dialect == "sqlite":
        return {"creator": _sqlite_read_only(url.database)}
    return {}


def _sqlite_read_only(database: str | None) -> Callable[[], sqlite3.Connection]:
    if not database or database == ":memory:":
        raise SideFailed("a SQLite URL must name a database file, e.g. sqlite:////srv/data/app.db")
    uri = Path(database).resolve().as_uri().replace("file://", "file:", 1) + "?mode=ro"
    return lambda: sqlite3.connect(uri, uri=True, check_same_thread=False)


def _session_setup(dialect: str, timeout: float) -> Callable:
    """A "connect" listener making each new connection read-only with a statement timeout."""
    def setup(dbapi_conn, _record) -> None:
        if dialect == "sqlite":
            deadline = time.monotonic() + timeout  # a fresh connection runs one query
            dbapi_conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
            return
        if dialect == "mssql":
            dbapi_conn.timeout = max(1, round(timeout))  # pyodbc's query timeout, in seconds
            return
        statements = _session_statements(dialect, dbapi_conn, timeout)
        if statements:
            cur = dbapi_conn.cursor()
            for statement in statements:
                cur.execute(statement)
            cur.close()
            dbapi_conn.commit()  # session settings outlive this transaction
    return setup


def _session_statements(dialect: str, dbapi_conn, timeout: float) -> list[str]:
    if dialect == "postgresql":
        return ["SET default_transaction_read_only = on", f"SET statement_timeout = {round(timeout * 1000)}"]
    if dialect in ("mysql", "mariadb"):
        cur = dbapi_conn.cursor()
        cur.execute("SELECT VERSION()")
        mariadb = "mariadb" in str(cur.fetchone()[0]).lower()
        cur.close()
        limit = f"max_statement_time = {timeout:g}" if mariadb else f"max_execution_time = {round(timeout * 1000)}"
        return ["SET SESSION TRANSACTION READ ONLY", f"SET SESSION {limit}"]
    return []


def _reason(orig: BaseException, stage: str, timeout: float) -> str:
    """A driver's error as a short reason: a statement timeout said plainly, else its first line."""
    args = getattr(orig, "args", ())
    if (getattr(orig, "sqlstate", None) in TIMEOUT_SQLSTATES or (args and args[0] in TIMEOUT_ERRNOS)
            or (args and isinstance(args[0], str) and args[0][:5] in TIMEOUT_SQLSTATES)
            or (isinstance(orig, sqlite3.OperationalError) and str(orig) == "interrupted")):
        return f"the query ran past the {timeout:g} s statement timeout and was stopped"
    if len(args) == 2 and isinstance(args[0], int) and isinstance(args[1], str):  # PyMySQL: (errno, message)
        text = f"{args[1]} (error {args[0]})"
    else:
        text = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    return f"{stage}: {text[:MAX_REASON]}"


def _missing_driver(exc: ModuleNotFoundError) -> str:
    module = (exc.name or "").split(".")[0]
    extra = EXTRAS.get(module)
    fix = f"pip install 'hypercare[{extra}]'" if extra else f"install the Python package that provides {module}"
    return f"the database driver {module} is not installed; {fix}"


def read_side(side: str, env_name: str, sql: str, timeout: float, environ: Mapping[str, str]) -> Decimal | str:
    """One side's number, or the sentence saying why there is none (never the URL)."""
    url_text = environ.get(env_name)
    if not url_text:
        return (f"{side} side: the environment variable {env_name} is not set; set it to the database's "
                "SQLAlchemy URL (in the environment or .streamlit/secrets.toml)")
    try:
        return read_number(url_text, sql, timeout)
    except SideFailed as exc:
        return f"{side} side ({env_name}): {redact(str(exc), _secret_parts(url_text))}"
    except Exception as exc:  # a driver's unforeseen error must cost one side, not the run
        log.warning("reconcile %s side (%s) failed unexpectedly: %s", side, env_name, type(exc).__name__)
        return f"{side} side ({env_name}): unexpected {type(exc).__name__}: {redact(str(exc), _secret_parts(url_text))}"


def _secret_parts(url_text: str) -> list[str]:
    """The URL and its password: scrubbed from any driver message before it is kept."""
    import sqlalchemy as sa

    try:
        password = sa.make_url(url_text).password
    except Exception:
        password = None
    return [url_text] + ([str(password)] if password else [])


def due_checks(cur: duckdb.DuckDBPyConnection, checks: Sequence[ReconcileConfig], now: datetime) -> list[ReconcileConfig]:
    """The checks whose interval has passed since their last stored result (or that never ran)."""
    last = dict(cur.execute(
        "SELECT name, max(checked_at) FROM reconciliations WHERE checked_at <= ? AND list_contains(?, name) GROUP BY name",
        [now, [c.name for c in checks]],
    ).fetchall())
    return [c for c in checks
            if c.name not in last or now - last[c.name] >= timedelta(seconds=c.interval_seconds) - DUE_SLACK]


def run_checks(checks: Sequence[ReconcileConfig], at: datetime, environ: Mapping[str, str]) -> list[Reconciliation]:
    """Every side of every check at once (a few threads); results in the checks' order."""
    if not checks:
        return []
    with ThreadPoolExecutor(max_workers=min(8, 2 * len(checks)), thread_name_prefix="reconcile") as pool:
        sides = [(pool.submit(read_side, "source", c.source_env, c.source_sql, c.timeout_seconds, environ),
                  pool.submit(read_side, "target", c.target_env, c.target_sql, c.timeout_seconds, environ))
                 for c in checks]
        wait([f for pair in sides for f in pair])
    return [reconcile(c.name, at, source.result(), target.result(), c.limit) for c, (source, target) in zip(checks, sides)]


def results_table(results: Sequence[Reconciliation]) -> pa.Table:
    return pa.Table.from_pylist([vars(r) for r in results], schema=SCHEMA)


class ReconcileCollector:
    """Collector "reconcile": every due `[[reconcile]]` check, both sides at once, one batch."""

    name = "reconcile"
    kind = "reconcile"

    def __init__(self, config: Config, environ: Mapping[str, str] | None = None):
        self.checks = list(config.reconcile)
        self.environ = os.environ if environ is None else environ
        self.interval_seconds = min((c.interval_seconds for c in self.checks), default=300.0)
        urls = [self.environ.get(n) for c in self.checks for n in (c.source_env, c.target_env)]
        self.secrets = sorted({p for u in urls if u for p in _secret_parts(u)}, key=len, reverse=True)

    def collect(self, store: Store, now: datetime) -> RunOutcome:
        with store.transaction() as cur:
            due = due_checks(cur, self.checks, now)
        results = run_checks(due, now, self.environ)
        written = 0
        if results:
            with store.transaction() as cur:
                written = merge_rows(cur, "reconciliations", results_table(results), ["name", "checked_at"])
        failed = [f"{r.name}: {r.error}" for r in results if r.error]
        return RunOutcome(written, incomplete="; ".join(failed) if failed else None)
