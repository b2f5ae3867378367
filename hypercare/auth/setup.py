"""What `serve` and `demo` check about sign-in before they listen: the address and the secrets."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

from hypercare.config import AuthConfig

LOCAL_ONLY = (
    'sign-in is off ([auth] mode = "none"), so the dashboard may only listen on a loopback address '
    'such as 127.0.0.1; to serve it to others, set [auth] mode = "oidc" or "password" in the config '
    "(README, \"Sign-in and roles\")"
)


def is_loopback(address: str) -> bool:
    if address.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve to anything


def address_problem(auth: AuthConfig, address: str) -> str | None:
    """Why the dashboard may not listen on `address` in this mode, or None."""
    if auth.mode == "none" and not is_loopback(address):
        return f"refusing to listen on {address}: {LOCAL_ONLY}"
    return None


def secrets_problems(auth: AuthConfig, secrets: Mapping[str, object], where: str) -> list[str]:
    """What the secrets file (`where`, for the message) lacks for this mode. Never shows a value."""
    problems = []
    if auth.mode == "oidc":
        section = secrets.get("auth")
        if not isinstance(section, Mapping):
            return [f"{where} has no [auth] section: mode \"oidc\" needs redirect_uri, cookie_secret, "
                    "client_id, client_secret and server_metadata_url there, as Streamlit documents"]
        fields = dict(section)
        if auth.provider:
            provider = section.get(auth.provider)
            if not isinstance(provider, Mapping):
                return [f"{where} has no [auth.{auth.provider}] section, which [auth] provider names"]
            fields.update(provider)
        problems += [f"{where} [auth] lacks {key}" for key in
                     ("redirect_uri", "cookie_secret", "client_id", "client_secret", "server_metadata_url")
                     if not fields.get(key)]
    if auth.mode == "password":
        hashes = secrets.get("passwords")
        hashes = hashes if isinstance(hashes, Mapping) else {}
        problems += [f"{where} [passwords] has no hash for {u.username}; make one with `hypercare hash-password`"
                     for u in auth.users if not str(hashes.get(u.username, "")).startswith("$argon2")]
    return problems
