"""Running checks against real misbehaving servers on 127.0.0.1: verdicts, reasons, TLS expiry."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from collectors.health import HealthCheck, prepare, run_checks
from hypercare.config import CheckConfig
from tests.fakes.endpoints import Endpoints, closed_port, self_signed_tls

AT = datetime(2026, 11, 24, 11, 0, tzinfo=timezone.utc)


def check(name: str, url: str, *conditions: str, **extra) -> HealthCheck:
    fields = {"name": name, "url": url, "timeout_seconds": 0.5, **extra}
    if conditions:
        fields["conditions"] = list(conditions)
    return prepare(CheckConfig.model_validate(fields), {"STATUS_TOKEN": "Bearer s3cret-token"})


def run(checks: list[HealthCheck], at: datetime = AT, concurrency: int = 8) -> dict:
    return {r.check_name: r for r in run_checks(checks, at, concurrency)}


@pytest.fixture
def endpoints():
    with Endpoints(slow_seconds=1.0) as server:
        yield server


def test_each_misbehaviour_is_a_failure_with_a_short_reason(endpoints):
    results = run([
        check("healthy", endpoints.url("/healthy"), "status == 200", 'json.status == "UP"', 'body contains "UP"',
              "latency_ms < 5000"),
        check("error", endpoints.url("/error")),
        check("wrong-body", endpoints.url("/wrong-body"), "status == 200", 'body contains "UP"'),
        check("json-down", endpoints.url("/json-down"), 'json.status == "UP"'),
        check("not-json", endpoints.url("/wrong-body"), 'json.status == "UP"'),
        check("slow", endpoints.url("/slow")),
        check("refused", f"http://127.0.0.1:{closed_port()}/health"),
        check("loop", endpoints.url("/loop")),
        check("dns", "http://no-such-host.invalid/health"),
    ])
    healthy = results.pop("healthy")
    assert healthy.ok and healthy.error is None and healthy.status_code == 200
    assert healthy.latency_ms is not None and healthy.cert_expires_at is None
    assert all(not r.ok for r in results.values())
    assert results["error"].error == "status 500, expected == 200"
    assert results["error"].status_code == 500
    assert results["wrong-body"].error == 'body does not contain "UP"'
    assert results["json-down"].error == 'json.status "DOWN", expected == "UP"'
    assert results["not-json"].error == 'json.status body is not JSON, expected == "UP"'
    assert results["slow"].error == "no answer within 0.5 s"
    assert results["slow"].latency_ms is None and results["slow"].status_code is None
    assert results["refused"].error.startswith("connection refused by 127.0.0.1")
    assert results["loop"].error == "redirect loop: more than 10 redirects"
    assert results["dns"].error == "DNS lookup failed for no-such-host.invalid"


def test_headers_from_the_environment_are_sent(endpoints):
    results = run([
        check("with-token", endpoints.url("/auth"), headers={"Authorization": "Bearer s3cret-token"}),
        check("from-env", endpoints.url("/auth"), headers={"Authorization": "env:STATUS_TOKEN"}),
    ])
    assert results["with-token"].ok and results["from-env"].ok
    assert endpoints.seen_authorization == ["Bearer s3cret-token"] * 2


def test_a_missing_environment_variable_is_named():
    config = CheckConfig(name="x", url="http://127.0.0.1/", headers={"Authorization": "env:NOT_SET_ANYWHERE"})
    with pytest.raises(KeyError, match="NOT_SET_ANYWHERE"):
        prepare(config, {})


def test_hung_endpoint_does_not_delay_the_others(endpoints):
    """Results arrive in completion order: every other check is in while /hung still holds its
    request, and the hung one ends as a timeout, even with fewer workers than checks."""
    checks = [check("hung", endpoints.url("/hung"))] + [
        check(f"healthy-{i}", endpoints.url("/healthy")) for i in range(6)
    ] + [check("error", endpoints.url("/error"))]
    order, hung_pending = [], []
    for result in run_checks(checks, AT, concurrency=3):
        order.append(result.check_name)
        hung_pending.append(endpoints.hung_entered.is_set() and not endpoints.hung_left.is_set())
    assert order[-1] == "hung"
    assert sorted(order[:-1]) == sorted(c.name for c in checks[1:])
    assert all(hung_pending[:-1]), "the others were recorded while the hung request was still open"


def test_self_signed_certificate_expiring_in_3_days(tmp_path):
    tls, cert_file, expires = self_signed_tls(tmp_path, valid_days=3)
    now = datetime.now(timezone.utc)
    with Endpoints(tls=tls) as server:
        results = run([
            check("untrusted", server.url("/healthy")),
            check("trusted", server.url("/healthy"), "status == 200", "cert_expires_in_days > 14", ca_file=cert_file),
            check("trusted-ok", server.url("/healthy"), "cert_expires_in_days > 2", ca_file=cert_file),
        ], at=now)
    untrusted = results["untrusted"]
    assert not untrusted.ok and untrusted.error == "TLS certificate rejected: self-signed certificate"
    trusted = results["trusted"]
    assert trusted.cert_expires_at == expires
    assert trusted.status_code == 200 and not trusted.ok
    assert trusted.error.startswith("cert_expires_in_days 3") and trusted.error.endswith(", expected > 14")
    assert results["trusted-ok"].ok


def test_wrong_host_name_is_a_tls_failure(tmp_path):
    tls, cert_file, _ = self_signed_tls(tmp_path, valid_days=30)
    with Endpoints(tls=tls) as server:
        url = server.url("/healthy").replace("127.0.0.1", "localhost")
        result = run([check("wrong-host", url, ca_file=cert_file)])["wrong-host"]
    assert not result.ok
    assert result.error.startswith("TLS certificate rejected: ") and "mismatch" in result.error.lower()


def test_a_check_is_not_retried(endpoints):
    results = list(run_checks([check("auth", endpoints.url("/auth"))], AT, 1))
    assert results[0].error == "status 401, expected == 200"
    assert len(endpoints.seen_authorization) == 1


def test_results_carry_the_cycle_instant(endpoints):
    at = AT + timedelta(minutes=3)
    (result,) = run_checks([check("healthy", endpoints.url("/healthy"))], at, 1)
    assert result.checked_at == at and result.url == endpoints.url("/healthy")
