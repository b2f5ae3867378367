"""What every benchmark shares: the one table format (a Markdown table, pasteable into a note)
and the peak-memory figure of the rows that write."""

from __future__ import annotations

import resource
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    table = [tuple(header), *(tuple(str(c) for c in r) for r in rows)]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    print(title)
    for n, row in enumerate(table):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |")
        if n == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


@dataclass
class Peak:
    """Peak resident memory (MiB) of this process during a block, and what it held when the block began."""

    before_mib: float = 0.0
    peak_mib: float = 0.0
    since_start: bool = False  # the kernel's high-water mark could not be reset: the process's whole-life peak

    def __str__(self) -> str:
        if self.since_start:
            return f"{self.peak_mib:,.0f} MiB (process peak so far)"
        return f"{self.peak_mib:,.0f} MiB (+{max(self.peak_mib - self.before_mib, 0):,.0f})"


@contextmanager
def peak_memory() -> Iterator[Peak]:
    """Measure the peak RSS of this process, all threads, while the block runs; `str()` prints
    "412 MiB (+180)": the peak and how much it rose above the RSS at the start of the block.

    RSS, not tracemalloc: the writes run in DuckDB's and Arrow's native allocators, which
    tracemalloc does not see. And not `ru_maxrss` alone: that is the peak of the process's
    whole life, so after the first big step every later row would repeat it. On Linux, writing
    5 to /proc/self/clear_refs resets the kernel's high-water mark (VmHWM), so each block gets
    its own peak; elsewhere the figure falls back to `ru_maxrss`, marked as the process peak.
    Child processes (the fake servers the benches start) are not counted.
    """
    peak = Peak()
    try:
        _CLEAR_REFS.write_text("5")
        peak.before_mib = _status_mib("VmRSS")
    except OSError:
        peak.since_start = True
    try:
        yield peak
    finally:
        if peak.since_start:
            unit = 1024 * 1024 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB elsewhere
            peak.peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / unit
        else:
            peak.peak_mib = _status_mib("VmHWM")


def _status_mib(field: str) -> float:
    for line in _STATUS.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024  # "VmHWM:   318156 kB"
    raise OSError(f"{field} not in {_STATUS}")


def insert(store, table, df):
    """Bench set-up: a DataFrame into `table` in one transaction (columns by name)."""
    with store.transaction() as cur:
        cur.register("batch", df)
        cur.execute(f"INSERT INTO {table} BY NAME SELECT * FROM batch").fetchall()
        cur.unregister("batch")
