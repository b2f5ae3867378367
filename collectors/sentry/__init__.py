"""The Sentry collector: issues, error counts and release health from Sentry's Web API."""

from collectors.sentry.collector import SentryCollector

__all__ = ["SentryCollector"]
