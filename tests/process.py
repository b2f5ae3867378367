"""Helpers for tests that start Hypercare as a separate process."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def hypercare(*args: str, log: Path, env: dict[str, str] | None = None) -> Iterator[subprocess.Popen]:
    """`hypercare ARGS` running in the background, its output in `log` (a file, so a chatty
    server never blocks on a full pipe); stopped at the end. `env`: its environment."""
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "hypercare.cli", *args], cwd=ROOT,
                                stdout=out, stderr=subprocess.STDOUT, text=True, env=env)
        try:
            yield proc
        finally:
            proc.terminate()
            proc.wait(timeout=20)


def wait_until(condition: Callable[[], bool], proc: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    """Poll `condition` while `proc` runs; fail at once if it exits, or after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met after {seconds} s; output:\n{log.read_text()[-2000:]}")
        try:
            proc.wait(timeout=0.2)  # the pause between polls; returns early only if it died
        except subprocess.TimeoutExpired:
            continue
        raise RuntimeError(f"process exited with {proc.returncode}; output:\n{log.read_text()[-2000:]}")


def listening(port: int) -> Callable[[], bool]:
    def check() -> bool:
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", port)) == 0
    return check
