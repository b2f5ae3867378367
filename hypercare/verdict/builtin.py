"""The built-in rules: what applies when the config has no [[rules]] (README, "Built-in rules").

Only rules for configured sources are included, so a new user sees a verdict from the first
run. No critical rule relies on something a server may not offer (release-health sessions).
Incidents are recorded by Hypercare itself, so their rules always apply.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hypercare.verdict.language import Over
from hypercare.verdict.metrics import Scope
from hypercare.verdict.model import Rule

if TYPE_CHECKING:
    from hypercare.config import Config

HOUR, SIX_HOURS, HALF_HOUR = Over("hours", 1), Over("hours", 6), Over("minutes", 30)

SENTRY = (
    Rule("Sentry errors spike", "errors_vs_baseline", ">=", 3, HOUR, "critical"),
    Rule("Sentry errors raised", "errors_vs_baseline", ">=", 1.5, SIX_HOURS, "warning"),
    Rule("Large new Sentry issue", "new_issue_users", ">=", 100, SIX_HOURS, "warning"),
    Rule("Crash-free sessions low", "crash_free_rate", "<", 99, HOUR, "warning"),
)
CHECKS = (
    Rule("Error budget burning fast", "error_budget_burn", ">=", 14.4, HOUR, "critical"),
    Rule("Error budget burning", "error_budget_burn", ">=", 6, SIX_HOURS, "warning"),
    Rule("Health check down", "checks_down", ">=", 1, HALF_HOUR, "warning"),
)
TICKETS = (
    Rule("Ticket surge", "tickets_per_hour_vs_baseline", ">=", 3, HOUR, "warning"),
    Rule("P1 tickets", "p1_tickets", ">=", 1, HOUR, "warning"),
)
INCIDENTS = (
    Rule("Open SEV1 incident", "open_incidents", ">=", 1, HOUR, "critical", Scope(severity="SEV1")),
    Rule("SLA breached", "sla_breaches", ">=", 1, SIX_HOURS, "warning"),
)


def builtin_rules(config: Config) -> list[Rule]:
    rules: list[Rule] = []
    if config.sentry is not None:
        rules += SENTRY
    if config.checks:
        rules += CHECKS
    if config.tickets:
        rules += TICKETS
    return rules + list(INCIDENTS)
