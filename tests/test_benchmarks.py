"""Every benchmark runs in its tiny --smoke size so it can't rot (timings are not asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCHES = sorted(p for p in (ROOT / "bench").glob("*.py") if not p.name.startswith("_"))


@pytest.mark.parametrize("script", BENCHES, ids=[b.stem for b in BENCHES])
def test_benchmark_smoke(script):
    result = subprocess.run([sys.executable, str(script), "--smoke"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "|" in result.stdout  # it printed its table
