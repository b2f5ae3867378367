"""The verdict: rollback and exit criteria evaluated against every source, a status with its reasons.

`evaluate(cur, config, window, now)` is the one entry point (pages, the CLI, the scheduler and
decisions' frozen evidence all call it); the catalogue of metrics and the parser of the config's
small languages live below `hypercare/config.py` in `metrics.py` and `language.py`.
"""

from hypercare.verdict.evaluate import evaluate
from hypercare.verdict.model import Evaluation, RuleResult

__all__ = ["Evaluation", "RuleResult", "evaluate"]
