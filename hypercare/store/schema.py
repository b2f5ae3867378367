"""Versioned schema migrations for the data contract (DESIGN.md, Data contract).

Tables carry no PRIMARY KEY constraints: keys are kept by the write paths (MERGE INTO and
DELETE + INSERT in one transaction), which is faster on DuckDB and runs unchanged on DuckLake.
Each migration is applied once, in order, in one transaction; `schema_version` records it.
A new migration is appended to MIGRATIONS with the next number; never edit a released one.
"""

from __future__ import annotations

MIGRATION_1 = """
CREATE TABLE releases (
    release_id VARCHAR, name VARCHAR, version VARCHAR, environment VARCHAR,
    go_live_at TIMESTAMPTZ, window_hours DOUBLE, baseline_hours DOUBLE
);
CREATE TABLE sentry_issues (
    issue_id VARCHAR, project VARCHAR, short_id VARCHAR, title VARCHAR, culprit VARCHAR,
    level VARCHAR, status VARCHAR, substatus VARCHAR, first_seen TIMESTAMPTZ,
    last_seen TIMESTAMPTZ, event_count BIGINT, user_count BIGINT, first_release VARCHAR,
    permalink VARCHAR, collected_at TIMESTAMPTZ
);
CREATE TABLE error_counts (
    project VARCHAR, bucket_start TIMESTAMPTZ, bucket_seconds INTEGER, events BIGINT
);
CREATE TABLE session_health (
    project VARCHAR, bucket_start TIMESTAMPTZ, sessions BIGINT, crashed BIGINT,
    errored BIGINT, abnormal BIGINT
);
CREATE TABLE health_checks (
    check_name VARCHAR, checked_at TIMESTAMPTZ, url VARCHAR, ok BOOLEAN, status_code INTEGER,
    latency_ms INTEGER, error VARCHAR, cert_expires_at TIMESTAMPTZ
);
-- Exact rollup of health_checks: results per (check, UTC hour, ok, whole-millisecond latency).
-- Availability and percentiles over hours read this instead of millions of raw rows. Polls
-- append their counts, so a key may have several rows: always sum(n).
CREATE TABLE health_rollup (
    check_name VARCHAR, hour_start TIMESTAMPTZ, ok BOOLEAN, latency_ms INTEGER, n BIGINT
);
CREATE TABLE check_transitions (
    check_name VARCHAR, changed_at TIMESTAMPTZ, from_state VARCHAR, to_state VARCHAR,
    reason VARCHAR
);
CREATE TABLE tickets (
    source VARCHAR, ticket_id VARCHAR, created_at TIMESTAMPTZ, updated_at TIMESTAMPTZ,
    status VARCHAR, priority VARCHAR, category VARCHAR, labels VARCHAR[], title VARCHAR,
    url VARCHAR, status_raw VARCHAR, priority_raw VARCHAR
);
CREATE TABLE incidents (
    incident_id VARCHAR, title VARCHAR, severity VARCHAR, status VARCHAR, level INTEGER,
    owner VARCHAR, opened_at TIMESTAMPTZ, acknowledged_at TIMESTAMPTZ,
    mitigated_at TIMESTAMPTZ, resolved_at TIMESTAMPTZ, source_kind VARCHAR,
    source_ref VARCHAR, policy JSON
);
CREATE TABLE incident_events (
    event_id VARCHAR, incident_id VARCHAR, occurred_at TIMESTAMPTZ, kind VARCHAR,
    from_value VARCHAR, to_value VARCHAR, actor VARCHAR, note VARCHAR
);
CREATE TABLE notifications (
    notification_id VARCHAR, incident_id VARCHAR, kind VARCHAR, channel VARCHAR,
    created_at TIMESTAMPTZ, sent_at TIMESTAMPTZ, attempts INTEGER, last_error VARCHAR
);
CREATE TABLE decisions (
    decision_id VARCHAR, decided_at TIMESTAMPTZ, kind VARCHAR, summary VARCHAR,
    reason VARCHAR, actor VARCHAR, evidence JSON
);
CREATE TABLE planned_periods (
    period_id VARCHAR, starts_at TIMESTAMPTZ, ends_at TIMESTAMPTZ, scope VARCHAR,
    reason VARCHAR, marked_by VARCHAR, marked_at TIMESTAMPTZ,
    check_names VARCHAR[]  -- the checks it covers; NULL: every check
);
CREATE TABLE status_history (evaluated_at TIMESTAMPTZ, status VARCHAR, reasons JSON);
CREATE TABLE collector_runs (
    run_id VARCHAR, collector VARCHAR, started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ,
    ok BOOLEAN, rows_written BIGINT, error VARCHAR
);
CREATE TABLE checkpoints (
    collector VARCHAR, scope VARCHAR, cursor VARCHAR, updated_at TIMESTAMPTZ
);
"""

