"""Shared fixtures: a real DuckDB file in a temp dir, a pinned clock, no developer config."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import streamlit as st

from hypercare import runtime
from hypercare.clock import FixedClock
from hypercare.store import Store
from tests.demo_db import open_demo_copy


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    """Keep a developer's own config and secrets out of the tests."""
    for name in ("HYPERCARE_CONFIG", "SENTRY_AUTH_TOKEN", "SENTRY_DSN", "GITHUB_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    yield
    runtime.set_context(None)
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "hypercare.duckdb")
    yield s
    s.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo go-live in a database of its own, shared by a module's tests: (config, store)."""
    config, store = open_demo_copy(tmp_path_factory.mktemp("demo"))
    yield config, store
    store.close()


@pytest.fixture
def clock():
    return FixedClock(datetime(2026, 11, 24, 11, 0, tzinfo=timezone.utc))
