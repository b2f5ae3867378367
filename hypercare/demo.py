"""The demo go-live: a gym network's booking platform, written deterministically into DuckDB.

FitBook moves 5,000 client accounts and 12,000 historical bookings to a new booking platform
and switches over on Sunday 22 November 2026 at 22:00 Brussels time. The data covers the 7-day
baseline on the old platform and the first 38 hours of the 72-hour window; the demo's clock is
pinned at T+38 h so the same seed always gives the same data and the same page.

The story, in window time: the migrated accounts reconcile from the start, but 23 bookings had no
class mapping (Sentry's MigrationWarning) and the bookings reconciliation is off by 23 until the
re-import at T+11 h; a new checkout error at T+9 h hits hundreds of users and is fixed at
T+14 h (incident escalated to level 2 because nobody acknowledged it in time; rollback considered
and declined); Monday morning brings a surge of support tickets, mostly usage questions from
migrated clients; from T+17 h the payment provider's health check flaps. Before the switch, the
go-live checklist: three items late at T−3 h, all but the two health checks (which tick
themselves at 22:16) done at go-live, the hand-over to operations still open.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from importlib import resources
from pathlib import Path

import pyarrow as pa

from hypercare.auth.identity import Identity
from hypercare.config import Config, load_config
from hypercare.decisions.evidence import freeze
from hypercare.health_state import UNKNOWN, Outcome, advance
from hypercare.incidents.actions import seed_demo_incidents
from hypercare.report.schedule import slots
from hypercare.report.shifts import write_due_report
from hypercare.store import Store, StoreError, StoreLockedError
from hypercare.store.db import connect_exclusively
from hypercare.store.planned import write_planned_periods
from hypercare.store.read import scalar
from hypercare.store.releases import record_release
from hypercare.store.writes import append_rows, rebuild_health_rollup
from hypercare.triage import actions as triage
from hypercare.triage import inbox
from hypercare.verdict.evaluate import replay
from hypercare.verdict.history import write_evaluation
from hypercare.window import Window

DEMO_SEED = 20261122
GO_LIVE = datetime(2026, 11, 22, 21, 0, tzinfo=timezone.utc)  # 22:00 in Brussels (CET)
DEMO_NOW = GO_LIVE + timedelta(hours=38)  # Tuesday 12:00 in Brussels
CHECKOUT_ISSUE_ID = "4507310001"
INCIDENT_START = GO_LIVE + timedelta(hours=9)  # Monday 07:00: the first morning rush
INCIDENT_FIXED = GO_LIVE + timedelta(hours=14)
ROLLBACK_DECLINED_HOUR = 11.0
ROLLBACK_DECLINED = "Rollback considered and declined"
MIGRATED_ACCOUNTS, MIGRATED_BOOKINGS, UNMAPPED_BOOKINGS = 5_000, 12_000, 23
BOOKINGS_REIMPORTED = GO_LIVE + timedelta(hours=11)  # Monday 09:00: the bookings reconcile again
RECONCILE_FROM = GO_LIVE - timedelta(hours=6)  # the final migration run loaded the new platform
RECONCILE_TIMEOUT = GO_LIVE + timedelta(hours=10, minutes=30)  # the new platform's side, in the Monday rush
RECONCILE_TIMEOUT_ERROR = ("target side (FITBOOK_NEW_DB_URL): the query ran past the 60 s statement timeout "
                           "and was stopped")

TS = pa.timestamp("us", tz="UTC")
# The table the demo writes first into its database: only a file carrying it may be replaced.
DEMO_MARKER = "demo_marker"

# Share of peak traffic by local hour: early-morning, lunch and evening classes.
DIURNAL = [0.05, 0.03, 0.02, 0.02, 0.03, 0.10, 0.45, 0.85, 0.80, 0.55, 0.45, 0.55,
           0.75, 0.60, 0.45, 0.45, 0.65, 0.95, 1.00, 0.90, 0.70, 0.45, 0.25, 0.10]


def demo_config(data_dir: Path) -> Config:
    """The packaged demo config, its database placed in `data_dir`."""
    source = resources.files("hypercare").joinpath("demo.toml")
    with resources.as_file(source) as path:
        config = load_config(path)
    store = config.store.model_copy(update={"path": Path(data_dir).resolve() / "demo.duckdb"})
    report = config.report.model_copy(update={"folder": Path(data_dir).resolve() / "reports"})
    return config.model_copy(update={"store": store, "report": report})


def demo_window(config: Config) -> Window:
    r = config.release
    return Window(r.go_live_at, r.window_hours, r.baseline_hours, r.timezone)


@dataclass
class _Gen:
    """Deterministic draws and the scenario's clock helpers."""

    rng: random.Random
    window: Window

    def diurnal(self, t: datetime) -> float:
        return DIURNAL[self.window.local(t).hour]

    def poisson(self, lam: float) -> int:
        if lam <= 0:
            return 0
        if lam < 30:  # Knuth's method: exact for small rates
            limit, k, p = math.exp(-lam), 0, 1.0
            while True:
                p *= self.rng.random()
                if p <= limit:
                    return k
                k += 1
        return max(0, round(self.rng.gauss(lam, math.sqrt(lam))))

    def hours(self, start: datetime, end: datetime, step: timedelta):
        t = start
        while t < end:
            yield t
            t += step


