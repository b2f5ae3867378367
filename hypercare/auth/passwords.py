"""Password sign-in: argon2id hashes, and refusing a user or client after repeated failures.

The hashes live in `.streamlit/secrets.toml` under `[passwords]` (`username = "$argon2id$..."`),
never in the config, DuckDB or a log. The failure counts live in the serving process only:
a restart forgets them, which is the price of keeping no sign-in state on disk.
"""

from __future__ import annotations

import threading
from collections import defaultdict, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from hypercare.auth.identity import Identity
from hypercare.clock import Clock
from hypercare.config import PasswordUser

_hasher = PasswordHasher()  # argon2id with the library's current recommended cost

FAILED = "Wrong username or password."  # never says which of the two was wrong


def hash_password(password: str) -> str:
    """An argon2id hash to paste into `[passwords]`; raises ValueError for an empty password."""
    if not password:
        raise ValueError("the password is empty")
    return _hasher.hash(password)


def password_matches(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _decoy() -> str:
    """Verified when the username is unknown, so a wrong name costs as long as a wrong password."""
    return _hasher.hash("no user has this password")


class SignInRefused(Exception):
    """Sign-in failed or is refused for now; the message is safe to show as it is."""


@dataclass
class Lockout:
    """After `attempts` failures for a key within `within`, the key is refused for `refuse_for`.

    Keys are usernames (as typed, known or not) and client addresses. Time comes from `clock`,
    so a test moves through the 15 minutes without sleeping. Thread-safe: one instance serves
    every browser session of the process.
    """

    clock: Clock
    attempts: int = 5
    within: timedelta = timedelta(minutes=15)
    refuse_for: timedelta = timedelta(minutes=15)
    _failures: dict[str, deque[datetime]] = field(default_factory=lambda: defaultdict(deque))
    _refused_until: dict[str, datetime] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def refused_until(self, *keys: str) -> datetime | None:
        """The latest instant until which any of `keys` is refused, or None."""
        now = self.clock.now()
        with self._lock:
            until = [t for k in keys if (t := self._refused_until.get(k)) and t > now]
        return max(until, default=None)

    def failed(self, *keys: str) -> None:
        now = self.clock.now()
        with self._lock:
            for key in keys:
                recent = self._failures[key]
                recent.append(now)
                while recent and recent[0] <= now - self.within:
                    recent.popleft()
                if len(recent) >= self.attempts:
                    self._refused_until[key] = now + self.refuse_for
                    recent.clear()

    def succeeded(self, key: str) -> None:
        """Forget a user's failures (not the client's: signing into one's own account must not
        reset the count of guesses at others')."""
        with self._lock:
            self._failures.pop(key, None)


def sign_in(users: list[PasswordUser], hashes: Mapping[str, str], lockout: Lockout,
            username: str, password: str, client: str) -> Identity:
    """The Identity of `username` if `password` is theirs and neither they nor `client` is
    refused; else SignInRefused with a sentence that never says whether the user exists."""
    username = username.strip()
    user_key, client_key = f"user:{username.lower()}", f"client:{client}"
    if (until := lockout.refused_until(user_key, client_key)) is not None:
        raise SignInRefused(f"Too many failed sign-ins: try again after {until:%H:%M} UTC.")
    user = next((u for u in users if u.username == username), None)
    stored = hashes.get(username) if user else None
    if not password_matches(stored or _decoy(), password) or user is None or stored is None:
        lockout.failed(user_key, client_key)
        raise SignInRefused(FAILED)
    lockout.succeeded(user_key)
    return Identity(user.name, user.email, user.role)
