"""The HTML report opened from disk in headless Chromium: every section shows, charts draw,
no console error, and no request leaves the file (it must open offline)."""

from __future__ import annotations

from hypercare.demo import DEMO_NOW, demo_window
from hypercare.report.build import build_report
from hypercare.report.html import SECTIONS, to_html
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS


def test_html_report_opens_offline_in_chromium(demo, tmp_path):
    from playwright.sync_api import sync_playwright

    config, store = demo
    report = build_report(store.cursor(), config, demo_window(config), DEMO_NOW)
    path = tmp_path / "report.html"
    path.write_text(to_html(report), encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1000, "height": 900})
        requests, problems = [], []
        page.on("request", lambda r: requests.append(r.url))
        page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        page.goto(path.as_uri())
        page.wait_for_selector("#chart-tickets_per_hour .main-svg", timeout=30_000)
        for section in SECTIONS:
            assert page.locator(f"section#{section}").is_visible(), section
        assert page.locator(".main-svg").count() >= len(report.charts)  # plotly drew every chart
        body = page.inner_text("body")
        assert "T+38 h of 72 h" in body and f"Status: {report.status.headline}" in body
        assert "63 of 91 tickets since go-live were usage questions" in body
        page.emulate_media(media="print")
        assert page.locator("section#next-steps").is_visible()
        browser.close()
    assert problems == []
    assert requests == [path.as_uri()]  # the file itself, nothing else
