"""Decisions taken during hypercare (go, no-go, rollback, continue, extend, exit, note), each
with the evidence frozen when it was taken, and the effective window they shape."""

from hypercare.decisions.model import KINDS, Decision, DecisionError, new_decision
from hypercare.decisions.record import record_decision
from hypercare.decisions.window import effective_window

__all__ = ["KINDS", "Decision", "DecisionError", "effective_window", "new_decision", "record_decision"]
