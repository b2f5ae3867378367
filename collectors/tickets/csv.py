"""A CSV export of tickets: one file re-read whole on each run; the upsert makes that idempotent.

Times without an offset are local to the configured time zone (DST-aware; an ambiguous
fall-back time is read as its first occurrence). A row that can't be read is reported with its
line number and skipped; every other row is kept. The file goes through DuckDB's CSV reader
(`csvstage`); `read_tickets` here is the row-by-row reference, and reads the files DuckDB reads
differently. Either way the rows are mapped and upserted with the checkpoint in one transaction.
"""

from __future__ import annotations

import csv
import hashlib
from datetime import datetime
from pathlib import Path
from typing import get_args
from zoneinfo import ZoneInfo

from collectors.base import RunOutcome
from collectors.tickets import csvstage
from collectors.tickets.normalise import RawTicket, raw_table
from collectors.tickets.source import TicketCollector
from hypercare.config import CsvSource, TicketField
from hypercare.errors import CollectorError
from hypercare.store import Store
from hypercare.store.writes import save_checkpoint

REQUIRED = ("ticket_id", "created_at")
SHOWN_PROBLEMS = 10


class CsvCollector(TicketCollector):
    source: CsvSource

    def collect(self, store: Store, now: datetime) -> RunOutcome:
        src = self.source
        tz = ZoneInfo(src.timezone or self.release.timezone)
        # The file and how it is read: unchanged and clean last time means nothing to do.
        settings = hashlib.sha256(f"{src.model_dump_json()}{tz.key}".encode()).hexdigest()[:16]
        fingerprint = f"{_digest(src.path)}:{settings}"
        if self.checkpoint(store, "file") == fingerprint:
            return RunOutcome(0)
        header = check_file(src)
        cur = store.cursor()  # the transaction's cursor: it sees the staging tables
        try:
            # Staged outside the transaction: a file DuckDB can't read must leave it usable.
            staged = csvstage.stage(cur, src, tz, header, header.width, lambda text: _instant(text, tz, src.time_format))
            if staged is None:  # DuckDB reads this file differently: the reference reads it
                tickets, problems = read_tickets(src, tz)
                kept = len(tickets)
                written = self.write(store, raw_table(tickets), "file", None if problems else fingerprint, now)
            else:
                kept, problems = staged
                with store.transaction() as cur:
                    written = self.normaliser.merge(cur, csvstage.RAW) if kept else 0
                    if not problems:
                        save_checkpoint(cur, self.name, "file", fingerprint, now)
        finally:
            csvstage.drop(cur)
        if not problems:
            return RunOutcome(written)
        shown = "; ".join(problems[:SHOWN_PROBLEMS]) + (" …" if len(problems) > SHOWN_PROBLEMS else "")
        return RunOutcome(written, warning=f"{src.path.name}: {len(problems)} rows skipped, {kept} kept; {shown}")


def check_file(src: CsvSource) -> _Header:
    """The file's header, once the whole file is known to decode: a file that can't be read at
    all fails the run, as the reference does, before anything is written."""
    try:
        with open(src.path, encoding=src.encoding, newline="") as f:
            header = _header(next(csv.reader(f, delimiter=src.delimiter), []), src)
            while f.read(1 << 20):
                pass
    except FileNotFoundError:
        raise CollectorError(f"no CSV file at {src.path}; check the path (relative to the config file)", permanent=True) from None
    except UnicodeDecodeError as exc:
        raise _not_encoded(src, exc) from None
    return header


def _not_encoded(src: CsvSource, exc: UnicodeDecodeError) -> CollectorError:
    return CollectorError(
        f"{src.path} is not {src.encoding} (byte {exc.object[exc.start]:#04x} at offset {exc.start}); "
        "set encoding, e.g. encoding = \"cp1252\"", permanent=True)


