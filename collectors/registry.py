"""The collectors a config asks for. Adding a collector adds one line here."""

from __future__ import annotations

from hypercare.clock import Clock
from hypercare.config import Config

from collectors.base import Collector
from collectors.tickets import ticket_collectors


def build_collectors(config: Config, clock: Clock) -> list[Collector]:
    """One collector per configured source, in a stable order."""
    found: list[Collector] = []
    found += ticket_collectors(config, clock)
    return found
