"""Secrets kept in .streamlit/secrets.toml reach the collectors, never the output."""

from __future__ import annotations

import os

import pytest

from hypercare.secrets import load_secrets, secrets_files
from tests.test_cli import run_cli

CONFIG = """
[release]
name = "Booking platform"
go_live_at = "2026-11-22T22:00:00+01:00"

[sentry]
org = "acme"
projects = ["web"]
"""


def test_the_environment_wins_over_the_file(tmp_path):
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text('SENTRY_AUTH_TOKEN = "from-file"\nOTHER = "x"\nnested = { a = "b" }\n')
    environ = {"OTHER": "from-env"}
    assert load_secrets(secrets_files(tmp_path), environ) == ["SENTRY_AUTH_TOKEN"]
    assert environ == {"OTHER": "from-env", "SENTRY_AUTH_TOKEN": "from-file"}


def test_a_broken_file_is_named(tmp_path):
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text('TOKEN = "unterminated\n')
    with pytest.raises(ValueError, match="secrets.toml is not valid TOML"):
        load_secrets(secrets_files(tmp_path), {})


def test_check_config_sees_the_file_and_never_prints_the_value(tmp_path):
    (tmp_path / "hypercare.toml").write_text(CONFIG)
    without = run_cli("check-config", "--config", str(tmp_path / "hypercare.toml"), env=_env())
    assert "SENTRY_AUTH_TOKEN is set neither" in without.stdout
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text('SENTRY_AUTH_TOKEN = "sntrys_very_secret_value"\n')
    with_file = run_cli("check-config", "--config", str(tmp_path / "hypercare.toml"), env=_env())
    assert with_file.returncode == 0 and "SENTRY_AUTH_TOKEN" not in with_file.stdout
    assert "sntrys_very_secret_value" not in with_file.stdout + with_file.stderr


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "SENTRY_AUTH_TOKEN"}
