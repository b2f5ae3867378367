"""Each page of a scenario in a real headless Chromium: it renders, without "None" or "NaN".

The normal test run screens one scenario per page (SCREENS), so CI stays short; every page of
every scenario is screened with `HYPERCARE_SCREENS=all python -m pytest tests/scenarios/test_screens.py`
(README, "Running the tests"). Screenshots go to pytest's tmp_path (under /tmp).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.process import ROOT, free_port, listening, wait_until
from tests.scenarios.builders import SCENARIOS
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS

PAGES = {"overview": "", "errors": "errors", "health": "health", "tickets": "tickets", "incidents": "incidents"}
# One scenario per page in the normal run.
SCREENS = {"overview": "DST fall-back, first 02:00", "errors": "DST fall-back, first 02:00",
           "tickets": "DST fall-back, first 02:00", "health": "overdue incident", "incidents": "overdue incident"}
# A heading each page shows near its end, whatever the scenario.
LAST_HEADING = {"overview": "Data freshness", "errors": "Sentry data freshness", "health": "Freshness",
                "tickets": "Data freshness", "incidents": "Incidents by severity and state"}
BAD_TEXT = re.compile(r"\bNone\b|\bNaN\b|\bnan\b|\bNaT\b")

if os.environ.get("HYPERCARE_SCREENS") == "all":
    CASES = [(name, page) for name in SCENARIOS for page in PAGES]
else:
    CASES = [(name, page) for page, name in SCREENS.items()]


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """One server per scenario, started on first use; all stopped at the end."""
    running: dict[str, tuple[subprocess.Popen, str]] = {}

    def url(name: str) -> str:
        if name not in running:
            folder = tmp_path_factory.mktemp("screen")
            port = free_port()
            log = folder / "serve.log"
            out = open(log, "w")
            proc = subprocess.Popen([sys.executable, "-m", "tests.scenarios.serve", name, str(folder), str(port)],
                                    cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
            running[name] = (proc, f"http://127.0.0.1:{port}/")
            wait_until(listening(port), proc, log, seconds=120)
        return running[name][1]

    yield url
    for proc, _ in running.values():
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.mark.parametrize("name, page", CASES)
def test_page_renders_without_none_or_nan(servers, browser, name, page, tmp_path):
    tab = browser.new_page(viewport={"width": 1400, "height": 1000})
    tab.goto(servers(name) + PAGES[page])
    tab.wait_for_selector('[data-testid="stAppViewContainer"] h1', timeout=90_000)
    tab.get_by_text(LAST_HEADING[page], exact=True).wait_for(timeout=90_000)  # the script got to its end
    tab.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=90_000)
    tab.wait_for_selector('[data-testid="stSkeleton"]', state="detached", timeout=60_000)  # tables drawn
    shot = tmp_path / f"{name.replace(' ', '-').replace(',', '')}-{page}.png"
    tab.screenshot(path=str(shot), full_page=True)
    body = tab.inner_text('[data-testid="stMain"]')
    assert tab.locator('[data-testid="stException"]').count() == 0, shot
    assert not BAD_TEXT.findall(body), (shot, BAD_TEXT.findall(body)[:5])
    tab.close()
