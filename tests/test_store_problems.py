"""Every store problem is one sentence with the path and what to do: a folder that can't be
made, a path under a regular file, a file cut short; commands exit 1, pages show the sentence."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from hypercare import runtime
from hypercare.clock import FixedClock
from hypercare.demo import DEMO_NOW, demo_config
from hypercare.runtime import AppContext
from hypercare.store import Store, StoreDamagedError, StoreError
from tests.demo_db import demo_copy
from tests.test_cli import config_file, run_cli

CHECK = '[[checks]]\nname = "api"\nurl = "http://127.0.0.1:9/health"\n'


def cut_in_half(path: Path) -> None:
    with open(path, "r+b") as f:
        f.truncate(os.path.getsize(path) // 2)


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory) -> Path:
    """A real database with every table filled (the demo), closed."""
    return demo_copy(tmp_path_factory.mktemp("demo")).store.path


@pytest.mark.parametrize(("store_path", "why"), [
    ("notes.txt/hc.duckdb", "notes.txt is a file, not a folder"),
    ("notes.txt/deeper/hc.duckdb", "notes.txt is a file, not a folder"),
    ("/proc/hypercare/hc.duckdb", "no such file or directory"),
])
def test_a_folder_that_cant_be_made_is_one_sentence(tmp_path, store_path, why):
    (tmp_path / "notes.txt").write_text("not a folder\n")
    path = Path(store_path) if store_path.startswith("/") else tmp_path / store_path
    with pytest.raises(StoreError) as raised:
        Store(path)
    message = str(raised.value)
    assert message.startswith(f"{path} can't be created: its folder {path.parent} can't be made (")
    assert why in message and message.endswith("point [store] path in the config at a folder the user running "
                                                "Hypercare may write to")
    config = config_file(tmp_path, CHECK).read_text().replace("data/hc.duckdb", str(path))
    (tmp_path / "hypercare.toml").write_text(config)
    result = run_cli("collect", "--once", "--config", str(tmp_path / "hypercare.toml"))
    assert result.returncode == 1 and result.stderr.strip() == f"error: {message}"


def test_a_file_cut_in_half_is_damaged_and_the_snapshot_is_offered(tmp_path, demo_file):
    path = tmp_path / "data" / "hc.duckdb"
    path.parent.mkdir()
    shutil.copy(demo_file, path)
    cut_in_half(path)
    with pytest.raises(StoreDamagedError) as raised:
        Store(path)
    assert str(raised.value).startswith(f"{path} is damaged (")
    assert str(raised.value).endswith("restore it from a backup, or point [store] path in the config at a new file")
    shutil.copy(demo_file, path.with_name("hc.snapshot.duckdb"))
    result = run_cli("collect", "--once", "--config", str(config_file(tmp_path, CHECK)))
    assert result.returncode == 1
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1 and "Traceback" not in message and "IO Error" not in message
    assert message.startswith(f"error: {path} is damaged (")
    assert message.endswith(f"restore it from the snapshot (stop Hypercare, copy {path.with_name('hc.snapshot.duckdb')} "
                            "over it), or point [store] path in the config at a new file")
    with pytest.raises(StoreDamagedError):
        Store(path, read_only=True)  # readers are told the same


def test_a_file_that_breaks_while_pages_read_it_shows_the_sentence(tmp_path, demo_file):
    path = tmp_path / "hc.duckdb"
    shutil.copy(demo_file, path)
    config = demo_config(tmp_path)
    store = Store(path)
    try:
        cut_in_half(path)  # under the open database: blocks not read yet are gone
        runtime.set_context(AppContext(config, store, FixedClock(DEMO_NOW), demo=True))
        at = AppTest.from_file(str(Path(__file__).parents[1] / "dashboard" / "views" / "tickets.py"),
                               default_timeout=30).run()
        assert not at.exception
        [error] = at.error
        shown = error.value.replace("\\", "")  # as_text's escapes, which the page doesn't display
        assert shown.startswith(f"{path} is damaged (") and "IO Error" not in shown
        assert shown.endswith("point [store] path in the config at a new file")
    finally:
        store.close()