# Tickets keep the raw type/category value beside status_raw and priority_raw, and name the
# fields whose raw value no mapping knew ("status", "priority", "category") so they can be fixed.
MIGRATION_5 = """
ALTER TABLE tickets ADD COLUMN category_raw VARCHAR;
ALTER TABLE tickets ADD COLUMN unmapped VARCHAR[];
"""

# The outbox keeps the text it sends (frozen when the event happens, like the event itself) and the
# event that caused it.
MIGRATION_6 = """
ALTER TABLE notifications ADD COLUMN event_id VARCHAR;
ALTER TABLE notifications ADD COLUMN message VARCHAR;
"""

# Numbers are reserved per area so work in parallel never collides: 2 store, 3 sentry,
# 4 health checks, 5 tickets, 6 incidents; later migrations continue from 7.
# Sentry's hourly event counts of each issue over the 24 h before it was collected (its
# `stats["24h"]`), for the trend of an issue over the last hours. NULL: not known.
MIGRATION_3 = """
ALTER TABLE sentry_issues ADD COLUMN stats_start TIMESTAMPTZ;
ALTER TABLE sentry_issues ADD COLUMN hourly_events BIGINT[];
"""

# An `extend` decision carries the hours it adds to the window; NULL for every other kind.
MIGRATION_25 = """
ALTER TABLE decisions ADD COLUMN hours DOUBLE;
"""

# Every change of an incident row adds 1 to its version, so an action taken on a page can be
# refused when the incident changed after the page showed it (compare-and-set on what was seen).
MIGRATION_35 = """
ALTER TABLE incidents ADD COLUMN version INTEGER DEFAULT 0;
"""

# Hardening (30-39). A run is written as `running` before its first batch, then becomes ok,
# partial, failed, or (found `running` at the next start) interrupted; `ok` stays, true for ok and
# partial. Earlier rows get the status their `ok` said.
MIGRATION_30 = """
ALTER TABLE collector_runs ADD COLUMN status VARCHAR;
UPDATE collector_runs SET status = CASE WHEN ok THEN 'ok' ELSE 'failed' END;
"""

# Shift reports written under `hypercare serve` (reserved numbers 40-49): one row per slot, so a
# restart never writes or posts a slot twice. `notification_id` is the outbox row of the webhook
# post (NULL: no webhook configured); whether it went out is that row's sent_at.
MIGRATION_40 = """
CREATE TABLE report_slots (
    slot TIMESTAMPTZ, kind VARCHAR, written_at TIMESTAMPTZ, html_path VARCHAR, md_path VARCHAR,
    notification_id VARCHAR
);
"""

# Webhook deliveries: when a failed row may be tried again, how many of its attempts may have
# reached the receiver without an answer (bounded, see incidents/notify.py), and every attempt.
MIGRATION_36 = """
ALTER TABLE notifications ADD COLUMN next_attempt_at TIMESTAMPTZ;
ALTER TABLE notifications ADD COLUMN uncertain INTEGER DEFAULT 0;
CREATE TABLE notification_attempts (
    notification_id VARCHAR, attempt INTEGER, attempted_at TIMESTAMPTZ, outcome VARCHAR,
    status_code INTEGER, error VARCHAR
);
"""

# The go-live checklist (readiness 80-84): one row per manual tick or un-tick of a
# `[[checklist]]` item (keyed by its title), append-only like incident_events; `note` is the
# tick's note or the un-tick's reason. The items themselves live in the config.
MIGRATION_80 = """
CREATE TABLE checklist_events (
    event_id VARCHAR, item VARCHAR, action VARCHAR, actor VARCHAR, occurred_at TIMESTAMPTZ, note VARCHAR
);
"""

# Data-migration reconciliation (readiness 85-89): one row per check run, kept as history.
# difference = target_value - source_value; matched is NULL when a side failed (`error` says
# which side and why, never its URL). Values are DOUBLE: exact up to 2^53; the match itself is
# decided on the exact values before they are stored (hypercare/readiness/reconcile.py).
MIGRATION_85 = """
CREATE TABLE reconciliations (
    name VARCHAR, checked_at TIMESTAMPTZ, source_value DOUBLE, target_value DOUBLE,
    difference DOUBLE, matched BOOLEAN, error VARCHAR
);
"""

