"""The `hypercare` command: the composition root that wires collectors, store and dashboard.

It is the one module that imports both `collectors` and `dashboard`; nothing imports it.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import NoReturn

import click
import duckdb

from collectors.registry import build_collectors
from collectors.scheduler import Scheduler, run_once
from hypercare import redaction
from hypercare.auth.passwords import hash_password
from hypercare.auth.setup import address_problem, secrets_problems
from hypercare.clock import FixedClock, SystemClock
from hypercare.config import AuthConfig, Config, ConfigError, config_path, load_config
from hypercare.incidents import actions as incidents
from hypercare.incidents.notify import deliver_pending
from hypercare.report import output as report_output
from hypercare.report.shifts import shift_tick
from hypercare.runtime import AppContext, set_context
from hypercare.secrets import SECRETS_FILE, load_secrets, read_secrets, secrets_files
from hypercare.selfmonitor import init_self_monitoring, secret_values, stop_self_monitoring
from hypercare.store import Store, StoreError
from hypercare.store.releases import record_release
from hypercare.triage import inbox as triage_inbox
from hypercare.triage import text as triage_text
from hypercare.triage.actions import settle_returns
from hypercare.triage.model import Item
from hypercare.triage.view import inbox_view
from hypercare.verdict import readout
from hypercare.verdict.history import record_status

log = logging.getLogger("hypercare")
DELIVERY_SECONDS = 10.0  # how often the outbox is looked at under `serve`
APP_PATH = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"


def _fail(message: str, code: int = 1) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def _load(config_file: str | None, code: int = 1) -> Config:
    """The config, with secrets from `.streamlit/secrets.toml` put into the environment first;
    exits with `code` and a sentence when it can't be used."""
    try:
        load_secrets(secrets_files(config_path(config_file).resolve().parent))
        config = load_config(config_file)
    except ValueError as exc:
        _fail(str(exc), code)
    except ConfigError as exc:
        where = exc.path or config_path(config_file)
        _fail(f"{where} can't be used:\n  " + "\n  ".join(exc.problems) + f"\nRun `hypercare check-config --config {where}` after fixing it.", code)
    redaction.register(*secret_values(config))  # tokens and webhook URLs: never in a log line
    return config


def _open_store(config: Config) -> Store:
    try:
        return Store(config.store.path)
    except StoreError as exc:
        _fail(str(exc))


