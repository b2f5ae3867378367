"""The running app's context: config, store and clock, shared by the scheduler and the pages.

`hypercare serve` / `hypercare demo` set it before starting Streamlit in the same process, so
pages reach the one open database instead of opening a second connection. A page started any
other way (`streamlit run dashboard/app.py`) gets a read-only context from $HYPERCARE_CONFIG.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

import duckdb

from hypercare.clock import Clock, SystemClock
from hypercare.config import Config, load_config
from hypercare.decisions.window import stored_effective_window
from hypercare.store import Store
from hypercare.store.read import scalar
from hypercare.window import Window


@dataclass(frozen=True)
class AppContext:
    config: Config
    store: Store
    clock: Clock
    demo: bool = False

    def go_live_at(self) -> datetime | None:
        """The configured go-live instant, else the one detected from Sentry (releases table)."""
        return go_live_at(self.store.cursor(), self.config)

    def window(self, as_of: datetime | None = None) -> Window | None:
        """The effective window (see `window_for`)."""
        return window_for(self.store.cursor(), self.config, as_of)


def go_live_at(cur: duckdb.DuckDBPyConnection, config: Config) -> datetime | None:
    """The configured go-live instant, else the one detected from Sentry (releases table)."""
    if config.release.go_live_at is not None:
        return config.release.go_live_at
    return scalar(cur, "SELECT max(go_live_at) FROM releases WHERE name = ?", [config.release.name])


def window_for(cur: duckdb.DuckDBPyConnection, config: Config, as_of: datetime | None = None) -> Window | None:
    """The effective window: the configured one with the extend and exit decisions taken (up to
    `as_of` when given) applied; None while the go-live instant is unknown."""
    go_live = go_live_at(cur, config)
    if go_live is None:
        return None
    r = config.release
    return stored_effective_window(cur, Window(go_live, r.window_hours, r.baseline_hours, r.timezone), as_of)


_lock = threading.Lock()
_current: AppContext | None = None


def set_context(ctx: AppContext | None) -> None:
    global _current
    with _lock:
        _current = ctx


def get_context() -> AppContext:
    global _current
    with _lock:
        if _current is None:
            config = load_config()
            _current = AppContext(config, Store.open_for_reading(config.store.path), SystemClock())
        return _current
