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


class StoreDamagedError(StoreError):
    """The file can't be read as a database: truncated, overwritten, or not DuckDB at all."""

    def __init__(self, path: Path, why: str):
        self.path = path
        snapshot = snapshot_path_for(path)
        restore = (f"restore it from the snapshot (stop Hypercare, copy {snapshot} over it)" if snapshot.exists()
                   else "restore it from a backup")
        super().__init__(f"{path} is damaged ({why}): {restore}, or point [store] path in the config at a new file")


# DuckDB's errors that say the file itself is bad, not the query.
DAMAGE_ERRORS = (duckdb.IOException, duckdb.SerializationException, duckdb.InternalException, duckdb.FatalException)
# A file's three header blocks precede its data blocks (DuckDB's storage format).
_HEADER_BYTES = 3 * 4096


def explain(path: Path, exc: duckdb.Error) -> StoreError:
    """A DuckDB error met while reading or writing `path`, as the sentence a person can act on."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "Permission denied" in text:
        return StoreError(f"{path} can't be opened: permission denied; let the user running Hypercare read and "
                          f"write it (and its folder), or point [store] path in the config elsewhere")
    if isinstance(exc, DAMAGE_ERRORS):
        return StoreDamagedError(path, text.removeprefix("IO Error: ").replace(f'"{path}"', "the file"))
    return StoreError(f"{path} can't be used: {text}")


def _make_folder(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        blocker = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
        why = f"{blocker} is a file, not a folder" if blocker else (exc.strerror or type(exc).__name__).lower()
        raise StoreError(f"{path} can't be created: its folder {path.parent} can't be made ({why}); point "
                         f"[store] path in the config at a folder the user running Hypercare may write to") from None


def _check_whole(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """A file cut short (a copy that stopped, a full disk) opens, then fails on the first read
    of a missing block: compare its length with the blocks it says it has, up front."""
    if not path.exists():
        return
    block_size, blocks = con.execute("SELECT block_size, total_blocks FROM pragma_database_size() "
                                     "WHERE database_name = current_database()").fetchone()
    expected = _HEADER_BYTES + block_size * blocks if blocks else 0
    size = path.stat().st_size
    if size < expected:
        raise StoreDamagedError(path, f"it is {size:,} bytes long but holds {blocks} blocks of {block_size:,}: "
                                      f"it was cut short")


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
        raise explain(path, exc) from None
    except duckdb.ConnectionException as exc:
        if "different configuration" in str(exc):  # this very process holds it read-write
            raise StoreLockedError(path, os.getpid(), "this process") from None
        raise explain(path, exc) from None
    except duckdb.Error as exc:
        raise explain(path, exc) from None
    try:
        con.execute("SET TimeZone = 'UTC'")
        _check_whole(con, path)
    except BaseException as exc:
        con.close()
        if isinstance(exc, duckdb.Error):
            raise explain(path, exc) from None
        raise
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
            _make_folder(self.path)
        self._con = _connect(self.path, read_only)
        self._local = threading.local()
        self._snapshot_lock = threading.Lock()
        try:
            if read_only:
                version = self.schema_version()
                if version > LATEST:
                    raise StoreTooNewError(f"{self.path} has schema {version}; this Hypercare knows {LATEST}: upgrade it")
            else:
                self._remove_stale_snapshot_temps()
                migrate(self._con)
        except BaseException as exc:
            self._con.close()
            if isinstance(exc, duckdb.Error):
                raise self.explain(exc) from None
            raise

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

    def explain(self, exc: duckdb.Error) -> StoreError:
        """`exc`, raised by a read or write on this store, as a sentence naming the file and the fix."""
        return explain(self.path, exc)

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
