"""The acting identity and what each role may do (DESIGN.md, "Identity").

Every function in `hypercare/` that writes a change people make (incident actions, decisions,
planned periods, triage and checklist changes) takes an `Identity` and calls `require` before
writing: the check lives where the change is made, not only in which widgets a page shows.
Without sign-in the identity is the OS user as `lead`, never typed text.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import Literal

Role = Literal["stakeholder", "responder", "lead"]
ROLES: tuple[Role, ...] = ("stakeholder", "responder", "lead")  # lowest to highest


class PermissionDenied(Exception):
    """The identity's role may not make this change; nothing was written."""


@dataclass(frozen=True)
class Identity:
    name: str
    email: str | None
    role: Role

    @property
    def actor(self) -> str:
        """How the identity is recorded in actor columns: 'Name <email>' or the name alone."""
        return f"{self.name} <{self.email}>" if self.email else self.name

    def may(self, role: Role) -> bool:
        """True when this identity's role is `role` or higher."""
        return ROLES.index(self.role) >= ROLES.index(role)


def require(identity: Identity, role: Role, what: str) -> None:
    """Raise PermissionDenied unless `identity` holds `role` or higher; `what` names the change."""
    if not identity.may(role):
        raise PermissionDenied(f"{identity.name} is a {identity.role}; {what} needs the {role} role")


def local_identity() -> Identity:
    """The OS user, as lead: who acts when sign-in is off (local use only)."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        name = "local user"
    return Identity(name, None, "lead")
