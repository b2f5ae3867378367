"""The CLI follows the effective window: `hypercare status` as of an instant counts the extend
and exit decisions taken by then."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypercare.auth.identity import Identity
from hypercare.decisions import record_decision
from hypercare.store import Store
from tests.test_cli import config_file, run_cli

GO_LIVE = datetime(2026, 11, 22, 21, 0, tzinfo=timezone.utc)
LEAD = Identity("Sofie Peeters", None, "lead")


def at(hours: float) -> datetime:
    return GO_LIVE + timedelta(hours=hours)


def window_line(config, hours: float) -> str:
    result = run_cli("status", "--config", str(config), "--at", at(hours).isoformat())
    assert result.returncode in (0, 1, 2, 3) and "Traceback" not in result.stderr, result.stderr
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("  as of ")]
    return line.split(" · ", 1)[1]


def test_status_uses_the_window_as_extended_or_exited_by_then(tmp_path):
    config = config_file(tmp_path)
    store = Store(tmp_path / "data" / "hc.duckdb")
    record_decision(store, LEAD, "extend", "Extend by a day", "Payment provider still flapping", at(30), hours=24)
    record_decision(store, LEAD, "exit", "Exit hypercare", "Every exit criterion held for 12 h", at(85))
    store.close()
    assert window_line(config, 29) == "T+29 h of 72 h"  # before the extension
    assert window_line(config, 80) == "T+80 h of 96 h"
    assert window_line(config, 90) == "T+90 h (hypercare exited at T+85 h, 5 h ago)"
