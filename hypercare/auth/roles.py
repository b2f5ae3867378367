"""OIDC sign-in: the role of a signed-in person, from the `[[auth.roles]]` mappings in the config."""

from __future__ import annotations

from collections.abc import Mapping

from hypercare.auth.identity import ROLES, Identity, Role
from hypercare.config import AuthConfig


def role_for(claims: Mapping[str, object], auth: AuthConfig) -> Role | None:
    """The highest role any mapping gives these ID-token claims; None when none matches.

    A mapping matches on the verified e-mail address (whole, case-insensitive), its domain, or any of
    `claim_values` found in the claim `auth.roles_claim` (a string or a list of strings).
    """
    # An address the provider says it has not verified could be anyone's: never match on it.
    email = "" if claims.get("email_verified") is False else str(claims.get("email") or "").strip().lower()
    domain = email.rpartition("@")[2] if "@" in email else ""
    held = claims.get(auth.roles_claim) if auth.roles_claim else None
    values = {held} if isinstance(held, str) else {str(v) for v in held} if isinstance(held, list | tuple) else set()
    matched = [
        m.role for m in auth.roles
        if (email and email in {e.lower() for e in m.emails})
        or (domain and domain in {d.lower().lstrip("@") for d in m.domains})
        or values & set(m.claim_values)
    ]
    return max(matched, key=ROLES.index, default=None)


def oidc_identity(claims: Mapping[str, object], auth: AuthConfig) -> Identity | None:
    """The signed-in person as an Identity, or None when no mapping gives them a role."""
    role = role_for(claims, auth)
    if role is None:
        return None
    email = str(claims["email"]) if claims.get("email") else None
    return Identity(display_name(claims), email, role)


def display_name(claims: Mapping[str, object]) -> str:
    """How to call the person: their name, else e-mail, else the provider's subject id."""
    return str(claims.get("name") or claims.get("email") or claims.get("sub") or "unknown user")
