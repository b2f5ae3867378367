"""The health-check collector: every due check of a cycle at once, its verdict, and state flips.

Checks run in a bounded thread pool with a `requests` session per worker thread (measured
faster than asyncio clients here), one attempt each: a health check that retried would hide
the very flakiness it exists to show. Every failure becomes a row with a short reason; only
a bug or the store can fail the run itself.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
import ssl
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import duckdb
import pyarrow as pa
import requests
import urllib3.exceptions

from collectors.base import RunOutcome
from hypercare.conditions import Condition, Observation, parse
from hypercare.config import ENV_PREFIX, CheckConfig, Config
from hypercare.health_state import UNKNOWN, Outcome, Transition, advance
from hypercare.http import AnswerTooSlow, HttpClient, peer_cert_expires_at, read_within, redact
from hypercare.redaction import without_userinfo
from hypercare.store import Store
from hypercare.store.planned import write_planned_periods
from hypercare.store.writes import merge_rows, record_health_results

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1 << 20  # conditions look at the first MiB; a health endpoint is far smaller
MAX_REDIRECTS = 10
DUE_SLACK = timedelta(seconds=1)  # a check due a moment from now counts as due this cycle

RESULT_SCHEMA = pa.schema([
    ("check_name", pa.string()),
    ("checked_at", pa.timestamp("us", tz="UTC")),
    ("url", pa.string()),
    ("ok", pa.bool_()),
    ("status_code", pa.int32()),
    ("latency_ms", pa.int32()),
    ("error", pa.string()),
    ("cert_expires_at", pa.timestamp("us", tz="UTC")),
])


@dataclass(frozen=True)
class HealthCheck:
    """A configured check, ready to run: parsed conditions and headers read from the environment."""

    config: CheckConfig
    conditions: tuple[Condition, ...]
    headers: Mapping[str, str]
    request: requests.PreparedRequest  # prepared once: requests' per-call merging costs ~0.4 ms a check

    @property
    def name(self) -> str:
        return self.config.name


@dataclass(frozen=True)
class HealthResult:
    """One row of `health_checks`. `latency_ms` is None when no answer came back."""

    check_name: str
    checked_at: datetime
    url: str
    ok: bool
    status_code: int | None
    latency_ms: int | None
    error: str | None  # the failed conditions with what was seen, or why nothing was seen
    cert_expires_at: datetime | None


def prepare(config: CheckConfig, environ: Mapping[str, str]) -> HealthCheck:
    """Parse the conditions and fill "env:NAME" headers; KeyError names a missing variable."""
    headers = {
        header: environ[value.removeprefix(ENV_PREFIX)] if value.startswith(ENV_PREFIX) else value
        for header, value in config.headers.items()
    }
    request = _prepared(config.method, config.url, tuple(sorted(headers.items())))
    return HealthCheck(config, tuple(parse(c) for c in config.conditions), headers, request)


_DEFAULTS = requests.Session()  # only for the default headers every check sends
_DEFAULTS.headers["User-Agent"] = "hypercare"


@functools.lru_cache(maxsize=4096)
def _prepared(method: str, url: str, headers: tuple[tuple[str, str], ...]) -> requests.PreparedRequest:
    """Prepared once per distinct request (a changed env: header makes a new one); callers copy it."""
    return _DEFAULTS.prepare_request(requests.Request(method, url, headers=dict(headers)))


def check_once(client: HttpClient, check: HealthCheck, at: datetime) -> HealthResult:
    """Run one check once (no retry) and judge it; never raises."""
    cfg = check.config
    started = time.perf_counter()
    deadline = time.monotonic() + cfg.timeout_seconds
    status = latency = cert = None
    try:
        session = client.session
        session.max_redirects = MAX_REDIRECTS
        resp = session.send(
            check.request.copy(), timeout=cfg.timeout_seconds, stream=True, allow_redirects=True,
            verify=str(cfg.ca_file) if cfg.ca_file else session.verify,
        )
        with resp:
            status, cert = resp.status_code, peer_cert_expires_at(resp)
            body = _read_body(resp, deadline)
        latency = (time.perf_counter() - started) * 1000
        cert_days = (cert - at).total_seconds() / 86400 if cert else None
        seen = Observation(status, latency, body, cert_days)
        failed = [v.explanation for v in (c.evaluate(seen) for c in check.conditions) if not v.ok]
        error = "; ".join(failed) or None
    except AnswerTooSlow:
        error = f"no complete answer within {cfg.timeout_seconds:g} s (the body was still arriving)"
    except requests.RequestException as exc:
        error = describe_failure(exc, cfg)
    except Exception as exc:  # a bug must cost one row, not the whole cycle
        log.exception("check %s failed unexpectedly", cfg.name)
        error = f"unexpected {type(exc).__name__}: {exc}"
    return HealthResult(
        check_name=cfg.name,
        checked_at=at,
        url=without_userinfo(cfg.url),  # credentials in a check URL never reach the store
        ok=error is None,
        status_code=status,
        latency_ms=round(latency) if latency is not None else None,
        error=redact(error, check.headers.values()) if error else None,
        cert_expires_at=cert,
    )


def _read_body(resp: requests.Response, deadline: float) -> str:
    """The body's first MiB as text, complete before `deadline` (see `read_within`)."""
    raw = read_within(resp, deadline, MAX_BODY_BYTES)
    try:
        return raw.decode(resp.encoding or "utf-8", errors="replace")
    except LookupError:  # a charset Python does not know
        return raw.decode("utf-8", errors="replace")


