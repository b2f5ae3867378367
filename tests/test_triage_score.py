"""The triage score on worked examples, computed by hand (the README's example is the first)."""

from __future__ import annotations

import math
import pickle
import random
from datetime import datetime, timedelta, timezone

import pytest

from hypercare.triage.inbox import ranked
from hypercare.triage.model import Item
from hypercare.triage.score import Signals, parts, score, suggested_severity

NOW = datetime(2026, 11, 24, 11, 30, tzinfo=timezone.utc)
H = timedelta(hours=1)


def test_the_readme_example():
    """A new error hitting 120 users, 45 events in the last hour against 15 the hour before,
    first seen 3 h ago: users 10·log10(121) = 20.83, rate 10·log10(46) = 16.63,
    trend 5·log2(46/16) = 7.62, severity 25, new 15, age −3/6 = −0.5."""
    s = score(Signals(120, "", 45, 15, "events", 2, "error", True, NOW - 3 * H), NOW)
    assert [(p.name, p.points) for p in s.parts] == [
        ("users", 20.83), ("rate", 16.63), ("trend", 7.62), ("severity", 25.0), ("new", 15.0), ("age", -0.5)]
    assert s.total == 84.58 and s.without_age == 85.08
    assert suggested_severity(s) == "SEV2"
    assert s.part("trend").value == pytest.approx(2.88, abs=0.01)  # (45 + 1) / (15 + 1)


def test_unreported_users_old_issue_capped_trend_and_age():
    """Users unknown: 0 and said; 60 events against 10: rate 10·log10(61) = 17.85, trend
    5·log2(61/11) = 12.36 capped at 10; warning 10; known before go-live 0; 30 days old: −10."""
    s = score(Signals(None, "the Sentry server doesn't report users", 60, 10, "events", 3, "warning", False,
                      NOW - 30 * 24 * H), NOW)
    users = s.part("users")
    assert users.value is None and users.points == 0 and "doesn't report users" in users.explanation
    assert [p.points for p in s.parts] == [0.0, 17.85, 10.0, 10.0, 0.0, -10.0]
    assert s.total == 27.85 and s.without_age == 37.85 and suggested_severity(s) == "SEV3"


def test_falling_trend_floor_caps_and_no_rate():
    """1,000,000 users and 10,000 events cap at 30 and 20; 0 against 99 floors at −5; a down
    check (no rate, level 1, new) scores 45 + 15."""
    big = score(Signals(1_000_000, "", 10_000, 10_000, "events", 1, "fatal", True, NOW), NOW)
    assert [p.points for p in big.parts[:3]] == [30.0, 20.0, 0.0] and big.total == 110.0
    assert suggested_severity(big) == "SEV1"
    falling = score(Signals(0, "", 0, 99, "events", 4, "info", False, NOW - 12 * H), NOW)
    assert [p.points for p in falling.parts] == [0.0, 0.0, -5.0, 5.0, 0.0, -2.0]
    assert suggested_severity(falling) == "SEV4"
    down = score(Signals(None, "checks don't count users", None, None, "transitions", 1, "down", True, NOW), NOW)
    assert down.total == 60.0 and suggested_severity(down) == "SEV2"
    assert down.part("rate").value is None and down.part("trend").value is None


def test_same_input_same_score():
    signals = Signals(7, "", 3, 1, "events", 2, "error", True, NOW - 5 * H)
    assert score(signals, NOW) == score(signals, NOW)


def item(key, total, last_seen):
    s = score(Signals(None, "", None, None, "events", 4, "x", False, NOW), NOW)
    return Item(key, "sentry", "spike", key, key, NOW, last_seen, {}, None,
                type(s)(s.parts, total, total), "SEV4")


def test_ranked_by_score_then_recency_then_key():
    found = [item("a", 10, NOW - H), item("b", 20, NOW - 5 * H), item("c", 10, NOW), item("d", 10, NOW - H)]
    assert [i.key for i in ranked(found)] == ["b", "c", "a", "d"]
    assert [i.key for i in ranked(reversed(found))] == ["b", "c", "a", "d"]


def test_the_points_alone_equal_the_parts_they_explain_seeded():
    """`score` adds the points without formatting a sentence; its total and without_age are the
    plain formula's (the parts' points summed and rounded), on 5,000 seeded random items, and
    the parts read later (also from a pickled copy, as the page's cache keeps it) are `parts`."""
    rng = random.Random(15)
    for _ in range(5_000):
        last = rng.choice([None, 0, 1, rng.randint(0, 50), rng.uniform(0, 1e5)])
        s = Signals(rng.choice([None, 0, rng.randint(0, 10**6)]), "not reported", last,
                    None if last is None or rng.random() < 0.2 else rng.choice([0, rng.randint(0, 5000)]),
                    "events", rng.randint(1, 4), "error", rng.random() < 0.5,
                    NOW - timedelta(seconds=rng.uniform(-600, 90 * 86400)))
        plain = parts(s, NOW)
        total = round(sum(p.points for p in plain), 2) + 0.0
        fast = score(s, NOW)
        assert (fast.total, fast.without_age) == (total, round(total - plain[-1].points, 2) + 0.0)
        assert math.copysign(1, fast.total) == math.copysign(1, total)  # 0.0 and -0.0 alike
        assert tuple(fast.parts) == plain == tuple(pickle.loads(pickle.dumps(fast)).parts)
