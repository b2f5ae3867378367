"""HTTP for every collector: per-thread sessions with timeouts and the one retry policy.

Waits come from each API's own headers (Retry-After as seconds or an HTTP date,
X-Sentry-Rate-Limit-Reset, x-ratelimit-reset, ...) and are slept through the injected clock, so
tests never wait for real. 429 and 5xx, timeouts and connection errors are retried a bounded
number of times; other 4xx are permanent and raised at once. Secrets given to the client are
scrubbed from every message it produces.

Every answer has a whole-answer deadline (`read_within`, shared with the health checks): a read
timeout only bounds each wait for the next bytes, so a server trickling an endless body would
otherwise hold a collector forever. An answer still arriving at its deadline is not retried.
"""

from __future__ import annotations

import json
import logging
import random
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from hypercare.clock import Clock, SystemClock
from hypercare.errors import CollectorError
from hypercare.redaction import redact as redact_secrets

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Headers that say when a rate limit resets, in the order they are trusted.
RESET_HEADERS = ("Retry-After", "X-Sentry-Rate-Limit-Reset", "x-ratelimit-reset", "ratelimit-reset", "X-RateLimit-Reset")
REMAINING_HEADERS = ("X-Sentry-Rate-Limit-Remaining", "x-ratelimit-remaining", "ratelimit-remaining", "X-RateLimit-Remaining")


class AnswerTooSlow(requests.Timeout):
    """The answer was still arriving when its whole-answer deadline passed."""


def read_within(resp: requests.Response, deadline: float, limit: int | None = None) -> bytes:
    """The body of a `stream=True` response (decoded per Content-Encoding), read as it arrives
    until the end, `limit` bytes, or `deadline` (a `time.monotonic()` instant): past it, the
    response is closed and AnswerTooSlow raised. Each wait for bytes is still bounded by the
    request's read timeout, which requests' own exceptions report."""
    chunks, size = [], 0
    try:
        while limit is None or size < limit:
            chunk = resp.raw.read1(64 * 1024, decode_content=True)  # whatever has arrived
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            # A body complete on arrival is kept: only one still arriving is cut short.
            if time.monotonic() > deadline and getattr(resp.raw, "length_remaining", None) != 0:
                resp.close()
                raise AnswerTooSlow("the body was still arriving at the deadline")
    except AnswerTooSlow:
        raise
    except urllib3.exceptions.ReadTimeoutError as exc:
        raise requests.ReadTimeout(exc) from None
    except urllib3.exceptions.DecodeError as exc:
        raise requests.exceptions.ContentDecodingError(exc) from None
    except (urllib3.exceptions.ProtocolError, urllib3.exceptions.SSLError, OSError) as exc:
        raise requests.ConnectionError(exc) from None
    body = b"".join(chunks)
    return body if limit is None else body[:limit]


