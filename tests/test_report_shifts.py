"""Shift reports: slots from `[report]`, across DST; each slot written and posted exactly once,
across restarts; after downtime only the latest missed slot is written."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from hypercare.clock import FixedClock
from hypercare.config import ConfigError, parse_config
from hypercare.report import schedule
from hypercare.report.shifts import shift_tick, write_due_report
from hypercare.store import Store
from hypercare.store.queries.report import shift_reports
from hypercare.window import Window
from tests.fakes.webhook import WebhookReceiver

# Brussels leaves summer time on Sunday 25 October 2026: 03:00 CEST becomes 02:00 CET.
GO_LIVE = datetime(2026, 10, 24, 18, 0, tzinfo=timezone.utc)  # Sat 20:00 CEST
TZ = "Europe/Brussels"


def config(tmp_path: Path, **report):
    return parse_config({"release": {"name": "Shop 2.0", "go_live_at": GO_LIVE.isoformat(), "timezone": TZ,
                                     "window_hours": 48}, "report": report}, tmp_path)


def window(hours: float = 48) -> Window:
    return Window(GO_LIVE, hours, 168, TZ)


def local(slot: datetime) -> str:
    return f"{slot.astimezone(window().tz):%a %H:%M%z}"


def test_at_slots_keep_local_time_across_dst(tmp_path):
    slots = schedule.slots(config(tmp_path, at=["08:00", "16:00"]).report, window())
    assert [local(s) for s in slots] == [
        "Sun 08:00+0100", "Sun 16:00+0100", "Mon 08:00+0100", "Mon 16:00+0100", "Mon 19:00+0100"]  # + the exit
    assert slots[-1] == window().end


def test_every_hours_slots_name_the_repeated_hour_apart(tmp_path):
    slots = schedule.slots(config(tmp_path, every_hours=1).report, window())
    assert len(slots) == 48 and slots[-1] == window().end  # 47 hourly slots, then the exit
    names = [schedule.file_stem("Shop 2.0", s, window()) for s in slots]
    assert "shop-2-0-20261025-0200+0200" in names and "shop-2-0-20261025-0200+0100" in names
    assert len(set(names)) == len(names)


def test_a_local_time_in_the_repeated_hour_is_written_once_a_day(tmp_path):
    slots = schedule.slots(config(tmp_path, at=["02:30"]).report, window())
    assert [local(s) for s in slots][:2] == ["Sun 02:30+0200", "Mon 02:30+0100"]


@pytest.mark.parametrize("report, problem", [
    ({"at": ["08:00"], "every_hours": 4}, "report: give either at (local times) or every_hours, not both"),
    ({"at": ["8am"]}, "report.at[0]: '8am' is not a local time; write it as HH:MM"),
    ({"every_hours": 0}, "report.every_hours: 0 is out of range; it must be above 0"),
    ({"webhook_env": "https://hooks.slack.com/x"}, "report.webhook_env: this value is not an environment variable name"),
])
def test_bad_report_config_names_the_field_and_the_fix(tmp_path, report, problem):
    with pytest.raises(ConfigError) as caught:
        config(tmp_path, **report)
    assert any(p.startswith(problem) for p in caught.value.problems), caught.value.problems


def test_the_folder_resolves_against_the_config_file(tmp_path):
    assert config(tmp_path).report.folder == tmp_path / "data" / "reports"
    assert config(tmp_path, folder="out").report.folder == tmp_path / "out"


def _files(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in sorted(folder.glob("*"))}


def test_each_slot_is_written_and_posted_once_across_a_restart_and_dst(tmp_path):
    cfg = config(tmp_path, every_hours=1, webhook_env="SHIFT_HOOK")
    clock = FixedClock(GO_LIVE + timedelta(minutes=20))
    db = tmp_path / "hc.duckdb"
    with WebhookReceiver() as hook:
        env = {"SHIFT_HOOK": hook.url()}
        store = Store(db)
        written, mtimes = [], {}
        for _ in range(18):  # T+0:20 .. T+8:50 every 30 min, ticking twice in each hour
            shot = shift_tick(store, cfg, window(), clock.now(), env=env)
            written += [shot.slot] if shot else []
            clock.advance(minutes=30)
        mtimes = _files(cfg.report.folder)
        store.close()  # the process stops at T+9:20 ... and starts again at T+14:50
        clock.advance(hours=5, minutes=30)
        store = Store(db)
        for _ in range(3):
            shot = shift_tick(store, cfg, window(), clock.now(), env=env)
            written += [shot.slot] if shot else []
        hourly = [GO_LIVE + timedelta(hours=h) for h in range(1, 9)]
        assert written == hourly + [GO_LIVE + timedelta(hours=14)]  # missed 9-14 h: only the latest
        assert {local(s) for s in written} >= {"Sun 02:00+0200", "Sun 02:00+0100"}  # the repeated hour, twice
        files = _files(cfg.report.folder)
        assert len(files) == 2 * len(written) and all(files[n] == t for n, t in mtimes.items())  # none rewritten
        assert not list(cfg.report.folder.glob(".*"))  # no temp file left behind
        rows = shift_reports(store.cursor())
        assert sorted(rows["slot"].dt.to_pydatetime()) == written and rows["posted"].all()
        assert len(hook.delivered) == len(written)
        late = (cfg.report.folder / f"{schedule.file_stem('Shop 2.0', written[-1], window())}.md").read_text()
        assert hook.delivered[-1] == {"text": late}
        assert "Written at Sun 25 Oct 09:50 for this slot: Hypercare was not running at its time." in late
        assert "report as of Sun 25 Oct 09:00 (Europe/Brussels)" in late  # the instant the slot stands for
        store.close()


def test_nothing_is_due_before_the_first_slot_and_the_exit_report_comes_once(tmp_path):
    cfg = config(tmp_path, at=["08:00"])
    store = Store(tmp_path / "hc.duckdb")
    try:
        assert write_due_report(store, cfg, window(), GO_LIVE + timedelta(hours=1)) is None
        end = window().end
        first = write_due_report(store, cfg, window(), end + timedelta(hours=30))
        assert first is not None and first.slot == end and first.kind == "exit"
        assert write_due_report(store, cfg, window(), end + timedelta(hours=31)) is None
    finally:
        store.close()
