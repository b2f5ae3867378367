"""End to end: the Triage page of `hypercare demo` in a real headless Chromium, one action taken."""

from __future__ import annotations

from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, demo_server  # noqa: F401 (the fixture)


def test_set_aside_an_item_on_the_triage_page(demo_server, tmp_path):  # noqa: F811
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(demo_server + "triage")
        page.wait_for_selector('[data-testid="stAppViewContainer"] [data-testid="stMetric"]', timeout=60_000)
        page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=60_000)
        metrics = dict(zip(page.locator('[data-testid="stMetricLabel"]').all_inner_texts(),
                           page.locator('[data-testid="stMetricValue"]').all_inner_texts()))
        assert metrics["Set aside"].strip() == "1"  # the demo's React warning

        page.locator('[data-testid="stRadio"]').get_by_text("set aside", exact=True).click()
        page.get_by_label("Reason (required)").fill("payment provider's known EU latency, see INC-2")
        page.get_by_role("button", name="Set aside", exact=True).click()
        page.get_by_text("Set aside as known.").wait_for(timeout=60_000)
        page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=60_000)
        metrics = dict(zip(page.locator('[data-testid="stMetricLabel"]').all_inner_texts(),
                           page.locator('[data-testid="stMetricValue"]').all_inner_texts()))
        assert metrics["Set aside"].strip() == "2"
        assert page.locator('[data-testid="stException"]').count() == 0
        page.screenshot(path=str(tmp_path / "triage.png"), full_page=True)
        browser.close()
