"""A report as files: both formats rendered, written to a temp file then renamed into place."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Literal

import duckdb

from hypercare.config import Config
from hypercare.report.build import build_report
from hypercare.report.html import to_html
from hypercare.report.markdown import to_markdown
from hypercare.report.model import Report
from hypercare.window import Window

Format = Literal["html", "md"]
EXTENSIONS: dict[str, Format] = {".html": "html", ".htm": "html", ".md": "md", ".markdown": "md"}


def render(report: Report, fmt: Format) -> str:
    return to_html(report) if fmt == "html" else to_markdown(report)


def documents(cur: duckdb.DuckDBPyConnection, config: Config, window: Window, now: datetime,
              notes: Sequence[str] = ()) -> tuple[str, str]:
    """(HTML, Markdown) of the report as of `now`: what the Report page shows and offers."""
    report = build_report(cur, config, window, now, notes)
    return to_html(report), to_markdown(report)


def format_of(path: Path) -> Format | None:
    """The format a file name asks for by its extension; None when it says nothing known."""
    return EXTENSIONS.get(path.suffix.lower())


def write_atomically(path: Path, text: str) -> None:
    """Readers see the old file or the whole new one, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
