"""Collector jobs: they pull from Sentry, health-check endpoints and ticket systems into the store."""