def read_tickets(src: CsvSource, tz: ZoneInfo) -> tuple[list[RawTicket], list[str]]:
    """The readable rows as RawTickets, and one 'line N: what is wrong' per unreadable row."""
    tickets, problems = [], []
    try:
        with open(src.path, encoding=src.encoding, newline="") as f:
            reader = csv.reader(f, delimiter=src.delimiter)
            header = _header(next(reader, []), src)
            line = reader.line_num + 1  # where the next record starts; a quoted field may span lines
            while True:
                try:
                    fields = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:
                    problems.append(f"line {line}: {exc}")
                else:
                    problem = header.check(fields)
                    if problem is None and any(fields):
                        try:
                            tickets.append(header.ticket(fields, tz, src.time_format))
                        except ValueError as exc:
                            problem = str(exc)
                    if problem:
                        problems.append(f"line {line}: {problem}")
                line = reader.line_num + 1
    except FileNotFoundError:
        raise CollectorError(f"no CSV file at {src.path}; check the path (relative to the config file)", permanent=True) from None
    except UnicodeDecodeError as exc:
        raise _not_encoded(src, exc) from None
    return tickets, problems


class _Header:
    def __init__(self, names: list[str], index: dict[str, int]):
        self.width = len(names)
        self.names = {field: names[i] for field, i in index.items()}
        self.index = index

    def check(self, fields: list[str]) -> str | None:
        if any(fields) and len(fields) != self.width:
            return f"{len(fields)} fields, the header has {self.width}"
        return None

    def _get(self, fields: list[str], name: str) -> str:
        i = self.index.get(name)
        return fields[i].strip() if i is not None else ""

    def ticket(self, fields: list[str], tz: ZoneInfo, fmt: str | None) -> RawTicket:
        ticket_id = self._get(fields, "ticket_id")
        if not ticket_id:
            raise ValueError(f"{self.names['ticket_id']} is empty")
        created = self._time(fields, "created_at", tz, fmt)
        updated = self._time(fields, "updated_at", tz, fmt) if self._get(fields, "updated_at") else created
        labels = tuple(v.strip() for v in self._get(fields, "labels").split(",") if v.strip())
        return RawTicket(
            ticket_id=ticket_id,
            created_at=created,
            updated_at=updated,
            title=self._get(fields, "title") or None,
            url=self._get(fields, "url") or None,
            status_raw=self._get(fields, "status") or None,
            # No priority column: look for a priority among the labels, as for GitHub.
            priority_raw=self._get(fields, "priority") if "priority" in self.index else None,
            category_raw=self._get(fields, "category") or None,
            labels=labels,
        )

    def _time(self, fields: list[str], name: str, tz: ZoneInfo, fmt: str | None) -> datetime:
        at, problem = _instant(self._get(fields, name), tz, fmt)
        if at is None:
            raise ValueError(f"{self.names[name]} {problem}")
        return at


def _instant(text: str, tz: ZoneInfo, fmt: str | None) -> tuple[datetime | None, str | None]:
    """A time's text as an aware datetime (local to `tz` when it has no offset), or what is wrong."""
    try:
        at = datetime.strptime(text, fmt) if fmt else datetime.fromisoformat(text)
    except ValueError:
        expected = f"the format {fmt}" if fmt else "ISO 8601 such as 2026-11-23 14:05 (or set time_format)"
        return None, f"{text!r} is not a date and time; expected {expected}"
    return (at if at.tzinfo else at.replace(tzinfo=tz)), None


def _header(names: list[str], src: CsvSource) -> _Header:
    if names and names[0].startswith("\ufeff"):
        names = [names[0][1:], *names[1:]]  # a byte-order mark read as text (encoding without -sig)
    names = [n.strip() for n in names]
    index, missing = {}, []
    for field in get_args(TicketField):
        column = src.columns.get(field, field)
        if column in names:
            index[field] = names.index(column)
        elif field in REQUIRED or field in src.columns:
            missing.append(f"columns.{field} = {column!r}")
    if missing:
        raise CollectorError(
            f"{src.path.name}: the header has no column for {', '.join(missing)}; it has {', '.join(names) or 'nothing'}. "
            "Set columns = {{ field = \"Header name\" }} in the [[tickets]] entry", permanent=True)
    return _Header(names, index)


def _digest(path: Path) -> str:
    try:
        with open(path, "rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except FileNotFoundError:
        return "missing"
