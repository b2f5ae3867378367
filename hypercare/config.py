"""The configuration file: its models, loading, and errors a person can act on.

The TOML file is validated by pydantic; unknown keys are errors so a typo is never silently
ignored. Secrets never live in the file: only the names of environment variables that hold them.
Relative paths resolve against the config file's folder.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re
import tomllib
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from hypercare.auth.identity import Role
from hypercare.conditions import ConditionError
from hypercare.conditions import parse as parse_condition
from hypercare.readiness.checklist import Stage, parse_due, parse_evidence
from hypercare.readiness.reconcile import Tolerance, parse_tolerance
from hypercare.verdict.builtin import builtin_rules
from hypercare.verdict.language import Condition, Over, parse_over, rule_metric
from hypercare.verdict.metrics import CATALOGUE, Metric

DEFAULT_CONFIG_NAME = "hypercare.toml"
CONFIG_ENV = "HYPERCARE_CONFIG"


class ConfigError(Exception):
    """A config that can't be used; `problems` holds one line per problem (field path: message)."""

    def __init__(self, problems: list[str], path: Path | None = None):
        self.problems = problems
        self.path = path
        where = f"{path}: " if path else ""
        super().__init__(where + "; ".join(problems))


def _resolve_path(value: Path, info: ValidationInfo) -> Path:
    base = (info.context or {}).get("base_dir")
    if base is not None and not value.is_absolute():
        return (Path(base) / value).resolve()
    return value


RelPath = Annotated[Path, AfterValidator(_resolve_path)]
"""A path that resolves against the config file's folder when relative."""


def _check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}; use an IANA name such as 'Europe/Brussels' or 'UTC'")
    return name


TimeZoneName = Annotated[str, AfterValidator(_check_timezone)]


def _check_env_name(name: str) -> str:
    if not name or not name.replace("_", "").isalnum():
        # a value that looks like a URL or a secret is not repeated: the error is printed and logged
        shown = "this value" if any(c in name for c in ":/@") else repr(name)
        raise ValueError(
            f"{shown} is not an environment variable name; give the NAME of the variable that "
            "holds the secret (e.g. SENTRY_AUTH_TOKEN), never the secret itself"
        )
    return name


EnvName = Annotated[str, AfterValidator(_check_env_name)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# The documented range of every number (README, configuration reference): large enough for any
# real go-live, small enough that no date or timer built from it can overflow; never inf or NaN.
MAX_HOURS = 8_760  # a year: window, baseline, hours since go-live
MAX_SECONDS = 86_400  # a day: intervals, timeouts, overlaps
MAX_MINUTES = 1_440  # a day, in minutes: snapshot, full sync, overlap
MAX_SLA_MINUTES = 525_600  # a year, in minutes: SLA targets and escalation delays
MAX_COUNT = 1_000  # thresholds (consecutive results), pages, samples


def Number(default: Any = ..., *, gt: float | None = None, ge: float | None = None, le: float) -> Any:  # noqa: N802
    """A finite number with a documented range."""
    return Field(default, gt=gt, ge=ge, le=le, allow_inf_nan=False)


def _http_url(value: str) -> str:
    """An http(s) URL that really parses: a host of valid labels, a numeric port, no whitespace."""
    if any(c.isspace() or ord(c) < 32 for c in value):
        raise ValueError(f"{value!r} contains a space or a control character; a URL has none (write %20)")
    try:
        parts = urlsplit(value)
        parts.port  # raises for a port that isn't a number in 0-65535
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a URL ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"{value!r} must start with https:// or http://")
    host = parts.hostname or ""
    if not _valid_host(host):
        raise ValueError(f"{value!r} has no valid host name; write it as https://host.example.com/path")
    return value


def _valid_host(host: str) -> bool:
    if not host:
        return False
    if ":" in host:  # an IPv6 literal (urlsplit has checked its brackets)
        return bool(re.fullmatch(r"[0-9a-fA-F:.]+", host))
    try:
        ascii_host = host.encode("idna").decode("ascii")  # internationalised names become xn--
    except UnicodeError:
        return False
    labels = ascii_host.rstrip(".").split(".")
    return all(re.fullmatch(r"[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?", label) for label in labels)


