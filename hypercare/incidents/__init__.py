"""Incidents: the escalation engine (pure), the actions that write them, and the notification outbox."""
