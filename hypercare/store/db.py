"""The DuckDB store: one database instance per process, a cursor per thread, migrations, snapshot.

DuckDB lets one process hold a file read-write, and then no other process can open it at all.
The process that owns the file (`hypercare serve`) shares this Store between the scheduler's
threads and the Streamlit pages; everyone else reads the published snapshot.
"""

from __future__ import annotations

import glob
import logging
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from hypercare.store.read import scalar
from hypercare.store.schema import LATEST, MIGRATIONS

log = logging.getLogger(__name__)


class StoreError(Exception):
    """A store problem told as a sentence a person can act on."""


class StoreLockedError(StoreError):
    def __init__(self, path: Path, pid: int | None, holder: str | None):
        self.path, self.pid, self.holder = path, pid, holder
        who = f"process {pid}" if pid else "another process"
        if holder:
            who += f" ({holder})"
        snapshot = snapshot_path_for(path)
        super().__init__(
            f"{path} is held by {who}; only one process can open it for writing, so stop that "
            f"process or let it do the collecting (`hypercare serve` runs the collectors itself), "
            f"and read {snapshot} meanwhile."
        )


class StoreTooNewError(StoreError):
    pass


def snapshot_path_for(path: Path) -> Path:
    return path.with_name(path.stem + ".snapshot.duckdb")


_SNAPSHOT_TEMP = re.compile(r"\.\d+\.tmp(\.wal)?")  # after the snapshot's name, see publish_snapshot
_LOCK_PID = re.compile(r"Conflicting lock is held in .*?\(PID (\d+)\)")


def _holder(pid: int) -> str | None:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    words = [w for w in raw.decode(errors="replace").split("\0") if w]
    for i, word in enumerate(words):
        if os.path.basename(word) == "hypercare" or word.endswith("hypercare/cli.py") or word == "hypercare.cli":
            return " ".join(["hypercare", *words[i + 1 :]])
    return " ".join(words)[:120] or None


def _connect(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        match = _LOCK_PID.search(str(exc))
        if match or "Could not set lock" in str(exc):
            pid = int(match.group(1)) if match else None
            raise StoreLockedError(path, pid, _holder(pid) if pid else None) from None
        raise StoreError(f"cannot open {path}: {exc}") from None
    except duckdb.ConnectionException as exc:
        if "different configuration" in str(exc):  # this very process holds it read-write
            raise StoreLockedError(path, os.getpid(), "this process") from None
        raise StoreError(f"cannot open {path}: {exc}") from None
    con.execute("SET TimeZone = 'UTC'")
    return con


def connect_exclusively(path: Path) -> duckdb.DuckDBPyConnection:
    """The file opened read-write as it is (not migrated), which no other process may have open
    meanwhile, not even read-only: StoreLockedError names the one that does."""
    return _connect(path, read_only=False)


class Store:
    """One open database. `cursor()` gives each thread its own cursor on the shared instance."""

    def __init__(self, path: str | os.PathLike, read_only: bool = False):
        self.path = Path(path)
        self.read_only = read_only
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._con = _connect(self.path, read_only)
        self._local = threading.local()
        self._snapshot_lock = threading.Lock()
        if not read_only:
            self._remove_stale_snapshot_temps()
        if read_only:
            version = self.schema_version()
            if version > LATEST:
                raise StoreTooNewError(f"{self.path} has schema {version}; this Hypercare knows {LATEST}: upgrade it")
        else:
            migrate(self._con)

    @classmethod
    def open_for_reading(cls, path: str | os.PathLike) -> Store:
        """Read-only access: the file itself when free, else its snapshot when the owner holds it."""
        path = Path(path)
        try:
            return cls(path, read_only=True)
        except StoreLockedError:
            snapshot = snapshot_path_for(path)
            if not snapshot.exists():
                raise
            return cls(snapshot, read_only=True)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._con.cursor()
            cur.execute("SET TimeZone = 'UTC'")
            self._local.cursor = cur
        return cur

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor inside BEGIN ... COMMIT; anything raised rolls the whole batch back."""
        cur = self.cursor()
        cur.execute("BEGIN TRANSACTION")
        try:
            yield cur
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        cur.execute("COMMIT")

    def schema_version(self) -> int:
        cur = self.cursor()
        exists = scalar(cur, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'")
        if not exists:
            return 0
        return scalar(cur, "SELECT coalesce(max(version), 0) FROM schema_version")

    @property
    def snapshot_path(self) -> Path:
        return snapshot_path_for(self.path)

    def _remove_stale_snapshot_temps(self) -> None:
        """Delete temp snapshots a killed publisher left (`….snapshot.duckdb.<pid>.tmp`). Only the
        process holding the database publishes, and this one just took it, so none is in use."""
        target = self.snapshot_path
        for tmp in target.parent.glob(glob.escape(target.name) + ".*.tmp*"):
            if _SNAPSHOT_TEMP.fullmatch(tmp.name[len(target.name):]):
                tmp.unlink(missing_ok=True)
                log.info("removed %s, a snapshot a stopped process left half-written", tmp)

    def publish_snapshot(self) -> Path:
        """Copy the database to the read-only snapshot file: temp file, then atomic rename."""
        target = self.snapshot_path
        tmp = target.with_name(target.name + f".{os.getpid()}.tmp")
        with self._snapshot_lock:
            tmp.unlink(missing_ok=True)
            cur = self._con.cursor()
            alias = "hypercare_snapshot"
            cur.execute(f"ATTACH '{_sql_path(tmp)}' AS {alias}")
            try:
                db = scalar(cur, "SELECT current_database()")
                cur.execute(f'COPY FROM DATABASE "{db}" TO {alias}')
            finally:
                cur.execute(f"DETACH {alias}")
                cur.close()
            os.replace(tmp, target)
        return target

    def close(self) -> None:
        self._con.close()


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply the migrations the file lacks, each in its own transaction; returns those applied."""
    con.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER, description VARCHAR, applied_at TIMESTAMPTZ)")
    done = {row[0] for row in con.execute("SELECT version FROM schema_version").fetchall()}
    current = max(done, default=0)
    if current > LATEST:
        raise StoreTooNewError(f"the database has schema {current}; this Hypercare knows {LATEST}: upgrade Hypercare")
    applied = []
    for version, description, sql in MIGRATIONS:
        if version in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(sql)
            con.execute(
                "INSERT INTO schema_version VALUES (?, ?, ?)",
                [version, description, datetime.now(timezone.utc)],
            )
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
        applied.append(version)
    if applied and current:
        log.info("store migrated from schema %s to %s", current, applied[-1])
    elif applied:
        log.debug("store created with schema %s", applied[-1])
    return applied
