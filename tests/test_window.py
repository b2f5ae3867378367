"""The window, its phases and the same hours of the baseline, DST included."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypercare.window import Period, Window, _baseline_samples

BRUSSELS = ZoneInfo("Europe/Brussels")
UTC = timezone.utc


def test_window_is_exactly_window_hours_from_go_live_given_with_an_offset():
    w = Window(datetime(2026, 11, 22, 22, 0, tzinfo=BRUSSELS), 72, 168, "Europe/Brussels")
    assert w.go_live_at == datetime(2026, 11, 22, 21, 0, tzinfo=UTC)
    assert w.end - w.go_live_at == timedelta(hours=72)
    assert w.baseline == Period(datetime(2026, 11, 15, 21, 0, tzinfo=UTC), w.go_live_at)


def test_phases_and_labels():
    w = Window(datetime(2026, 11, 22, 21, 0, tzinfo=UTC), 72)
    assert (w.phase(w.go_live_at - timedelta(hours=3)), w.label(w.go_live_at - timedelta(hours=2, minutes=30))) == ("pre-go-live", "T−3 h")
    assert (w.phase(w.go_live_at), w.label(w.go_live_at + timedelta(hours=14, minutes=50))) == ("hypercare", "T+14 h of 72 h")
    assert w.phase(w.end) == "post-window" and "ended 5 h ago" in w.label(w.end + timedelta(hours=5))
    assert w.progress(w.go_live_at + timedelta(hours=18)) == 0.25 and w.progress(w.end + timedelta(days=3)) == 1.0


def test_last_hour_is_the_last_complete_clock_hour():
    w = Window(datetime(2026, 11, 22, 21, 0, tzinfo=UTC), 72)
    now = datetime(2026, 11, 24, 11, 40, tzinfo=UTC)
    assert w.last_hour(now) == Period(datetime(2026, 11, 24, 10, 0, tzinfo=UTC), datetime(2026, 11, 24, 11, 0, tzinfo=UTC))
    assert w.last_hour(w.end + timedelta(hours=10)).end == w.end


def test_same_local_hour_a_week_back_across_a_dst_change():
    # Go-live a week after Europe's clocks went back (25 Oct 2026): the baseline week spans it.
    w = Window(datetime(2026, 10, 28, 22, 0, tzinfo=BRUSSELS), 72, 14 * 24, "Europe/Brussels")
    hour = Period(datetime(2026, 10, 29, 8, 0, tzinfo=UTC), datetime(2026, 10, 29, 9, 0, tzinfo=UTC))  # 09:00 CET
    samples = w.baseline_samples(hour)
    assert len(samples) == 2
    for k, s in enumerate(samples, start=1):
        local = s.start.astimezone(BRUSSELS)
        assert (local.hour, local.weekday()) == (9, hour.start.astimezone(BRUSSELS).weekday())
        assert local.date() == (hour.start.astimezone(BRUSSELS) - timedelta(days=7 * k)).date()
        assert s.end <= w.go_live_at and s.start >= w.baseline_start
    # Two weeks back the clock said CEST: the same local hour is one UTC hour earlier.
    assert samples[1].start == datetime(2026, 10, 15, 7, 0, tzinfo=UTC)


def test_short_baseline_uses_the_same_hour_of_the_day():
    w = Window(datetime(2026, 11, 22, 21, 0, tzinfo=UTC), 72, 48)
    hour = Period(w.go_live_at + timedelta(hours=10), w.go_live_at + timedelta(hours=11))
    assert [s.start for s in w.baseline_samples(hour)] == [hour.start - timedelta(days=1), hour.start - timedelta(days=2)]


def test_no_sample_means_no_baseline():
    w = Window(datetime(2026, 11, 22, 21, 0, tzinfo=UTC), 72, 0)
    assert w.baseline_samples(Period(w.go_live_at, w.go_live_at + timedelta(hours=1))) == []
    # a period longer than the baseline has no copy that lies wholly before go-live
    w = Window(datetime(2026, 11, 22, 21, 0, tzinfo=UTC), 72, 168)
    assert w.baseline_samples(Period(w.go_live_at - timedelta(days=8), w.go_live_at)) == []


def _hour(y, m, d, h):
    start = datetime(y, m, d, h, tzinfo=UTC)
    return Period(start, start + timedelta(hours=1))


def _local_starts(samples):
    return [(s.start.astimezone(BRUSSELS).strftime("%a %d %H:%M %z"), s.hours) for s in samples]


def test_both_02_00_hours_of_a_fall_back_take_the_one_02_00_hour_of_the_week_before():
    # Clocks go back on Sun 25 Oct 2026 at 03:00 CEST; the window holds both 02:00 hours.
    w = Window(datetime(2026, 10, 24, 20, tzinfo=UTC), 72, 168, "Europe/Brussels")
    first, second = _hour(2026, 10, 25, 0), _hour(2026, 10, 25, 1)  # 02:00 CEST, 02:00 CET
    assert first.start.astimezone(BRUSSELS).hour == second.start.astimezone(BRUSSELS).hour == 2
    expected = [Period(datetime(2026, 10, 18, 0, tzinfo=UTC), datetime(2026, 10, 18, 1, tzinfo=UTC))]
    assert w.baseline_samples(first) == w.baseline_samples(second) == expected
    # the hours around them keep their own local hour
    assert _local_starts(w.baseline_samples(_hour(2026, 10, 24, 23))) == [("Sun 18 01:00 +0200", 1.0)]
    assert _local_starts(w.baseline_samples(_hour(2026, 10, 25, 2))) == [("Sun 18 03:00 +0200", 1.0)]
    # a period spanning the night copies the same wall-clock hours (one UTC hour fewer)
    night = Period(datetime(2026, 10, 24, 22, tzinfo=UTC), datetime(2026, 10, 25, 5, tzinfo=UTC))
    assert w.baseline_samples(night) == [Period(datetime(2026, 10, 17, 22, tzinfo=UTC), datetime(2026, 10, 18, 4, tzinfo=UTC))]


def test_a_fall_back_inside_the_baseline_gives_two_one_hour_samples():
    w = Window(datetime(2026, 10, 31, 20, tzinfo=UTC), 72, 168, "Europe/Brussels")
    samples = w.baseline_samples(_hour(2026, 11, 1, 1))  # Sun 02:00 CET
    assert samples == [_hour(2026, 10, 25, 0), _hour(2026, 10, 25, 1)]


def test_the_hour_a_spring_forward_skips_has_no_copy():
    # Clocks go forward on Sun 29 Mar 2026 at 02:00 CET: that day has no 02:00 hour.
    w = Window(datetime(2026, 4, 4, 20, tzinfo=UTC), 72, 168, "Europe/Brussels")
    assert w.baseline_samples(_hour(2026, 4, 5, 0)) == []  # Sun 5 Apr 02:00 CEST
    assert _local_starts(w.baseline_samples(_hour(2026, 4, 4, 23))) == [("Sun 29 01:00 +0100", 1.0)]
    assert _local_starts(w.baseline_samples(_hour(2026, 4, 5, 1))) == [("Sun 29 03:00 +0200", 1.0)]
    # a spring-forward inside the window: 03:00 CEST takes 03:00 CET of the week before
    w = Window(datetime(2026, 3, 28, 20, tzinfo=UTC), 72, 168, "Europe/Brussels")
    assert _local_starts(w.baseline_samples(_hour(2026, 3, 29, 1))) == [("Sun 22 03:00 +0100", 1.0)]


def test_kept_copies_are_the_ones_computed_afresh():
    """baseline_samples keeps its answers by instant: on seeded random windows and periods (DST
    changes of two zones, short and long baselines), asked in UTC or on the team's clock, a
    kept answer is the one computed afresh."""
    rng = random.Random(17)
    for _ in range(400):
        go_live = datetime(2026, 3, 1, tzinfo=UTC) + timedelta(minutes=15 * rng.randrange(4 * 24 * 270))
        w = Window(go_live, 72, rng.choice([24, 48, 168, 336]), rng.choice(["Europe/Brussels", "America/New_York", "UTC"]))
        start = go_live + timedelta(minutes=rng.randrange(-60, 72 * 60))
        period = Period(start, start + timedelta(minutes=rng.choice([1, 30, 60, 90, 24 * 60])))
        fresh = list(_baseline_samples.__wrapped__(w, period))
        assert w.baseline_samples(period) == fresh
        assert w.baseline_samples(Period(period.start.astimezone(w.tz), period.end.astimezone(w.tz))) == fresh


def test_labels_on_the_team_clock():
    w = Window(datetime(2026, 11, 22, 21, tzinfo=UTC), 72, 168, "Europe/Brussels")
    assert w.span_label(w.baseline, "%a %d %b %H:%M") == "Sun 15 Nov 22:00 – Sun 22 Nov 22:00"  # both ends in full
    assert w.span_label(_hour(2026, 11, 23, 9)) == "Mon 10:00–11:00"
    fall = Window(datetime(2026, 10, 24, 20, tzinfo=UTC), 72, 168, "Europe/Brussels")
    assert fall.span_label(_hour(2026, 10, 25, 0)) == "Sun 02:00 CEST–03:00"
    assert fall.local_label(datetime(2026, 10, 25, 1, tzinfo=UTC)) == "Sun 02:00 CET"
