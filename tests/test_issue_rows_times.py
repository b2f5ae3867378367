"""The Errors page's issue times, written for thousands at once (figures.errors.local_minutes),
pinned to window.local_label one by one: seeded instants over a year and around each fall-back,
in zones with half-hour offsets and a 30-minute DST change, with missing times."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pandas as pd
import pytest

from dashboard.figures.errors import local_minutes
from hypercare.window import Window

FALL_BACKS = {"Europe/Brussels": datetime(2026, 10, 25, 0, 0, tzinfo=timezone.utc),
              "Australia/Lord_Howe": datetime(2026, 4, 4, 14, 0, tzinfo=timezone.utc),
              "Asia/Kolkata": datetime(2026, 4, 4, 14, 0, tzinfo=timezone.utc),
              "America/St_Johns": datetime(2026, 11, 1, 2, 0, tzinfo=timezone.utc)}


@pytest.mark.parametrize("zone", sorted(FALL_BACKS))
def test_local_minutes_are_local_label_one_by_one(zone):
    window = Window(datetime(2026, 10, 20, tzinfo=timezone.utc), 72, 168, zone)
    rng = np.random.default_rng(len(zone))
    year = 1_767_225_600 * 10**6 + rng.integers(0, 366 * 86_400 * 10**6, 1500)  # 2026, to the microsecond
    around = int(FALL_BACKS[zone].timestamp()) * 10**6 + rng.integers(0, 4 * 3600 * 10**6, 500)
    times = pd.Series(pd.to_datetime(np.concatenate([year, around]), unit="us", utc=True))
    times[[3, 700, 1999]] = pd.NaT
    expected = ["—" if pd.isna(t) else window.local_label(t.to_pydatetime(), "%a %d %b %H:%M") for t in times]
    assert local_minutes(times, window) == expected
    assert local_minutes(times.astype(object).where(times.notna(), None), window) == expected  # None, not NaT
    if zone != "Asia/Kolkata":
        assert any(len(label) > len("Sun 25 Oct 02:30") for label in expected)  # a repeated reading names its zone


def test_no_times_and_only_missing_ones():
    window = Window(datetime(2026, 10, 20, tzinfo=timezone.utc), 72, 168, "Europe/Brussels")
    assert local_minutes(pd.Series([], dtype="datetime64[us, UTC]"), window) == []
    assert local_minutes(pd.Series([None, None]), window) == ["—", "—"]
    one = datetime(2026, 10, 25, 0, 59, 59, 999_999, tzinfo=timezone.utc)
    assert local_minutes(pd.Series([one]), window) == ["Sun 25 Oct 02:59 CEST"]
