"""`hypercare triage`: the ranked list with each item's triage state, for a terminal or as JSON;
exit 1 with a sentence; the [triage] config checks; the inbox's keys survive a collector re-run
and a restart."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

from collectors.base import run_collector
from collectors.sentry import SentryCollector
from hypercare.auth.identity import Identity
from hypercare.config import load_config
from hypercare.store import Store
from hypercare.triage import actions
from hypercare.triage.inbox import items
from tests.fakes.sentry import FakeSentry
from tests.sentry_helpers import GO_LIVE, POLICY, TOKEN, make_config
from tests.test_cli import run_cli

AT = "2026-11-24T11:30:00+00:00"
NOW = datetime.fromisoformat(AT)
H = timedelta(hours=1)
TITLE = "\x1b[2J\x1b[31mPWNED <b>bold</b> **x**"
CONFIG = """
[release]
name = "Booking"
go_live_at = "2026-11-23T10:00:00+00:00"
timezone = "Europe/Brussels"

[store]
path = "data/hc.duckdb"
"""


@pytest.fixture
def setup(tmp_path):
    (tmp_path / "hypercare.toml").write_text(CONFIG)
    store = Store(tmp_path / "data" / "hc.duckdb")
    with store.transaction() as cur:
        cur.register("i", pd.DataFrame([{
            "issue_id": "77", "short_id": "WEB-1", "title": TITLE, "level": "error", "status": "unresolved",
            "first_seen": GO_LIVE + H, "last_seen": NOW - H, "user_count": 500, "event_count": 900,
            "permalink": "https://sentry.example/issues/77/"}]))
        cur.execute("INSERT INTO sentry_issues BY NAME SELECT * FROM i")
        cur.register("t", pd.DataFrame([{
            "source": "desk", "ticket_id": "T-1", "created_at": NOW - 2 * H, "status": "open", "priority": "P1",
            "title": "Checkout down", "url": "https://desk.example/T-1"}]))
        cur.execute("INSERT INTO tickets BY NAME SELECT * FROM t")
    store.close()
    return tmp_path


def test_prints_the_ranked_list_with_titles_made_harmless(setup):
    result = run_cli("triage", "--config", str(setup / "hypercare.toml"), "--at", AT)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("Triage inbox: 2 items as of Tue 24 Nov 12:30 (Europe/Brussels); 2 untriaged, 0 set aside")
    assert out.index("sentry · new issue") < out.index("tickets · P1 ticket · Checkout down")
    assert "\x1b" not in out and "\ufffd[2J\ufffd[31mPWNED <b>bold</b> **x**" in out
    assert "sentry:77 · https://sentry.example/issues/77/" in out and "tickets:desk:T-1" in out


def test_json_keeps_the_title_raw_and_the_score_parts(setup):
    result = run_cli("triage", "--config", str(setup / "hypercare.toml"), "--at", AT, "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["as_of"], data["untriaged"], data["set_aside"]) == (AT, 2, [])
    first, second = data["items"]
    assert first["state"]["words"] == "untriaged"
    assert (first["key"], first["title"], second["key"]) == ("sentry:77", TITLE, "tickets:desk:T-1")
    assert [p["name"] for p in first["score"]["parts"]] == ["users", "rate", "trend", "severity", "new", "age"]
    assert first["score"]["total"] == pytest.approx(sum(p["points"] for p in first["score"]["parts"]), abs=0.011)


def test_shows_each_items_triage_state_and_what_is_set_aside(setup):
    """One item turned into an incident, the other set aside: the list says so, in both forms."""
    config = load_config(setup / "hypercare.toml")
    store = Store(config.store.path)
    issue, ticket = sorted(items(store.cursor(), config, NOW), key=lambda i: i.key)
    lead = Identity("ana", None, "lead")
    incident = actions.open_incident(store, config, issue, identity=lead, now=NOW - 20 * timedelta(minutes=1))
    actions.set_aside(store, ticket, "known", "customer \x1b[31mtold\x1b[0m", identity=lead, now=NOW - H, until=None)
    store.close()
    out = run_cli("triage", "--config", str(setup / "hypercare.toml"), "--at", AT)
    assert out.returncode == 0, out.stderr
    assert "Triage inbox: 1 item as of Tue 24 Nov 12:30 (Europe/Brussels); 0 untriaged, 1 set aside" in out.stdout
    assert f"sentry · new issue · \ufffd[2J\ufffd[31mPWNED <b>bold</b> **x** · {incident.incident_id} (open)" in out.stdout
    assert "Set aside (1):" in out.stdout and "\x1b" not in out.stdout
    assert "tickets · Checkout down · known by ana Tue 24 Nov 11:30, no end — customer \ufffd[31mtold\ufffd[0m" in out.stdout
    data = json.loads(run_cli("triage", "--config", str(setup / "hypercare.toml"), "--at", AT, "--json").stdout)
    assert [(i["key"], i["state"]["state"], i["state"]["incident_id"]) for i in data["items"]] == [
        ("sentry:77", "has incident", incident.incident_id)]
    (aside,) = data["set_aside"]
    assert (aside["key"], aside["state"]["aside_kind"], aside["state"]["reason"]) == (
        "tickets:desk:T-1", "known", "customer \x1b[31mtold\x1b[0m")


def test_no_database_is_a_sentence_and_exit_1(tmp_path):
    (tmp_path / "hypercare.toml").write_text(CONFIG)
    result = run_cli("triage", "--config", str(tmp_path / "hypercare.toml"))
    assert result.returncode == 1
    assert "no database at" in result.stderr and "hypercare collect --once" in result.stderr


def test_a_bad_triage_setting_names_the_field(tmp_path):
    (tmp_path / "hypercare.toml").write_text(CONFIG + "\n[triage]\nspike_factor = 1\nflapping_transitions = 1\nclusterhours = 3\n")
    result = run_cli("triage", "--config", str(tmp_path / "hypercare.toml"))
    assert result.returncode == 1
    assert "triage.spike_factor: 1 is out of range; it must be above 1" in result.stderr
    assert "triage.flapping_transitions: 1 is out of range; it must be at least 2" in result.stderr
    assert "triage.clusterhours: unknown key" in result.stderr


def test_keys_and_scores_survive_a_collector_rerun_and_a_restart(tmp_path, clock, monkeypatch):
    monkeypatch.setenv("SENTRY_AUTH_TOKEN", TOKEN)
    with FakeSentry(token=TOKEN, now=clock.now) as fake:
        for n in range(4):
            fake.add_issue("web", f"web error {n}", GO_LIVE + n * H, clock.now() - n * H, count=10 * (n + 1),
                           user_count=n + 1)
        fake.add_issue("api", "old", GO_LIVE - 90 * H, GO_LIVE - 80 * H)
        config = make_config(fake.url, tmp_path)
        store = Store(config.store.path)
        assert run_collector(store, SentryCollector(config, clock, POLICY), clock).ok
        first = items(store.cursor(), config, clock.now())
        assert run_collector(store, SentryCollector(config, clock, POLICY), clock).ok
        again = items(store.cursor(), config, clock.now())
        store.close()
    store = Store(config.store.path)
    restarted = items(store.cursor(), config, clock.now())
    store.close()
    ids = sorted(i.ref for i in first)
    assert len(first) == 4 and [i.key for i in first] == [f"sentry:{r}" for r in [i.ref for i in first]]
    assert sorted(i.key for i in again) == sorted(i.key for i in restarted) == [f"sentry:{r}" for r in ids]
    assert [(i.key, i.score) for i in first] == [(i.key, i.score) for i in again] == [(i.key, i.score) for i in restarted]