class HttpError(CollectorError):
    """A request that failed for good; `status` is None when no answer came back."""

    def __init__(self, message: str, *, status: int | None = None, permanent: bool = False, body: Any = None):
        super().__init__(message, permanent=permanent)
        self.status = status
        self.body = body


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    backoff_base: float = 1.0  # seconds; doubled each attempt, with full jitter
    backoff_max: float = 60.0
    max_wait: float = 900.0  # a reset further away than this is not waited for: the run fails instead
    slow_down_below: int = 2  # when the remaining quota falls to this, wait for the reset first
    retry_statuses: frozenset[int] = RETRY_STATUSES
    jitter: Callable[[], float] = field(default=random.random, compare=False)

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter for attempt 1, 2, ...: between half and all of the cap."""
        cap = min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))
        return cap * (0.5 + 0.5 * self.jitter())


def reset_wait(headers: Mapping[str, str], now: datetime) -> float | None:
    """Seconds to wait according to the rate-limit headers, or None when they say nothing."""
    for name in RESET_HEADERS:
        value = headers.get(name)
        if value is None:
            continue
        seconds = parse_reset(value.strip(), now)
        if seconds is not None:
            return max(seconds, 0.0)
    return None


def parse_reset(value: str, now: datetime) -> float | None:
    """A reset given as delta seconds, epoch seconds, an HTTP date or an ISO 8601 instant."""
    try:
        number = float(value)
    except ValueError:
        number = None
    if number is not None:
        # Epoch seconds are large; deltas are small. No API sends a delta of ~30 years.
        return number - now.timestamp() if number > 1e9 else number
    for parse in (parsedate_to_datetime, datetime.fromisoformat):
        try:
            at = parse(value)
        except (TypeError, ValueError, IndexError):
            continue
        if at.tzinfo is None:
            at = at.replace(tzinfo=timezone.utc)
        return (at - now).total_seconds()
    return None


def remaining_quota(headers: Mapping[str, str]) -> int | None:
    for name in REMAINING_HEADERS:
        value = headers.get(name)
        if value is not None:
            try:
                return int(float(value))
            except ValueError:
                return None
    return None


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` without `secrets` nor any secret-bearing URL (see hypercare.redaction)."""
    return redact_secrets(text, secrets)


def host_of(url: str) -> str:
    """The host (and port) a message may name: never the userinfo a URL may carry."""
    try:
        parts = urlsplit(url)
        return (parts.hostname or "") + (f":{parts.port}" if parts.port else "") or "the server"
    except ValueError:
        return "the server"


def is_rate_limited(resp: requests.Response) -> bool:
    """429, or a 403 that carries an exhausted quota (GitHub's primary rate limit) or a
    Retry-After (GitHub's secondary rate limit); any other 403 is a permission error."""
    if resp.status_code == 429:
        return True
    return resp.status_code == 403 and (remaining_quota(resp.headers) == 0 or "Retry-After" in resp.headers)


