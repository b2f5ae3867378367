"""The collectors a config asks for. Adding a collector adds one line here."""

from __future__ import annotations

from collectors.base import Collector
from collectors.health import HealthCollector
from collectors.reconcile import ReconcileCollector
from collectors.sentry import SentryCollector
from collectors.tickets import ticket_collectors
from hypercare.clock import Clock
from hypercare.config import Config


def build_collectors(config: Config, clock: Clock) -> list[Collector]:
    """One collector per configured source, in a stable order."""
    found: list[Collector] = []
    if config.sentry:
        found.append(SentryCollector(config, clock))
    if config.checks:
        found.append(HealthCollector(config))
    found += ticket_collectors(config, clock)
    if config.reconcile:
        found.append(ReconcileCollector(config))
    return found
