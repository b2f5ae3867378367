"""End to end: `hypercare demo` served on 127.0.0.1 and opened in a real headless Chromium."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.process import free_port, hypercare, listening, wait_until

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]

if not Path(CHROMIUM).exists():
    if os.environ.get("CI") == "true":
        raise RuntimeError("CI needs Chromium for the browser test: apt-get install -y chromium")
    pytest.skip("no Chromium here: `apt-get install -y chromium` (Debian) to run the browser test",
                allow_module_level=True)


@pytest.fixture
def demo_server(tmp_path):
    port = free_port()
    log = tmp_path / "demo.log"
    with hypercare("demo", "--port", str(port), "--data-dir", str(tmp_path), log=log) as proc:
        wait_until(listening(port), proc, log)
        yield f"http://127.0.0.1:{port}/"


def test_demo_overview_renders_in_chromium(demo_server, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(demo_server)
        page.wait_for_selector('[data-testid="stAppViewContainer"] [data-testid="stMetric"]', timeout=60_000)
        page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=60_000)
        labels = page.locator('[data-testid="stMetricLabel"]').all_inner_texts()
        values = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
        assert "Sentry errors / h" in labels and all(v.strip() for v in values)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert "T+38 h of 72 h" in page.inner_text("body")
        page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)
        browser.close()