class ReleaseConfig(Strict):
    name: str
    version: str | None = None
    environment: str = "production"
    go_live_at: AwareDatetime | None = None
    window_hours: float = Number(72, gt=0, le=MAX_HOURS)
    baseline_hours: float = Number(168, ge=0, le=MAX_HOURS)
    timezone: TimeZoneName = "UTC"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class StoreConfig(Strict):
    path: RelPath = Path("data/hypercare.duckdb")
    snapshot_minutes: float = Number(5, gt=0, le=MAX_MINUTES)

    @property
    def snapshot_path(self) -> Path:
        return self.path.with_name(self.path.stem + ".snapshot.duckdb")


class SentryConfig(Strict):
    base_url: str = "https://sentry.io"
    org: str = Field(min_length=1)
    projects: list[str] = Field(min_length=1)
    token_env: EnvName = "SENTRY_AUTH_TOKEN"
    interval_seconds: float = Number(300, gt=0, le=MAX_SECONDS)
    full_sync_minutes: float = Number(60, gt=0, le=MAX_MINUTES)
    overlap_minutes: float = Number(10, ge=0, le=MAX_MINUTES)
    page_size: int = Number(100, gt=0, le=100)
    max_pages: int = Number(500, gt=0, le=100_000)
    timeout_seconds: float = Number(30, gt=0, le=MAX_SECONDS)

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError("must start with https:// (e.g. https://sentry.io or https://de.sentry.io)")
        v = _http_url(v).rstrip("/")
        if v.endswith("/api/0"):
            raise ValueError("give the server's address without /api/0 (e.g. https://sentry.io)")
        return v

    @field_validator("projects")
    @classmethod
    def _slugs(cls, v: list[str]) -> list[str]:
        bad = [p for p in v if not p or p != p.strip() or "/" in p]
        if bad:
            raise ValueError(f"give project slugs as in the Sentry URL (e.g. 'booking-api'); not {bad}")
        if len(set(v)) != len(v):
            raise ValueError("each project once")
        return v


class HealthConfig(Strict):
    concurrency: int = Number(32, gt=0, le=512)  # checks in flight at once
    availability_target: float = Number(99.9, gt=0, le=100)  # percent


ENV_PREFIX = "env:"
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


class CheckConfig(Strict):
    name: str = Field(min_length=1)
    url: str
    method: str = "GET"
    headers: dict[str, str] = {}  # a value "env:NAME" is read from the environment at run time
    interval_seconds: float = Number(60, gt=0, le=MAX_SECONDS)
    timeout_seconds: float = Number(10, gt=0, le=MAX_SECONDS)
    conditions: list[str] = ["status == 200"]
    failure_threshold: int = Number(3, gt=0, le=MAX_COUNT)
    success_threshold: int = Number(2, gt=0, le=MAX_COUNT)
    ca_file: RelPath | None = None  # PEM bundle to trust instead of the system CAs (internal CA)

    @field_validator("url")
    @classmethod
    def _http_url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return _http_url(v)

    @field_validator("method")
    @classmethod
    def _method(cls, v: str) -> str:
        if v.upper() not in HTTP_METHODS:
            raise ValueError(f"unknown HTTP method {v!r}; use one of {', '.join(HTTP_METHODS)}")
        return v.upper()

    @field_validator("headers")
    @classmethod
    def _header_env(cls, v: dict[str, str]) -> dict[str, str]:
        for header, value in v.items():
            if value.startswith(ENV_PREFIX):
                _check_env_name(value.removeprefix(ENV_PREFIX))
        return v

    @field_validator("conditions")
    @classmethod
    def _conditions(cls, v: list[str], info: ValidationInfo) -> list[str]:
        problems = []
        for text in v:
            try:
                parse_condition(text)
            except ConditionError as exc:
                problems.append(str(exc))
        if problems:
            raise ValueError(f"check {info.data.get('name', '?')!r}: " + "; ".join(problems))
        return v

    @model_validator(mode="after")
    def _cert_needs_tls(self) -> CheckConfig:
        if not self.url.startswith("https://") and any("cert_expires_in_days" in c for c in self.conditions):
            raise ValueError(f"check {self.name!r}: cert_expires_in_days needs an https:// url")
        return self

    def header_env_names(self) -> list[str]:
        """Environment variables this check's headers read."""
        return [v.removeprefix(ENV_PREFIX) for v in self.headers.values() if v.startswith(ENV_PREFIX)]


