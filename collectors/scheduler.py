"""Runs collectors on their intervals in background threads, beside the dashboard (one writer).

Each collector has its own thread so a slow source never delays another; a tick thread runs
the hooks that must follow new data (the escalation engine, the snapshot).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime

from collectors.base import Collector, RunRecord, mark_interrupted, run_collector
from hypercare.clock import Clock
from hypercare.store import Store

log = logging.getLogger(__name__)

Hook = Callable[[datetime], None]


def run_once(store: Store, collectors: Sequence[Collector], clock: Clock, hooks: Sequence[Hook] = ()) -> list[RunRecord]:
    """Every collector once, in order, then the hooks (for `hypercare collect --once`).
    Runs a killed process left `running` are marked interrupted first."""
    mark_interrupted(store)
    records = [run_collector(store, c, clock) for c in collectors]
    _run_hooks(hooks, clock)
    return records


def _run_hooks(hooks: Sequence[Hook], clock: Clock) -> None:
    for hook in hooks:
        try:
            hook(clock.now())
        except Exception:
            log.exception("scheduler hook %s failed", getattr(hook, "__name__", hook))


class Scheduler:
    """Background threads: one per collector, one for the hooks every `tick_seconds`."""

    def __init__(
        self,
        store: Store,
        collectors: Sequence[Collector],
        clock: Clock,
        hooks: Sequence[tuple[float, Hook]] = (),
    ):
        self.store = store
        self.collectors = list(collectors)
        self.clock = clock
        self.hooks = list(hooks)
        self.stop_event = threading.Event()
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        mark_interrupted(self.store)  # before any thread writes a `running` row of its own
        for collector in self.collectors:
            self._spawn(f"collector-{collector.name}", collector.interval_seconds,
                        lambda c=collector: run_collector(self.store, c, self.clock))
        for every, hook in self.hooks:
            self._spawn(f"hook-{getattr(hook, '__name__', 'hook')}", every,
                        lambda h=hook: _run_hooks([h], self.clock))

    def stop(self, timeout: float = 5.0) -> None:
        self.stop_event.set()
        for thread in self.threads:
            thread.join(timeout)

    def _spawn(self, name: str, every: float, job: Callable[[], object]) -> None:
        def loop() -> None:
            while not self.stop_event.is_set():
                try:
                    job()
                except Exception:  # bookkeeping itself failed (e.g. disk full): log, keep going
                    log.exception("%s failed", name)
                self.stop_event.wait(every)

        thread = threading.Thread(target=loop, name=name, daemon=True)
        thread.start()
        self.threads.append(thread)
