"""Sign-in end to end in headless Chromium: password mode, and OIDC against a real provider on 127.0.0.1.

Each test serves Hypercare with `hypercare serve` and checks the audit row of an action carries
the signed-in person, and that no password, hash or cookie secret reaches the log, the pages or
DuckDB.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest
from argon2 import PasswordHasher

from tests.process import free_port, hypercare, listening, wait_until
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS
from tests.test_cli import config_file

PASSWORD = "correct horse battery"
FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # verification reads the cost from the hash


def ready(page) -> None:
    page.wait_for_selector('[data-testid="stAppViewContainer"] [data-testid="stMainBlockContainer"] *', timeout=60_000)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=60_000)


def snapshot_rows(snapshot: Path, sql: str) -> list[tuple]:
    if not snapshot.exists():
        return []
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def open_incident(page, title: str) -> None:
    page.get_by_role("link", name="Incidents & escalation").click()
    ready(page)
    page.get_by_text("Open an incident").click()
    page.get_by_label("Title").fill(title)
    page.get_by_role("button", name="Open incident").click()
    page.get_by_text("INC-1: open recorded.").wait_for(timeout=90_000)


def never_leaked(secret_values: list[str], *texts: str, files: list[Path]) -> None:
    blobs = [t.encode() for t in texts] + [f.read_bytes() for f in files if f.exists()]
    for value in secret_values:
        assert not any(value.encode() in blob for blob in blobs), "a secret reached a log, page or database"


@contextmanager
def browser_page() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 1400, "height": 1000})
        finally:
            browser.close()


def test_password_sign_in_then_an_action_carries_the_user(tmp_path):
    stored = FAST.hash(PASSWORD)
    config = config_file(tmp_path, """snapshot_minutes = 0.01

[auth]
mode = "password"
[[auth.users]]
username = "ana"
name = "Ana"
email = "ana@example.com"
role = "responder"
""")
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text(f'[passwords]\nana = "{stored}"\n')
    port, log = free_port(), tmp_path / "serve.log"
    with hypercare("serve", "--config", str(config), "--port", str(port), log=log) as proc, browser_page() as page:
        wait_until(listening(port), proc, log)
        page.goto(f"http://127.0.0.1:{port}/")
        ready(page)
        page.get_by_role("textbox", name="Username").fill("ana")
        page.get_by_role("textbox", name="Password").fill("not the password")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_text("Wrong username or password.").wait_for(timeout=30_000)
        assert page.locator('[data-testid="stMetric"]').count() == 0  # still nothing but the form

        page.get_by_role("textbox", name="Username").fill("ana")
        page.get_by_role("textbox", name="Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_text("Signed in as Ana · responder").wait_for(timeout=30_000)
        open_incident(page, "Checkout slow")
        snapshot = tmp_path / "data" / "hc.snapshot.duckdb"
        sql = "SELECT kind, actor FROM incident_events"
        wait_until(lambda: snapshot_rows(snapshot, sql) == [("open", "Ana <ana@example.com>")], proc, log)
        html = page.content()
        page.screenshot(path=str(tmp_path / "password.png"), full_page=True)

        page.get_by_role("button", name="Sign out").click()
        page.get_by_role("textbox", name="Password").wait_for(timeout=30_000)
    never_leaked([PASSWORD, stored, stored.rsplit("$", 1)[-1]], log.read_text(), html, files=[snapshot])


@contextmanager
def oidc_provider(users: list) -> Iterator[str]:
    """oidc-provider-mock (discovery, authorize, token, JWKS, userinfo) served on 127.0.0.1."""
    import oidc_provider_mock
    import werkzeug.serving

    server = werkzeug.serving.make_server("127.0.0.1", 0, oidc_provider_mock.app(user_claims=users), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def test_oidc_sign_in_through_a_real_provider_takes_the_role_from_the_mapping(tmp_path, monkeypatch):
    from oidc_provider_mock import User

    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # the provider speaks plain HTTP on 127.0.0.1
    ravi = User(sub="ravi", claims={"email": "ravi@partner.org", "email_verified": True, "name": "Ravi",
                                    "groups": ["staff", "oncall"]})
    cookie_secret, client_secret = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    port, log = free_port(), tmp_path / "serve.log"
    config = config_file(tmp_path, """snapshot_minutes = 0.01

[auth]
mode = "oidc"
roles_claim = "groups"
[[auth.roles]]
role = "stakeholder"
domains = ["partner.org"]
[[auth.roles]]
role = "responder"
claim_values = ["oncall"]
""")
    with oidc_provider([ravi]) as issuer:
        (tmp_path / ".streamlit").mkdir()
        (tmp_path / ".streamlit" / "secrets.toml").write_text(f"""[auth]
redirect_uri = "http://127.0.0.1:{port}/oauth2callback"
cookie_secret = "{cookie_secret}"
client_id = "hypercare"
client_secret = "{client_secret}"
server_metadata_url = "{issuer}/.well-known/openid-configuration"
""")
        with hypercare("serve", "--config", str(config), "--port", str(port), log=log) as proc, browser_page() as page:
            wait_until(listening(port), proc, log)
            page.goto(f"http://127.0.0.1:{port}/")
            ready(page)
            assert page.locator('[data-testid="stMetric"]').count() == 0
            page.get_by_role("button", name="Sign in").click()
            page.get_by_role("button", name="ravi").click()  # the provider's own sign-in page
            page.get_by_text("Signed in as Ravi · responder").wait_for(timeout=60_000)
            open_incident(page, "Payments failing")
            snapshot = tmp_path / "data" / "hc.snapshot.duckdb"
            sql = "SELECT kind, actor FROM incident_events"
            wait_until(lambda: snapshot_rows(snapshot, sql) == [("open", "Ravi <ravi@partner.org>")], proc, log)
            html = page.content()
            page.screenshot(path=str(tmp_path / "oidc.png"), full_page=True)
            page.get_by_role("button", name="Sign out").click()
            page.get_by_role("button", name="End session").click()  # the provider ends its session too
            page.get_by_role("button", name="Sign in").wait_for(timeout=30_000)
    never_leaked([cookie_secret, client_secret], log.read_text(), html, files=[snapshot])