class PlannedPeriodConfig(Strict):
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    checks: list[str] | None = None  # None: every check, and the rules too (scope "all")
    reason: str

    @model_validator(mode="after")
    def _ordered(self) -> PlannedPeriodConfig:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self

    @property
    def scope(self) -> str:
        return "all" if self.checks is None else "checks"

    @property
    def period_id(self) -> str:
        """Stable for an unchanged entry, so writing it on every run changes nothing."""
        key = "|".join([self.starts_at.isoformat(), self.ends_at.isoformat(), ",".join(self.checks or ["*"]), self.reason])
        return "config-" + hashlib.sha256(key.encode()).hexdigest()[:16]


TicketStatus = Literal["open", "pending", "solved", "closed"]
TicketPriority = Literal["P1", "P2", "P3", "P4"]
TicketCategory = Literal["technical", "usage"]
TicketField = Literal["ticket_id", "created_at", "updated_at", "status", "priority", "category", "labels", "title", "url"]


def _https_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError("must start with https:// (the address of the service's API)")
    return _http_url(value).rstrip("/")


HttpUrl = Annotated[str, AfterValidator(_https_url)]


class TicketSourceBase(Strict):
    """What every [[tickets]] entry shares. The mappings extend the built-in ones
    (collectors/tickets/normalise.py) and win where both name a value; matching ignores case."""

    name: str | None = None
    interval_seconds: float = Number(300, gt=0, le=MAX_SECONDS)
    overlap_seconds: float = Number(120, ge=0, le=MAX_SECONDS)  # re-read this much before the checkpoint; the upsert absorbs it
    timeout_seconds: float = Number(30, gt=0, le=MAX_SECONDS)  # for each whole answer of the ticket system
    categories: dict[TicketCategory, list[str]] = {}
    priorities: dict[TicketPriority, list[str]] = {}
    statuses: dict[TicketStatus, list[str]] = {}

    @property
    def source(self) -> str:
        return self.name or self.kind  # type: ignore[attr-defined]


class JiraSource(TicketSourceBase):
    kind: Literal["jira"]
    base_url: HttpUrl
    jql: str
    email_env: EnvName = "JIRA_EMAIL"
    token_env: EnvName = "JIRA_API_TOKEN"

    @field_validator("jql")
    @classmethod
    def _no_order_by(cls, v: str) -> str:
        if re.search(r"\border\s+by\b", v, re.IGNORECASE):
            raise ValueError("remove the ORDER BY clause: Hypercare adds its own (ORDER BY updated ASC)")
        if not v.strip():
            raise ValueError("give a JQL filter such as 'project = HELP'")
        return v


class ZendeskSource(TicketSourceBase):
    kind: Literal["zendesk"]
    base_url: HttpUrl | None = None
    subdomain: str | None = None
    email_env: EnvName = "ZENDESK_EMAIL"
    token_env: EnvName = "ZENDESK_API_TOKEN"

    @model_validator(mode="after")
    def _where(self) -> ZendeskSource:
        if not (self.base_url or self.subdomain):
            raise ValueError("set base_url (https://acme.zendesk.com) or subdomain (acme)")
        return self

    @property
    def url(self) -> str:
        return self.base_url or f"https://{self.subdomain}.zendesk.com"


class GitHubSource(TicketSourceBase):
    kind: Literal["github"]
    repo: str
    labels: list[str] = []
    token_env: EnvName = "GITHUB_TOKEN"
    base_url: HttpUrl = "https://api.github.com"

    @field_validator("repo")
    @classmethod
    def _owner_name(cls, v: str) -> str:
        if not re.fullmatch(r"[\w.-]+/[\w.-]+", v):
            raise ValueError(f"{v!r} is not owner/name, e.g. acme/booking")
        return v


class CsvSource(TicketSourceBase):
    kind: Literal["csv"]
    path: RelPath
    columns: dict[TicketField, str] = {}  # field -> header in the file; unnamed fields use their own name
    timezone: TimeZoneName | None = None  # for times without an offset; default: [release] timezone
    time_format: str | None = None  # strptime format when times are not ISO 8601, e.g. "%d/%m/%Y %H:%M"
    delimiter: str = Field(",", min_length=1, max_length=1)
    encoding: str = "utf-8"

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, v: str) -> str:
        try:
            codecs.lookup(v)
        except LookupError:
            raise ValueError(f"unknown encoding {v!r}; use e.g. utf-8, cp1252 or latin-1")
        return v


