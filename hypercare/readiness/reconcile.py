"""Data-migration reconciliation, the pure part: what a tolerance means, and whether two sides'
numbers agree.

A check compares one number read from the source database with one read from the target (a
count, a sum, a checksum). The difference is target − source, so a negative difference means
the target holds less. The match is decided on the exact values the databases returned (ints and
Decimals, never rounded through a float): a checksum above 2^53 still compares exactly.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

_PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")
TOLERANCE_HELP = 'give a number of units (e.g. tolerance = 5) or a percent of the source value (e.g. tolerance = "0.5%")'


@dataclass(frozen=True)
class Tolerance:
    """How far apart the sides may be and still match: `amount` units, or `amount` percent of the
    source value when `percent` (both inclusive; 0: they must be equal)."""

    amount: Decimal = Decimal(0)
    percent: bool = False

    def allows(self, source: Decimal, difference: Decimal) -> bool:
        limit = abs(source) * self.amount / 100 if self.percent else self.amount
        return abs(difference) <= limit

    def __str__(self) -> str:
        return f"{self.amount:f}%" if self.percent else f"{self.amount:f}"


def parse_tolerance(value: object) -> Tolerance:
    """A number (units) or a percent string like "0.5%"; raises ValueError saying what to write."""
    if isinstance(value, bool):
        raise ValueError(f"tolerance {value!r} is not a number; {TOLERANCE_HELP}")
    if isinstance(value, int | float):
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"tolerance {value!r} must be a finite number of at least 0; {TOLERANCE_HELP}")
        return Tolerance(Decimal(str(value)))
    if isinstance(value, str) and (match := _PERCENT.match(value)):
        return Tolerance(Decimal(match.group(1)), percent=True)
    raise ValueError(f"tolerance {value!r} is neither a number nor a percent; {TOLERANCE_HELP}")


def exact_number(value: object) -> Decimal:
    """A database's answer as an exact number; raises ValueError saying what came back instead."""
    if value is None:
        raise ValueError("the query returned NULL; make it return a number (e.g. coalesce(sum(amount), 0))")
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError(f"the query returned a {type(value).__name__}, not a number; make it return one number "
                         "(a count, a sum or a numeric checksum)")
    try:
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:  # pragma: no cover - Decimal accepts every int, float and Decimal
        raise ValueError(f"the query returned {value!r}, not a number") from None
    if not number.is_finite():
        raise ValueError(f"the query returned {value!r}; make it return a finite number")
    return number


@dataclass(frozen=True)
class Reconciliation:
    """One row of `reconciliations`. Values are None for a side that failed; `matched` is None
    when either did (then `error` names the side and the reason, never the database's URL)."""

    name: str
    checked_at: datetime
    source_value: float | None
    target_value: float | None
    difference: float | None
    matched: bool | None
    error: str | None


def reconcile(name: str, at: datetime, source: Decimal | str, target: Decimal | str,
              tolerance: Tolerance) -> Reconciliation:
    """Compare the two sides' answers: a Decimal is a number read, a str the reason a side failed
    ("source side: ..."). Both reasons are kept when both sides failed."""
    errors = [side for side in (source, target) if isinstance(side, str)]
    src = source if isinstance(source, Decimal) else None
    tgt = target if isinstance(target, Decimal) else None
    if errors:
        return Reconciliation(name, at, _float(src), _float(tgt), None, None, "; ".join(errors))
    difference = tgt - src
    return Reconciliation(name, at, float(src), float(tgt), float(difference), tolerance.allows(src, difference), None)


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)
