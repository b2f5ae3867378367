"""Sign-in at the command line: `hash-password`, and `serve`/`demo` refusing what sign-in forbids."""

from __future__ import annotations

import subprocess
import sys

from argon2 import PasswordHasher

from tests.test_cli import config_file, run_cli

SENTENCE = 'sign-in is off ([auth] mode = "none"), so the dashboard may only listen on a loopback address'


def test_hash_password_reads_two_lines_without_a_terminal_and_prints_only_the_hash():
    result = subprocess.run([sys.executable, "-m", "hypercare.cli", "hash-password"], input="tr0ub4dor\ntr0ub4dor\n",
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    printed = result.stdout.strip()
    assert printed.startswith("$argon2id$") and len(printed.splitlines()) == 1
    assert PasswordHasher().verify(printed, "tr0ub4dor")
    assert "tr0ub4dor" not in result.stdout + result.stderr


def test_hash_password_refuses_two_different_passwords():
    result = subprocess.run([sys.executable, "-m", "hypercare.cli", "hash-password"], input="one\ntwo\n",
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stdout == "" and "the two passwords differ" in result.stderr


def test_serve_on_all_interfaces_without_sign_in_exits_with_its_sentence(tmp_path):
    result = run_cli("serve", "--config", str(config_file(tmp_path)), "--address", "0.0.0.0", "--port", "1")
    assert result.returncode == 1
    assert result.stderr.startswith("error: refusing to listen on 0.0.0.0: " + SENTENCE)
    assert 'set [auth] mode = "oidc" or "password"' in result.stderr
    assert not (tmp_path / "data" / "hc.duckdb").exists()  # refused before anything was opened


def test_demo_on_all_interfaces_exits_with_the_same_sentence(tmp_path):
    result = run_cli("demo", "--address", "0.0.0.0", "--port", "1", "--data-dir", str(tmp_path))
    assert result.returncode == 1 and SENTENCE in result.stderr
    assert not list(tmp_path.iterdir())


def test_serve_in_password_mode_names_each_user_without_a_hash(tmp_path):
    config = config_file(tmp_path, """
[auth]
mode = "password"
[[auth.users]]
username = "ana"
name = "Ana"
role = "lead"
""")
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text('[passwords]\nbo = "$argon2id$v=19$m=65536,t=3,p=4$x$y"\n')
    result = run_cli("serve", "--config", str(config), "--address", "0.0.0.0", "--port", "1")
    assert result.returncode == 1
    assert "[passwords] has no hash for ana; make one with `hypercare hash-password`" in result.stderr
    assert "argon2" not in result.stderr


def test_check_config_says_the_mode_and_what_the_secrets_file_lacks(tmp_path):
    config = config_file(tmp_path, '[auth]\nmode = "oidc"\n[[auth.roles]]\nrole = "lead"\nemails = ["lea@example.com"]\n')
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text('[auth]\nredirect_uri = "http://localhost:8501/oauth2callback"\n'
                                                          'cookie_secret = "c00kie-s3cret"\n')
    result = run_cli("check-config", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert "  sign-in: oidc" in result.stdout
    for key in ("client_id", "client_secret", "server_metadata_url"):
        assert f"[auth] lacks {key}; `hypercare serve` refuses to start until it is fixed" in result.stdout
    assert "c00kie-s3cret" not in result.stdout