TicketSource = Annotated[JiraSource | ZendeskSource | GitHubSource | CsvSource, Field(discriminator="kind")]


Severity = Literal["SEV1", "SEV2", "SEV3", "SEV4"]


class SeverityTargets(Strict):
    """Minutes to acknowledge and to resolve; the hypercare_* ones apply inside the window only."""

    ack_minutes: float = Number(gt=0, le=MAX_SLA_MINUTES)
    resolve_minutes: float = Number(gt=0, le=MAX_SLA_MINUTES)
    hypercare_ack_minutes: float | None = Number(None, gt=0, le=MAX_SLA_MINUTES)
    hypercare_resolve_minutes: float | None = Number(None, gt=0, le=MAX_SLA_MINUTES)

    @model_validator(mode="after")
    def _hypercare_is_faster(self) -> SeverityTargets:
        for name in ("ack_minutes", "resolve_minutes"):
            fast, normal = getattr(self, "hypercare_" + name), getattr(self, name)
            if fast is not None and fast > normal:
                raise ValueError(
                    f"hypercare_{name} ({fast:g}) is longer than {name} ({normal:g}); escalation is "
                    f"accelerated during hypercare, so make it at most {normal:g} or leave it out"
                )
        if self.ack_minutes > self.resolve_minutes:
            raise ValueError("ack_minutes is longer than resolve_minutes; acknowledging comes first")
        return self


class EscalationLevel(Strict):
    """One rung of the ladder; an incident not acknowledged for escalate_after_minutes goes up."""

    name: str
    contacts: list[str] = []
    escalate_after_minutes: float = Number(gt=0, le=MAX_SLA_MINUTES)
    webhook_env: EnvName | None = None


class AutoOpenRule(Strict):
    source: Literal["sentry", "checks", "tickets", "reconcile"]
    when: str
    within_minutes: float = Number(30, gt=0, le=MAX_SLA_MINUTES)
    severity: Severity = "SEV3"

    @field_validator("when")
    @classmethod
    def _valid_condition(cls, when: str, info: ValidationInfo) -> str:
        if "source" in info.data:
            Condition.parse(when, info.data["source"])  # the same parser evaluates it at run time
        return when

    @property
    def condition(self) -> Condition:
        return Condition.parse(self.when, self.source)


class EscalationConfig(Strict):
    reminder_minutes: float = Number(15, gt=0, le=MAX_SLA_MINUTES)
    severities: dict[Severity, SeverityTargets] = {}
    levels: list[EscalationLevel] = []
    auto_open: list[AutoOpenRule] = []

    @model_validator(mode="after")
    def _complete(self) -> EscalationConfig:
        for i, rule in enumerate(self.auto_open):
            if rule.severity not in self.severities:
                raise ValueError(
                    f"auto_open[{i}] opens {rule.severity} incidents but [escalation.severities."
                    f"{rule.severity}] is missing; add its ack_minutes and resolve_minutes"
                )
        if self.auto_open and not self.levels:
            raise ValueError("auto_open rules need someone to page: add at least one [[escalation.levels]]")
        return self


class CriterionConfig(Strict):
    """What [[rules]] and [[exit]] share: `metric op threshold` measured `over` a period, in
    force from `from_hour` until `until_hour` (hours since go-live), on an optional scope."""

    name: str = Field(min_length=1)
    metric: str
    op: str
    threshold: Any
    over: str = "1h"
    from_hour: float | None = Number(None, ge=0, le=MAX_HOURS)
    until_hour: float | None = Number(None, gt=0, le=MAX_HOURS)
    checks: list[str] | None = None
    projects: list[str] | None = None
    severity: Severity | None = None
    min_samples: int | None = Number(None, ge=0, le=1_000_000)

    @model_validator(mode="after")
    def _parsed(self) -> CriterionConfig:
        rule_metric(self.metric, self.op, self.threshold, self.over,
                    {"checks": self.checks, "projects": self.projects, "severity": self.severity})
        if self.from_hour is not None and self.until_hour is not None and self.until_hour <= self.from_hour:
            raise ValueError(f"until_hour ({self.until_hour:g}) must be after from_hour ({self.from_hour:g})")
        return self

    @property
    def catalogue_entry(self) -> Metric:
        return CATALOGUE[self.metric]

    @property
    def period(self) -> Over:
        return parse_over(self.over, self.catalogue_entry)