class DemoRefused(StoreError):
    """The demo would have replaced a file that isn't a demo of its own, or one a process holds."""


def build_demo(path: Path, config: Config, seed: int = DEMO_SEED, shift_reports: bool = False) -> Store:
    """Write the demo into a new database at `path` and return it open. An earlier demo there is
    replaced; anything else (a file without the demo's marker, or one a process holds) is
    refused with DemoRefused.

    `shift_reports`: also write the shift reports due by the demo's now into `[report] folder`
    (~1 s each, so tests that don't look at them leave them out)."""
    path = Path(path)
    _make_room(path)
    store = Store(path)
    with store.transaction() as cur:  # first, so even a demo killed half-way can be replaced
        cur.execute(f"CREATE TABLE {DEMO_MARKER} (written_at TIMESTAMPTZ, seed BIGINT)")
        cur.execute(f"INSERT INTO {DEMO_MARKER} VALUES (?, ?)", [datetime.now(timezone.utc), seed])
    window = demo_window(config)
    gen = _Gen(random.Random(seed), window)
    health = _health_checks(gen, config)
    tables = {
        "error_counts": _error_counts(gen, config),
        "sentry_issues": _sentry_issues(gen, config),
        "session_health": _session_health(gen, config),
        "health_checks": health,
        "check_transitions": _check_transitions(config, health),
        "tickets": _tickets(gen),
        "decisions": _decisions(),
        "reconciliations": _reconciliations(gen, config),
        "checklist_events": _checklist_events(),
        "collector_runs": _collector_runs(gen, config),
        "checkpoints": _checkpoints(),
    }
    order = {"error_counts": "bucket_start", "health_checks": "checked_at", "session_health": "bucket_start",
             "reconciliations": "checked_at"}
    with store.transaction() as cur:
        for table, rows in tables.items():
            append_rows(cur, table, rows, order.get(table))
        rebuild_health_rollup(cur, window.baseline_start, DEMO_NOW + timedelta(hours=1))
        write_planned_periods(cur, config.planned_periods, GO_LIVE - timedelta(days=2))
    record_release(store, config)
    seed_demo_incidents(store, config, window, until=DEMO_NOW)
    _triage(store, config)
    _replay_status(store, config, window)
    _freeze_evidence(store, config, window)
    if shift_reports:
        _write_shift_reports(store, config, window)
    return store


def _triage(store: Store, config: Config) -> None:
    """The triage inbox's history, through the real actions: the payment timeouts linked to the
    payment incident (INC-2), and a harmless React warning set aside as known."""
    found = {i.key: i for i in inbox.items(store.cursor(), config, DEMO_NOW)}
    jonas = Identity("Jonas (service desk)", None, "responder")
    amira = Identity("Amira (platform on-call)", None, "responder")
    triage.link(store, found["sentry:4507310106"], "INC-2", identity=jonas, now=GO_LIVE + timedelta(hours=20, minutes=30))
    triage.set_aside(store, found["sentry:4507310108"], "known", "React key warning in the new calendar; no user "
                     "impact, fixed in 2.0.2", identity=amira, now=GO_LIVE + timedelta(hours=30))


def _write_shift_reports(store: Store, config: Config, window: Window) -> None:
    """The shift reports `hypercare serve` would have written by the demo's now, each at its slot."""
    for slot in slots(config.report, window):
        if slot <= DEMO_NOW:
            write_due_report(store, config, window, slot)


