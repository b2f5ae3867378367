"""Hypercare's own errors and collector failures, reported with sentry-sdk, secrets scrubbed first.

On when `[self_monitoring] sentry_dsn` or $SENTRY_DSN is set. Every event and breadcrumb passes
`before_send` / `before_breadcrumb`, which replace the values of every secret the config names
(tokens, e-mails, webhook URLs read from environment variables) and anything shaped like a
bearer token or a Sentry token, wherever they occur (messages, stack locals, request data).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Mapping
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import sentry_sdk
from sentry_sdk.scrubber import EventScrubber
from sentry_sdk.utils import BadDsn

from hypercare.config import Config
from hypercare.redaction import redact

log = logging.getLogger(__name__)

DSN_ENV = "SENTRY_DSN"
REDACTED = "[redacted]"
PATTERNS = (
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"\bsntry[su]_[A-Za-z0-9_+/=-]{8,}"),  # Sentry organization and user auth tokens
    re.compile(r"(?i)\b((?:access_)?token|api_?key|password|secret)=[^&\s'\"]+"),
)
# Collector failures are logged as warnings here; each one becomes an event grouped per collector.
COLLECTOR_LOGGER = "collectors.base"


def secret_values(config: Config, environ: Mapping[str, str] = os.environ) -> list[str]:
    """The values of every environment variable the config names as holding a secret."""
    return sorted({environ[n] for n in config.secret_envs() if len(environ.get(n, "")) >= 4}, key=len, reverse=True)


def scrub(value: Any, secrets: list[str]) -> Any:
    """`value` with every secret and token-shaped string replaced, through dicts and lists."""
    if isinstance(value, str):
        value = redact(value, secrets)  # the secrets, webhook URLs' paths and any URL's userinfo
        for pattern in PATTERNS:
            value = pattern.sub(REDACTED, value)
        return value
    if isinstance(value, dict):
        return {k: scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(scrub(v, secrets) for v in value)
    return value


def make_before_send(secrets: list[str]) -> Callable[[dict, dict], dict]:
    def before_send(event: dict, hint: dict) -> dict:
        return scrub(event, secrets)

    return before_send


class _CollectorFailures(logging.Handler):
    """Turns 'collector X failed' warnings into Sentry events, one issue per collector."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info or not record.args:
            return  # crashes are logged with log.exception: the logging integration sends those
        with sentry_sdk.new_scope() as scope:
            scope.fingerprint = ["collector-failed", str(record.args[0])]
            scope.set_tag("collector", str(record.args[0]))
            sentry_sdk.capture_message(record.getMessage(), level="warning")


_handler: _CollectorFailures | None = None


def init_self_monitoring(config: Config, environ: Mapping[str, str] = os.environ) -> bool:
    """Start reporting to Sentry when a DSN is configured; returns whether it is on."""
    global _handler
    settings = config.self_monitoring
    dsn = settings.sentry_dsn or environ.get(DSN_ENV, "").strip()
    if not dsn:
        return False
    secrets = secret_values(config, environ)
    try:
        sentry_sdk.init(
            dsn=dsn,
            environment=settings.environment or "hypercare",
            release=f"hypercare@{_version()}",
            event_scrubber=EventScrubber(recursive=True),
            before_send=make_before_send(secrets),
            before_breadcrumb=lambda crumb, hint: scrub(crumb, secrets),
        )
    except BadDsn:
        log.warning("self-monitoring is off: $%s (or [self_monitoring] sentry_dsn) is not a valid Sentry DSN", DSN_ENV)
        return False
    if _handler is None:
        _handler = _CollectorFailures()
        logging.getLogger(COLLECTOR_LOGGER).addHandler(_handler)
    return True


def stop_self_monitoring(timeout: float = 2.0) -> None:
    """Send what is queued and stop reporting."""
    global _handler
    if _handler is not None:
        logging.getLogger(COLLECTOR_LOGGER).removeHandler(_handler)
        _handler = None
    client = sentry_sdk.get_client()
    if client.is_active():
        client.close(timeout=timeout)


def _version() -> str:
    try:
        return version("hypercare")
    except PackageNotFoundError:
        return "dev"
