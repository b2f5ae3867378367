"""Secrets from `.streamlit/secrets.toml`, for teams that keep them there rather than in the shell.

The file maps environment-variable names to values (`SENTRY_AUTH_TOKEN = "..."`); the config only
names the variables. A variable already set in the environment wins. Values are never printed.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import MutableMapping
from pathlib import Path

SECRETS_FILE = Path(".streamlit") / "secrets.toml"


def secrets_files(config_dir: Path) -> list[Path]:
    """Where secrets may be kept: beside the config file, then in the working folder."""
    found = []
    for folder in (config_dir, Path.cwd()):
        path = (folder / SECRETS_FILE).resolve()
        if path.is_file() and path not in found:
            found.append(path)
    return found


def read_secrets(paths: list[Path]) -> dict[str, object]:
    """The files' top-level keys merged, the first file's winning (as in `load_secrets`)."""
    merged: dict[str, object] = {}
    for path in reversed(paths):
        merged.update(_parse(path))
    return merged


def _parse(path: Path) -> dict[str, object]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path} is not valid TOML ({type(exc).__name__}); fix it or remove it") from None


def load_secrets(paths: list[Path], environ: MutableMapping[str, str] = os.environ) -> list[str]:
    """Put each top-level string of the files into `environ` unless already set; returns the
    names it set (never the values). A file that is not valid TOML is an error naming it."""
    loaded = []
    for path in paths:
        for name, value in _parse(path).items():
            if isinstance(value, str) and name not in environ:
                environ[name] = value
                loaded.append(name)
    return loaded