class RuleConfig(CriterionConfig):
    """A rollback criterion: met at `critical` means RED, at `warning` AMBER."""

    level: Literal["warning", "critical"]


class ExitConfig(CriterionConfig):
    """An exit criterion: held when met at each of the last `hold_hours` complete clock hours."""

    hold_hours: int = Number(1, ge=1, le=24 * 14)


class StatusConfig(Strict):
    builtin_rules: bool = True  # the documented built-in rules apply when no [[rules]] are configured


def _check_dsn(dsn: str | None) -> str | None:
    if dsn is None:
        return None
    try:
        _http_url(dsn)
        parts = urlsplit(dsn)
    except ValueError:
        parts = urlsplit("")
    if parts.scheme not in ("http", "https") or not parts.username or not parts.path.strip("/"):
        raise ValueError(
            "not a Sentry DSN; copy it from Sentry's project settings (Client Keys), "
            "e.g. https://<public key>@o123.ingest.sentry.io/4567"
        )
    return dsn


class SelfMonitoringConfig(Strict):
    """Hypercare's own errors, reported with sentry-sdk. The DSN falls back to $SENTRY_DSN."""

    sentry_dsn: Annotated[str | None, AfterValidator(_check_dsn)] = None
    environment: str | None = None


class RoleMapping(Strict):
    """`[[auth.roles]]` (oidc mode): who gets `role`, matched on the signed-in person's claims."""

    role: Role
    emails: list[str] = []  # exact addresses, compared case-insensitively
    domains: list[str] = []  # the part after @, e.g. "example.com"
    claim_values: list[str] = []  # any of these in the claim named by [auth] roles_claim

    @model_validator(mode="after")
    def _matches_someone(self) -> RoleMapping:
        if not (self.emails or self.domains or self.claim_values):
            raise ValueError(f"a {self.role} mapping matches nobody; give emails, domains or claim_values")
        return self


class PasswordUser(Strict):
    """`[[auth.users]]` (password mode). The hash lives in .streamlit/secrets.toml [passwords]."""

    username: str = Field(min_length=1)
    name: str = Field(min_length=1)
    email: str | None = None
    role: Role


class AuthConfig(Strict):
    """`[auth]`: who may see and change what. No secret lives here (see the README, "Sign-in")."""

    mode: Literal["none", "oidc", "password"] = "none"
    roles_claim: str | None = None  # oidc: the ID-token claim claim_values match, e.g. "groups"
    provider: str | None = None  # oidc: the [auth.NAME] provider in secrets.toml, when there are several
    ask: str = "the person who runs this dashboard"  # whom someone without a role should ask
    roles: list[RoleMapping] = []
    users: list[PasswordUser] = []

    @model_validator(mode="after")
    def _complete(self) -> AuthConfig:
        if self.mode == "password" and not self.users:
            raise ValueError('mode "password" needs at least one [[auth.users]] (username, name, role)')
        if self.mode == "oidc" and not self.roles:
            raise ValueError('mode "oidc" needs [[auth.roles]] entries, or every signed-in person would have no role')
        if any(r.claim_values for r in self.roles) and not self.roles_claim:
            raise ValueError("claim_values need roles_claim: name the claim they are matched against, e.g. \"groups\"")
        names = [u.username for u in self.users]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"users: usernames must be unique; {', '.join(dupes)} repeated")
        return self


def _local_time(value: str) -> str:
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
        raise ValueError(f"{value!r} is not a local time; write it as HH:MM, e.g. \"08:00\"")
    return value


