"""Every number in the config has a documented, finite range and every URL really parses:
values that used to pass check-config and crash at run time are refused with the field named."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hypercare.config import ConfigError, load_config

ROOT = Path(__file__).resolve().parent.parent
RELEASE = '[release]\nname = "Booking"\ngo_live_at = "2026-11-22T22:00:00+01:00"\n'
CHECK = '[[checks]]\nname = "api"\nurl = "https://api.example.com/health"\n'


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "hypercare.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    return raised.value.problems


def with_key(section: str, line: str) -> str:
    """RELEASE and CHECK with `line` added to `section` ("release", "store", "checks", ...)."""
    if section == "release":
        return RELEASE + line + "\n" + CHECK
    if section == "checks":
        return RELEASE + CHECK + line + "\n"
    if section == "tickets":
        return RELEASE + f'[[tickets]]\nkind = "github"\nrepo = "acme/booking"\n{line}\n'
    return RELEASE + CHECK + f"[{section}]\n{line}\n"


@pytest.mark.parametrize(("section", "line", "expected"), [
    # the values, each of which used to crash a page or a thread
    ("release", "window_hours = 1e300", "release.window_hours: 1e+300 is out of range; it must be at most 8,760"),
    ("release", "window_hours = inf", "release.window_hours: inf is not a finite number"),
    ("release", "window_hours = nan", "release.window_hours: nan is not a finite number"),
    ("release", "baseline_hours = 1e8", "release.baseline_hours: 100,000,000 is out of range; it must be at most 8,760"),
    ("checks", "interval_seconds = 1e308", "checks[0].interval_seconds: 1e+308 is out of range; it must be at most 86,400"),
    ("checks", "timeout_seconds = 1e12", "checks[0].timeout_seconds: 1,000,000,000,000 is out of range; it must be at most 86,400"),
    ("checks", "failure_threshold = 99999999999999999999",
     "checks[0].failure_threshold: 99999999999999999999 is out of range; it must be at most 1,000"),
    ("store", "snapshot_minutes = 1e20", "store.snapshot_minutes: 1e+20 is out of range; it must be at most 1,440"),
    # the rest of the ranges, at and past their edges
    ("release", "window_hours = 0", "release.window_hours: 0 is out of range; it must be above 0"),
    ("release", "window_hours = 8761", "release.window_hours: 8,761 is out of range; it must be at most 8,760"),
    ("release", "baseline_hours = -1", "release.baseline_hours: -1 is out of range; it must be at least 0"),
    ("checks", "success_threshold = 1001", "checks[0].success_threshold: 1,001 is out of range; it must be at most 1,000"),
    ("checks", "failure_threshold = 1e20", "checks[0].failure_threshold: 1e+20 is far out of range"),
    ("checks", "interval_seconds = -inf", "checks[0].interval_seconds: -inf is not a finite number"),
    ("health", "concurrency = 100000", "health.concurrency: 100,000 is out of range; it must be at most 512"),
    ("tickets", "interval_seconds = 86401", "tickets[0].interval_seconds: 86,401 is out of range; it must be at most 86,400"),
    ("tickets", "overlap_seconds = 1e300", "tickets[0].overlap_seconds: 1e+300 is out of range; it must be at most 86,400"),
    ("tickets", "timeout_seconds = 0", "tickets[0].timeout_seconds: 0 is out of range; it must be above 0"),
    ("escalation", "reminder_minutes = 1e300", "escalation.reminder_minutes: 1e+300 is out of range; it must be at most 525,600"),
])
def test_each_out_of_range_number_is_refused_naming_the_field(tmp_path, section, line, expected):
    [problem] = problems(tmp_path, with_key(section, line))
    assert problem.startswith(expected)


def test_sentry_numbers_have_ranges_too(tmp_path):
    text = RELEASE + ('[sentry]\norg = "acme"\nprojects = ["api"]\ninterval_seconds = 1e308\n'
                      'full_sync_minutes = inf\noverlap_minutes = 1e20\ntimeout_seconds = 1e12\nmax_pages = 1e20\n')
    found = problems(tmp_path, text)
    assert [p.split(":")[0] for p in found] == ["sentry.interval_seconds", "sentry.full_sync_minutes",
                                                 "sentry.overlap_minutes", "sentry.max_pages", "sentry.timeout_seconds"]


@pytest.mark.parametrize(("url", "expected"), [
    ("http://exa mple.com/ health", "'http://exa mple.com/ health' contains a space or a control character"),
    ("http://example.com/\thealth", "contains a space or a control character"),
    ("http://exa_mple..com/health", "has no valid host name"),
    ("http:///health", "has no valid host name"),
    ("http://example.com:99999/health", "is not a URL (Port out of range 0-65535)"),
    ("http://example.com:port/health", "is not a URL"),
    ("http://[::1/health", "is not a URL"),
])
def test_a_url_that_does_not_parse_is_refused(tmp_path, url, expected):
    text = RELEASE + f'[[checks]]\nname = "api"\nurl = "{url}"\n'
    [problem] = problems(tmp_path, text)
    assert problem.startswith("checks[0].url: ") and expected in problem


@pytest.mark.parametrize("section", ["sentry", "tickets"])
def test_api_addresses_are_parsed_the_same_way(tmp_path, section):
    bad = "https://sen try.io"
    text = RELEASE + (f'[sentry]\norg = "acme"\nprojects = ["api"]\nbase_url = "{bad}"\n' if section == "sentry"
                      else f'[[tickets]]\nkind = "github"\nrepo = "acme/booking"\nbase_url = "{bad}"\n')
    [problem] = problems(tmp_path, text)
    field = "sentry.base_url" if section == "sentry" else "tickets[0].base_url"
    assert problem.startswith(f"{field}: 'https://sen try.io' contains a space")


@pytest.mark.parametrize("url", ["https://api.example.com/health", "http://127.0.0.1:8080/h", "http://[::1]:8080/h",
                                 "https://bücher.example/health", "http://localhost/health?x=1#top"])
def test_real_urls_still_load(tmp_path, url):
    path = tmp_path / "hypercare.toml"
    path.write_text(RELEASE + f'[[checks]]\nname = "api"\nurl = "{url}"\n')
    assert load_config(path).checks[0].url == url


def test_check_config_lists_each_bad_value_with_its_field(tmp_path):
    path = tmp_path / "hypercare.toml"
    path.write_text(RELEASE.replace("\n[", "[") + "window_hours = 1e300\nbaseline_hours = 1e8\n"
                    "[store]\nsnapshot_minutes = 1e20\n"
                    '[[checks]]\nname = "api"\nurl = "http://exa mple.com/ health"\ninterval_seconds = 1e308\n'
                    "timeout_seconds = 1e12\nfailure_threshold = 99999999999999999999\n")
    result = subprocess.run([sys.executable, "-m", "hypercare.cli", "check-config", "--config", str(path)],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    fields = [line.split(":")[0].removeprefix("  - ") for line in result.stdout.splitlines()[1:]]
    assert fields == ["release.window_hours", "release.baseline_hours", "store.snapshot_minutes", "checks[0].url",
                      "checks[0].interval_seconds", "checks[0].timeout_seconds", "checks[0].failure_threshold"]
