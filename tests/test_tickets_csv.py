"""The CSV collector: BOM, ';' delimiter, local times across DST, bad rows by line, idempotent re-reads."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from collectors.base import run_collector
from collectors.tickets import ticket_collectors
from tests.tickets_helpers import config_with, runs, stored

COLUMNS = {
    "ticket_id": "Ticket ID", "created_at": "Created", "updated_at": "Updated", "status": "State",
    "priority": "Prio", "category": "Type", "labels": "Tags", "title": "Subject", "url": "Link",
}
EXPORT = (
    "\ufeffTicket ID;Created;Updated;State;Prio;Type;Tags;Subject;Link\n"       # line 1
    "SD-1;2026-10-25 01:30;;Open;urgent;Bug;payment,checkout;Pay fails;https://desk/1\n"  # 2: CEST
    "SD-2;2026-10-25 02:30;2026-10-25 03:30;Solved;High;Question;;Twice 02:30;\n"  # 3: ambiguous, then CET
    "SD-3;2026-03-29 02:30;;Pending;normal;;login;Spring gap;\n"                   # 4: does not exist locally
    "SD-4;2026-11-23T10:00:00+00:00;;Escalated;Sev-9;Billing;;Has offset;\n"      # 5
    "SD-5;yesterday;;Open;low;;;Bad date;\n"                                       # 6: bad
    "SD-6;2026-11-23 10:00;Open\n"                                                 # 7: bad, 3 fields
    'SD-7;2026-11-23 11:00;;Open;low;Question;;"Two\nline subject";\n'             # 8-9
    "\n"                                                                           # 10: blank, ignored
    ";2026-11-23 12:00;;Open;low;;;No id;\n"                                       # 11: bad
    "SD-8;2026-11-23 13:00;;Closed;;;;Last;\n"                                     # 12
)
UTC = timezone.utc


def csv_collector(tmp_path, clock, text=EXPORT, encoding="utf-8", **extra):
    (tmp_path / "export.csv").write_bytes(text.encode(encoding))
    config = config_with(tmp_path, {"kind": "csv", "name": "desk", "path": "export.csv", "delimiter": ";",
                                    "columns": COLUMNS, **extra})
    [c] = ticket_collectors(config, clock)
    return c


def test_reads_local_times_across_dst_keeps_good_rows_and_names_bad_lines(tmp_path, store, clock):
    c = csv_collector(tmp_path, clock)
    record = run_collector(store, c, clock)
    rows = stored(store).set_index("ticket_id")
    assert list(rows.index) == ["SD-1", "SD-2", "SD-3", "SD-4", "SD-7", "SD-8"]
    created = {k: v.to_pydatetime() for k, v in rows.created_at.items()}
    assert created["SD-1"] == datetime(2026, 10, 24, 23, 30, tzinfo=UTC)  # 01:30 CEST (+2)
    assert created["SD-2"] == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # ambiguous: first occurrence, +2
    assert rows.updated_at["SD-2"].to_pydatetime() == datetime(2026, 10, 25, 2, 30, tzinfo=UTC)  # 03:30 CET (+1)
    assert created["SD-3"] == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # in the gap: the offset before it
    assert created["SD-4"] == datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # its own offset wins
    assert rows.updated_at["SD-1"] == rows.created_at["SD-1"]  # no updated time: the created time
    assert record.ok  # a complete run: the source stays fresh, the skipped lines are recorded beside it
    assert record.error.startswith("export.csv: 3 rows skipped, 6 kept;")
    assert "line 6: Created 'yesterday' is not a date and time" in record.error
    assert "line 7: 3 fields, the header has 9" in record.error
    assert "line 11: Ticket ID is empty" in record.error
    assert record.rows_written == 6


def test_mapping_of_csv_values(tmp_path, store, clock):
    run_collector(store, csv_collector(tmp_path, clock), clock)
    rows = stored(store).set_index("ticket_id")
    assert tuple(rows.loc["SD-1", ["status", "priority", "category"]]) == ("open", "P1", "technical")
    assert list(rows.loc["SD-1", "labels"]) == ["payment", "checkout"]
    assert tuple(rows.loc["SD-2", ["status", "priority", "category"]]) == ("solved", "P2", "usage")
    assert tuple(rows.loc["SD-3", ["status", "category"]]) == ("pending", "other")
    assert pd.isna(rows.loc["SD-4", "status"]) and rows.loc["SD-4", "status_raw"] == "Escalated"
    assert rows.loc["SD-4", "priority_raw"] == "Sev-9" and rows.loc["SD-4", "category_raw"] == "Billing"
    assert list(rows.loc["SD-4", "unmapped"]) == ["status", "priority", "category"]
    assert pd.isna(rows.loc["SD-8", "priority"]) and list(rows.loc["SD-8", "unmapped"]) == []
    assert rows.loc["SD-7", "title"] == "Two\nline subject" and rows.loc["SD-1", "url"] == "https://desk/1"


def test_rereading_changes_nothing_and_a_clean_unchanged_file_is_skipped(tmp_path, store, clock):
    clean = "\n".join(line for line in EXPORT.splitlines() if not line.startswith(("SD-5", "SD-6", ";"))) + "\n"
    c = csv_collector(tmp_path, clock, text=clean)
    first = run_collector(store, c, clock)
    before = stored(store)
    again = run_collector(store, c, clock)
    assert first.ok and again.ok and first.rows_written == 6 and again.rows_written == 0
    assert stored(store).equals(before)
    (tmp_path / "export.csv").write_bytes((clean + "SD-9;2026-11-23 14:00;;Open;;;;New;\n").encode())
    assert run_collector(store, c, clock).rows_written == 7  # changed file: read again, upserted
    assert len(stored(store)) == 7


def test_a_file_with_bad_rows_is_reread_every_run_without_duplicates(tmp_path, store, clock):
    c = csv_collector(tmp_path, clock)
    run_collector(store, c, clock)
    second = run_collector(store, c, clock)
    assert second.ok and "line 6" in second.error  # still reported until the file is fixed
    assert len(stored(store)) == 6
    assert list(runs(store).ok) == [True, True]


def test_default_columns_comma_delimiter_and_release_timezone(tmp_path, store, clock):
    (tmp_path / "t.csv").write_text("ticket_id,created_at,priority,labels\n1,2026-11-23 10:00,P2,\"bug,urgent\"\n")
    config = config_with(tmp_path, {"kind": "csv", "path": "t.csv"})
    [c] = ticket_collectors(config, clock)
    assert run_collector(store, c, clock).ok and c.name == "tickets:csv"
    row = stored(store).iloc[0]
    assert row.created_at.to_pydatetime() == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Europe/Brussels, +1
    assert (row.priority, row.category) == ("P2", "technical")


def test_time_format_and_timezone_options(tmp_path, store, clock):
    text = "Ticket ID;Created\nA;23/11/2026 10:00\n"
    c = csv_collector(tmp_path, clock, text=text, time_format="%d/%m/%Y %H:%M", timezone="America/New_York",
                      columns={"ticket_id": "Ticket ID", "created_at": "Created"})
    assert run_collector(store, c, clock).ok
    assert stored(store).created_at.iloc[0].to_pydatetime() == datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize("problem, text, encoding, message", [
    ("missing column", "Ticket;Created\n1;2026-11-23\n", "utf-8", "no column for columns.ticket_id = 'Ticket ID'"),
    ("wrong encoding", "Ticket ID;Created\nCafé;2026-11-23\n", "cp1252", "is not utf-8 (byte 0xe9"),
])
def test_unusable_files_fail_clearly_and_write_nothing(tmp_path, store, clock, problem, text, encoding, message):
    c = csv_collector(tmp_path, clock, text=text, encoding=encoding)
    record = run_collector(store, c, clock)
    assert not record.ok and message in record.error
    assert len(stored(store)) == 0


def test_configured_encoding_reads_the_file(tmp_path, store, clock):
    (tmp_path / "w.csv").write_bytes("Ticket ID;Created;Subject\n1;2026-11-23 08:00;Café\n".encode("cp1252"))
    config = config_with(tmp_path, {"kind": "csv", "path": "w.csv", "delimiter": ";", "encoding": "cp1252",
                                    "columns": {"ticket_id": "Ticket ID", "created_at": "Created", "title": "Subject"}})
    [c] = ticket_collectors(config, clock)
    assert run_collector(store, c, clock).ok
    assert stored(store).title.iloc[0] == "Café"


def test_missing_file_is_a_clear_error(tmp_path, store, clock):
    config = config_with(tmp_path, {"kind": "csv", "path": "nowhere.csv"})
    [c] = ticket_collectors(config, clock)
    assert f"no CSV file at {tmp_path / 'nowhere.csv'}" in run_collector(store, c, clock).error


def test_cli_collect_once_reads_the_csv_and_reports_bad_lines(tmp_path):
    root = Path(__file__).resolve().parents[1]
    (tmp_path / "export.csv").write_bytes(EXPORT.encode())
    (tmp_path / "hypercare.toml").write_text(
        '[release]\nname = "FitBook"\ngo_live_at = "2026-11-22T22:00:00+01:00"\ntimezone = "Europe/Brussels"\n'
        '[store]\npath = "data/h.duckdb"\n'
        '[[tickets]]\nkind = "csv"\nname = "desk"\npath = "export.csv"\ndelimiter = ";"\n'
        'columns = { ticket_id = "Ticket ID", created_at = "Created", updated_at = "Updated", status = "State", '
        'priority = "Prio", category = "Type", labels = "Tags", title = "Subject", url = "Link" }\n')
    run = subprocess.run([sys.executable, "-m", "hypercare.cli", "collect", "--once", "--only", "tickets",
                          "--config", str(tmp_path / "hypercare.toml")], cwd=root, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr  # the run completed; the skipped lines are reported
    assert "tickets:desk: 6 rows" in run.stdout and "note: export.csv: 3 rows skipped" in run.stdout and "line 6:" in run.stdout
    con = duckdb.connect(str(tmp_path / "data" / "h.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM tickets WHERE source = 'desk'").fetchall() == [(6,)]
    con.close()


def test_a_changed_mapping_rereads_an_unchanged_file(tmp_path, store, clock):
    text = "Ticket ID;Created;Prio\nA;2026-11-23 10:00;Sev-1\n"
    columns = {"ticket_id": "Ticket ID", "created_at": "Created", "priority": "Prio"}
    assert run_collector(store, csv_collector(tmp_path, clock, text=text, columns=columns), clock).ok
    assert list(stored(store).unmapped.iloc[0]) == ["priority"]
    remapped = csv_collector(tmp_path, clock, text=text, columns=columns, priorities={"P1": ["Sev-1"]})
    assert run_collector(store, remapped, clock).rows_written == 1
    row = stored(store).iloc[0]
    assert row.priority == "P1" and list(row.unmapped) == []