def _make_room(path: Path) -> None:
    """Delete an earlier demo database at `path`; refuse anything else, naming it and its holder."""
    wal = path.with_name(path.name + ".wal")
    if not path.exists():
        wal.unlink(missing_ok=True)  # a log without its database belongs to nothing
        return
    advice = "the demo replaces only a database it wrote itself, while no process has it open"
    try:
        con = connect_exclusively(path)
    except StoreLockedError as exc:
        who = f"process {exc.pid}" if exc.pid else "another process"
        raise DemoRefused(f"{path} is held by {who}{f' ({exc.holder})' if exc.holder else ''}, so the demo left it "
                          f"alone ({advice}): stop that process, or give `hypercare demo` another --data-dir") from None
    except StoreError as exc:
        raise DemoRefused(f"{path} can't be read as a demo database, so the demo left it alone ({advice}): "
                          f"move it away or give `hypercare demo` another --data-dir ({exc})") from None
    try:
        marked = scalar(con, "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [DEMO_MARKER])
    finally:
        con.close()
    if not marked:
        raise DemoRefused(f"{path} was not written by `hypercare demo` (it has no demo marker), so the demo left it "
                          f"alone ({advice}): move it away or give `hypercare demo` another --data-dir")
    for stale in (path, wal):
        stale.unlink(missing_ok=True)


def _replay_status(store: Store, config: Config, window: Window) -> None:
    """The status history as the real evaluator gives it at each hour from go-live to the demo's
    now."""
    instants = list(gen_hours(GO_LIVE, DEMO_NOW + timedelta(minutes=1), timedelta(hours=1)))
    for evaluation in replay(store.cursor(), config, window, instants):
        write_evaluation(store, config, evaluation, window)
    store.cursor().execute("UPDATE notifications SET sent_at = created_at + INTERVAL 2 SECOND, attempts = 1 "
                           "WHERE sent_at IS NULL AND kind = 'status'")


def _freeze_evidence(store: Store, config: Config, window: Window) -> None:
    """Each decision holds the evidence the product freezes when one is recorded, taken at its
    hour: the "rollback considered and declined" one the RED evaluation of T+11 h."""
    with store.transaction() as cur:
        for decision_id, decided_at in cur.execute("SELECT decision_id, decided_at FROM decisions").fetchall():
            evidence = freeze(cur, config, window, decided_at)
            cur.execute("UPDATE decisions SET evidence = ? WHERE decision_id = ?", [json.dumps(evidence), decision_id])


def gen_hours(start: datetime, end: datetime, step: timedelta):
    t = start
    while t < end:
        yield t
        t += step


def _error_counts(gen: _Gen, config: Config) -> pa.Table:
    """15-minute buckets per project: errors follow traffic; the new platform is a little noisier
    for its first hours; the checkout bug adds a burst from T+9 h until its fix at T+14 h."""
    step = timedelta(minutes=15)
    per_hour = {"booking-web": 28.0, "booking-api": 18.0}
    cols = {"project": [], "bucket_start": [], "bucket_seconds": [], "events": []}
    for t in gen.hours(gen.window.baseline_start, DEMO_NOW, step):
        for project, base in per_hour.items():
            rate = base * (0.15 + gen.diurnal(t))
            if t >= GO_LIVE:
                rate *= 1.35 if t < GO_LIVE + timedelta(hours=6) else 1.1
            if project == "booking-api" and INCIDENT_START <= t < INCIDENT_FIXED:
                rate += 300 * (0.5 + gen.diurnal(t))
            cols["project"].append(project)
            cols["bucket_start"].append(t)
            cols["bucket_seconds"].append(900)
            cols["events"].append(gen.poisson(rate / 4))
    return pa.table({**cols, "bucket_start": pa.array(cols["bucket_start"], TS),
                     "bucket_seconds": pa.array(cols["bucket_seconds"], pa.int32())})


_NEW_ISSUES = [
    # (minutes after go-live, project, title, culprit, level, users, events, status)
    (35, "booking-web", "TypeError: Cannot read properties of undefined (reading 'membershipId')",
     "src/account/MembershipCard.tsx", "error", 137, 412, "unresolved"),
    (80, "booking-api", "MigrationWarning: 23 bookings have no class mapping",
     "migrate.bookings.map_classes", "warning", 23, 23, "resolved"),
    (190, "booking-api", "IntegrityError: duplicate key value violates unique constraint \"member_email_key\"",
     "accounts.services.merge_member", "error", 41, 57, "unresolved"),
    (9 * 60 + 2, "booking-api", "CheckoutError: slot no longer available",
     "checkout.reserve_slot", "error", 428, 3912, "resolved"),
    (9 * 60 + 40, "booking-web", "Unhandled promise rejection: checkout request failed (409)",
     "src/checkout/useReserve.ts", "error", 302, 1188, "resolved"),
    (11 * 60, "booking-web", "ChunkLoadError: Loading chunk 412 failed", "webpack/runtime", "error", 19, 26, "unresolved"),
    (16 * 60, "booking-api", "PaymentProviderTimeout: PSP did not answer within 10s",
     "payments.psp_client.authorize", "error", 64, 151, "unresolved"),
    (21 * 60, "booking-api", "ValueError: invalid time zone offset in class schedule import",
     "schedule.sync.parse_slot", "error", 0, 14, "ignored"),
    (27 * 60, "booking-web", "Warning: <Calendar> received a key that is not unique", "src/calendar/Week.tsx", "warning", 88, 203, "unresolved"),
    (33 * 60, "booking-api", "SMTPServerDisconnected: booking confirmation mail not sent",
     "notifications.mail.send_confirmation", "error", 12, 12, "unresolved"),
]

_OLD_ISSUES = [
    ("booking-web", "NetworkError when attempting to fetch resource", "src/api/client.ts"),
    ("booking-api", "TimeoutError: calendar sync took longer than 30s", "schedule.sync.run"),
    ("booking-web", "ResizeObserver loop completed with undelivered notifications", "<unknown>"),
    ("booking-api", "OperationalError: could not serialize access due to concurrent update", "bookings.services.book"),
    ("booking-api", "KeyError: 'trainer_id'", "classes.views.detail"),
    ("booking-web", "SecurityError: The operation is insecure", "src/auth/storage.ts"),
    ("booking-api", "ReadTimeout: mail relay", "notifications.mail.send"),
    ("booking-web", "TypeError: null is not an object (evaluating 'slot.start')", "src/calendar/Slot.tsx"),
]


def _sentry_issues(gen: _Gen, config: Config) -> pa.Table:
    rows = []
    org = config.sentry.org if config.sentry else "fitbook"
    stats_start = DEMO_NOW.replace(minute=0, second=0, microsecond=0) - timedelta(hours=23)

    def last_24h(first: datetime, last: datetime, events: int) -> list[int]:
        """Sentry's stats["24h"]: events per hour over the last 24 hours, spread over the hours
        the issue was active."""
        rate = events / max(1.0, (last - first).total_seconds() / 3600)
        hours = [stats_start + timedelta(hours=h) for h in range(24)]
        return [gen.poisson(rate) if first < h + timedelta(hours=1) and h <= last else 0 for h in hours]

    numbers: dict[str, int] = {}  # Sentry numbers a project's issues in order: short ids never repeat

    def add(issue_id, project, title, culprit, level, status, substatus, first, last, events, users, release):
        last = min(last, DEMO_NOW)
        numbers[project] = numbers.get(project, 0x1A0) + 1
        rows.append({
            "issue_id": issue_id, "project": project,
            "short_id": f"{project.upper()}-{numbers[project]:X}", "title": title, "culprit": culprit,
            "level": level, "status": status, "substatus": substatus, "first_seen": first,
            "last_seen": last, "event_count": events, "user_count": users,
            "first_release": release, "permalink": f"https://{org}.sentry.io/issues/{issue_id}/",
            "collected_at": DEMO_NOW - timedelta(minutes=3),
            "stats_start": stats_start, "hourly_events": last_24h(first, last, events),
        })

    for i, (project, title, culprit) in enumerate(_OLD_ISSUES):  # long-known issues of the old platform
        first = GO_LIVE - timedelta(days=40 + 9 * i)
        regressed = i == 1  # the calendar-sync timeout comes back on the new platform
        last = GO_LIVE + timedelta(hours=20) if regressed else GO_LIVE - timedelta(hours=gen.rng.randint(2, 100))
        add(str(4507200100 + i), project, title, culprit, "error",
            "unresolved", "regressed" if regressed else "ongoing", first, last,
            gen.rng.randint(200, 5000), gen.rng.randint(20, 600), "fitbook-web@1.14.2")
    for day in range(7):  # the old platform's trickle of new issues during the baseline week
        first = gen.window.baseline_start + timedelta(days=day, hours=gen.rng.randint(8, 20))
        add(str(4507250000 + day), gen.rng.choice(["booking-web", "booking-api"]),
            f"{gen.rng.choice(['TypeError', 'ValueError', 'KeyError'])}: legacy form field {day + 1} missing",
            "legacy.forms.validate", "error", "resolved", None, first, first + timedelta(hours=3),
            gen.rng.randint(3, 40), gen.rng.randint(1, 15), "fitbook-web@1.14.2")
    for n, (minutes, project, title, culprit, level, users, events, status) in enumerate(_NEW_ISSUES):
        first = GO_LIVE + timedelta(minutes=minutes)
        issue_id = CHECKOUT_ISSUE_ID if title.startswith("CheckoutError") else str(4507310100 + n)
        last = INCIDENT_FIXED if status == "resolved" and INCIDENT_START <= first < INCIDENT_FIXED else DEMO_NOW - timedelta(minutes=n * 7)
        add(issue_id, project, title, culprit, level, status, None if status != "unresolved" else "new",
            first, last, events, users, config.release.version)
    return pa.Table.from_pylist(rows, schema=pa.schema([
        ("issue_id", pa.string()), ("project", pa.string()), ("short_id", pa.string()), ("title", pa.string()),
        ("culprit", pa.string()), ("level", pa.string()), ("status", pa.string()), ("substatus", pa.string()),
        ("first_seen", TS), ("last_seen", TS), ("event_count", pa.int64()), ("user_count", pa.int64()),
        ("first_release", pa.string()), ("permalink", pa.string()), ("collected_at", TS),
        ("stats_start", TS), ("hourly_events", pa.list_(pa.int64())),
    ]))


def _session_health(gen: _Gen, config: Config) -> pa.Table:
    rows = []
    for t in gen.hours(gen.window.baseline_start, DEMO_NOW.replace(minute=0), timedelta(hours=1)):
        for project, peak in (("booking-web", 2400), ("booking-api", 900)):
            sessions = gen.poisson(peak * (0.05 + gen.diurnal(t)))
            crash = 0.0015
            if INCIDENT_START <= t < INCIDENT_FIXED:
                crash = 0.02 if project == "booking-web" else 0.006
            crashed = gen.poisson(sessions * crash)
            errored = gen.poisson(sessions * (0.01 if t < GO_LIVE else 0.014))
            abnormal = gen.poisson(sessions * 0.0005)
            rows.append({"project": project, "bucket_start": t, "sessions": sessions,
                         "crashed": crashed, "errored": errored, "abnormal": abnormal})
    return pa.Table.from_pylist(rows, schema=pa.schema([
        ("project", pa.string()), ("bucket_start", TS), ("sessions", pa.int64()), ("crashed", pa.int64()),
        ("errored", pa.int64()), ("abnormal", pa.int64()),
    ]))


_CERTS = {
    "booking-api": datetime(2027, 1, 10, 12, 0, tzinfo=timezone.utc),
    "web-frontend": datetime(2027, 2, 14, 12, 0, tzinfo=timezone.utc),
    "payment-provider": datetime(2026, 12, 3, 23, 59, tzinfo=timezone.utc),
    "class-schedule-sync": datetime(2027, 1, 10, 12, 0, tzinfo=timezone.utc),
}


def _health_checks(gen: _Gen, config: Config) -> pa.Table:
    """One result per check per interval. The cutover (a planned period) fails everything; the
    booking API slows during the checkout bug; the payment provider flaps from T+17 h."""
    cutover = config.planned_periods[0] if config.planned_periods else None
    cols = {k: [] for k in ("check_name", "checked_at", "url", "ok", "status_code", "latency_ms", "error", "cert_expires_at")}
    median = {"booking-api": 140, "web-frontend": 230, "payment-provider": 320, "class-schedule-sync": 90}
    limits = {"booking-api": 800, "web-frontend": 1500, "payment-provider": 1200, "class-schedule-sync": None}
    for check in config.checks:
        step = timedelta(seconds=check.interval_seconds)
        offset = timedelta(seconds=gen.rng.randint(0, 20))
        for t in gen.hours(gen.window.baseline_start + offset, DEMO_NOW, step):
            name = check.name
            latency = int(median[name] * math.exp(gen.rng.gauss(0, 0.25)) * (1.3 if t < GO_LIVE and name != "payment-provider" else 1.0))
            status, error = 200, None
            if name == "booking-api" and INCIDENT_START <= t < INCIDENT_FIXED:
                latency = int(latency * 3.2)
            if name == "payment-provider" and t >= GO_LIVE + timedelta(hours=17):
                burst = (t - GO_LIVE).total_seconds() // 1800 % 7 == 3  # a bad half hour now and then
                if gen.rng.random() < (0.35 if burst else 0.03):
                    if gen.rng.random() < 0.5:
                        status, latency, error = None, None, f"timed out after {check.timeout_seconds:g} s"
                    else:
                        status = 502
            if cutover and cutover.starts_at <= t < cutover.ends_at:
                status, latency, error = 503, int(latency or 0) or 35, None
            if status is not None and status != 200:
                error = f"status {status}, expected 200"
            elif error is None and limits[name] and latency > limits[name]:
                error = f"latency {latency} ms, expected < {limits[name]}"
            cols["check_name"].append(name)
            cols["checked_at"].append(t)
            cols["url"].append(check.url)
            cols["ok"].append(error is None)
            cols["status_code"].append(status)
            cols["latency_ms"].append(latency)
            cols["error"].append(error)
            cols["cert_expires_at"].append(_CERTS.get(name))
    return pa.table({
        **cols, "checked_at": pa.array(cols["checked_at"], TS), "cert_expires_at": pa.array(cols["cert_expires_at"], TS),
        "status_code": pa.array(cols["status_code"], pa.int32()), "latency_ms": pa.array(cols["latency_ms"], pa.int32()),
    }).sort_by("checked_at")


def _check_transitions(config: Config, health: pa.Table) -> pa.Table:
    """The up/down flips the checks collector would have recorded, by its own hysteresis rules."""
    flips = []
    by_check = health.to_pandas().groupby("check_name")
    for check in config.checks:
        rows = by_check.get_group(check.name)
        outcomes = [Outcome(r.checked_at.to_pydatetime(), bool(r.ok), r.error) for r in rows.itertuples()]
        _, found = advance(check.name, UNKNOWN, [], outcomes, check.failure_threshold, check.success_threshold)
        flips += [t.__dict__ for t in found]
    return pa.Table.from_pylist(flips, schema=pa.schema([
        ("check_name", pa.string()), ("changed_at", TS), ("from_state", pa.string()), ("to_state", pa.string()),
        ("reason", pa.string()),
    ]))


_TICKET_TEXT = {
    "usage": [
        ("login", "Can't log in with my old password after the update"),
        ("login", "Password reset mail says my account doesn't exist"),
        ("how-to", "Where do I find my upcoming bookings in the new app?"),
        ("how-to", "How do I cancel a class in the new booking screen?"),
        ("question", "Is my 10-class card still valid after the migration?"),
        ("question", "Why does my membership show a different start date?"),
        ("how-to", "How do I add my partner to my family membership now?"),
    ],
    "technical": [
        ("bug", "Checkout says 'slot no longer available' for every class"),
        ("payment", "Charged twice for one booking"),
        ("bug", "Calendar shows Sunday classes on Monday"),
        ("error", "App shows a white screen after login on Android"),
    ],
    "other": [
        ("feedback", "Love the new look, but the font is small"),
        ("feedback", "Please bring back the old waiting list"),
    ],
}


def _tickets(gen: _Gen) -> pa.Table:
    """Baseline: a handful a day on the old platform. Window: the Monday-morning surge of usage
    questions from migrated clients, checkout complaints during the bug, then a slow return."""
    rows = []
    seq = 10_000
    for t in gen.hours(gen.window.baseline_start, DEMO_NOW, timedelta(hours=1)):
        local = gen.window.local(t)
        rate = 0.9 * gen.diurnal(t)
        mix = {"technical": 0.5, "usage": 0.35, "other": 0.15}
        if t >= GO_LIVE:
            rate *= 2.2
            mix = {"technical": 0.35, "usage": 0.55, "other": 0.10}
        monday_morning = local.weekday() == 0 and 7 <= local.hour < 12 and t >= GO_LIVE
        if monday_morning:
            rate = 11.0
            mix = {"technical": 0.14, "usage": 0.82, "other": 0.04}
        for _ in range(gen.poisson(rate)):
            seq += 1
            created = t + timedelta(seconds=gen.rng.randint(0, 3599))
            if created >= DEMO_NOW:
                continue
            category = gen.rng.choices(list(mix), weights=list(mix.values()))[0]
            label, title = gen.rng.choice(_TICKET_TEXT[category])
            during_bug = INCIDENT_START <= created < INCIDENT_FIXED
            if category == "technical" and during_bug:
                label, title = "bug", "Checkout says 'slot no longer available' for every class"
            priority = "P3"
            if category == "technical":
                priority = "P1" if during_bug and gen.rng.random() < 0.25 else "P2"
            elif category == "other":
                priority = "P4"
            age = DEMO_NOW - created
            if age > timedelta(hours=30):
                status = gen.rng.choice(["solved", "closed"])
            elif age > timedelta(hours=6):
                status = gen.rng.choice(["solved", "solved", "pending", "open"])
            else:
                status = gen.rng.choice(["open", "open", "pending"])
            updated = min(created + timedelta(minutes=gen.rng.randint(5, 600)), DEMO_NOW - timedelta(minutes=1))
            raw_priority = {"P1": "urgent", "P2": "high", "P3": "normal", "P4": "low"}[priority]
            rows.append({
                "source": "service-desk", "ticket_id": f"SD-{seq}", "created_at": created, "updated_at": updated,
                "status": status, "priority": priority, "category": category, "labels": [label],
                "title": title, "url": f"https://support.fitbook.example/tickets/SD-{seq}",
                "status_raw": status.capitalize(), "priority_raw": raw_priority,
            })
    rows.append({  # what a client typed, markup and all: shown as text, never rendered
        "source": "service-desk", "ticket_id": "SD-19999", "created_at": GO_LIVE + timedelta(hours=12, minutes=7),
        "updated_at": GO_LIVE + timedelta(hours=12, minutes=30), "status": "open", "priority": "P2",
        "category": "technical", "labels": ["bug"], "title": "**URGENT** <b>booking</b> page [broken](http://x)",
        "url": "https://support.fitbook.example/tickets/SD-19999", "status_raw": "Open", "priority_raw": "high",
    })
    return pa.Table.from_pylist(rows, schema=pa.schema([
        ("source", pa.string()), ("ticket_id", pa.string()), ("created_at", TS), ("updated_at", TS),
        ("status", pa.string()), ("priority", pa.string()), ("category", pa.string()),
        ("labels", pa.list_(pa.string())), ("title", pa.string()), ("url", pa.string()),
        ("status_raw", pa.string()), ("priority_raw", pa.string()),
    ]))


def _decisions() -> pa.Table:
    entries = [
        (-0.75, "go", "Go for cutover",
         "Dry run passed; 5,000 client accounts reconciled; bookings 11,977 of 12,000: the 23 without a class "
         "mapping are re-imported on Monday morning, their clients keep their classes on the old schedule "
         "meanwhile; rollback rehearsed on Thursday.",
         "Sofie Peeters (release manager)"),
        (1.0, "continue", "Cutover complete, smoke tests green",
         "DNS switched at 21:54; all four health checks up since 22:20; first bookings on the new platform.",
         "Sofie Peeters (release manager)"),
        (ROLLBACK_DECLINED_HOUR, "continue", ROLLBACK_DECLINED,
         "The checkout error hits ~400 clients, but the fix is in review and ships by 15:00; rolling back would "
         "strand the 1,100 bookings made since go-live on the old platform.",
         "Sofie Peeters with Karim Haddad (CTO)"),
        (24.0, "continue", "Day-1 review: stable since the hotfix",
         "Errors back to baseline since 15:00; ticket surge was usage questions; the 23 unmapped bookings were "
         "re-imported at 09:00 and all 12,000 reconcile; keep the 72 h window.",
         "Sofie Peeters (release manager)"),
        (36.0, "note", "Payment provider flapping raised with the PSP",
         "Intermittent 502s and timeouts on their status endpoint; their ticket PSP-5521; bookings still succeed on retry.",
         "Jonas Claes (service desk)"),
    ]
    rows = [{
        "decision_id": f"demo-decision-{i}", "decided_at": GO_LIVE + timedelta(hours=h), "kind": kind,
        "summary": summary, "reason": reason, "actor": actor, "evidence": None,  # frozen by _freeze_evidence
    } for i, (h, kind, summary, reason, actor) in enumerate(entries)]
    return pa.Table.from_pylist(rows, schema=pa.schema([
        ("decision_id", pa.string()), ("decided_at", TS), ("kind", pa.string()), ("summary", pa.string()),
        ("reason", pa.string()), ("actor", pa.string()), ("evidence", pa.string()),
    ]))


def _reconciliations(gen: _Gen, config: Config) -> pa.Table:
    """Every `[[reconcile]]` check of the demo config on its interval from the final migration run
    on, as the collector would have written them: accounts always match; bookings are 23 short
    until the re-import. One run of the new platform's side timed out during the Monday rush."""
    expected = {"migrated accounts": (MIGRATED_ACCOUNTS, 0), "migrated bookings": (MIGRATED_BOOKINGS, UNMAPPED_BOOKINGS)}
    rows = []
    for check in config.reconcile:
        source, missing = expected[check.name]
        for t in gen.hours(RECONCILE_FROM, DEMO_NOW, timedelta(seconds=check.interval_seconds)):
            target = source - (missing if t < BOOKINGS_REIMPORTED else 0)
            row = {"name": check.name, "checked_at": t, "source_value": float(source), "target_value": float(target),
                   "difference": float(target - source), "matched": target == source, "error": None}
            if check.name == "migrated bookings" and t == RECONCILE_TIMEOUT:
                row.update(target_value=None, difference=None, matched=None, error=RECONCILE_TIMEOUT_ERROR)
            rows.append(row)
    return pa.Table.from_pylist(rows, schema=pa.schema([
        ("name", pa.string()), ("checked_at", TS), ("source_value", pa.float64()), ("target_value", pa.float64()),
        ("difference", pa.float64()), ("matched", pa.bool_()), ("error", pa.string()),
    ]))


_PEOPLE = {"Lotte": "Lotte Janssens <lotte.janssens@fitbook.example>", "Sofie": "Sofie Peeters <sofie.peeters@fitbook.example>",
           "Bram": "Bram De Smet <bram.desmet@fitbook.example>", "Nora": "Nora El Amrani <nora.elamrani@fitbook.example>",
           "Karim": "Karim Haddad <karim.haddad@fitbook.example>", "Jonas": "Jonas Claes <jonas.claes@fitbook.example>"}


def _checklist_events() -> pa.Table:
    """Who ticked which `[[checklist]]` item of demo.toml when (hours from go-live): three items
    late at T−3 h, a backup un-ticked when its restore test failed, everything but the hand-over
    done by the demo's now."""
    entries = [
        (-79, "Sofie", "tick", "Rollback plan rehearsed and signed off", "Rehearsed Thursday: back on the old platform in 38 min"),
        (-75, "Lotte", "tick", "Data migration dry run signed off (5,000 accounts, 12,000 bookings)", "Third dry run clean"),
        (-52, "Nora", "tick", "Clients e-mailed about the switch-over (bookings paused 21:30–22:15)", None),
        (-50, "Bram", "tick", "Production server configuration reviewed", None),
        (-49, "Bram", "tick", "TLS certificates for api and www valid for 90 days", "Renewed; both expire in February"),
        (-26, "Bram", "tick", "DNS TTL lowered to 5 minutes", None),
        (-25, "Bram", "tick", "Monitoring ready: Sentry release, health checks, on-call rota", None),
        (-9, "Lotte", "tick", "Full backup of the old platform, restore tested", None),
        (-8, "Lotte", "untick", "Full backup of the old platform, restore tested",
         "Restore test failed on the bookings table; taking a new backup"),
        (-7, "Lotte", "tick", "Full backup of the old platform, restore tested", "New backup restored cleanly"),
        (-2.5, "Jonas", "tick", "Service desk briefed, FAQ for migrated clients published", None),
        (-2, "Bram", "tick", "Payment provider told the new callback URL", "PSP confirmed by phone"),
        (-1.5, "Karim", "tick", "Change freeze on the old platform", None),
        (-0.7, "Sofie", "tick", "Go decision recorded", None),
        (-0.55, "Lotte", "tick", "Old platform set read-only", None),
        (-0.3, "Lotte", "tick", "Final migration run loaded the new platform",
         "Accounts complete; 23 bookings without a class mapping, re-imported Monday morning"),
        (-0.1, "Bram", "tick", "DNS switched to the new platform", None),
        (0.65, "Jonas", "tick", "Smoke test: a booking and a payment end to end", "Booked a spinning class and paid by card"),
        (10.5, "Nora", "tick", "Go-live announcement sent to all clients", None),
    ]
    rows = [{"event_id": f"demo-checklist-{i}", "item": item, "action": action, "actor": _PEOPLE[who],
             "occurred_at": GO_LIVE + timedelta(hours=h), "note": note}
            for i, (h, who, action, item, note) in enumerate(entries)]
    return pa.Table.from_pylist(rows, schema=pa.schema([
        ("event_id", pa.string()), ("item", pa.string()), ("action", pa.string()), ("actor", pa.string()),
        ("occurred_at", TS), ("note", pa.string()),
    ]))


def _collector_runs(gen: _Gen, config: Config) -> pa.Table:
    """Collection since just before go-live, as `hypercare serve` would have recorded it (the
    status history is replayed over it, so every hour has fresh sources)."""
    rows = []
    for name, interval in config.sources():
        for t in gen.hours(GO_LIVE - timedelta(hours=1), DEMO_NOW - timedelta(seconds=30), timedelta(seconds=interval)):
            took = timedelta(milliseconds=gen.rng.randint(150, 2500))
            failed = name.startswith("tickets") and DEMO_NOW - timedelta(hours=3) <= t < DEMO_NOW - timedelta(hours=2, minutes=40)
            error = "support.fitbook.example answered 503 Service Unavailable after 5 attempts; try again later" if failed else None
            if name == "reconcile" and t == RECONCILE_TIMEOUT:  # as _reconciliations recorded it
                failed, error = True, f"migrated bookings: {RECONCILE_TIMEOUT_ERROR}"
            rows.append({
                "run_id": f"demo-{name}-{int(t.timestamp())}", "collector": name, "started_at": t,
                "finished_at": t + took, "status": "failed" if failed else "ok", "ok": not failed, "rows_written": 0 if failed else gen.rng.randint(1, 60),
                "error": error,
            })
    return pa.Table.from_pylist(rows, schema=pa.schema([
        ("run_id", pa.string()), ("collector", pa.string()), ("started_at", TS), ("finished_at", TS),
        ("status", pa.string()), ("ok", pa.bool_()), ("rows_written", pa.int64()), ("error", pa.string()),
    ]))


def _checkpoints() -> pa.Table:
    rows = [
        {"collector": "tickets:service-desk", "scope": "updated_at", "cursor": (DEMO_NOW - timedelta(minutes=2)).isoformat(), "updated_at": DEMO_NOW - timedelta(minutes=2)},
    ]
    return pa.Table.from_pylist(rows, schema=pa.schema([
        ("collector", pa.string()), ("scope", pa.string()), ("cursor", pa.string()), ("updated_at", TS),
    ]))
