"""`[[reconcile]]` in the config: good entries load, each bad one names the field and the fix, and a
database URL written where a variable's name belongs is refused without being repeated."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from hypercare.config import ConfigError, load_config
from hypercare.readiness.reconcile import Tolerance

HEAD = """
[release]
name = "Gym platform"
go_live_at = "2026-11-22T22:00:00+01:00"
"""
ENTRY = """
[[reconcile]]
name = "bookings"
source_env = "LEGACY_DB_URL"
target_env = "NEW_DB_URL"
source_sql = "SELECT count(*) FROM bookings"
target_sql = "SELECT count(*) FROM booking"
"""


def load(tmp_path: Path, text: str):
    path = tmp_path / "hypercare.toml"
    path.write_text(HEAD + text)
    return load_config(path)


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as err:
        load(tmp_path, text)
    return err.value.problems


def test_an_entry_loads_with_defaults_and_is_a_source(tmp_path):
    config = load(tmp_path, ENTRY + 'tolerance = "0.5%"\n')
    check = config.reconcile[0]
    assert (check.interval_seconds, check.timeout_seconds) == (300, 30)
    assert check.limit == Tolerance(Decimal("0.5"), percent=True)
    assert config.sources() == [("reconcile", 300)]
    assert config.secret_envs() == ["LEGACY_DB_URL", "NEW_DB_URL"]


@pytest.mark.parametrize(("tolerance", "expected"), [(0, Tolerance()), (5, Tolerance(Decimal(5))),
                                                      (2.5, Tolerance(Decimal("2.5"))), ('"1%"', Tolerance(Decimal(1), True))])
def test_tolerances_read_as_units_or_percent(tmp_path, tolerance, expected):
    assert load(tmp_path, ENTRY + f"tolerance = {tolerance}\n").reconcile[0].limit == expected


@pytest.mark.parametrize(("line", "expected"), [
    ('tolerance = "five"', "reconcile[0].tolerance: tolerance 'five' is neither a number nor a percent; give a number "
                           'of units (e.g. tolerance = 5) or a percent of the source value (e.g. tolerance = "0.5%")'),
    ("tolerance = -1", "reconcile[0].tolerance: tolerance -1.0 must be a finite number of at least 0; give a number"),
    ('tolerance = "-2%"', "reconcile[0].tolerance: tolerance '-2%' is neither a number nor a percent"),
    ("interval_seconds = 0", "reconcile[0].interval_seconds: 0 is out of range; it must be above 0"),
    ("timeout_seconds = 100000", "reconcile[0].timeout_seconds: 100,000 is out of range; it must be at most 86,400"),
    ("colour = 1", "reconcile[0].colour: unknown key; remove it or fix its spelling"),
])
def test_a_bad_value_names_the_field_and_the_fix(tmp_path, line, expected):
    assert any(p.startswith(expected) for p in problems(tmp_path, ENTRY + line + "\n")), problems(tmp_path, ENTRY + line + "\n")


@pytest.mark.parametrize(("sql", "expected"), [
    ('""', "reconcile[0].source_sql: give a query that returns one number, e.g. SELECT count(*) FROM bookings"),
    ('"SELECT 1; DROP TABLE bookings"', "reconcile[0].source_sql: give one statement (no ';' between statements)"),
])
def test_source_sql_must_be_one_statement(tmp_path, sql, expected):
    text = ENTRY.replace('source_sql = "SELECT count(*) FROM bookings"', f"source_sql = {sql}")
    assert any(p.startswith(expected) for p in problems(tmp_path, text))


def test_a_trailing_semicolon_is_fine(tmp_path):
    text = ENTRY.replace('FROM bookings"', 'FROM bookings;"')
    assert load(tmp_path, text).reconcile[0].source_sql == "SELECT count(*) FROM bookings"


def test_missing_keys_are_named(tmp_path):
    found = problems(tmp_path, '[[reconcile]]\nname = "x"\n')
    assert {p.split(":")[0] for p in found} == {f"reconcile[0].{k}" for k in ("source_env", "target_env", "source_sql", "target_sql")}


def test_a_url_in_place_of_a_variable_name_is_refused_and_not_repeated(tmp_path):
    url = "postgresql://migrator:S3cret-pw@db.internal/gym"
    found = problems(tmp_path, ENTRY.replace('"LEGACY_DB_URL"', f'"{url}"'))
    assert found == ["reconcile[0].source_env: this value is not an environment variable name; give the NAME of the "
                     "variable that holds the secret (e.g. SENTRY_AUTH_TOKEN), never the secret itself"]


def test_names_are_unique(tmp_path):
    assert problems(tmp_path, ENTRY + ENTRY) == ["reconcile: names must be unique; bookings used more than once"]
