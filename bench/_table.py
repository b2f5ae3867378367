"""The one table format every benchmark prints (a Markdown table, pasteable into a note)."""

from __future__ import annotations

from collections.abc import Sequence


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    table = [tuple(header), *(tuple(str(c) for c in r) for r in rows)]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    print(title)
    for n, row in enumerate(table):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |")
        if n == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
