"""store.read.records, the triage inbox's fast row reader, pinned equal to pyarrow's to_pylist."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pyarrow as pa

from hypercare.store.read import records


def test_records_equal_to_pylist_seeded():
    """Instants (with a zone, microseconds, nulls, before 1970), naive times, lists and strings:
    the same values as pyarrow's own conversion, on seeded random rows."""
    rng = random.Random(15)
    base = datetime(2026, 11, 22, 21, 0, tzinfo=timezone.utc)
    n = 500
    instants = [None if rng.random() < 0.1 else base + timedelta(microseconds=rng.randint(-10**16, 10**15))
                for _ in range(n)]
    table = pa.table({
        "at": pa.array(instants, pa.timestamp("us", tz="UTC")),
        "at_brussels": pa.array(instants, pa.timestamp("us", tz="Europe/Brussels")),
        "naive": pa.array([None if i is None else i.replace(tzinfo=None) for i in instants], pa.timestamp("us")),
        "title": [rng.choice(["a", "<b>", None, "ünï"]) for _ in range(n)],
        "hours": [[rng.randint(0, 9) for _ in range(rng.randint(0, 3))] for _ in range(n)],
    })
    assert records(table) == table.to_pylist()
    assert records(table.slice(0, 0)) == []
