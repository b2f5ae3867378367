"""The status as `hypercare status` prints it: read the store (or its snapshot), evaluate, explain.

Exit codes follow the Nagios/Icinga plugin convention so the command can gate a pipeline or
feed an existing monitor: 0 GREEN, 1 AMBER, 2 RED, 3 UNKNOWN (3 also when the config or the
store can't be used; the CLI says why).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from hypercare.clock import Clock
from hypercare.config import Config
from hypercare.runtime import AppContext
from hypercare.store import Store, StoreError
from hypercare.verdict.evaluate import evaluate
from hypercare.verdict.model import Evaluation
from hypercare.verdict.status import as_of, exit_words, reasons, sentence

EXIT_CODES = {"green": 0, "amber": 1, "red": 2, "unknown": 3}
UNKNOWN_EXIT = 3
MARKS = {"met": "✗", "insufficient data": "?"}
AT_NOTE = ("Figures are as the store knew them then, except Sentry's per-issue user and event counts, "
           "which are today's: Sentry keeps no history of them.")


@dataclass(frozen=True)
class Readout:
    evaluation: Evaluation
    text: str

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.evaluation.status]


def status_report(config: Config, clock: Clock, at: datetime | None = None) -> Readout:
    """Evaluate at `at` (default: now) on the database, or on its snapshot while `hypercare
    serve` holds it. Raises StoreError with a sentence when there is nothing to read."""
    path = config.store.path
    if not path.exists():
        raise StoreError(f"no database at {path} yet; run `hypercare collect --once` or `hypercare serve` first")
    store = Store.open_for_reading(path)
    try:
        now = clock.now() if at is None else at
        window = AppContext(config, store, clock).window(as_of=now)  # the window as decided by then
        evaluation = evaluate(store.cursor(), config, window, now)
    finally:
        store.close()
    tz = window.tz if window else config.release.tz
    lines = [f"{evaluation.status.upper()} — {evaluation.headline}",
             f"  as of {as_of(now, tz)}" + (f" · {window.label(now)}" if window else "")]
    if store.path != path:
        age = (time.time() - store.path.stat().st_mtime) / 60
        lines.append(f"  read from the snapshot {store.path.name}, written {age:.0f} min ago "
                     "(`hypercare serve` holds the database)")
    if evaluation.builtin:
        lines.append("  rules: the built-in set (no [[rules]] in the config)")
    for result in reasons(evaluation):
        lines.append(f"  {MARKS[result.result]} {result.level:<8} {sentence(result, tz)}")
    if evaluation.exit:
        held = sum(p.ready for p in evaluation.exit)
        lines.append(f"Exit criteria: {held} of {len(evaluation.exit)} held" +
                     (" — ready to exit hypercare" if evaluation.ready_to_exit else ""))
        lines += [f"  {exit_words(p)}" for p in evaluation.exit]
    lines += [f"  note: {n}" for n in evaluation.notes]
    if at is not None:
        lines.append(f"Note: {AT_NOTE}")
    return Readout(evaluation, "\n".join(lines))