class HttpClient:
    """GETs and POSTs with timeouts and the retry policy; one `requests.Session` per thread."""

    def __init__(
        self,
        *,
        headers: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | tuple[float, float] = (5.0, 30.0),
        deadline: float | None = None,
        policy: RetryPolicy = RetryPolicy(),
        clock: Clock | None = None,
        secrets: Iterable[str] = (),
        verify: bool | str = True,
        peer_certs: bool = False,
        trust_env: bool = True,
    ):
        self.headers = dict(headers or {})
        self.auth = auth
        self.timeout = timeout
        # seconds for a whole answer (connect, headers and body); default: the read timeout
        self.deadline = deadline if deadline is not None else (timeout[1] if isinstance(timeout, tuple) else timeout)
        self.policy = policy
        self.clock = clock or SystemClock()
        self.secrets = [s for s in secrets if s]
        self.verify = verify
        self.peer_certs = peer_certs  # record each server certificate's expiry (peer_cert_expires_at)
        self.trust_env = trust_env  # False: skip requests' per-request reading of proxy/CA env vars
        self.requests_made = 0
        self._sessions: list[requests.Session] = []
        self._local = threading.local()
        self._count_lock = threading.Lock()

    @property
    def session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers.update({"User-Agent": "hypercare", **self.headers})
            if self.auth:
                session.auth = self.auth
            session.verify = self.verify
            session.trust_env = self.trust_env
            if self.peer_certs:
                session.mount("https://", PeerCertAdapter())
            self._local.session = session
            with self._count_lock:
                self._sessions.append(session)
        return session

    def close(self) -> None:
        """Close every thread's session (their pooled connections)."""
        with self._count_lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()

    def get(self, url: str, params: Mapping[str, Any] | list[tuple[str, Any]] | None = None) -> requests.Response:
        return self.request("GET", url, params=params)

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """Send with retries; returns a 2xx/3xx response or raises HttpError (message scrubbed)."""
        host = host_of(url)
        attempt = 0
        while True:
            attempt += 1
            with self._count_lock:
                self.requests_made += 1
            try:
                resp = self._send(method, url, **kwargs)
            except AnswerTooSlow:
                raise HttpError(f"{host} sent no complete answer within {self.deadline:g} s (the body was still "
                                f"arriving); the next run tries again") from None
            except requests.RequestException as exc:
                reason = self._scrub(_short_reason(exc))
                if attempt >= self.policy.max_attempts:
                    raise HttpError(f"could not reach {host} after {attempt} attempts: {reason}") from None
                wait = self.policy.backoff(attempt)
                log.warning("%s %s failed (%s); retry %d in %.1fs", method, host, reason, attempt, wait)
                self.clock.sleep(wait)
                continue
            if is_rate_limited(resp) or resp.status_code in self.policy.retry_statuses:
                wait = reset_wait(resp.headers, self.clock.now())
                if wait is None or resp.status_code >= 500:
                    wait = max(wait or 0.0, self.policy.backoff(attempt))
                if attempt >= self.policy.max_attempts or wait > self.policy.max_wait:
                    raise HttpError(
                        f"{host} answered {resp.status_code} {_what(resp)} after {attempt} attempts; "
                        f"try again later",
                        status=resp.status_code,
                        body=_body(resp),
                    )
                log.warning("%s %s answered %d; retry %d in %.1fs", method, host, resp.status_code, attempt, wait)
                self.clock.sleep(wait)
                continue
            if resp.status_code >= 400:
                raise HttpError(
                    self._scrub(f"{host} answered {resp.status_code} {_what(resp)}"),
                    status=resp.status_code,
                    permanent=True,
                    body=_body(resp),
                )
            self._pace(resp)
            return resp

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """One request whose answer, body included, is complete within `self.deadline`."""
        deadline = time.monotonic() + self.deadline
        resp = self.session.request(method, url, timeout=self.timeout, stream=True, **kwargs)
        try:
            resp._content = read_within(resp, deadline)  # what `resp.content` would have read, bounded
        except BaseException:
            resp.close()
            raise
        return resp

    def json(self, resp: requests.Response) -> Any:
        """The body as JSON; an HTML page from a proxy (or any non-JSON) is an HttpError."""
        try:
            return resp.json()
        except (ValueError, json.JSONDecodeError):
            kind = resp.headers.get("Content-Type", "no content type")
            snippet = " ".join(resp.text[:80].split())
            raise HttpError(
                self._scrub(f"{host_of(resp.url)} answered {kind} instead of JSON: {snippet!r}"),
                status=resp.status_code,
            ) from None

    def _pace(self, resp: requests.Response) -> None:
        """Slow down before the limit: when the quota is nearly spent, wait for its reset."""
        remaining = remaining_quota(resp.headers)
        if remaining is None or remaining > self.policy.slow_down_below:
            return
        wait = reset_wait(resp.headers, self.clock.now())
        if wait:
            wait = min(wait, self.policy.max_wait)
            log.info("rate-limit quota at %d; waiting %.1fs for its reset", remaining, wait)
            self.clock.sleep(wait)

    def _scrub(self, text: str) -> str:
        return redact_secrets(text, self.secrets)


class _PeerCertConnection(HTTPSConnection):
    """An HTTPS connection that keeps its server certificate's expiry, read after the handshake."""

    peer_cert_expires_at: datetime | None = None

    def connect(self) -> None:
        super().connect()
        # Empty when verification is off: an unverified certificate is not parsed by ssl.
        not_after = self.sock.getpeercert().get("notAfter") if self.sock else None
        if not_after:
            self.peer_cert_expires_at = datetime.fromtimestamp(ssl.cert_time_to_seconds(not_after), timezone.utc)


class _PeerCertPool(HTTPSConnectionPool):
    ConnectionCls = _PeerCertConnection