def describe_failure(exc: requests.RequestException, cfg: CheckConfig) -> str:
    """A short reason for a request that got no usable answer: DNS, refused, TLS, timeout, ..."""
    host = urlsplit(cfg.url).hostname or cfg.url
    if isinstance(exc, requests.ConnectTimeout):
        return f"no connection to {host} within {cfg.timeout_seconds:g} s"
    if isinstance(exc, requests.Timeout):
        return f"no answer within {cfg.timeout_seconds:g} s"
    if isinstance(exc, requests.TooManyRedirects):
        return f"redirect loop: more than {MAX_REDIRECTS} redirects"
    causes = list(_causes(exc))
    for cause in causes:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"TLS certificate rejected: {cause.verify_message or cause.reason}"
    for cause in causes:
        if isinstance(cause, ssl.SSLError):
            return f"TLS error: {cause.reason or cause}"
        if isinstance(cause, (socket.gaierror, urllib3.exceptions.NameResolutionError)):
            return f"DNS lookup failed for {host}"
        if isinstance(cause, ConnectionRefusedError):
            return f"connection refused by {host}"
        if isinstance(cause, ConnectionResetError):
            return f"connection reset by {host}"
        if isinstance(cause, urllib3.exceptions.ProtocolError):
            return f"{host} closed the connection without a valid answer"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "the connection broke while the body was being read"
    return f"request failed: {type(exc).__name__}"


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and everything it wraps (requests and urllib3 nest their causes in args)."""
    stack, seen = [exc], set()
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        linked = [current.__cause__, current.__context__, getattr(current, "reason", None), *current.args]
        stack.extend(e for e in linked if isinstance(e, BaseException))


def client_for_cycle() -> HttpClient:
    """requests re-reads proxy and CA settings from the environment on every request (about half
    of a check's CPU here); read the CA bundle once, and let it read proxies only when set."""
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    return HttpClient(peer_certs=True, trust_env=bool(urllib.request.getproxies_environment()), verify=bundle or True)


def run_checks(checks: Sequence[HealthCheck], at: datetime, concurrency: int) -> Iterator[HealthResult]:
    """Run `checks` with at most `concurrency` in flight; yields results as they complete."""
    if not checks:
        return
    client = client_for_cycle()
    try:
        with ThreadPoolExecutor(max_workers=min(concurrency, len(checks)), thread_name_prefix="check") as pool:
            futures = [pool.submit(check_once, client, check, at) for check in checks]
            for future in as_completed(futures):
                yield future.result()
    finally:
        client.close()


EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
MICROSECOND = timedelta(microseconds=1)


def _table(items: Sequence[object], schema: pa.Schema) -> pa.Table:
    """Dataclasses as an Arrow table, column by column. Instants go in as epoch microseconds:
    pyarrow converts aware datetimes at ~36 us each, a third of a 1,000-check cycle's write."""
    columns = {}
    for field in schema:
        values = [getattr(i, field.name) for i in items]
        if pa.types.is_timestamp(field.type):
            micros = [None if v is None else (v - EPOCH) // MICROSECOND for v in values]
            columns[field.name] = pa.array(micros, pa.int64()).cast(field.type)
        else:
            columns[field.name] = pa.array(values, field.type)
    return pa.table(columns, schema=schema)


def results_table(results: Sequence[HealthResult]) -> pa.Table:
    return _table(results, RESULT_SCHEMA)


def due_checks(cur: duckdb.DuckDBPyConnection, checks: Sequence[CheckConfig], now: datetime) -> list[CheckConfig]:
    """The checks whose interval has passed since their last stored result (or never ran)."""
    if not checks:
        return []
    longest = timedelta(seconds=max(c.interval_seconds for c in checks))
    last = dict(cur.execute(
        "SELECT check_name, max(checked_at) FROM health_checks "
        "WHERE checked_at > ? AND checked_at <= ? AND list_contains(?, check_name) GROUP BY check_name",
        [now - longest, now, [c.name for c in checks]],
    ).fetchall())
    return [
        c for c in checks
        if c.name not in last or now - last[c.name] >= timedelta(seconds=c.interval_seconds) - DUE_SLACK
    ]


def stored_states(
    cur: duckdb.DuckDBPyConnection, checks: Sequence[CheckConfig], now: datetime
) -> dict[str, tuple[str, list[bool]]]:
    """Per check: its state after the last transition, and its recent results' ok (oldest first).

    Only results recent enough to belong to the current streak are read: at most a threshold's
    worth of intervals, three times over, so a restart keeps the streak but a long gap breaks it.
    """
    names = [c.name for c in checks]
    keep = max(max(c.failure_threshold, c.success_threshold) for c in checks)
    lookback = timedelta(seconds=3 * keep * max(c.interval_seconds for c in checks))
    states = dict(cur.execute(
        "SELECT check_name, arg_max(to_state, changed_at) FROM check_transitions "
        "WHERE list_contains(?, check_name) AND changed_at < ? GROUP BY check_name",
        [names, now],
    ).fetchall())
    history: dict[str, list[bool]] = {name: [] for name in names}
    for name, ok in cur.execute(
        "SELECT check_name, ok FROM health_checks WHERE checked_at >= ? AND checked_at < ? "
        "AND list_contains(?, check_name) "
        "QUALIFY row_number() OVER (PARTITION BY check_name ORDER BY checked_at DESC) <= ? "
        "ORDER BY check_name, checked_at",
        [now - lookback, now, names, keep],
    ).fetchall():
        history[name].append(ok)
    return {name: (states.get(name, UNKNOWN), history[name]) for name in names}


def transitions_table(transitions: Sequence[Transition]) -> pa.Table:
    schema = pa.schema([
        ("check_name", pa.string()), ("changed_at", pa.timestamp("us", tz="UTC")),
        ("from_state", pa.string()), ("to_state", pa.string()), ("reason", pa.string()),
    ])
    return _table(transitions, schema)


class HealthCollector:
    """Collector "checks": one cycle checks every due endpoint concurrently and writes one batch."""

    name = "checks"
    kind = "checks"

    def __init__(self, config: Config, environ: Mapping[str, str] | None = None):
        self.checks = list(config.checks)
        self.periods = list(config.planned_periods)
        self.concurrency = config.health.concurrency
        self.environ = os.environ if environ is None else environ
        self.interval_seconds = min((c.interval_seconds for c in self.checks), default=60.0)
        names = {n for c in self.checks for n in c.header_env_names()}
        self.secrets = [self.environ[n] for n in sorted(names) if self.environ.get(n)]

    def collect(self, store: Store, now: datetime) -> RunOutcome:
        with store.transaction() as cur:
            written = write_planned_periods(cur, self.periods, now)
            due = due_checks(cur, self.checks, now)
        ready, missing = [], []
        for config in due:
            try:
                ready.append(prepare(config, self.environ))
            except KeyError as exc:
                missing.append(f"{config.name} (set the environment variable {exc.args[0]})")
        results = sorted(run_checks(ready, now, self.concurrency), key=lambda r: r.check_name)
        if results:
            written += self.record(store, results, now)
        incomplete = f"not checked: {', '.join(missing)}" if missing else None
        return RunOutcome(written, incomplete)

    def record(self, store: Store, results: Sequence[HealthResult], now: datetime) -> int:
        """Write a cycle's results and the state flips they cause, in one transaction."""
        by_name = {c.name: c for c in self.checks}
        with store.transaction() as cur:
            states = stored_states(cur, [by_name[r.check_name] for r in results], now)
            written = record_health_results(cur, results_table(results))
            flips: list[Transition] = []
            for r in results:
                cfg = by_name[r.check_name]
                state, history = states[r.check_name]
                _, new = advance(
                    r.check_name, state, history, [Outcome(r.checked_at, r.ok, r.error)],
                    cfg.failure_threshold, cfg.success_threshold,
                )
                flips.extend(new)
            if flips:
                written += merge_rows(cur, "check_transitions", transitions_table(flips), ["check_name", "changed_at"])
        return written
