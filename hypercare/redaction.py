"""Secret-bearing URLs kept out of every message, log line, stored error and page.

A webhook URL is a secret as a whole: Slack and Teams put the key in the path, others in the
query or in the userinfo (`https://user:SECRET@host/hook`). Messages name such a URL by
`safe_url` (scheme and host only). Every log record of the process passes `redact` as it is
created (`install`), whatever logger made it (urllib3 prints request paths at debug level,
Streamlit prints exception messages), so a message built carelessly still can't leak one.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from urllib.parse import urlsplit

REDACTED = "[redacted]"
# Credentials in any URL, known or not: scheme://user:password@ or scheme://token@
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@'\"<>]+@")

_lock = threading.Lock()
_pieces: list[str] = []  # longest first, so a whole URL goes before its path


def safe_url(url: str) -> str:
    """`url` as a message may show it: scheme, host and port; no userinfo, path or query."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return REDACTED
    if not parts.scheme or not host:
        return REDACTED
    return f"{parts.scheme}://{host}{port}/{REDACTED if parts.path.strip('/') or parts.query else ''}"


def without_userinfo(url: str) -> str:
    """`url` with any `user:password@` taken out (the path kept)."""
    return _USERINFO.sub(r"\1", url)


def register(*secret_urls: str) -> None:
    """Remember URLs that are secrets as a whole (webhooks): from now on `redact` removes them,
    their userinfo, and their path and query wherever these appear alone (as urllib3 logs them).
    A URL of another scheme (a database's) keeps its secret in the userinfo only, so its path
    (the database name) is left in the log."""
    found = []
    for url in secret_urls:
        if not url:
            continue
        found.append(url)
        try:
            parts = urlsplit(url)
        except ValueError:
            continue
        if parts.password:
            found.append(parts.password)
        if "@" in parts.netloc:
            found.append(parts.netloc.rsplit("@", 1)[0])
        if parts.scheme not in ("http", "https"):
            continue
        tail = parts.path + (f"?{parts.query}" if parts.query else "")
        if tail.strip("/"):
            found += [tail, parts.path] if parts.path.strip("/") else [tail]
        if parts.query:
            found.append(parts.query)
    with _lock:
        _pieces[:] = sorted(set(_pieces) | {p for p in found if len(p) >= 4}, key=len, reverse=True)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every registered secret URL (whole, or its path, query or userinfo), every
    userinfo of any URL, and each of `secrets` replaced by [redacted]."""
    with _lock:
        pieces = list(_pieces)
    for piece in sorted((s for s in secrets if s and len(s) >= 4), key=len, reverse=True) + pieces:
        if piece in text:
            text = text.replace(piece, REDACTED)
    return _USERINFO.sub(rf"\1{REDACTED}@", text)


def install() -> None:
    """Redact every log record as it is made: its message with arguments merged, and the text
    of its exception. Idempotent."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "redacting", False):
        return

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        # Arguments stay arguments (handlers such as self-monitoring's read them); only one that
        # held a secret is replaced by its redacted text.
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redacted_arg(a) for a in record.args)
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: let the handler report it as logging does
            return record
        if (clean := redact(message)) != message:  # a secret split across the arguments
            record.msg, record.args = clean, ()
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return record

    factory.redacting = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def _redacted_arg(value: object) -> object:
    if value is None or isinstance(value, (bool, int, float)):
        return value
    text = str(value)
    clean = redact(text)
    return value if clean == text else clean
