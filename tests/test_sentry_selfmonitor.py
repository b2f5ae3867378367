"""Hypercare's own errors reach Sentry through the real sentry-sdk, with secrets scrubbed."""

from __future__ import annotations

import logging

import pytest

from collectors.base import run_collector
from hypercare import selfmonitor
from hypercare.errors import CollectorError
from tests.fakes.sentry import FakeSentry
from tests.sentry_helpers import TOKEN, make_config


@pytest.fixture
def ingest():
    with FakeSentry(projects=("hypercare",)) as server:
        yield server
    selfmonitor.stop_self_monitoring()


def test_off_without_a_dsn(tmp_path):
    assert selfmonitor.init_self_monitoring(make_config("https://sentry.io", tmp_path), environ={}) is False


def test_a_bad_dsn_in_the_environment_is_a_warning_not_a_crash(tmp_path, caplog):
    assert selfmonitor.init_self_monitoring(make_config("https://sentry.io", tmp_path),
                                            environ={"SENTRY_DSN": "not a dsn"}) is False
    assert "not a valid Sentry DSN" in caplog.text


def test_scrub_reaches_into_nested_values():
    event = {"message": f"GET failed with Authorization: Bearer {TOKEN}",
             "extra": {"url": "https://x.example/?token=abc123&page=2", "list": ["sntrys_abcdefghijklmnop"]},
             "n": 3}
    clean = selfmonitor.scrub(event, ["hunter2-secret"])
    assert TOKEN not in str(clean) and "abc123" not in str(clean) and "sntrys_abc" not in str(clean)
    assert clean["n"] == 3 and "page=2" in clean["extra"]["url"]


class Failing:
    name, kind, interval_seconds = "tickets:desk", "tickets", 60

    def __init__(self, secret):
        self.secrets = [secret]

    def collect(self, store, now):
        raise CollectorError("desk.example answered 503 Service Unavailable after 5 attempts; try again later")


def test_exceptions_and_collector_failures_are_reported_without_secrets(ingest, tmp_path, store, clock, monkeypatch):
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", TOKEN)
    config = make_config("https://sentry.io", tmp_path, )
    environ = {"SENTRY_DSN": ingest.dsn("hypercare"), "SENTRY_AUTH_TOKEN": TOKEN}
    assert selfmonitor.init_self_monitoring(config, environ=environ)

    def load(token):  # the token sits in a local variable and in the message
        raise RuntimeError(f"could not load with {token}")

    try:
        load(TOKEN)
    except RuntimeError:
        logging.getLogger("hypercare.cli").exception("startup failed")
    run_collector(store, Failing(TOKEN), clock)
    selfmonitor.stop_self_monitoring()

    raw = b"".join(ingest.raw_envelopes)
    assert ingest.envelopes >= 2 and TOKEN.encode() not in raw
    titles = sorted(i.title for i in ingest.issues.values())
    assert any(t.startswith("RuntimeError: could not load with [redacted]") for t in titles), titles
    assert any("collector tickets:desk failed" in t for t in titles), titles
