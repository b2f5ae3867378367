"""Support-ticket collectors: one module per source kind, all writing the one `tickets` table."""

from __future__ import annotations

from collectors.tickets import csv, github, jira, zendesk
from collectors.tickets.source import TicketCollector
from hypercare.clock import Clock
from hypercare.config import Config, TicketSourceBase

KINDS = {"csv": csv.CsvCollector, "github": github.GitHubCollector, "jira": jira.JiraCollector, "zendesk": zendesk.ZendeskCollector}


def ticket_collectors(config: Config, clock: Clock) -> list[TicketCollector]:
    """One collector per [[tickets]] entry, named tickets:<source name>."""
    return [KINDS[source.kind](source, config.release, clock) for source in config.tickets]


__all__ = ["KINDS", "TicketCollector", "TicketSourceBase", "ticket_collectors"]
