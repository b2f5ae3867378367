"""Config loading: good files load, every kind of bad file names the field and the fix."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hypercare.config import ConfigError, load_config

ROOT = Path(__file__).resolve().parent.parent
GOOD = """
[release]
name = "Booking platform"
go_live_at = "2026-11-22T22:00:00+01:00"
timezone = "Europe/Brussels"

[store]
path = "state/hc.duckdb"

[[checks]]
name = "api"
url = "https://api.example.com/health"

[[tickets]]
kind = "csv"
path = "exports/tickets.csv"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hypercare.toml"
    path.write_text(text)
    return path


def test_good_file_loads_with_defaults_and_relative_paths(tmp_path):
    config = load_config(write(tmp_path, GOOD))
    assert config.release.window_hours == 72 and config.release.baseline_hours == 168
    assert config.release.environment == "production"
    assert config.store.path == (tmp_path / "state/hc.duckdb").resolve()
    assert config.tickets[0].path == (tmp_path / "exports/tickets.csv").resolve()
    assert config.store.snapshot_path.name == "hc.snapshot.duckdb"
    assert config.sources() == [("checks", 60.0), ("tickets:csv", 300.0)]


@pytest.mark.parametrize("name", ["hypercare.example.toml", "hypercare/demo.toml"])
def test_shipped_configs_are_valid(name):
    assert load_config(ROOT / name).release.name


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("timezone = \"Europe/Brussels\"", "timzone = \"Europe/Brussels\""), "release.timzone: unknown key"),
        (("name = \"Booking platform\"\n", ""), "release.name: required"),
        (("Europe/Brussels", "Europe/Brusels"), "release.timezone: unknown time zone 'Europe/Brusels'"),
        (("2026-11-22T22:00:00+01:00", "2026-11-22T22:00:00"), "release.go_live_at: give a date and time with its UTC offset"),
        (("https://api.example.com/health", "api.example.com/health"), "checks[0].url: must be an http:// or https:// URL"),
        (("kind = \"csv\"", "kind = \"excel\""), "tickets[0]: kind must be one of jira, zendesk, github, csv"),
        (("path = \"exports/tickets.csv\"", "path = \"x.csv\"\ndelimeter = \";\""), "tickets[0].delimeter: unknown key"),
        (("[store]", "[store]\nsnapshot_minutes = 0"), "store.snapshot_minutes: 0 is out of range; it must be above 0"),
    ],
)
def test_each_bad_file_names_the_field(tmp_path, change, expected):
    old, new = change
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, GOOD.replace(old, new)))
    assert any(p.startswith(expected) for p in err.value.problems), err.value.problems


def test_every_problem_is_listed_at_once(tmp_path):
    text = GOOD.replace("timezone =", "tz =").replace("https://api", "ftp://api")
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text))
    assert len(err.value.problems) == 2


def test_secrets_are_named_not_given(tmp_path):
    text = GOOD + '\n[sentry]\norg = "acme"\nprojects = ["web"]\ntoken_env = "sntrys_abc123secret"\n'
    # a token pasted where the variable's name belongs is accepted only if it looks like a name
    config = load_config(write(tmp_path, text))
    assert config.sentry.token_env == "sntrys_abc123secret"
    bad = GOOD + '\n[sentry]\norg = "acme"\nprojects = ["web"]\ntoken_env = "sntrys-abc.123/secret"\n'
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, bad))
    assert err.value.problems[0].startswith("sentry.token_env: ") and "NAME of the variable" in err.value.problems[0]


def test_go_live_may_be_left_out_only_when_sentry_can_detect_it(tmp_path):
    text = GOOD.replace('go_live_at = "2026-11-22T22:00:00+01:00"\n', "")
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text))
    assert "release.go_live_at is missing" in err.value.problems[0]
    detectable = text.replace('name = "Booking platform"', 'name = "Booking platform"\nversion = "web@2.0"')
    detectable += '\n[sentry]\norg = "acme"\nprojects = ["web"]\n'
    assert load_config(write(tmp_path, detectable)).release.go_live_at is None


def test_broken_toml_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[release\nname = 1"))
    with pytest.raises(ConfigError, match="no config file at .*copy hypercare.example.toml"):
        load_config(tmp_path / "absent.toml")


def test_config_found_through_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("HYPERCARE_CONFIG", str(write(tmp_path, GOOD)))
    assert load_config().release.name == "Booking platform"


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hypercare.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def test_check_config_command_exit_codes(tmp_path):
    ok = run_cli("check-config", "--config", str(write(tmp_path, GOOD)))
    assert ok.returncode == 0 and "OK" in ok.stdout
    bad = run_cli("check-config", "--config", str(write(tmp_path, GOOD.replace("timezone", "tz"))))
    assert bad.returncode == 1
    assert "release.tz: unknown key" in bad.stdout and "Traceback" not in bad.stdout + bad.stderr
