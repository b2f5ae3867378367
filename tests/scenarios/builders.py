"""Edge-case go-lives for the scenario suite: each is a config, a real DuckDB file and a pinned `now`.

Demo-based scenarios copy one demo database built per session and change what the edge case
needs (a later clock, no collector runs, no sessions, a planned period, an overdue incident).
The DST scenarios are small hand-built go-lives around Europe/Brussels' clock changes of 2026.
Every scenario records a successful run for each source at `now` unless it is about freshness.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa

from collectors.health import RESULT_SCHEMA
from hypercare.auth.identity import Identity
from hypercare.config import Config, parse_config
from hypercare.demo import DEMO_NOW, demo_window
from hypercare.incidents import actions
from hypercare.store import Store
from hypercare.store.writes import append_rows, record_health_results
from hypercare.window import Window
from tests.demo_db import open_demo_copy

UTC = timezone.utc
H = timedelta(hours=1)
ENGINE = Identity("scenario", None, "lead")


@dataclass
class Scenario:
    name: str
    config: Config
    store: Store
    now: datetime

    @property
    def window(self) -> Window:
        r = self.config.release
        return Window(r.go_live_at, r.window_hours, r.baseline_hours, r.timezone)


def record_runs(store: Store, config: Config, at: datetime) -> None:
    """A successful run of every configured source at `at`: its figures are fresh then."""
    rows = [{"run_id": f"scenario-{name}-{at.isoformat()}", "collector": name, "started_at": at - timedelta(seconds=5),
             "finished_at": at, "ok": True, "rows_written": 0, "error": None} for name, _ in config.sources()]
    with store.transaction() as cur:
        append_rows(cur, "collector_runs", pa.Table.from_pylist(rows))


# --- demo-based -----------------------------------------------------------------------------



def demo(folder: Path) -> Scenario:
    config, store = open_demo_copy(folder)
    return Scenario("demo", config, store, DEMO_NOW)


def stale(folder: Path) -> Scenario:
    """40 minutes after the demo's last runs: every source is stale (3 intervals passed)."""
    config, store = open_demo_copy(folder)
    return Scenario("stale", config, store, DEMO_NOW + timedelta(minutes=40))


def never_collected(folder: Path) -> Scenario:
    """Rows are there (an import, a copied file) but no collector ever ran successfully."""
    config, store = open_demo_copy(folder)
    with store.transaction() as cur:
        cur.execute("DELETE FROM collector_runs")
    return Scenario("never collected", config, store, DEMO_NOW)


def before_go_live(folder: Path) -> Scenario:
    config, store = open_demo_copy(folder)
    now = demo_window(config).go_live_at - timedelta(hours=3, minutes=20)
    record_runs(store, config, now)
    return Scenario("before go-live", config, store, now)


def after_the_window(folder: Path) -> Scenario:
    config, store = open_demo_copy(folder)
    now = demo_window(config).end + timedelta(hours=5)
    record_runs(store, config, now)
    return Scenario("after the window", config, store, now)


def no_sessions(folder: Path) -> Scenario:
    """The server offers no release health: not one session collected."""
    config, store = open_demo_copy(folder)
    with store.transaction() as cur:
        cur.execute("DELETE FROM session_health")
    return Scenario("sessions 0", config, store, DEMO_NOW)


def _planned(store: Store, starts: datetime, ends: datetime, names: list[str] | None) -> None:
    with store.transaction() as cur:
        cur.execute("INSERT INTO planned_periods (period_id, starts_at, ends_at, scope, check_names, reason, marked_by, "
                    "marked_at) VALUES (?, ?, ?, ?, ?, 'scenario maintenance', 'scenario', ?)",
                    [f"scenario-{starts.isoformat()}", starts, ends, "checks" if names else "all", names, starts])


def planned_one_check(folder: Path) -> Scenario:
    """Maintenance of the payment provider for 3 h at T+20 h: its failures then are planned."""
    config, store = open_demo_copy(folder)
    go_live = demo_window(config).go_live_at
    _planned(store, go_live + 20 * H, go_live + 23 * H, ["payment-provider"])
    return Scenario("planned, one check", config, store, DEMO_NOW)


def planned_all(folder: Path) -> Scenario:
    """A planned period for every check from T+20 h to T+23 h."""
    config, store = open_demo_copy(folder)
    go_live = demo_window(config).go_live_at
    _planned(store, go_live + 20 * H, go_live + 23 * H, None)
    return Scenario("planned, all", config, store, DEMO_NOW)


def overdue_incident(folder: Path) -> Scenario:
    """A SEV2 opened 8 h before now, never acknowledged: both SLAs are hours overdue."""
    config, store = open_demo_copy(folder)
    actions.open_incident(store, config, title="Trainer app cannot sync schedules", severity="SEV2",
                          identity=ENGINE, now=DEMO_NOW - 8 * H)
    return Scenario("overdue incident", config, store, DEMO_NOW)


def empty_baseline(folder: Path) -> Scenario:
    """baseline_hours = 0: no figure has a copy to compare with ("no baseline", never 0)."""
    config, store = open_demo_copy(folder)
    release = config.release.model_copy(update={"baseline_hours": 0})
    return Scenario("empty baseline", config.model_copy(update={"release": release}), store, DEMO_NOW)


