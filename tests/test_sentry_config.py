"""The [sentry] and [self_monitoring] sections: defaults and mistakes a person can fix."""

import pytest

from hypercare.config import ConfigError, parse_config

RELEASE = {"name": "Shop", "go_live_at": "2026-11-22T22:00:00+01:00"}


def parse(sentry=None, self_monitoring=None, tmp_path=None):
    data = {"release": RELEASE}
    if sentry is not None:
        data["sentry"] = sentry
    if self_monitoring is not None:
        data["self_monitoring"] = self_monitoring
    return parse_config(data, base_dir=tmp_path)


def test_defaults(tmp_path):
    s = parse({"org": "acme", "projects": ["web"]}, tmp_path=tmp_path).sentry
    assert (s.base_url, s.token_env, s.full_sync_minutes, s.page_size, s.overlap_minutes) == (
        "https://sentry.io", "SENTRY_AUTH_TOKEN", 60, 100, 10)


@pytest.mark.parametrize("sentry, message", [
    ({"org": "acme", "projects": ["web"], "base_url": "https://sentry.io/api/0/"}, "without /api/0"),
    ({"org": "acme", "projects": ["web"], "page_size": 500}, "sentry.page_size"),
    ({"org": "acme", "projects": ["web", "web"]}, "each project once"),
    ({"org": "acme", "projects": ["acme/web"]}, "project slugs"),
    ({"org": "acme", "projects": ["web"], "token_env": "sntrys_abc.def"}, "NAME of the variable"),
])
def test_mistakes_are_explained(tmp_path, sentry, message):
    with pytest.raises(ConfigError) as err:
        parse(sentry, tmp_path=tmp_path)
    assert message in "; ".join(err.value.problems)


def test_self_monitoring_dsn_is_checked(tmp_path):
    ok = parse(self_monitoring={"sentry_dsn": "https://abc123@o1.ingest.sentry.io/42"}, tmp_path=tmp_path)
    assert ok.self_monitoring.sentry_dsn.endswith("/42")
    with pytest.raises(ConfigError, match="not a Sentry DSN"):
        parse(self_monitoring={"sentry_dsn": "https://o1.ingest.sentry.io"}, tmp_path=tmp_path)
