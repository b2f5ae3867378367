"""The demo database for tests: built once per test session (~7 s), then each user gets a copy.

Tests that are about `build_demo` itself (tests/test_demo*.py, the CLI's `hypercare demo`) still
build their own; everything that only needs the demo's rows reads a private copy of one template.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from hypercare.config import Config
from hypercare.demo import build_demo, demo_config
from hypercare.store import Store

_TEMPLATE: dict[str, Path] = {}


def _template() -> Path:
    if "path" not in _TEMPLATE:
        folder = Path(tempfile.mkdtemp(prefix="hypercare-demo-template-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        config = demo_config(folder)
        build_demo(config.store.path, config).close()  # closed: the file is complete on disk
        _TEMPLATE["path"] = config.store.path
    return _TEMPLATE["path"]


def demo_copy(folder: Path) -> Config:
    """The demo config with its database at `folder`/demo.duckdb, a copy of the session's demo."""
    config = demo_config(folder)
    Path(folder).mkdir(parents=True, exist_ok=True)
    shutil.copy(_template(), config.store.path)
    return config


def open_demo_copy(folder: Path) -> tuple[Config, Store]:
    """`demo_copy`, opened."""
    config = demo_copy(folder)
    return config, Store(config.store.path)
