"""The condition language: each kind evaluated and explained, malformed ones refused in config."""

from __future__ import annotations

import pytest

from hypercare.conditions import ConditionError, Observation, parse
from hypercare.config import ConfigError, parse_config

SEEN = Observation(
    status=503,
    latency_ms=912.4,
    body='{"status": "DOWN", "db": {"ok": false, "pool": 38}, "items": [{"id": 7}], "note": null}',
    cert_expires_in_days=3.04,
)


@pytest.mark.parametrize(
    "text, ok, explanation",
    [
        ("status == 200", False, "status 503, expected == 200"),
        ("status != 200", True, "status 503, expected != 200"),
        ("status in [200, 204]", False, "status 503, expected in [200, 204]"),
        ("status not in [500, 502]", True, "status 503, expected not in [500, 502]"),
        ("status < 500", False, "status 503, expected < 500"),
        ("status >= 500", True, "status 503, expected >= 500"),
        ("latency_ms < 800", False, "latency_ms 912, expected < 800"),
        ("latency_ms <= 1000", True, "latency_ms 912, expected <= 1000"),
        ('body contains "DOWN"', True, 'body contains "DOWN"'),
        ('body contains "UP"', False, 'body does not contain "UP"'),
        ('body not contains "DOWN"', False, 'body contains "DOWN"'),
        ('json.status == "UP"', False, 'json.status "DOWN", expected == "UP"'),
        ('json.status != "UP"', True, 'json.status "DOWN", expected != "UP"'),
        ("json.db.ok == true", False, "json.db.ok false, expected == true"),
        ("json.db.pool < 40", True, "json.db.pool 38, expected < 40"),
        ("json.db.pool > 40", False, "json.db.pool 38, expected > 40"),
        ("json.items.0.id in [7, 8]", True, "json.items.0.id 7, expected in [7, 8]"),
        ("json.note == null", True, "json.note null, expected == null"),
        ('json.status contains "OW"', True, 'json.status "DOWN", expected contains "OW"'),
        ('json.version == "2.0"', False, 'json.version missing, expected == "2.0"'),
        ("json.items.3.id == 7", False, "json.items.3.id missing, expected == 7"),
        ('json.status.code == "x"', False, 'json.status.code missing, expected == "x"'),
        ("json.db.pool > 10", True, "json.db.pool 38, expected > 10"),
        ("cert_expires_in_days > 14", False, "cert_expires_in_days 3, expected > 14"),
        ("cert_expires_in_days > 2", True, "cert_expires_in_days 3, expected > 2"),
    ],
)
def test_each_condition_kind_is_evaluated_and_explained(text, ok, explanation):
    verdict = parse(text).evaluate(SEEN)
    assert (verdict.ok, verdict.explanation) == (ok, explanation)


def test_number_text_is_not_a_number():
    seen = Observation(200, 10, '{"pool": "38"}')
    assert not parse("json.pool < 40").evaluate(seen).ok
    assert parse("json.pool < 40").evaluate(seen).explanation == 'json.pool "38", expected < 40'


def test_json_condition_on_a_body_that_is_not_json():
    verdict = parse('json.status == "UP"').evaluate(Observation(200, 5, "<html>ok</html>"))
    assert not verdict.ok and verdict.explanation == 'json.status body is not JSON, expected == "UP"'


def test_certificate_condition_without_a_certificate():
    verdict = parse("cert_expires_in_days > 14").evaluate(Observation(200, 5, ""))
    assert not verdict.ok and verdict.explanation == "no certificate seen, expected cert_expires_in_days > 14"


@pytest.mark.parametrize(
    "text, message",
    [
        ("status = 200", "write SUBJECT OPERATOR VALUE"),
        ("status==200", "write SUBJECT OPERATOR VALUE"),
        ("", "write SUBJECT OPERATOR VALUE"),
        ("status == OK", "is not a literal"),
        ('json.status == UP', "is not a literal"),
        ("code == 200", "unknown subject 'code'"),
        ('status == "200"', "status is a number"),
        ("latency_ms < fast", "is not a literal"),
        ('latency_ms contains "1"', "latency_ms is a number"),
        ("body == \"ok\"", "body supports contains and not contains"),
        ("body in [\"ok\"]", "body supports contains and not contains"),
        ("body contains 5", "contains needs quoted text"),
        ("status in 200", "in needs a non-empty list"),
        ("status in []", "in needs a non-empty list"),
        ('status in ["200"]', "list numbers"),
        ('json.status < "UP"', "< compares numbers"),
        ("json..status == 1", "empty segment"),
    ],
)
def test_malformed_conditions_say_how_to_write_them(text, message):
    with pytest.raises(ConditionError, match=message.replace("(", r"\(").replace("[", r"\[")):
        parse(text)


def base_config(**check) -> dict:
    return {
        "release": {"name": "r", "go_live_at": "2026-11-22T22:00:00+01:00"},
        "checks": [{"name": "booking-api", "url": "https://api.example.com/health", **check}],
    }


def test_check_config_names_the_check_and_the_condition():
    with pytest.raises(ConfigError) as err:
        parse_config(base_config(conditions=["status == 200", "latency_ms < soon"]), base_dir=None)
    (problem,) = err.value.problems
    assert problem.startswith("checks[0].conditions: check 'booking-api': 'latency_ms < soon'")


def test_certificate_condition_needs_https():
    data = base_config(conditions=["cert_expires_in_days > 14"])
    data["checks"][0]["url"] = "http://api.example.com/health"
    with pytest.raises(ConfigError) as err:
        parse_config(data, base_dir=None)
    assert "cert_expires_in_days needs an https:// url" in err.value.problems[0]


def test_header_from_env_must_name_a_variable():
    with pytest.raises(ConfigError) as err:
        parse_config(base_config(headers={"Authorization": "env:Bearer abc"}), base_dir=None)
    assert err.value.problems[0].startswith("checks[0].headers: 'Bearer abc' is not an environment variable name")


def test_planned_period_must_name_known_checks():
    data = base_config()
    data["planned_periods"] = [{"starts_at": "2026-11-22T21:30:00+01:00", "ends_at": "2026-11-22T22:15:00+01:00",
                                "checks": ["bookng-api"], "reason": "cutover"}]
    with pytest.raises(ConfigError) as err:
        parse_config(data, base_dir=None)
    assert "no check named bookng-api" in err.value.problems[0]


def test_valid_check_config_keeps_its_defaults():
    config = parse_config(base_config(method="head", conditions=["status in [200, 204]"]), base_dir=None)
    (check,) = config.checks
    assert (check.method, check.interval_seconds, check.failure_threshold, check.success_threshold) == ("HEAD", 60, 3, 2)