class ReportConfig(Strict):
    """Shift reports under `hypercare serve`: at local times of day or every N hours from go-live."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    at: list[Annotated[str, AfterValidator(_local_time)]] | None = None
    every_hours: float | None = Number(None, gt=0, le=MAX_HOURS)
    folder: RelPath = Path("data/reports")
    webhook_env: EnvName | None = None

    @model_validator(mode="after")
    def _one_schedule(self) -> ReportConfig:
        if self.at is not None and self.every_hours is not None:
            raise ValueError("give either at (local times) or every_hours, not both")
        if self.at is not None and (not self.at or len(set(self.at)) != len(self.at)):
            raise ValueError("at: list each local time once, e.g. [\"08:00\", \"16:00\"]")
        return self


class ReconcileConfig(Strict):
    """`[[reconcile]]`: one number read from each side of a data migration, compared. The URLs
    live in the environment (or .streamlit/secrets.toml) under the names given here, never in
    the file."""

    name: str = Field(min_length=1)
    source_env: EnvName  # holds the source database's SQLAlchemy URL
    target_env: EnvName
    source_sql: str  # returns one row of one number: a count, a sum, a checksum
    target_sql: str
    tolerance: float | str = 0.0  # units, or a percent of the source value: "0.5%"
    interval_seconds: float = Number(300, gt=0, le=MAX_SECONDS)
    timeout_seconds: float = Number(30, gt=0, le=MAX_SECONDS)  # each side's connect and statement

    @field_validator("source_sql", "target_sql")
    @classmethod
    def _one_statement(cls, v: str) -> str:
        body = v.strip().rstrip(";").strip()
        if not body:
            raise ValueError("give a query that returns one number, e.g. SELECT count(*) FROM bookings")
        if ";" in body:
            raise ValueError("give one statement (no ';' between statements); it must return one number")
        return body

    @field_validator("tolerance")
    @classmethod
    def _tolerance(cls, v: float | str) -> float | str:
        parse_tolerance(v)
        return v

    @property
    def limit(self) -> Tolerance:
        return parse_tolerance(self.tolerance)


class TriageConfig(Strict):
    """The inbox's thresholds (README, Triage inbox)."""

    spike_factor: float = Number(3, gt=1, le=MAX_COUNT)  # last hour against the issue's own hourly mean
    spike_min_events: int = Number(10, ge=1, le=1_000_000)  # fewer events in the hour is never a spike
    flapping_transitions: int = Number(3, ge=2, le=MAX_COUNT)  # up/down flips in the last hour
    cluster_hours: int = Number(3, ge=1, le=MAX_HOURS)  # tickets of the last N complete hours
    cluster_min_tickets: int = Number(3, ge=2, le=MAX_COUNT)
    cluster_factor: float = Number(2, gt=1, le=MAX_COUNT)  # against the baseline's tickets per N hours


def _evidence(text: str | None) -> str | None:
    if text is None:
        return None
    kind, name = parse_evidence(text)
    return f"{kind}:{name}"


class ChecklistItemConfig(Strict):
    """`[[checklist]]`: one go-live readiness item (hypercare/readiness/checklist.py). `due` is an
    aware instant or a signed offset from go-live; `evidence` ("check:NAME", "reconcile:NAME",
    "rule:NAME") makes the item tick itself while the signal holds, else a person ticks it."""

    title: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    due: Annotated[datetime | timedelta, BeforeValidator(parse_due)]
    stage: Stage
    evidence: Annotated[str | None, AfterValidator(_evidence)] = None


