"""The [[tickets]] config models: defaults, and problems a person can act on."""

from __future__ import annotations

import pytest

from hypercare.config import ConfigError
from tests.tickets_helpers import config_with


def problems(tmp_path, entry) -> list[str]:
    with pytest.raises(ConfigError) as err:
        config_with(tmp_path, entry)
    return err.value.problems


def test_defaults_and_relative_path(tmp_path):
    config = config_with(tmp_path, {"kind": "csv", "path": "x.csv"}, {"kind": "zendesk", "subdomain": "acme"},
                         {"kind": "jira", "base_url": "https://acme.atlassian.net/", "jql": "project = HELP"})
    csv, zendesk, jira = config.tickets
    assert csv.path == (tmp_path / "x.csv").resolve() and csv.source == "csv" and csv.timezone is None
    assert zendesk.url == "https://acme.zendesk.com" and zendesk.token_env == "ZENDESK_API_TOKEN"
    assert jira.base_url == "https://acme.atlassian.net" and jira.overlap_seconds == 120
    assert [name for name, _ in config.sources()] == ["tickets:csv", "tickets:zendesk", "tickets:jira"]


@pytest.mark.parametrize("entry, expected", [
    ({"kind": "jira", "base_url": "https://a.atlassian.net", "jql": "project = X ORDER BY created"},
     "tickets[0].jql: remove the ORDER BY clause"),
    ({"kind": "github", "repo": "booking"}, "tickets[0].repo: 'booking' is not owner/name"),
    ({"kind": "github", "repo": "a/b", "categories": {"billing": ["x"]}}, "tickets[0].categories.billing"),
    ({"kind": "github", "repo": "a/b", "priorities": {"P0": ["x"]}}, "tickets[0].priorities.P0"),
    ({"kind": "csv", "path": "x.csv", "columns": {"subject": "S"}}, "tickets[0].columns.subject"),
    ({"kind": "csv", "path": "x.csv", "encoding": "utf-9"}, "unknown encoding 'utf-9'"),
    ({"kind": "csv", "path": "x.csv", "delimiter": ";;"}, "tickets[0].delimiter"),
    ({"kind": "zendesk"}, "set base_url (https://acme.zendesk.com) or subdomain (acme)"),
    ({"kind": "jira", "base_url": "acme.atlassian.net", "jql": "project = X"}, "tickets[0].base_url: must start with https://"),
    ({"kind": "github", "repo": "a/b", "token_env": "ghp_abc-123"}, "tickets[0].token_env"),
    ({"kind": "servicenow"}, "tickets[0]: kind must be one of jira, zendesk, github, csv"),
])
def test_problems_name_the_field_and_the_fix(tmp_path, entry, expected):
    found = problems(tmp_path, entry)
    assert any(expected in p for p in found), found


def test_two_sources_need_distinct_names(tmp_path):
    with pytest.raises(ConfigError) as err:
        config_with(tmp_path, {"kind": "csv", "path": "a.csv"}, {"kind": "csv", "path": "b.csv"})
    assert "distinct name" in str(err.value)
