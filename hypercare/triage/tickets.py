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
from hypercare.store.read import arrow, records
from hypercare.triage.model import Item
from hypercare.triage.score import Signals, score, suggested_severity
from hypercare.window import Period, Window

HOUR = timedelta(hours=1)
RULE_WORDS = {"label": "label", "category": "category", "subject": "subject words"}
STOPWORDS = (
    "the", "and", "for", "with", "not", "can", "cannot", "does", "doesn", "don", "didn", "isn", "won",
    "from", "this", "that", "when", "after", "before", "have", "has", "are", "was", "were", "will",
    "our", "your", "you", "its", "into", "out", "all", "any", "but", "get", "got", "please", "help",
    "still", "just", "again", "some", "there", "what", "why", "how", "who", "been", "being",
)

# A ticket's normalised subject, from its `title`; the `?` is STOPWORDS, a constant inside the
# lambda (a column there would make DuckDB evaluate it as a row-by-row join).
SUBJECT_SQL = (
    "array_to_string(list_sort(list_distinct(list_filter("
    "string_split_regex(lower(coalesce(title, '')), '[^\\pL\\pN]+'), "
    "lambda w: length(w) >= 3 AND NOT regexp_full_match(w, '[0-9]+') AND NOT list_contains(?::VARCHAR[], w)))), ' ')"
)
# Each ticket of `t` once per group it falls in: (rule, value, its columns). `t` holds the subject
# as a column (SUBJECT_SQL AS subject, materialised): as an expression here, the filters on `value`
# would be pushed into this union and normalise every subject three times.
VALUES_SQL = """
    SELECT 'label' AS rule, lower(trim(unnest(list_distinct(labels)))) AS value, * FROM t
    UNION ALL SELECT 'category', category, * FROM t
    UNION ALL SELECT 'subject', subject, * FROM t
"""

_baselines: dict[tuple, dict[tuple[str, str], int]] = {}  # the last few baselines, by their content


def p1_rows(cur: duckdb.DuckDBPyConnection) -> list[dict]:
    """P1 tickets whose status is not solved or closed (no status: treated as open)."""
    return records(arrow(
        cur,
        """SELECT source, ticket_id, title, url, status, created_at, coalesce(updated_at, created_at) AS updated_at
           FROM tickets WHERE priority = 'P1' AND coalesce(status, 'open') NOT IN ('solved', 'closed')
           ORDER BY source, ticket_id""",
    ))


def cluster_periods(window: Window | None, now: datetime, hours: int) -> tuple[Period, Period | None]:
    """The cluster period (the last `hours` complete clock hours) and the baseline it is compared
    with: the release's baseline, up to the cluster period at the latest (None: no go-live)."""
    end = now.replace(minute=0, second=0, microsecond=0)
    recent = Period(end - hours * HOUR, end)
    if window is None:
        return recent, None
    base = Period(window.baseline_start, min(window.go_live_at, recent.start))
    return recent, base if base.end > base.start else None


def recent_groups(cur: duckdb.DuckDBPyConnection, recent: Period, least: int) -> list[dict]:
    """Groups of at least `least` tickets created in `recent`: rule, value, tickets and their
    ticket_keys, last_hour and hour_before (the period's last two hours), level (the most urgent
    priority, 1-4), first and last created."""
    return records(arrow(
        cur,
        f"""
        WITH t AS MATERIALIZED (
            SELECT 'tickets:' || source || ':' || ticket_id AS ticket_key, created_at, labels, category,
                   {SUBJECT_SQL} AS subject,
                   CASE priority WHEN 'P1' THEN 1 WHEN 'P2' THEN 2 WHEN 'P3' THEN 3 ELSE 4 END AS level
            FROM tickets WHERE created_at >= ? AND created_at < ?)
        SELECT rule, value, count(*) AS tickets,
               count(*) FILTER (WHERE created_at >= ?) AS last_hour,
               count(*) FILTER (WHERE created_at >= ? AND created_at < ?) AS hour_before,
               min(level) AS level, min(created_at) AS first_created, max(created_at) AS last_created,
               list_sort(list(DISTINCT ticket_key)) AS ticket_keys
        FROM ({VALUES_SQL}) WHERE value IS NOT NULL AND value <> ''
        GROUP BY rule, value HAVING count(*) >= ? ORDER BY rule, value
        """,
        [list(STOPWORDS), recent.start, recent.end, recent.end - HOUR, recent.end - 2 * HOUR, recent.end - HOUR, least],
    ))


def baseline_counts(cur: duckdb.DuckDBPyConnection, base: Period) -> dict[tuple[str, str], int] | None:
    """Tickets per (rule, value) created in `base`; None when it holds no ticket (no baseline).

    Kept per content (count and a hash of every ticket's fields the rule reads): the baseline
    lies before go-live and rarely changes, and normalising a busy week's subjects costs more
    than the rest of the inbox together."""
    n, fingerprint = cur.execute(
        "SELECT count(*), bit_xor(hash(source, ticket_id, title, labels, category)) FROM tickets "
        "WHERE created_at >= ? AND created_at < ?", [base.start, base.end]).fetchall()[0]
    if n == 0:
        return None
    key = (base.start, base.end, n, fingerprint)
    if key not in _baselines:
        rows = cur.execute(
            f"""WITH t AS MATERIALIZED (SELECT labels, category, {SUBJECT_SQL} AS subject FROM tickets
                                        WHERE created_at >= ? AND created_at < ?)
                SELECT rule, value, count(*) FROM ({VALUES_SQL}) WHERE value IS NOT NULL AND value <> '' GROUP BY ALL""",
            [list(STOPWORDS), base.start, base.end]).fetchall()
        if len(_baselines) >= 4:
            _baselines.pop(next(iter(_baselines)))
        _baselines[key] = {(rule, value): count for rule, value, count in rows}
    return _baselines[key]


def cluster_rows(cur: duckdb.DuckDBPyConnection, recent: Period, base: Period | None, triage: TriageConfig) -> list[dict]:
    """The groups of `recent` (see recent_groups) that are clusters, each with its `baseline`:
    the group's tickets in `base` per `recent`'s length (None: no baseline)."""
    counts = baseline_counts(cur, base) if base is not None else None
    found = []
    for g in recent_groups(cur, recent, triage.cluster_min_tickets):
        g["baseline"] = None if counts is None else counts.get((g["rule"], g["value"]), 0) * recent.hours / base.hours
        if g["baseline"] is None or g["tickets"] >= triage.cluster_factor * g["baseline"]:
            found.append(g)
    return found


def ticket_items(cur: duckdb.DuckDBPyConnection, window: Window | None, now: datetime,
                 triage: TriageConfig) -> list[Item]:
    return p1_items(cur, window, now) + cluster_items(cur, window, now, triage)


def p1_items(cur: duckdb.DuckDBPyConnection, window: Window | None, now: datetime) -> list[Item]:
    go_live_at = window.go_live_at if window else None
    return [_p1(r, go_live_at, now) for r in p1_rows(cur)]


def cluster_items(cur: duckdb.DuckDBPyConnection, window: Window | None, now: datetime,
                  triage: TriageConfig) -> list[Item]:
    go_live_at = window.go_live_at if window else None
    recent, base = cluster_periods(window, now, triage.cluster_hours)
    return [_cluster(r, triage.cluster_hours, go_live_at, now) for r in cluster_rows(cur, recent, base, triage)]


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
