"""The Overview's status block on the demo: the sentence, its reasons, exit progress, the strip."""

from __future__ import annotations

import re

import pandas as pd
from streamlit.testing.v1 import AppTest

from dashboard.figures.status import status_strip_figure
from hypercare import runtime
from hypercare.clock import FixedClock
from hypercare.demo import DEMO_NOW, GO_LIVE, demo_window
from hypercare.runtime import AppContext
from tests.process import ROOT


def plain(markdown: str) -> str:
    """The text a person reads: as_text escapes Markdown's characters with a backslash."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")  # and its word joiners


def test_overview_says_the_status_with_its_reasons(demo):
    config, store = demo
    runtime.set_context(AppContext(config, store, FixedClock(DEMO_NOW), demo=True))
    at = AppTest.from_file(str(ROOT / "dashboard" / "views" / "overview.py"), default_timeout=30).run()
    assert not at.exception
    box = plain(at.warning[0].value)
    assert box.startswith("AMBER — Warning criteria met: Payment provider degraded — Availability ")
    assert "over the last 6 hours, Tue 06:00–12:00 (threshold < 99.00 %)" in box
    reasons = plain(" ".join(m.value for m in at.markdown))
    assert "warning · met" in reasons and "Payment provider degraded" in reasons
    progress = [plain(p.proto.text) for p in at.get("progress")]
    assert "Errors back to baseline: held for 12 h of 12 h — ready" in progress
    assert "Health checks meet the target: held for 0 h of 12 h" in progress


def test_status_strip_colours_each_evaluation_until_the_next(demo):
    config, _ = demo
    window = demo_window(config)
    history = pd.DataFrame({"evaluated_at": [GO_LIVE + pd.Timedelta(hours=h) for h in range(4)],
                            "status": ["green", "red", "red", "amber"]})
    fig = status_strip_figure(history, window)
    bars = {t.name: t for t in fig.data}
    assert set(bars) == {"GREEN", "RED", "AMBER"}
    assert list(bars["RED"].x) == [3_600_000, 3_600_000]  # each band lasts until the next evaluation
    # at its UTC instant on the one time axis, labelled on the Brussels clock
    assert pd.Timestamp(bars["RED"].base[0]) == pd.Timestamp(GO_LIVE + pd.Timedelta(hours=1)).tz_convert(None)
    assert bars["RED"].customdata[0] == "Sun 22 Nov 23:00"