# Scale (90-99). The state columns of results (first and latest instants, each value at its latest
# instant): health_hourly keeps them per hour; a check's current state reads them over its latest hour.
STATE_OF_RESULTS = """min(checked_at) AS first_at, max(checked_at) AS last_at,
       arg_max(ok, checked_at) AS last_ok, max(checked_at) FILTER (WHERE ok IS NOT NULL) AS last_ok_at,
       max(checked_at) FILTER (WHERE NOT ok) AS last_failure_at,
       arg_max(error, checked_at) FILTER (WHERE NOT ok) AS last_failure,
       max(checked_at) FILTER (WHERE NOT ok AND error IS NOT NULL) AS last_failure_error_at,
       arg_max(cert_expires_at, checked_at) FILTER (WHERE cert_expires_at IS NOT NULL) AS cert_expires_at,
       max(checked_at) FILTER (WHERE cert_expires_at IS NOT NULL) AS cert_at"""

# Per check and UTC hour: how many results and how many ok, and the instants and
# values the current state reads (the latest result, failure, TLS expiry; the first result), so
# availability and a check's state read thousands of rows instead of millions. Mergeable: a key
# may have several rows (polls append theirs; the hour before is compacted when the next one
# begins), and readers merge them: sum the counts, min/max the instants, the value at the latest.
HEALTH_HOURLY_OF_RESULTS = f"""
SELECT check_name, to_timestamp((epoch_us(checked_at) // 3600000000) * 3600) AS hour_start,
       count(*) AS n, count(*) FILTER (WHERE ok) AS ok_n, count(*) FILTER (WHERE NOT ok) AS failed_n,
       {STATE_OF_RESULTS}
FROM {{source}} GROUP BY ALL
"""

# The merge of a key's rows (group by check_name, hour_start): what compaction writes back and
# what readers compute over any mix of hourly rows and raw results shaped like them.
HOURLY_MERGED = """check_name, hour_start, sum(n)::BIGINT AS n, sum(ok_n)::BIGINT AS ok_n,
       sum(failed_n)::BIGINT AS failed_n,
       min(first_at) AS first_at, max(last_at) AS last_at,
       arg_max(last_ok, last_ok_at) AS last_ok, max(last_ok_at) AS last_ok_at,
       max(last_failure_at) AS last_failure_at,
       arg_max(last_failure, last_failure_error_at) AS last_failure,
       max(last_failure_error_at) AS last_failure_error_at,
       arg_max(cert_expires_at, cert_at) AS cert_expires_at, max(cert_at) AS cert_at"""
ROLLUP_MERGED = "check_name, hour_start, ok, latency_ms, sum(n)::BIGINT AS n"

MIGRATION_90 = f"""
CREATE TABLE health_hourly (
    check_name VARCHAR, hour_start TIMESTAMPTZ, n BIGINT, ok_n BIGINT, failed_n BIGINT,
    first_at TIMESTAMPTZ, last_at TIMESTAMPTZ, last_ok BOOLEAN, last_ok_at TIMESTAMPTZ,
    last_failure_at TIMESTAMPTZ, last_failure VARCHAR, last_failure_error_at TIMESTAMPTZ,
    cert_expires_at TIMESTAMPTZ, cert_at TIMESTAMPTZ
);
INSERT INTO health_hourly {HEALTH_HOURLY_OF_RESULTS.format(source="health_checks")} ORDER BY hour_start;
"""

# Latencies of every check together per UTC hour (the all-checks p95 of the Overview, the rules
# and the report): ~1,000 rows an hour however many checks, where health_rollup has one per check.
# Same rules as health_rollup: polls append, compaction merges, readers always sum(n).
HEALTH_LATENCY_OF_RESULTS = """
SELECT to_timestamp((epoch_us(checked_at) // 3600000000) * 3600) AS hour_start, latency_ms, count(*) AS n
FROM {source} WHERE latency_ms IS NOT NULL GROUP BY ALL
"""
LATENCY_MERGED = "hour_start, latency_ms, sum(n)::BIGINT AS n"

MIGRATION_91 = f"""
CREATE TABLE health_latency (hour_start TIMESTAMPTZ, latency_ms INTEGER, n BIGINT);
INSERT INTO health_latency {HEALTH_LATENCY_OF_RESULTS.format(source="health_checks")} ORDER BY hour_start;
"""

