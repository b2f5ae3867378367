"""Helpers for tests that start Hypercare as a separate process."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition: Callable[[], bool], proc: subprocess.Popen, seconds: float = 60) -> None:
    """Poll `condition` while `proc` runs; fail at once if it exits, or after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met after {seconds} s")
        try:
            proc.wait(timeout=0.2)  # the pause between polls; returns early only if it died
        except subprocess.TimeoutExpired:
            continue
        output = proc.stdout.read() if proc.stdout else ""
        raise RuntimeError(f"process exited with {proc.returncode}: {output[-2000:]}")


def listening(port: int) -> Callable[[], bool]:
    def check() -> bool:
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", port)) == 0
    return check
