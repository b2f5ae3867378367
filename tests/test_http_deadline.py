"""A whole-answer deadline on every collector request: a real local server that answers 200 and
then trickles its body forever can't hold a collector past `timeout_seconds`."""

from __future__ import annotations

import threading

from hypercare.http import HttpClient, HttpError
from tests.fakes.github import FakeGitHub
from tests.fakes.ticket_api import FakeApi, Reply, Request
from tests.test_cli import config_file, run_cli

TOKEN = "ghp_test_token_1234"


class Trickling(FakeApi):
    def answer(self, request: Request) -> Reply:
        return Reply(200, [])


def in_thread(job) -> dict:
    """Run `job` in a thread for at most 30 s, so a hang fails the test instead of stalling it."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["value"] = job()
        except Exception as exc:  # handed to the test
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(30)
    assert not thread.is_alive(), "the request was still running after 30 s"
    return outcome


def test_an_endless_slow_body_ends_at_the_deadline_and_is_not_retried(clock):
    with Trickling() as server:
        server.trickle = True
        client = HttpClient(timeout=(1.0, 1.0), clock=clock)  # reads never time out: a byte every 0.1 s
        outcome = in_thread(lambda: client.get(f"{server.url}/items"))
        error = outcome.get("error")
        assert isinstance(error, HttpError) and not error.permanent
        host = server.url.removeprefix("http://")
        assert error.message == (f"{host} sent no complete answer within 1 s (the body was still arriving); "
                                 "the next run tries again")
        assert len(server.requests) == 1 and clock.slept == []  # waiting again would only double the hang


def test_a_complete_answer_within_the_deadline_is_read_whole(clock):
    with Trickling() as server:
        client = HttpClient(timeout=(1.0, 1.0), clock=clock)
        resp = client.get(f"{server.url}/items")
        assert client.json(resp) == [] and resp.content == b"[]"


def test_collect_once_against_a_trickling_github_ends_with_a_sentence(tmp_path, monkeypatch, clock):
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    with FakeGitHub(clock, token=TOKEN) as github:
        github.trickle = True
        config = config_file(tmp_path, f"""
[[tickets]]
kind = "github"
name = "desk"
repo = "acme/booking"
base_url = "{github.url}"
timeout_seconds = 1
""")
        result = run_cli("collect", "--once", "--config", str(config))  # fails the test after 120 s on a hang
    assert result.returncode == 1
    assert "tickets:desk: 0 rows" in result.stdout and "no complete answer within 1 s" in result.stdout
    assert "Traceback" not in result.stderr
