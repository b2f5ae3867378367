"""End to end: the real sentry-sdk sends errors to the fake Sentry's envelope endpoint, which
groups them into issues; the collector pulls them into DuckDB; the Errors page shows them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sentry_sdk
from streamlit.testing.v1 import AppTest

from collectors.base import run_collector
from collectors.sentry import SentryCollector
from hypercare import runtime
from hypercare.clock import FixedClock
from hypercare.store import Store
from hypercare.store.read import frame
from tests.fakes.sentry import FakeSentry
from tests.sentry_helpers import POLICY, TOKEN, make_config

PAGE = str(Path(__file__).parents[1] / "dashboard" / "views" / "errors.py")


def checkout(cart: dict, user: str) -> float:
    """The 'small app': it divides by the number of items, and looks up a coupon."""
    if cart.get("coupon"):
        return cart["prices"][cart["coupon"]]
    return sum(cart["prices"].values()) / len(cart["items"])


@pytest.fixture
def sdk_events():
    real_now = datetime.now(timezone.utc)  # the SDK stamps events with the wall clock
    with FakeSentry(token=TOKEN, now=lambda: real_now) as fake:
        sentry_sdk.init(dsn=fake.dsn("web"), release="shop@2.0.0", environment="production",
                                 default_integrations=False)
        try:
            for user, cart in [("u1", {"prices": {}, "items": []}), ("u2", {"prices": {}, "items": []}),
                               ("u1", {"prices": {}, "items": []}),
                               ("u3", {"prices": {"a": 1}, "items": ["a"], "coupon": "**WELCOME** <b>10</b>"})]:
                sentry_sdk.set_user({"id": user})
                try:
                    checkout(cart, user)
                except Exception as exc:
                    sentry_sdk.capture_exception(exc)
            sentry_sdk.flush(timeout=5)
        finally:
            sentry_sdk.get_client().close(timeout=2)
        yield fake, real_now


def test_sdk_errors_end_up_on_the_errors_page(sdk_events, tmp_path, monkeypatch):
    fake, real_now = sdk_events
    assert fake.envelopes == 4 and set(fake.encodings) <= {"br", "gzip"}  # the SDK compresses
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", TOKEN)
    clock = FixedClock(real_now + timedelta(minutes=1))
    config = make_config(fake.url, tmp_path, release={"go_live_at": (real_now - timedelta(hours=2)).isoformat()})
    store = Store(config.store.path)
    try:
        record = run_collector(store, SentryCollector(config, clock, POLICY), clock)
        assert record.ok, record.error
        issues = frame(store.cursor(), "SELECT title, event_count, user_count, project FROM sentry_issues ORDER BY title")
        assert list(issues.title) == ["KeyError: '**WELCOME** <b>10</b>'", "ZeroDivisionError: division by zero"]
        assert list(issues.event_count) == [1, 3] and list(issues.user_count) == [1, 2]
        counts = frame(store.cursor(), "SELECT sum(events) AS n FROM error_counts WHERE project = 'web'")
        assert counts.n.item() == 4

        runtime.set_context(runtime.AppContext(config, store, clock))
        at = AppTest.from_file(PAGE, default_timeout=30).run()
        assert not at.exception
        assert {m.label: m.value for m in at.metric}["New issues since go-live"] == "2"
        table = at.dataframe[0].value
        assert list(table["title"]) == ["ZeroDivisionError: division by zero", "KeyError: '**WELCOME** <b>10</b>'"]
        assert table["link"].str.startswith(fake.url).all()
        assert not at.markdown or all("WELCOME" not in m.value for m in at.markdown)  # plain text only
    finally:
        store.close()