def _open_for_reading(config: Config) -> Store:
    """The database, or its snapshot while `hypercare serve` holds it; exits 1 with a sentence."""
    if not config.store.path.exists():
        _fail(f"no database at {config.store.path} yet; run `hypercare collect --once` or `hypercare serve` first")
    try:
        return Store.open_for_reading(config.store.path)
    except StoreError as exc:
        _fail(str(exc))


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log debug detail.")
def main(verbose: bool) -> None:
    """Hypercare: watch a go-live through its hypercare window."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    redaction.install()  # every log line, urllib3's debug lines included, passes the redactor


config_option = click.option("--config", "config_file", type=click.Path(dir_okay=False),
                             help="Config file (default: $HYPERCARE_CONFIG, else ./hypercare.toml).")


@main.command("check-config")
@config_option
def check_config(config_file: str | None) -> None:
    """Validate a config file and list every problem with its field and the fix."""
    path = config_path(config_file)
    try:
        load_secrets(secrets_files(path.resolve().parent))
        config = load_config(path)
    except ValueError as exc:
        _fail(str(exc))
    except ConfigError as exc:
        click.echo(f"{path}: {len(exc.problems)} problem(s)")
        for problem in exc.problems:
            click.echo(f"  - {problem}")
        sys.exit(1)
    click.echo(f"{path}: OK — release {config.release.name!r}, store {config.store.path}")
    for name, interval in config.sources():
        click.echo(f"  source {name}: every {interval:g} s")
    for env in config.secret_envs():
        if not os.environ.get(env):
            click.echo(f"  note: {env} is set neither in the environment nor in .streamlit/secrets.toml; "
                       "the source that needs it will fail until it is")
    click.echo(f"  sign-in: {config.auth.mode}")
    files = secrets_files(path.resolve().parent)
    where = str(files[0] if files else path.resolve().parent / SECRETS_FILE)
    for problem in secrets_problems(config.auth, read_secrets(files), where):
        click.echo(f"  note: {problem}; `hypercare serve` refuses to start until it is fixed")


@main.command()
@config_option
@click.option("--once", is_flag=True, required=True, help="Run each collector one time (for cron).")
@click.option("--only", type=click.Choice(["sentry", "checks", "tickets", "reconcile"]), help="Only this kind of source.")
def collect(config_file: str | None, once: bool, only: str | None) -> None:
    """Run the configured collectors one time and exit (0 when each run is ok or partial, else 1)."""
    config = _load(config_file)
    init_self_monitoring(config)
    clock = SystemClock()
    collectors = [c for c in build_collectors(config, clock) if only is None or c.kind == only]
    if not collectors:
        wanted = f"{only} " if only else ""
        click.echo(f"No {wanted}collectors to run: {config_path(config_file)} configures none that this version can collect.")
        return
    store = _open_store(config)
    context = AppContext(config, store, clock)
    try:
        record_release(store, config)
        records = run_once(store, collectors, clock, [_status_hook(context), *_tick_hooks(context), _delivery_hook(context)])
        store.publish_snapshot()
    except duckdb.Error as exc:  # the file went bad under us (a damaged block): the sentence, no traceback
        _fail(str(store.explain(exc)))
    finally:
        stop_self_monitoring()  # sends what is queued before the process exits
    for r in records:
        status = f"FAILED: {r.error}" if not r.ok else f"{r.status}; note: {r.error}" if r.error else r.status
        click.echo(f"{r.collector}: {r.rows_written} rows, {(r.finished_at - r.started_at).total_seconds():.1f} s, {status}")
    if not all(r.ok for r in records):
        sys.exit(1)


def _status_hook(context: AppContext) -> Callable[[datetime], object]:
    """The verdict: evaluated after new data and every minute, stored in status_history (runs
    before the delivery round, which sends a status-change notification it queued). Set-aside
    triage items due back are put on record first, so the counts it reads include them."""
    def inbox(now: datetime) -> Iterator[Item]:  # built only if settle_returns reads it: something is set aside
        yield from triage_inbox.items(context.store.cursor(), context.config, now)

    def status(now: datetime) -> object:
        settle_returns(context.store, inbox(now), now)
        return record_status(context.store, context.config, context.window(), now)

    return status


def _tick_hooks(context: AppContext) -> list[Callable[[datetime], object]]:
    """What runs after new data: the escalation engine (auto-open, escalate, queue notifications)."""
    def escalation(now: datetime) -> object:
        return incidents.tick(context.store, context.config, context.window(), now, deliver=False)

    return [escalation]


def _delivery_hook(context: AppContext) -> Callable[[datetime], object]:
    """The outbox's delivery round: its own scheduler thread under `serve`, so a webhook that is
    slow to answer never holds the escalation engine (each POST has a whole-answer deadline)."""
    def delivery(now: datetime) -> object:
        return deliver_pending(context.store, now)

    return delivery


@main.command()
@config_option
@click.option("--at", "at", metavar="ISO-8601", help="Evaluate as of this instant, e.g. 2026-11-23T09:00:00+01:00.")
@click.option("--json", "as_json", is_flag=True, help="Print the whole evaluation as JSON.")
def status(config_file: str | None, at: str | None, as_json: bool) -> None:
    """Print the status with its reasons and the exit progress.

    Exit code (Nagios/Icinga plugin convention): 0 GREEN, 1 AMBER, 2 RED, 3 UNKNOWN, and 3 when
    the config or the store can't be used.
    """
    when = _instant(at)
    config = _load(config_file, code=readout.UNKNOWN_EXIT)
    try:
        report = readout.status_report(config, SystemClock(), when)
    except StoreError as exc:
        _fail(str(exc), readout.UNKNOWN_EXIT)
    click.echo(report.evaluation.to_json() if as_json else report.text)
    sys.exit(report.exit_code)


def _instant(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not ISO 8601; write e.g. 2026-11-23T09:00:00+01:00", param_hint="--at")
    if value.tzinfo is None:
        raise click.BadParameter(f"{text!r} has no UTC offset; add one, e.g. {text}+01:00 or {text}Z", param_hint="--at")
    return value


@main.command()
@config_option
@click.option("--port", default=8501, show_default=True)
@click.option("--address", default="127.0.0.1", show_default=True, help="Interface to listen on.")
def serve(config_file: str | None, port: int, address: str) -> None:
    """Serve the dashboard and run the collectors on their intervals, in this one process."""
    config = _load(config_file)
    secrets = _sign_in_secrets(config.auth, address, config_path(config_file).resolve().parent)
    init_self_monitoring(config)
    clock = SystemClock()
    store = _open_store(config)
    record_release(store, config)
    context = AppContext(config, store, clock)
    hooks = [(config.store.snapshot_minutes * 60, lambda now: store.publish_snapshot())]
    hooks += [(60.0, _status_hook(context))] + [(30.0, hook) for hook in _tick_hooks(context)]
    if config.report.at or config.report.every_hours:
        hooks.append((30.0, lambda now: shift_tick(store, config, context.window(), now)))
    hooks += [(DELIVERY_SECONDS, _delivery_hook(context))]
    scheduler = Scheduler(store, build_collectors(config, clock), clock, hooks)
    scheduler.start()
    _serve(context, port, address, secrets)


@main.command()
@config_option
@click.option("--at", "at", help="The instant the report stands for, ISO 8601 with offset (default: now).")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The file to write.")
@click.option("--format", "fmt", type=click.Choice(["html", "md"]), help="Default: from the --out extension.")
def report(config_file: str | None, at: str | None, out: str, fmt: str | None) -> None:
    """Write the stakeholder report: self-contained HTML, or a Markdown summary for chat."""
    path = Path(out)
    fmt = fmt or report_output.format_of(path)
    if fmt is None:
        raise click.UsageError(f"can't tell the format from {path.name!r}; end --out with .html or .md, or pass --format")
    now = _instant(at) or SystemClock().now()
    config = _load(config_file)
    store = _open_for_reading(config)
    notes = [readout.AT_NOTE] if at else []
    if store.path != config.store.path:
        written = datetime.fromtimestamp(store.path.stat().st_mtime, timezone.utc)
        notes.append(f"Read from the snapshot published at {written.astimezone(config.release.tz):%a %d %b %H:%M} "
                     f"while `hypercare serve` holds the database; later data is not in it.")
        click.echo(notes[-1], err=True)
    window = AppContext(config, store, FixedClock(now)).window(as_of=now if at else None)  # as decided by then
    if window is None:
        _fail("the go-live instant is not known yet: set release.go_live_at in the config, or let the Sentry "
              "collector read it from the release's deploy first")
    html, markdown = report_output.documents(store.cursor(), config, window, now, notes)
    report_output.write_atomically(path, html if fmt == "html" else markdown)
    click.echo(f"Report as of {now.astimezone(config.release.tz):%a %d %b %Y %H:%M} ({config.release.timezone}) "
               f"written to {path} ({path.stat().st_size / 1024:,.0f} KiB).")


@main.command()
@config_option
@click.option("--at", "at", metavar="ISO-8601", help="The inbox as of this instant (default: now).")
@click.option("--json", "as_json", is_flag=True, help="Print the items as JSON, for a script or a chat bot.")
def triage(config_file: str | None, at: str | None, as_json: bool) -> None:
    """Print the triage inbox: what needs a person now, most urgent first, each with its score and
    its triage state; then what is set aside."""
    now = _instant(at) or SystemClock().now()
    config = _load(config_file)
    store = _open_for_reading(config)
    if store.path != config.store.path:
        click.echo(f"Read from the snapshot {store.path.name} while `hypercare serve` holds the database; "
                   "later data is not in it.", err=True)
    try:
        view = inbox_view(store.cursor(), config, now)
    except duckdb.Error as exc:
        _fail(str(store.explain(exc)))
    finally:
        store.close()
    click.echo(triage_text.view_json(view, now) if as_json else "\n".join(triage_text.view_lines(view, now, config.release.tz)))


@main.command()
@click.option("--port", default=8501, show_default=True)
@click.option("--address", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--data-dir", default="data", show_default=True, type=click.Path(file_okay=False),
              help="Where to write demo.duckdb.")
@click.option("--no-serve", is_flag=True, help="Only write the demo database.")
def demo(port: int, address: str, data_dir: str, no_serve: bool) -> None:
    """Write the built-in demo go-live and serve the dashboard on it (clock pinned at T+38 h)."""
    from hypercare.demo import DEMO_NOW, build_demo, demo_config

    config = demo_config(Path(data_dir))
    secrets = _sign_in_secrets(config.auth, address, Path.cwd()) if not no_serve else []
    try:
        store = build_demo(config.store.path, config, shift_reports=True)
    except StoreError as exc:
        _fail(str(exc))
    click.echo(f"Demo go-live written to {config.store.path}")
    store.publish_snapshot()
    if no_serve:
        return
    _serve(AppContext(config, store, FixedClock(DEMO_NOW), demo=True), port, address, secrets)


def _sign_in_secrets(auth: AuthConfig, address: str, config_dir: Path) -> list[Path]:
    """Refuse what sign-in forbids (exit 1 with the reason); return the secrets files Streamlit
    must read, so `[auth]` and `[passwords]` come from the file hypercare reads too."""
    if problem := address_problem(auth, address):
        _fail(problem)
    files = secrets_files(config_dir)
    try:
        problems = secrets_problems(auth, read_secrets(files), str(files[0] if files else config_dir / SECRETS_FILE))
    except ValueError as exc:
        _fail(str(exc))
    if problems:
        _fail("sign-in is not set up:\n  " + "\n  ".join(problems))
    return files or [config_dir / SECRETS_FILE]


def _serve(context: AppContext, port: int, address: str, secrets: list[Path]) -> None:
    from streamlit.web import bootstrap

    set_context(context)
    flags = {
        "server.port": port,
        "server.address": address,
        "server.headless": True,
        "browser.gatherUsageStats": False,
        "server.fileWatcherType": "none",
        # Later files win in Streamlit, the first in hypercare: reversed so both agree.
        "secrets.files": [str(p) for p in reversed(secrets)],
        "client.showErrorDetails": "none",  # no traceback to visitors, whatever config.toml says
        "client.disableDataExport": True,  # no unneutralised CSV of outside text (README, "CSV")
    }
    click.echo(f"Hypercare dashboard: http://{address}:{port}/  (Ctrl+C to stop)")
    bootstrap.load_config_options(flag_options=flags)
    bootstrap.run(str(APP_PATH), False, [], flags)


@main.command("hash-password")
def hash_password_command() -> None:
    """Ask for a password twice (no echo) and print its argon2id hash for [passwords] in
    .streamlit/secrets.toml. Without a terminal, reads the two lines from stdin."""
    if sys.stdin.isatty():
        first = click.prompt("Password", hide_input=True, err=True)
        second = click.prompt("Again", hide_input=True, err=True)
    else:
        lines = sys.stdin.read().splitlines()
        if len(lines) < 2:
            _fail("give the password twice, one per line, on stdin")
        first, second = lines[0], lines[1]
    if first != second:
        _fail("the two passwords differ; nothing printed")
    try:
        click.echo(hash_password(first))
    except ValueError as exc:
        _fail(f"{exc}; choose a password")


if __name__ == "__main__":
    main()
