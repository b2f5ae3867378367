"""A hostile environment seen through a real browser: `hypercare serve` in its own process,
headless Chromium on its pages. A failing query shows a sentence, never a traceback; markup
from outside (a Sentry error detail, an incident's title and owner) is shown as text and makes
the browser fetch nothing; a webhook URL's secrets never reach the page or its websocket; tables
offer only the product's neutralised CSV, not Streamlit's own download."""

from __future__ import annotations

import json
import os
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest

from hypercare.auth.identity import Identity
from hypercare.config import load_config
from hypercare.incidents import actions as inc
from hypercare.store import Store
from tests.process import free_port, hypercare, listening, wait_until
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, ROOT

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no Chromium here")

CANARIES = ("CanaryPass7f3", "CanaryPath91b", "CanaryQuery55")


class Trap:
    """An outside host on 127.0.0.1: Sentry's API refusing with a `detail` full of markup, a
    webhook answering 500, and a record of every other request (an image a browser fetched)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        trap = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status: int, body: dict | None = None) -> None:
                data = json.dumps(body or {}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                trap.requests.append(("GET", self.path))
                if self.path.startswith("/api/"):
                    self._answer(403, {"detail": trap.payload})
                else:
                    self._answer(404)

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                trap.requests.append(("POST", self.path))
                self._answer(500)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.payload = (f"**PwnBold** :red[PwnRed] [PwnLink]({self.url}/link) ![pixel]({self.url}/pixel.png) "
                        f"<img src='{self.url}/img.png'> <strong>PwnStrong</strong>")
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def fetched(self) -> list[str]:
        """What a browser asked for: anything but the API calls and webhook POSTs of the server."""
        return [p for m, p in self.requests if m == "GET" and not p.startswith("/api/")]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def write_config(folder: Path, extra: str = "") -> Path:
    go_live = (datetime.now(timezone.utc) - timedelta(hours=5)).isoformat(timespec="seconds")
    path = folder / "hypercare.toml"
    path.write_text(f"""
[release]
name = "shop"
go_live_at = "{go_live}"
timezone = "UTC"

[store]
path = "hypercare.duckdb"
{extra}
""")
    return path


def open_browser(p):
    browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    return browser, browser.new_page(viewport={"width": 1400, "height": 1000})


def settle(page) -> None:
    page.wait_for_selector('[data-testid="stAppViewContainer"] [data-testid="stHeading"]', timeout=60_000)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=60_000)


def test_a_failing_query_shows_a_sentence_and_no_traceback(tmp_path):
    from playwright.sync_api import sync_playwright

    config = write_config(tmp_path)
    Store(tmp_path / "hypercare.duckdb").close()
    with duckdb.connect(str(tmp_path / "hypercare.duckdb")) as con:
        con.execute("DROP TABLE incidents")  # every query of incidents now fails
    port, log = free_port(), tmp_path / "serve.log"
    with hypercare("serve", "--config", str(config), "--port", str(port), log=log) as proc:
        wait_until(listening(port), proc, log)
        with sync_playwright() as p:
            browser, page = open_browser(p)
            page.goto(f"http://127.0.0.1:{port}/incidents")
            page.wait_for_selector("text=This page could not be drawn", timeout=60_000)
            html = page.content()
            browser.close()
    assert "Traceback" not in html and 'File "' not in html and str(ROOT) not in html
    assert "Catalog" not in html and "incidents does not exist" not in html.lower()
    assert page_reference(html) in log.read_text()
    assert "Traceback" in log.read_text()  # the details are on the server


def page_reference(html: str) -> str:
    return html.split("under reference ", 1)[1][:8]


def test_outside_markup_is_text_fetches_nothing_and_webhook_secrets_stay_out(tmp_path):
    from playwright.sync_api import sync_playwright

    trap = Trap()
    try:
        hook = f"http://hookuser:{CANARIES[0]}@127.0.0.1:{trap.server.server_port}/services/{CANARIES[1]}?key={CANARIES[2]}"
        config_path = write_config(tmp_path, f"""
[sentry]
base_url = "{trap.url}"
org = "acme"
projects = ["web"]
token_env = "TRAP_SENTRY_TOKEN"

[escalation.severities.SEV2]
ack_minutes = 30
resolve_minutes = 240

[[escalation.levels]]
name = "desk"
escalate_after_minutes = 30
webhook_env = "TRAP_HOOK"
""")
        config = load_config(config_path)
        store = Store(config.store.path)
        opened = inc.open_incident(store, config, title=trap.payload, severity="SEV2",
                                   identity=Identity("ana", None, "responder"), now=datetime.now(timezone.utc))
        inc.assign_owner(store, opened.incident_id, trap.payload, identity=Identity("ana", None, "responder"),
                         now=datetime.now(timezone.utc))
        store.close()
        env = {**os.environ, "TRAP_SENTRY_TOKEN": "token-for-the-trap", "TRAP_HOOK": hook}
        port, log = free_port(), tmp_path / "serve.log"
        frames: list[bytes] = []
        with hypercare("-v", "serve", "--config", str(config_path), "--port", str(port), log=log, env=env) as proc:
            wait_until(listening(port), proc, log)
            wait_until(lambda: any(m == "POST" for m, _ in trap.requests) and any(
                p.startswith("/api/") for _, p in trap.requests), proc, log)
            with sync_playwright() as p:
                browser, page = open_browser(p)
                page.on("websocket", lambda ws: ws.on("framereceived", lambda f: frames.append(
                    f if isinstance(f, bytes) else f.encode())))
                pages = {}
                for path in ("", "errors", "health", "tickets", "incidents"):
                    page.goto(f"http://127.0.0.1:{port}/{path}")
                    settle(page)
                    if path == "errors":  # the collector's failure, once the page's cache has it
                        page.wait_for_selector("text=PwnBold", timeout=60_000)
                    pages[path] = page.content()
                page.goto(f"http://127.0.0.1:{port}/incidents")
                settle(page)
                page.get_by_text("Act on an incident").wait_for()
                # on a busy machine the download button renders after the form: wait for it
                page.get_by_role("button", name="timeline (CSV)").first.wait_for()
                pages["incidents"] = page.content()
                page.locator('[data-testid="stDataFrame"]').first.hover()  # brings up the table's toolbar
                built_in_downloads = page.get_by_role("button", name="Download as CSV").count()
                own_downloads = page.get_by_role("button", name="timeline (CSV)").count()
                browser.close()
        server_log = log.read_text()
    finally:
        trap.close()
    assert trap.fetched() == []  # no image, no link prefetch: nothing left the browser for the outside host
    assert built_in_downloads == 0 and own_downloads == 1  # only the neutralised CSV is offered
    assert frames  # the websocket was listened to
    assert "PwnBold" in pages["errors"] and "PwnStrong" in pages["incidents"]  # shown, as text
    for name, html in pages.items():
        assert "<strong>PwnBold" not in html and "<strong>PwnStrong" not in html, name
        link = html.find(f'href="{trap.url}/link"')
        assert link < 0, (name, html[link - 600:link + 200])
    everything = "".join(pages.values()).encode() + b"".join(frames) + server_log.encode()
    assert b"POST" in server_log.encode() or "urllib3" in server_log  # -v logged the deliveries
    for canary in CANARIES:
        assert canary.encode() not in everything