class PeerCertAdapter(HTTPAdapter):
    """Mount on https:// to make `peer_cert_expires_at` work for that session's responses."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {**self.poolmanager.pool_classes_by_scheme, "https": _PeerCertPool}


def peer_cert_expires_at(resp: requests.Response) -> datetime | None:
    """When the server certificate of a response expires (UTC), or None (http, unverified TLS).

    Needs a client made with `peer_certs=True` and a request sent with `stream=True`: the
    connection stays attached to the response only until its body has been read.
    """
    return getattr(getattr(resp.raw, "connection", None), "peer_cert_expires_at", None)


def _short_reason(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.Timeout):
        return "timed out"
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS error"
    if isinstance(exc, requests.ConnectionError):
        return "connection failed"
    return type(exc).__name__


def _body(resp: requests.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return resp.text[:500]


def _what(resp: requests.Response) -> str:
    return resp.reason or ""


# --- one request, no retry, a whole-answer deadline (webhook deliveries) ---

@dataclass(frozen=True)
class OneAnswer:
    """What one request came to. `status` is None when no answer came; `maybe_received` then
    says whether the request had started to go out, so the server may have acted on it."""

    status: int | None
    maybe_received: bool
    reason: str  # names the host only, never the URL


def post_once(url: str, payload: Any, *, deadline: float, connect_timeout: float = 3.0) -> OneAnswer:
    """POST `payload` as JSON once and wait for the status line for at most `deadline` seconds
    in all, however slowly the server sends its bytes (a timer shuts the socket down); the body
    is not read. Never raises for network trouble."""
    watch = _Watch()
    session = requests.Session()
    session.headers["User-Agent"] = "hypercare"
    adapter = _WatchedAdapter(watch)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    timer = threading.Timer(deadline, watch.expire)
    timer.daemon = True
    timer.start()
    try:
        with session.post(url, json=payload, timeout=(min(connect_timeout, deadline), deadline), stream=True,
                          allow_redirects=False) as resp:
            if not watch.expired:  # else the headers were cut short: no complete answer
                return OneAnswer(resp.status_code, True, f"{host_of(url)} answered {resp.status_code} {_what(resp)}".strip())
    except requests.RequestException as exc:
        if not (watch.expired or isinstance(exc, requests.ReadTimeout)):
            return OneAnswer(None, watch.sending, f"{host_of(url)}: {_short_reason(exc)}")
    finally:
        timer.cancel()
        watch.close()
        session.close()
    return OneAnswer(None, watch.sending, f"no answer from {host_of(url)} within {deadline:g} s")


class _Watch:
    """The sockets of one request, so a timer can end it; and whether the request began to go out."""

    def __init__(self) -> None:
        self.sockets: list[socket.socket] = []
        self.sending = False
        self.expired = False
        self.lock = threading.Lock()

    def add(self, sock: socket.socket) -> None:
        with self.lock:
            self.sockets.append(sock.dup())  # a dup: TLS wrapping detaches the original

    def expire(self) -> None:
        with self.lock:
            self.expired = True
            for sock in self.sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)  # the blocked read returns at once
                except OSError:
                    pass

    def close(self) -> None:
        with self.lock:
            for sock in self.sockets:
                sock.close()
            self.sockets.clear()


class _Watched:
    watch: _Watch

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()  # type: ignore[misc]
        self.watch.add(sock)
        return sock

    def send(self, data: Any) -> None:
        if self.sock is None:  # type: ignore[attr-defined]
            self.connect()  # type: ignore[attr-defined]  # a failed connect sent nothing
        self.watch.sending = True
        super().send(data)  # type: ignore[misc]


class _WatchedAdapter(HTTPAdapter):
    def __init__(self, watch: _Watch) -> None:
        self.watch = watch
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        extra = {"watch": self.watch}
        http = type("WatchedHTTPConnection", (_Watched, HTTPConnection), extra)
        https = type("WatchedHTTPSConnection", (_Watched, HTTPSConnection), extra)
        self.poolmanager.pool_classes_by_scheme = {
            "http": type("WatchedPool", (HTTPConnectionPool,), {"ConnectionCls": http}),
            "https": type("WatchedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https}),
        }
