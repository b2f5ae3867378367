"""Status, priority and category mapping: built-in vocabulary, configured overrides, unmapped flags."""

from __future__ import annotations

from datetime import datetime, timezone

import pyarrow as pa

from collectors.tickets.normalise import TICKET_SCHEMA, Normaliser, RawTicket
from hypercare.config import GitHubSource

T = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


def normaliser(**mappings) -> Normaliser:
    return Normaliser(GitHubSource(kind="github", name="app", repo="acme/booking", **mappings))


def raw(**kw) -> RawTicket:
    return RawTicket(ticket_id=kw.pop("ticket_id", "1"), created_at=T, updated_at=T, **kw)


def test_builtin_vocabulary_ignores_case():
    n = normaliser()
    row = n.row(raw(status_raw="Waiting for Customer", priority_raw="Highest", category_raw="Bug"))
    assert (row["status"], row["priority"], row["category"], row["unmapped"]) == ("pending", "P1", "technical", [])


def test_configured_values_extend_and_override_the_builtin_ones():
    n = normaliser(priorities={"P1": ["high"], "P3": ["Sev-3"]}, statuses={"solved": ["Deployed"]},
                   categories={"usage": ["login"]})
    assert n.priority("HIGH") == "P1"  # built-in says P2; the config wins
    assert n.priority("sev-3") == "P3"
    assert n.priority("urgent") == "P1"  # built-in still known
    assert n.status("deployed") == "solved"
    assert n.category(["feature", "Login"]) == "usage"


def test_unknown_values_are_kept_raw_and_flagged_never_dropped():
    row = normaliser().row(raw(status_raw="Escalated to vendor", priority_raw="Sev 9", category_raw="Billing",
                               labels=("invoice",)))
    assert row["status"] is None and row["status_raw"] == "Escalated to vendor"
    assert row["priority"] is None and row["priority_raw"] == "Sev 9"
    assert row["category"] == "other" and row["category_raw"] == "Billing"
    assert row["unmapped"] == ["status", "priority", "category"]
    assert row["labels"] == ["invoice"]


def test_labels_give_priority_and_category_when_there_is_no_field():
    row = normaliser().row(raw(status="open", labels=("question", "low", "P2", "area/payments")))
    assert (row["priority"], row["priority_raw"]) == ("P2", "P2")  # the highest priority among the labels
    assert row["category"] == "usage"
    assert row["unmapped"] == []  # labels that map to nothing are just labels


def test_configured_category_order_decides_between_two_matches():
    n = normaliser(categories={"usage": ["question"], "technical": ["bug"]})
    assert n.category(["bug", "question"]) == "usage"
    assert normaliser().category(["bug", "question"]) == "technical"


def test_missing_values_are_not_flagged():
    row = normaliser().row(raw(priority_raw="", status="open"))
    assert row["priority"] is None and row["priority_raw"] is None and row["unmapped"] == []


def test_table_has_the_ticket_schema_in_utc():
    from zoneinfo import ZoneInfo
    local = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Brussels"))
    table = normaliser().table([RawTicket("7", local, local, status="open")])
    assert table.schema == TICKET_SCHEMA
    assert table.column("created_at")[0].as_py() == datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
    assert isinstance(table, pa.Table)