class Config(Strict):
    release: ReleaseConfig
    store: StoreConfig = StoreConfig()
    sentry: SentryConfig | None = None
    health: HealthConfig = HealthConfig()
    checks: list[CheckConfig] = []
    planned_periods: list[PlannedPeriodConfig] = []
    tickets: list[TicketSource] = []
    escalation: EscalationConfig = EscalationConfig()
    self_monitoring: SelfMonitoringConfig = SelfMonitoringConfig()
    rules: list[RuleConfig] = []
    exit: list[ExitConfig] = []
    status: StatusConfig = StatusConfig()
    auth: AuthConfig = AuthConfig()
    # validated like a value, so its default folder resolves against the config file's folder
    report: ReportConfig = Field(default_factory=dict, validate_default=True)
    reconcile: list[ReconcileConfig] = []
    triage: TriageConfig = TriageConfig()
    checklist: list[ChecklistItemConfig] = []

    def sources(self) -> list[tuple[str, float]]:
        """(collector name, interval in seconds) of each configured source, as collector_runs
        names them: 'sentry', 'checks' (one collector for all checks), 'tickets:<name>'."""
        found: list[tuple[str, float]] = []
        if self.sentry:
            found.append(("sentry", self.sentry.interval_seconds))
        if self.checks:
            found.append(("checks", min(c.interval_seconds for c in self.checks)))
        found += [(f"tickets:{t.source}", t.interval_seconds) for t in self.tickets]
        if self.reconcile:
            found.append(("reconcile", min(r.interval_seconds for r in self.reconcile)))
        return found

    def secret_envs(self) -> list[str]:
        """The environment variables the config names as holding a secret (tokens, webhook and
        database URLs), sorted."""
        names = [self.sentry.token_env] if self.sentry else []
        for source in self.tickets:
            names += [getattr(source, key) for key in ("token_env", "email_env") if getattr(source, key, None)]
        names += [level.webhook_env for level in self.escalation.levels if level.webhook_env]
        names += [env for r in self.reconcile for env in (r.source_env, r.target_env)]
        return sorted(set(names))

    @model_validator(mode="after")
    def _cross_checks(self) -> Config:
        if self.release.go_live_at is None and (self.sentry is None or not self.release.version):
            raise ValueError(
                "release.go_live_at is missing: set it (ISO 8601 with an offset, e.g. "
                "2026-11-22T22:00:00+01:00), or set release.version and [sentry] so it is read "
                "from the release's deploy"
            )
        names = [c.name for c in self.checks]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"checks: names must be unique; {', '.join(dupes)} used more than once")
        unknown = sorted({n for p in self.planned_periods for n in p.checks or [] if n not in names})
        if unknown:
            raise ValueError(f"planned_periods: no check named {', '.join(unknown)}; use names from [[checks]]")
        sources = [t.source for t in self.tickets]
        dupes = sorted({n for n in sources if sources.count(n) > 1})
        if dupes:
            raise ValueError(f"tickets: give each source a distinct name; {', '.join(dupes)} repeated")
        checks = [r.name for r in self.reconcile]
        dupes = sorted({n for n in checks if checks.count(n) > 1})
        if dupes:
            raise ValueError(f"reconcile: names must be unique; {', '.join(dupes)} used more than once")
        self._check_criteria(names)
        self._check_checklist(names)
        return self

    def _check_checklist(self, check_names: list[str]) -> None:
        """Distinct titles (a tick is recorded against its item's title) and evidence naming a
        check, rule or reconciliation that exists."""
        titles = [i.title for i in self.checklist]
        dupes = sorted({t for t in titles if titles.count(t) > 1})
        if dupes:
            raise ValueError(f"checklist: give each item a distinct title; {', '.join(map(repr, dupes))} repeated")
        rules = [r.name for r in self.rules] if self.rules else (
            [r.name for r in builtin_rules(self)] if self.status.builtin_rules else [])
        known = {"check": (check_names, "[[checks]]"), "rule": (rules, "[[rules]] (or the built-in rules)"),
                 "reconcile": ([r.name for r in self.reconcile], "[[reconcile]]")}
        for item in self.checklist:
            if item.evidence is None:
                continue
            kind, name = parse_evidence(item.evidence)
            names, where = known[kind]
            if name not in names:
                choices = f" ({', '.join(names)})" if names else " (none is configured)"
                raise ValueError(f"checklist {item.title!r}: evidence {item.evidence!r} names no {kind} {name!r}; "
                                 f"use a name from {where}{choices}, or leave evidence out to tick it by hand")

    def _check_criteria(self, check_names: list[str]) -> None:
        """Rules and exit criteria: unique names, scopes that exist, sources that are configured."""
        criteria = [("rule", c) for c in self.rules] + [("exit criterion", c) for c in self.exit]
        seen = [c.name for _, c in criteria]
        dupes = sorted({n for n in seen if seen.count(n) > 1})
        if dupes:
            raise ValueError(f"rules and exit: give each a distinct name; {', '.join(dupes)} repeated")
        configured = {"sentry": self.sentry is not None, "checks": bool(self.checks), "tickets": bool(self.tickets),
                      "incidents": True, "reconcile": bool(self.reconcile)}
        add = {"sentry": "a [sentry] section", "checks": "[[checks]]", "tickets": "a [[tickets]] source",
               "reconcile": "[[reconcile]] checks"}
        projects = self.sentry.projects if self.sentry else []
        for what, c in criteria:
            source = c.catalogue_entry.source
            if not configured[source]:
                raise ValueError(f"{what} {c.name!r}: {c.metric} reads {source}, which is not configured; "
                                 f"add {add[source]} or remove the {what}")
            unknown = [n for n in c.checks or [] if n not in check_names]
            if unknown:
                raise ValueError(f"{what} {c.name!r}: no check named {', '.join(unknown)}; use names from [[checks]]")
            unknown = [p for p in c.projects or [] if p not in projects]
            if unknown:
                raise ValueError(f"{what} {c.name!r}: {', '.join(unknown)} is not in [sentry] projects")