def zero_baseline(folder: Path) -> Scenario:
    """The baseline's copy of the last hour holds no error and no ticket: a baseline of 0."""
    config, store = open_demo_copy(folder)
    hour = demo_window(config).last_hour(DEMO_NOW)
    copy = (hour.start - timedelta(days=7), hour.end - timedelta(days=7))
    with store.transaction() as cur:
        cur.execute("UPDATE error_counts SET events = 0 WHERE bucket_start >= ? AND bucket_start < ?", list(copy))
        cur.execute("DELETE FROM tickets WHERE created_at >= ? AND created_at < ?", list(copy))
    return Scenario("zero baseline", config, store, DEMO_NOW)


# --- DST, hand-built ---------------------------------------------------------------------------

def dst_config(folder: Path, go_live: datetime) -> Config:
    return parse_config({
        "release": {"name": "Clock change", "go_live_at": go_live.isoformat(), "window_hours": 72,
                    "baseline_hours": 168, "timezone": "Europe/Brussels"},
        "store": {"path": str(Path(folder) / "dst.duckdb")},
        "sentry": {"org": "acme", "projects": ["web"], "interval_seconds": 300},
        "health": {"availability_target": 99.5},
        "checks": [{"name": "api", "url": "https://api.example/health", "interval_seconds": 600}],
        "tickets": [{"kind": "csv", "name": "desk", "path": "tickets.csv"}],
    }, base_dir=Path(folder))


def events_in(hour: datetime) -> int:
    """Errors in a UTC hour: a different number for every hour of the day and the week."""
    return 5 + (hour.hour * 7 + hour.day * 3) % 23


def tickets_in(hour: datetime) -> int:
    return (hour.hour + hour.day) % 4


def _dst(folder: Path, name: str, go_live: datetime, now: datetime) -> Scenario:
    config = dst_config(folder, go_live)
    store = Store(config.store.path)
    window = Window(go_live, 72, 168, "Europe/Brussels")
    hours = []
    t = window.baseline_start
    while t < now.replace(minute=0):
        hours.append(t)
        t += H
    errors = [{"project": "web", "bucket_start": h, "bucket_seconds": 3600, "events": events_in(h)} for h in hours]
    tickets = [{"source": "desk", "ticket_id": f"{h:%Y%m%d%H}-{k}", "created_at": h + timedelta(minutes=10 * k + 5),
                "updated_at": h + timedelta(minutes=10 * k + 5), "status": "open", "priority": "P3",
                "category": "usage" if k % 2 else "technical", "labels": ["login"], "title": f"ticket {h:%H} {k}"}
               for h in hours for k in range(tickets_in(h))]
    checks = [{"check_name": "api", "checked_at": h + timedelta(minutes=m), "url": "https://api.example/health",
               "ok": not (h.hour == 3 and m == 0), "status_code": 200, "latency_ms": 100 + h.hour,
               "error": None, "cert_expires_at": None} for h in hours for m in range(0, 60, 10)]
    with store.transaction() as cur:
        append_rows(cur, "error_counts", pa.Table.from_pylist(errors))
        append_rows(cur, "tickets", pa.Table.from_pylist(tickets))
        record_health_results(cur, pa.Table.from_pylist(checks, schema=RESULT_SCHEMA))
    record_runs(store, config, now)
    return Scenario(name, config, store, now)


# Sun 25 Oct 2026, Brussels: 03:00 CEST becomes 02:00 CET. UTC 00:00–01:00 is the first 02:00
# hour, UTC 01:00–02:00 the second. Go-live Sat 24 Oct 22:00 CEST (20:00 UTC).
FALL_GO_LIVE = datetime(2026, 10, 24, 20, tzinfo=UTC)


def dst_fall_first(folder: Path) -> Scenario:
    """Now in the second 02:00 hour: the last full hour is the first 02:00 hour (CEST)."""
    return _dst(folder, "DST fall-back, first 02:00", FALL_GO_LIVE, datetime(2026, 10, 25, 1, 20, tzinfo=UTC))


def dst_fall_second(folder: Path) -> Scenario:
    """Now at 03:20 CET: the last full hour is the second 02:00 hour (CET)."""
    return _dst(folder, "DST fall-back, second 02:00", FALL_GO_LIVE, datetime(2026, 10, 25, 2, 20, tzinfo=UTC))


def dst_spring(folder: Path) -> Scenario:
    """A week after Sun 29 Mar 2026 (02:00 CET skipped to 03:00 CEST): now at Sun 5 Apr 03:20
    CEST, the last full hour 02:00–03:00 has no copy a week before."""
    return _dst(folder, "DST spring-forward", datetime(2026, 4, 4, 20, tzinfo=UTC),
                datetime(2026, 4, 5, 1, 20, tzinfo=UTC))


SCENARIOS: dict[str, Callable[[Path], Scenario]] = {
    "demo": demo, "stale": stale, "never collected": never_collected, "before go-live": before_go_live,
    "after the window": after_the_window, "sessions 0": no_sessions, "planned, one check": planned_one_check,
    "planned, all": planned_all, "overdue incident": overdue_incident, "empty baseline": empty_baseline,
    "zero baseline": zero_baseline, "DST fall-back, first 02:00": dst_fall_first,
    "DST fall-back, second 02:00": dst_fall_second, "DST spring-forward": dst_spring,
}
