"""Shift reports under `hypercare serve`: the latest due slot written once, and posted once.

Each tick looks at the latest slot at or before `now` (hypercare.report.schedule). A slot with a
row in `report_slots` is done; otherwise its report is built as of the slot's instant, both
files are written (temp file, then rename), and the row is recorded in one transaction with the
webhook post queued in the notifications outbox, so a restart never writes or posts a slot
twice. Slots missed while the process was down are skipped except the latest, written at start.
A crash after the files are renamed but before the row commits rewrites the same two files
(same names, same instant) on the next start.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from hypercare.config import Config
from hypercare.incidents.notify import deliver_pending, notification_id, queue
from hypercare.report import schedule
from hypercare.report.build import build_report
from hypercare.report.html import to_html
from hypercare.report.markdown import to_markdown
from hypercare.report.output import write_atomically
from hypercare.report.text import when
from hypercare.store import Store
from hypercare.store.read import scalar
from hypercare.window import Window

LATE = timedelta(minutes=5)  # a report written later than this after its slot says so


@dataclass(frozen=True)
class ShiftReport:
    slot: datetime
    kind: str  # "shift" or "exit"
    html_path: Path
    md_path: Path


def write_due_report(store: Store, config: Config, window: Window | None, now: datetime) -> ShiftReport | None:
    """Write the latest due slot's report unless it was written already; None when nothing is due."""
    if window is None:
        return None
    slot = schedule.latest_due(schedule.slots(config.report, window), now)
    if slot is None or scalar(store.cursor(), "SELECT count(*) FROM report_slots WHERE slot = ?", [slot]):
        return None
    notes = [f"Written at {when(now, window.timezone)} for this slot: Hypercare was not running at its time."] \
        if now - slot > LATE else []
    report = build_report(store.cursor(), config, window, slot, notes)
    markdown = to_markdown(report)
    stem = schedule.file_stem(config.release.name, slot, window)
    folder = Path(config.report.folder)
    html_path, md_path = folder / f"{stem}.html", folder / f"{stem}.md"
    write_atomically(html_path, to_html(report))
    write_atomically(md_path, markdown)
    kind = "exit" if slot == window.end else "shift"
    channel = config.report.webhook_env
    event_id = f"report:{slot.isoformat()}"
    with store.transaction() as cur:
        if channel:
            queue(cur, None, event_id, "report", [channel], markdown, now)
        cur.execute(
            "INSERT INTO report_slots SELECT ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM report_slots WHERE slot = ?)",
            [slot, kind, now, str(html_path), str(md_path), notification_id(event_id, channel) if channel else None, slot],
        )
    return ShiftReport(slot, kind, html_path, md_path)


def shift_tick(store: Store, config: Config, window: Window | None, now: datetime, *,
               env: Mapping[str, str] | None = None) -> ShiftReport | None:
    """The serve hook: write what is due, then deliver the outbox (the summary goes out at once)."""
    written = write_due_report(store, config, window, now)
    if written is not None and config.report.webhook_env:
        deliver_pending(store, now, env=env)
    return written
