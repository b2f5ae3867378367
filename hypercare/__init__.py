"""Hypercare: the core shared by the collectors and the dashboard."""

__version__ = "0.1.0"
