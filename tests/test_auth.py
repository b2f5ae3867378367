"""Sign-in: role mappings, password hashes, the lockout on the injected clock, the start-up checks."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from hypercare.auth.identity import Identity
from hypercare.auth.passwords import FAILED, Lockout, SignInRefused, hash_password, password_matches, sign_in
from hypercare.auth.roles import oidc_identity, role_for
from hypercare.auth.setup import address_problem, is_loopback, secrets_problems
from hypercare.clock import FixedClock
from hypercare.config import AuthConfig, ConfigError, PasswordUser, parse_config

# Cheap argon2id parameters for tests: verification reads them from the hash itself.
FAST = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)

OIDC = AuthConfig(mode="oidc", roles_claim="groups", roles=[
    {"role": "stakeholder", "domains": ["example.com"]},
    {"role": "responder", "claim_values": ["oncall"]},
    {"role": "lead", "emails": ["Lea@Example.com"]},
])


@pytest.mark.parametrize(("claims", "role"), [
    ({"email": "sam@example.com"}, "stakeholder"),
    ({"email": "sam@example.com", "groups": ["staff", "oncall"]}, "responder"),  # highest wins
    ({"email": "lea@example.com", "groups": ["oncall"]}, "lead"),  # e-mail compared case-insensitively
    ({"email": "x@elsewhere.org", "groups": "oncall"}, "responder"),  # a claim holding one string
    ({"email": "x@elsewhere.org", "groups": ["staff"]}, None),
    ({"email": "lea@example.com", "email_verified": False}, None),  # an unverified address matches nothing
    ({"sub": "123"}, None),
])
def test_role_from_the_mappings(claims, role):
    assert role_for(claims, OIDC) == role


def test_oidc_identity_records_name_and_email():
    assert oidc_identity({"email": "sam@example.com", "name": "Sam"}, OIDC) == Identity("Sam", "sam@example.com", "stakeholder")
    assert oidc_identity({"email": "nobody@elsewhere.org"}, OIDC) is None


@pytest.mark.parametrize(("auth", "message"), [
    ({"mode": "password"}, 'mode "password" needs at least one [[auth.users]]'),
    ({"mode": "oidc"}, 'mode "oidc" needs [[auth.roles]]'),
    ({"mode": "oidc", "roles": [{"role": "lead", "claim_values": ["x"]}]}, "claim_values need roles_claim"),
    ({"mode": "oidc", "roles": [{"role": "lead"}]}, "a lead mapping matches nobody"),
    ({"mode": "password", "users": [{"username": "a", "name": "A", "role": "lead"}] * 2}, "a repeated"),
    ({"mode": "password", "users": [{"username": "a", "name": "A", "role": "admin"}]}, "auth.users[0].role"),
    ({"mode": "ldap"}, "auth.mode"),
])
def test_auth_config_problems_are_sentences(auth, message):
    with pytest.raises(ConfigError) as exc:
        parse_config({"release": {"name": "x", "go_live_at": "2026-11-22T22:00:00+01:00"}, "auth": auth}, Path("."))
    assert message in " ".join(exc.value.problems)


def test_hash_and_verify():
    stored = hash_password("correct horse")
    assert stored.startswith("$argon2id$")
    assert password_matches(stored, "correct horse")
    assert not password_matches(stored, "correct horse ")
    assert not password_matches("not a hash", "correct horse")
    with pytest.raises(ValueError):
        hash_password("")


USERS = [PasswordUser(username="ana", name="Ana", email="ana@example.com", role="responder"),
         PasswordUser(username="sam", name="Sam", role="stakeholder")]
HASHES = {"ana": FAST.hash("ana-secret"), "sam": FAST.hash("sam-secret")}


def test_sign_in_gives_the_configured_identity_and_never_says_which_part_was_wrong():
    lockout = Lockout(FixedClock(T0))
    assert sign_in(USERS, HASHES, lockout, " ana ", "ana-secret", "c1") == Identity("Ana", "ana@example.com", "responder")
    messages = set()
    for user, password in [("ana", "wrong"), ("nobody", "ana-secret"), ("sam", "ana-secret")]:
        with pytest.raises(SignInRefused) as exc:
            sign_in(USERS, HASHES, lockout, user, password, "c2")
        messages.add(str(exc.value))
    assert messages == {FAILED}


def test_a_user_without_a_hash_cannot_sign_in():
    with pytest.raises(SignInRefused, match=FAILED):
        sign_in(USERS, {"ana": HASHES["ana"]}, Lockout(FixedClock(T0)), "sam", "", "c1")


def test_five_failures_for_a_user_refuse_even_the_right_password_for_15_minutes():
    clock = FixedClock(T0)
    lockout = Lockout(clock)
    for n in range(5):
        clock.advance(minutes=2)
        with pytest.raises(SignInRefused, match=FAILED):
            sign_in(USERS, HASHES, lockout, "ana", f"guess {n}", f"client {n}")  # a different client each time
    refused_at = clock.now()
    with pytest.raises(SignInRefused, match="Too many failed sign-ins: try again after 09:25 UTC"):
        sign_in(USERS, HASHES, lockout, "ana", "ana-secret", "another client")
    assert sign_in(USERS, HASHES, lockout, "sam", "sam-secret", "another client").name == "Sam"  # others unaffected
    clock.advance(minutes=14, seconds=59)
    with pytest.raises(SignInRefused, match="Too many"):
        sign_in(USERS, HASHES, lockout, "ana", "ana-secret", "c")
    clock.advance(seconds=1)
    assert clock.now() == refused_at + timedelta(minutes=15)
    assert sign_in(USERS, HASHES, lockout, "ana", "ana-secret", "c").name == "Ana"


def test_failures_spread_over_more_than_15_minutes_do_not_lock():
    clock = FixedClock(T0)
    lockout = Lockout(clock)
    for n in range(8):
        with pytest.raises(SignInRefused, match=FAILED):
            sign_in(USERS, HASHES, lockout, "ana", "guess", "c1")
        clock.advance(minutes=4)  # never five within 15 minutes
    assert sign_in(USERS, HASHES, lockout, "ana", "ana-secret", "c1").name == "Ana"


def test_five_failures_from_one_client_refuse_it_for_every_user_and_a_success_does_not_reset_it():
    clock = FixedClock(T0)
    lockout = Lockout(clock)
    for name in ["u1", "u2", "u3", "u4"]:
        with pytest.raises(SignInRefused, match=FAILED):
            sign_in(USERS, HASHES, lockout, name, "guess", "10.0.0.9")
    assert sign_in(USERS, HASHES, lockout, "sam", "sam-secret", "10.0.0.9").name == "Sam"
    with pytest.raises(SignInRefused, match=FAILED):
        sign_in(USERS, HASHES, lockout, "u5", "guess", "10.0.0.9")
    with pytest.raises(SignInRefused, match="Too many"):
        sign_in(USERS, HASHES, lockout, "ana", "ana-secret", "10.0.0.9")
    assert sign_in(USERS, HASHES, lockout, "ana", "ana-secret", "10.0.0.10").name == "Ana"


@pytest.mark.parametrize(("address", "loopback"), [
    ("127.0.0.1", True), ("localhost", True), ("::1", True), ("127.0.0.2", True),
    ("0.0.0.0", False), ("::", False), ("192.168.1.5", False), ("dashboard.example.com", False),
])
def test_loopback(address, loopback):
    assert is_loopback(address) is loopback
    problem = address_problem(AuthConfig(), address)
    assert (problem is None) is loopback
    assert address_problem(AuthConfig(mode="password", users=USERS), address) is None


def test_secrets_problems_name_what_is_missing_never_a_value():
    where = "/srv/.streamlit/secrets.toml"
    assert secrets_problems(OIDC, {}, where) == [f'{where} has no [auth] section: mode "oidc" needs redirect_uri, '
                                                 "cookie_secret, client_id, client_secret and server_metadata_url "
                                                 "there, as Streamlit documents"]
    partial = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "s3cret-cookie",
                        "client_id": "hc", "client_secret": "s3cret-client"}}
    problems = secrets_problems(OIDC, partial, where)
    assert problems == [f"{where} [auth] lacks server_metadata_url"]
    assert "s3cret" not in " ".join(problems)
    pw = AuthConfig(mode="password", users=USERS)
    assert secrets_problems(pw, {"passwords": {"ana": HASHES["ana"], "sam": "hunter2"}}, where) == [
        f"{where} [passwords] has no hash for sam; make one with `hypercare hash-password`"]
