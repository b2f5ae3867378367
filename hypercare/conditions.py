"""The health-check condition language: one parser for config validation and evaluation.

A condition is `SUBJECT OPERATOR VALUE` on one line:

    status == 200                  status in [200, 204]          status < 500
    latency_ms < 800               body contains "ok"            body not contains "error"
    json.status == "UP"            json.db.pool.active <= 40     json.items.0.id != null
    cert_expires_in_days > 14

Subjects: `status` (HTTP status code), `latency_ms` (until the body was read), `body` (the
text of the response, first MiB), `json.<dotted.path>` (a field of a JSON body; a number
segment indexes a list), `cert_expires_in_days` (the server certificate; https only).
Operators: `==`, `!=`, `<`, `<=`, `>`, `>=` (numbers), `in` / `not in` (a list),
`contains` / `not contains` (text). Values are JSON literals: 200, 1.5, "UP", true, null, [200, 204].
Each evaluation says what it saw: "status 503, expected == 200".
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

NUMERIC_SUBJECTS = ("status", "latency_ms", "cert_expires_in_days")
COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")
_PATTERN = re.compile(
    r"^\s*(?P<subject>[A-Za-z_][\w.\-]*)\s+"
    r"(?P<op>==|!=|<=|>=|<|>|not\s+in|in|not\s+contains|contains)\s+"
    r"(?P<value>.+?)\s*$"
)
_EXAMPLES = 'e.g. status == 200, latency_ms < 800, body contains "ok", json.status == "UP", cert_expires_in_days > 14'
_MISSING = object()


class ConditionError(ValueError):
    """A condition that cannot be parsed; the message says how to write it."""


@dataclass(frozen=True)
class Observation:
    """What one check saw; `body` and `cert_expires_in_days` are None when absent."""

    status: int
    latency_ms: float
    body: str
    cert_expires_in_days: float | None = None

    @cached_property
    def json(self) -> Any:
        """The body parsed as JSON, or _MISSING when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return _MISSING


@dataclass(frozen=True)
class Verdict:
    ok: bool
    explanation: str  # "status 503, expected == 200"


@dataclass(frozen=True)
class Condition:
    text: str
    subject: str  # "status" | "latency_ms" | "body" | "cert_expires_in_days" | "json"
    path: tuple[str, ...]  # the dotted path after "json."
    op: str
    value: Any

    @property
    def label(self) -> str:
        return ".".join(("json", *self.path)) if self.subject == "json" else self.subject

    def evaluate(self, seen: Observation) -> Verdict:
        actual = self._actual(seen)
        if actual is _MISSING:
            what = "body is not JSON" if seen.json is _MISSING else "missing"
            return Verdict(False, f"{self.label} {what}, expected {self.op} {_show(self.value)}")
        if actual is None and self.subject == "cert_expires_in_days":
            return Verdict(False, f"no certificate seen, expected {self.label} {self.op} {_show(self.value)}")
        ok = _apply(self.op, actual, self.value)
        if self.subject == "body":
            return Verdict(ok, f"body {'contains' if self.value in actual else 'does not contain'} {_show(self.value)}")
        return Verdict(ok, f"{self.label} {_show(actual)}, expected {self.op} {_show(self.value)}")

    def _actual(self, seen: Observation) -> Any:
        if self.subject == "json":
            node = seen.json
            for key in self.path:
                if isinstance(node, dict):
                    node = node.get(key, _MISSING)
                elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
                    node = node[int(key)]
                else:
                    return _MISSING
            return node
        if self.subject == "cert_expires_in_days" and seen.cert_expires_in_days is not None:
            return round(seen.cert_expires_in_days, 1)
        if self.subject == "latency_ms":
            return round(seen.latency_ms)
        return getattr(seen, self.subject)


@lru_cache(maxsize=4096)  # a Condition is immutable; each cycle re-prepares every check
def parse(text: str) -> Condition:
    """Parse one condition, or raise ConditionError saying what is wrong and how to write it."""
    match = _PATTERN.match(text)
    if not match:
        raise ConditionError(f"cannot read {text!r}; write SUBJECT OPERATOR VALUE, {_EXAMPLES}")
    subject, op = match["subject"], " ".join(match["op"].split())
    try:
        value = json.loads(match["value"])
    except ValueError:
        raise ConditionError(
            f"{text!r}: the value {match['value']} is not a literal; quote text (\"UP\"), "
            "write numbers as 200, lists as [200, 204]"
        ) from None
    path: tuple[str, ...] = ()
    if subject.startswith("json."):
        path = tuple(subject.split(".")[1:])
        if not all(path):
            raise ConditionError(f"{text!r}: empty segment in the JSON path; write json.status or json.db.ok")
        subject = "json"
    elif subject not in (*NUMERIC_SUBJECTS, "body"):
        raise ConditionError(
            f"{text!r}: unknown subject {subject!r}; use status, latency_ms, body, json.<path> or cert_expires_in_days"
        )
    _check_operands(text, subject, op, value)
    return Condition(text.strip(), subject, path, op, value)


def _check_operands(text: str, subject: str, op: str, value: Any) -> None:
    def number(v: Any) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool)

    if op in ("in", "not in"):
        if not isinstance(value, list) or not value:
            raise ConditionError(f"{text!r}: {op} needs a non-empty list, e.g. [200, 204]")
        if subject in NUMERIC_SUBJECTS and not all(number(v) for v in value):
            raise ConditionError(f"{text!r}: {subject} is a number; list numbers, e.g. [200, 204]")
        if subject == "body":
            raise ConditionError(f"{text!r}: body supports contains and not contains")
    elif op in ("contains", "not contains"):
        if subject in NUMERIC_SUBJECTS:
            raise ConditionError(f"{text!r}: {subject} is a number; compare it with ==, !=, <, <=, >, >= or in")
        if not isinstance(value, str):
            raise ConditionError(f'{text!r}: {op} needs quoted text, e.g. body contains "ok"')
    else:
        if subject == "body":
            raise ConditionError(f'{text!r}: body supports contains and not contains, e.g. body contains "ok"')
        if subject in NUMERIC_SUBJECTS and not number(value):
            raise ConditionError(f"{text!r}: {subject} is a number; compare it with a number, e.g. {subject} {op} 200")
        if op not in ("==", "!=") and not number(value):
            raise ConditionError(f"{text!r}: {op} compares numbers; use == or != for text, true, false and null")


def _apply(op: str, actual: Any, expected: Any) -> bool:
    if op == "==":
        return actual == expected
    if op == "!=":
        return actual != expected
    if op in ("in", "not in"):
        return (actual in expected) == (op == "in")
    if op in ("contains", "not contains"):
        return isinstance(actual, str) and (expected in actual) == (op == "contains")
    if not isinstance(actual, (int, float)) or isinstance(actual, bool):
        return False
    return {"<": actual < expected, "<=": actual <= expected, ">": actual > expected, ">=": actual >= expected}[op]


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, float) else f"{value:g}"
    return text if len(text) <= 60 else text[:57] + "..."

