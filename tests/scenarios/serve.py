"""Serve one scenario's dashboard with its clock pinned: `python -m tests.scenarios.serve NAME DIR PORT`.

For the browser screens (tests/scenarios/test_screens.py) and for looking at an edge case by
hand: `python -m tests.scenarios.serve "DST fall-back, first 02:00" /tmp/scenario 8599`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from hypercare.cli import _serve
from hypercare.clock import FixedClock
from hypercare.runtime import AppContext
from tests.scenarios.builders import SCENARIOS


def main(name: str, folder: str, port: str) -> None:
    if name not in SCENARIOS:
        sys.exit(f"unknown scenario {name!r}; one of: {', '.join(SCENARIOS)}")
    Path(folder).mkdir(parents=True, exist_ok=True)
    scenario = SCENARIOS[name](Path(folder))
    scenario.store.publish_snapshot()
    _serve(AppContext(scenario.config, scenario.store, FixedClock(scenario.now)), int(port), "127.0.0.1", [])


if __name__ == "__main__":
    main(*sys.argv[1:4])