def config_path(explicit: str | os.PathLike | None = None) -> Path:
    """The config file to use: --config, else $HYPERCARE_CONFIG, else ./hypercare.toml."""
    if explicit:
        return Path(explicit)
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV])
    return Path(DEFAULT_CONFIG_NAME)


def load_config(path: str | os.PathLike | None = None) -> Config:
    """Read and validate the config file; raises ConfigError listing every problem."""
    path = config_path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            [f"no config file at {path}; copy hypercare.example.toml to {path} and edit it, "
             f"or pass --config FILE (or set {CONFIG_ENV})"], path)
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError([f"not valid TOML: {exc}"], path)
    return parse_config(data, base_dir=path.resolve().parent, path=path)


def parse_config(data: dict[str, Any], base_dir: Path, path: Path | None = None) -> Config:
    try:
        return Config.model_validate(data, context={"base_dir": base_dir})
    except ValidationError as exc:
        raise ConfigError([_describe(err, data) for err in exc.errors()], path)


def _describe(err: dict[str, Any], data: dict[str, Any]) -> str:
    loc = _field_path(err["loc"], data)
    where = err["loc"]
    if len(where) >= 2 and where[0] in ("rules", "exit", "checklist") and isinstance(where[1], int):
        entries = data.get(where[0])
        entry = entries[where[1]] if isinstance(entries, list) and where[1] < len(entries) else None
        label = (entry.get("name") or entry.get("title")) if isinstance(entry, dict) else None
        if label:
            loc = loc.replace(f"{where[0]}[{where[1]}]", f"{where[0]}[{where[1]}] ({label!r})", 1)
    kind = err["type"]
    if kind == "extra_forbidden":
        return f"{loc}: unknown key; remove it or fix its spelling (see hypercare.example.toml)"
    if kind == "missing":
        return f"{loc}: required; add it"
    if kind == "union_tag_invalid" or kind == "union_tag_not_found":
        return f"{loc}: kind must be one of jira, zendesk, github, csv"
    if kind in ("timezone_aware", "datetime_from_date_parsing", "datetime_parsing", "datetime_type"):
        return f"{loc}: give a date and time with its UTC offset, e.g. 2026-11-22T22:00:00+01:00"
    if kind in ("less_than_equal", "less_than", "greater_than", "greater_than_equal"):
        bound = next(iter((err.get("ctx") or {}).values()), None)
        word = {"less_than_equal": "at most", "less_than": "below", "greater_than": "above",
                "greater_than_equal": "at least"}[kind]
        return f"{loc}: {_number(err['input'])} is out of range; it must be {word} {_number(bound)}"
    if kind == "finite_number":
        return f"{loc}: {err['input']} is not a finite number; give a number within its range (see the README)"
    if kind == "int_parsing_size":
        return f"{loc}: {_number(err['input'])} is far out of range; give a whole number within its range (see the README)"
    msg = err["msg"].removeprefix("Value error, ")
    return f"{loc}: {msg}" if loc else msg


def _number(value: Any) -> str:
    """A number as a person writes it: 8,760 or 1e+300, never 8760.0."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return repr(value)
    if abs(value) >= 1e15 or value != value:
        return f"{value:g}" if isinstance(value, float) else str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}"


def _field_path(loc: tuple, data: Any) -> str:
    """Turn pydantic's location into a TOML-ish path: tickets[0].repo (dropping union tags)."""
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
            node = node[item] if isinstance(node, list) and item < len(node) else None
            continue
        if isinstance(node, dict) and item not in node and item == node.get("kind"):
            continue  # the union's tag (e.g. 'github'), not a key of the file
        parts.append(("." if parts else "") + str(item))
        node = node.get(item) if isinstance(node, dict) else None
    return "".join(parts)

