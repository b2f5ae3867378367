"""Ticket items: every P1 ticket not solved or closed, and ticket clusters.

The cluster rule. Tickets created in the last `[triage] cluster_hours` complete clock hours are
grouped three ways, each group a candidate cluster:
- `label`: by each of their labels, lower-cased and trimmed;
- `category`: by their normalised category (technical, usage, other);
- `subject`: by their normalised subject: the title lower-cased, split on anything that is not a
  letter or digit, without words under 3 characters, numbers and the STOPWORDS, each word once,
  sorted ("Payment FAILED for order 1234!" and "order payment failed" are both
  "failed order payment").
A group is a cluster when it holds at least `cluster_min_tickets` tickets and, where the release's
baseline holds tickets, at least `cluster_factor` times the baseline's rate: that group's tickets in
[go-live − baseline_hours, go-live) per `cluster_hours` hours. Without a baseline (no go-live, or
no ticket collected in it) the minimum alone decides, and the item says "no baseline".
"""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb

from hypercare.config import TriageConfig
from hypercare.store.read import arrow, scalar
from hypercare.triage.model import Item
from hypercare.triage.score import Signals, score, suggested_severity
from hypercare.window import Period, Window

HOUR = timedelta(hours=1)
LEVELS = {"P1": 1, "P2": 2, "P3": 3}  # P4 and no priority: 4
RULE_WORDS = {"label": "label", "category": "category", "subject": "subject words"}
STOPWORDS = (
    "the", "and", "for", "with", "not", "can", "cannot", "does", "doesn", "don", "didn", "isn", "won",
    "from", "this", "that", "when", "after", "before", "have", "has", "are", "was", "were", "will",
    "our", "your", "you", "its", "into", "out", "all", "any", "but", "get", "got", "please", "help",
    "still", "just", "again", "some", "there", "what", "why", "how", "who", "been", "being",
)
SUBJECT_SQL = (
    "array_to_string(list_sort(list_distinct(list_filter("
    "string_split_regex(lower(coalesce(title, '')), '[^\\pL\\pN]+'), "
    "lambda w: length(w) >= 3 AND NOT regexp_full_match(w, '[0-9]+') AND NOT list_contains(?::VARCHAR[], w)))), ' ')"
)


def p1_rows(cur: duckdb.DuckDBPyConnection) -> list[dict]:
    """P1 tickets whose status is not solved or closed (no status: treated as open)."""
    return arrow(
        cur,
        """SELECT source, ticket_id, title, url, status, created_at, coalesce(updated_at, created_at) AS updated_at
           FROM tickets WHERE priority = 'P1' AND coalesce(status, 'open') NOT IN ('solved', 'closed')
           ORDER BY source, ticket_id""",
    ).to_pylist()


def cluster_periods(window: Window | None, now: datetime, hours: int) -> tuple[Period, Period | None]:
    """The cluster period (the last `hours` complete clock hours) and the baseline it is compared
    with: the release's baseline, up to the cluster period at the latest (None: no go-live)."""
    end = now.replace(minute=0, second=0, microsecond=0)
    recent = Period(end - hours * HOUR, end)
    if window is None:
        return recent, None
    base = Period(window.baseline_start, min(window.go_live_at, recent.start))
    return recent, base if base.end > base.start else None


