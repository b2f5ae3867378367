"""bench/pages.py deletes the cached stores of older keys of the same size once it has built a
new one, never another size's store, a partial build or a newer key's store."""

from __future__ import annotations

import importlib
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"


def test_older_keys_are_stale_partial_and_newer_ones_stay(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    pages = importlib.import_module("pages")
    names = ["c1000-i30-seed7-schema91-build3.duckdb", "c1000-i30-seed7-schema95n16-build4.duckdb",
             "c6-i600-seed7-schema95-build4.duckdb", "c1000-i30-seed7-schema95n17-build3.duckdb",
             "c1000-i30-seed7-schema95n17-build4.partial-12.duckdb", "c1000-i30-seed7-schema95n18-build4.duckdb",
             "c1000-i30-seed7-schema96n16-build4.duckdb", "notes.txt"]
    for name in names:
        (tmp_path / name).write_text("")
    built = tmp_path / "c1000-i30-seed7-schema95n17-build4.duckdb"
    built.write_text("")
    assert [p.name for p in pages.stale_stores(tmp_path, built)] == sorted([*names[:2], names[3]])
    smoke = tmp_path / "c6-i600-seed7-schema96n17-build4.duckdb"  # a smoke build leaves the full stores
    assert [p.name for p in pages.stale_stores(tmp_path, smoke)] == [names[2]]
    assert pages.stale_stores(tmp_path, tmp_path / "unkeyed.duckdb") == []