# Each check's latency histogram since go-live (hypercare.store.health_since): one row per check,
# latencies and counts as lists sorted by latency, over the results in [starts_at, through) of the
# one-row span table. Empty until a release is recorded; readers fall back to the hourly tables.
MIGRATION_92 = """
CREATE TABLE health_since (check_name VARCHAR, latency_ms INTEGER[], n BIGINT[]);
CREATE TABLE health_since_span (starts_at TIMESTAMPTZ, ends_at TIMESTAMPTZ, through TIMESTAMPTZ);
"""

# health_since's version: a new one whenever its counts change (hypercare.store.health_since), so
# a reader may keep the lists it read under a version for as long as the span shows that version.
MIGRATION_94 = """
ALTER TABLE health_since_span ADD COLUMN version UUID;
UPDATE health_since_span SET version = uuid();
"""

# Each check's current-state columns merged over every hour of health_hourly before `through`
# (the hour the polls have compacted up to), so a check's state reads one row per check plus the
# hours since. Kept by hypercare.store.writes; same merge as health_hourly's rows.
STATE_MERGED = HOURLY_MERGED.replace("check_name, hour_start,", "check_name,", 1)
MIGRATION_93 = f"""
CREATE TABLE health_state AS
SELECT {STATE_MERGED}, (SELECT max(hour_start) FROM health_hourly) AS through
FROM health_hourly WHERE hour_start < (SELECT max(hour_start) FROM health_hourly) GROUP BY check_name;
"""

# error_counts per project, UTC hour of bucket_start and bucket length (errors per hour over the
# window read ~84,000 rows instead of 5 M one-minute buckets). Kept by the write paths, which
# recount every hour a write touches from the raw rows (hypercare/store/error_hourly.py).
ERROR_HOURLY_OF_COUNTS = """
SELECT project, to_timestamp((epoch_us(bucket_start) // 3600000000) * 3600) AS hour_start, bucket_seconds,
       sum(events)::BIGINT AS events, count(*) AS buckets
FROM {source} GROUP BY ALL
"""

MIGRATION_95 = f"""
CREATE TABLE error_hourly (project VARCHAR, hour_start TIMESTAMPTZ, bucket_seconds INTEGER, events BIGINT, buckets BIGINT);
INSERT INTO error_hourly {ERROR_HOURLY_OF_COUNTS.format(source="error_counts")} ORDER BY hour_start;
"""

# The triage inbox (reserved numbers 70-79): every action on an item is a row, never an update, so
# an item's state is its latest row (by seq) and the history stays on record. `action`: opened,
# linked (incident_id set), set aside (aside_kind known/accepted, reason, until, and the item's
# score without age then), returned (came back: until passed or the score rose; reason says which).
# `members`: the rows the item stands for in counts ('sentry:<issue_id>', 'tickets:<source>:<id>'),
# which a set-aside item leaves out of the new-issue and ticket counts.
MIGRATION_70 = """
CREATE TABLE triage_actions (
    action_id VARCHAR, seq BIGINT, item_key VARCHAR, source VARCHAR, ref VARCHAR, title VARCHAR,
    action VARCHAR, incident_id VARCHAR, aside_kind VARCHAR, reason VARCHAR, until TIMESTAMPTZ,
    score_without_age DOUBLE, members VARCHAR[], actor VARCHAR, acted_at TIMESTAMPTZ
);
"""

MIGRATIONS: list[tuple[int, str, str]] = [
    (1, "data contract tables", MIGRATION_1),
    (3, "sentry issue hourly stats", MIGRATION_3),
    (5, "tickets: category_raw and unmapped flags", MIGRATION_5),
    (6, "notifications: event_id and message", MIGRATION_6),
    (25, "decisions: hours of an extend", MIGRATION_25),
    (30, "collector_runs: status", MIGRATION_30),
    (35, "incidents: version for compare-and-set", MIGRATION_35),
    (36, "notifications: backoff, uncertain attempts, attempts log", MIGRATION_36),
    (40, "report_slots: shift reports written", MIGRATION_40),
    (80, "checklist_events: manual ticks and un-ticks", MIGRATION_80),
    (85, "reconciliations: data-migration checks", MIGRATION_85),
    (90, "health_hourly: counts and latest instants per check and hour", MIGRATION_90),
    (91, "health_latency: latencies of all checks per hour", MIGRATION_91),
    (92, "health_since: each check's latencies since go-live", MIGRATION_92),
    (93, "health_state: each check's state columns merged over past hours", MIGRATION_93),
    (94, "health_since_span: a version that changes with the counts", MIGRATION_94),
    (95, "error_hourly: error counts per project and hour", MIGRATION_95),
    (70, "triage_actions: who opened, linked or set aside which inbox item", MIGRATION_70),
]

LATEST = max(v for v, _, _ in MIGRATIONS)