def cluster_rows(cur: duckdb.DuckDBPyConnection, recent: Period, base: Period | None, triage: TriageConfig) -> list[dict]:
    """Per cluster: rule, value, tickets (in `recent`) and their ticket_keys, last_hour and
    hour_before (its last two hours), level (most urgent priority), first and last created, and
    baseline (tickets per `recent`'s length in `base`; None: no baseline)."""
    base_known = base is not None and scalar(
        cur, "SELECT count(*) > 0 FROM tickets WHERE created_at >= ? AND created_at < ?", [base.start, base.end])
    lo = base.start if base_known else recent.start
    scale = recent.hours / base.hours if base_known else None
    return arrow(
        cur,
        f"""
        WITH a AS (SELECT ?::TIMESTAMPTZ AS lo, ?::TIMESTAMPTZ AS rs, ?::TIMESTAMPTZ AS re,
                          ?::TIMESTAMPTZ AS bs, ?::TIMESTAMPTZ AS be, ?::DOUBLE AS scale),
        t AS (SELECT 'tickets:' || source || ':' || ticket_id AS ticket_key, created_at, labels, category, title,
                     CASE priority WHEN 'P1' THEN 1 WHEN 'P2' THEN 2 WHEN 'P3' THEN 3 ELSE 4 END AS level
              FROM tickets, a WHERE created_at >= a.lo AND created_at < a.re),
        v AS (
            SELECT 'label' AS rule, lower(trim(unnest(list_distinct(labels)))) AS value, ticket_key, created_at, level FROM t
            UNION ALL SELECT 'category', category, ticket_key, created_at, level FROM t
            UNION ALL SELECT 'subject', {SUBJECT_SQL}, ticket_key, created_at, level FROM t
        ),
        g AS (
            SELECT rule, value,
                   count(*) FILTER (WHERE created_at >= a.rs) AS tickets,
                   count(*) FILTER (WHERE created_at >= a.re - INTERVAL 1 HOUR) AS last_hour,
                   count(*) FILTER (WHERE created_at >= a.re - INTERVAL 2 HOUR
                                      AND created_at < a.re - INTERVAL 1 HOUR) AS hour_before,
                   min(level) FILTER (WHERE created_at >= a.rs) AS level,
                   min(created_at) FILTER (WHERE created_at >= a.rs) AS first_created,
                   max(created_at) FILTER (WHERE created_at >= a.rs) AS last_created,
                   list_sort(list(DISTINCT ticket_key) FILTER (WHERE created_at >= a.rs)) AS ticket_keys,
                   count(*) FILTER (WHERE created_at >= a.bs AND created_at < a.be) * any_value(a.scale) AS baseline
            FROM v, a WHERE value IS NOT NULL AND value <> '' GROUP BY rule, value
        )
        SELECT * FROM g
        WHERE tickets >= ? AND (baseline IS NULL OR tickets >= ? * baseline)
        ORDER BY rule, value
        """,
        [lo, recent.start, recent.end, base.start if base_known else None, base.end if base_known else None,
         scale, list(STOPWORDS), triage.cluster_min_tickets, triage.cluster_factor],
    ).to_pylist()


def ticket_items(cur: duckdb.DuckDBPyConnection, window: Window | None, now: datetime,
                 triage: TriageConfig) -> list[Item]:
    go_live_at = window.go_live_at if window else None
    recent, base = cluster_periods(window, now, triage.cluster_hours)
    found = [_p1(r, go_live_at, now) for r in p1_rows(cur)]
    return found + [_cluster(r, triage.cluster_hours, go_live_at, now) for r in cluster_rows(cur, recent, base, triage)]


def _new(first_seen: datetime, go_live_at: datetime | None) -> bool:
    return go_live_at is not None and first_seen >= go_live_at


def _p1(r: dict, go_live_at: datetime | None, now: datetime) -> Item:
    signals = Signals(users=None, users_note="tickets don't count users", last_hour=None, hour_before=None,
                      unit="tickets", level=1, level_label="P1", new=_new(r["created_at"], go_live_at),
                      first_seen=r["created_at"])
    s = score(signals, now)
    return Item(
        key=f"tickets:{r['source']}:{r['ticket_id']}", source="tickets", kind="P1 ticket",
        title=r["title"] or r["ticket_id"], ref=r["ticket_id"], first_seen=r["created_at"],
        last_seen=r["updated_at"], figures={"hours open": round((now - r["created_at"]).total_seconds() / 3600, 1)},
        link=r["url"], score=s, suggested_severity=suggested_severity(s),
    )


def _cluster(r: dict, hours: int, go_live_at: datetime | None, now: datetime) -> Item:
    level = r["level"]
    signals = Signals(users=None, users_note="tickets don't count users", last_hour=r["last_hour"],
                      hour_before=r["hour_before"], unit="tickets", level=level,
                      level_label=f"most urgent ticket P{level}" if level < 4 else "P4 or no priority",
                      new=_new(r["first_created"], go_live_at), first_seen=r["first_created"])
    s = score(signals, now)
    baseline = None if r["baseline"] is None else round(r["baseline"], 2)
    return Item(
        key=f"cluster:{r['rule']}:{r['value']}", source="tickets", kind="ticket cluster",
        title=f"{RULE_WORDS[r['rule']]}: {r['value']}", ref=f"{r['rule']}:{r['value']}",
        first_seen=r["first_created"], last_seen=r["last_created"],
        figures={f"tickets in {hours} h": r["tickets"], f"baseline per {hours} h": baseline,
                 "tickets last hour": r["last_hour"], "tickets hour before": r["hour_before"],
                 "ticket_keys": tuple(r["ticket_keys"])},  # the tickets it stands for (set aside leaves them out of counts)
        link=None, score=s, suggested_severity=suggested_severity(s),
    )
