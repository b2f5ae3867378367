"""[[rules]], [[exit]] and [status] in the config: one parser, problems named with their fix."""

from __future__ import annotations

import pytest

from hypercare.config import ConfigError
from hypercare.verdict.language import Over, parse_over
from hypercare.verdict.metrics import CATALOGUE, RULE_METRICS, auto_open_measures
from tests.test_cli import run_cli
from tests.verdict_helpers import make_config

RULE = {"name": "errors spike", "metric": "errors_vs_baseline", "op": ">=", "threshold": 3, "over": "1h",
        "level": "critical"}


def problems(tmp_path, **sections) -> list[str]:
    with pytest.raises(ConfigError) as info:
        make_config(tmp_path, **sections)
    return info.value.problems


def test_rules_exit_and_status_load(tmp_path):
    config = make_config(tmp_path, rules=[RULE, {**RULE, "name": "slow", "metric": "p95_latency_ms", "op": ">",
                                                 "threshold": 900, "over": "30m", "level": "warning",
                                                 "checks": ["api"], "from_hour": 0, "until_hour": 24}],
                         exit=[{"name": "calm", "metric": "open_incidents", "op": "<=", "threshold": 0,
                                "severity": "SEV2", "hold_hours": 12}],
                         status={"builtin_rules": False})
    assert [r.name for r in config.rules] == ["errors spike", "slow"]
    assert config.rules[1].period == Over("minutes", 30)
    assert config.exit[0].hold_hours == 12 and config.exit[0].period == Over("hours", 1)
    assert config.status.builtin_rules is False


@pytest.mark.parametrize("change, expected", [
    ({"metric": "errors"}, "rules[0] ('errors spike'): unknown metric 'errors'; use one of errors_per_hour"),
    ({"metric": "down_minutes"}, "unknown metric 'down_minutes' (it is an auto-open measure)"),
    ({"op": "=="}, "op '==' is not a comparison; use one of >, >=, <, <="),
    ({"threshold": "three"}, "threshold 'three' is not a number; give one, e.g. threshold = 3"),
    ({"over": "2d"}, "over = '2d' doesn't parse; write \"1h\" or \"6h\""),
    ({"over": "30m"}, "minutes are for check metrics only; errors_vs_baseline is counted in whole clock hours, "
                      "so write e.g. over = \"1h\""),
    ({"checks": ["api"]}, "errors_vs_baseline has no checks scope; it takes projects = [\"booking-web\"]"),
    ({"severity": "SEV1"}, "errors_vs_baseline has no severity scope"),
    ({"projects": ["mobile"]}, "rule 'errors spike': mobile is not in [sentry] projects"),
    ({"level": "fatal"}, "rules[0] ('errors spike').level: Input should be 'warning' or 'critical'"),
    ({"from_hour": 24, "until_hour": 12}, "until_hour (12) must be after from_hour (24)"),
])
def test_bad_rules_name_the_rule_and_the_fix(tmp_path, change, expected):
    found = problems(tmp_path, rules=[{**RULE, **change}])
    assert any(expected in p for p in found), found


def test_a_rule_on_an_unconfigured_source_is_refused(tmp_path):
    found = problems(tmp_path, tickets=None, rules=[{**RULE, "name": "surge", "metric": "p1_tickets"}])
    assert any("rule 'surge': p1_tickets reads tickets, which is not configured; add a [[tickets]] source" in p
               for p in found), found


def test_names_are_unique_across_rules_and_exit(tmp_path):
    exit_ = {k: v for k, v in RULE.items() if k != "level"}
    found = problems(tmp_path, rules=[RULE], exit=[exit_])
    assert any("give each a distinct name; errors spike repeated" in p for p in found), found


def test_exit_criteria_have_no_level(tmp_path):
    found = problems(tmp_path, exit=[RULE])
    assert any("exit[0] ('errors spike').level: unknown key" in p for p in found), found


def test_one_catalogue_serves_rules_and_auto_open():
    # auto-open's names are the catalogue's, and where a rule metric exists it is the same entry
    assert set(auto_open_measures("sentry")) == {"new_issue_users", "new_issue_events"}
    assert set(auto_open_measures("tickets")) == {"tickets_per_hour_vs_baseline", "priority"}
    assert {"new_issue_users", "tickets_per_hour_vs_baseline"} <= set(RULE_METRICS)
    for name in RULE_METRICS:
        assert CATALOGUE[name].doc, f"{name} has no docstring"


@pytest.mark.parametrize("text, over", [("1h", Over("hours", 1)), ("6h", Over("hours", 6)), ("window", Over("window"))])
def test_periods(text, over):
    assert parse_over(text) == over


def test_check_config_names_the_rule_and_the_fix(tmp_path):
    path = tmp_path / "hypercare.toml"
    path.write_text("""
[release]
name = "Booking"
go_live_at = "2026-11-22T22:00:00+01:00"

[[checks]]
name = "api"
url = "https://api.example/health"

[[rules]]
name = "budget"
metric = "error_budget_burn"
op = ">="
threshold = 14.4
over = "90s"
level = "critical"
""")
    result = run_cli("check-config", "--config", str(path))
    assert result.returncode == 1
    assert "rules[0] ('budget'): over = '90s' doesn't parse" in result.stdout
