"""Canary secrets in a webhook URL's userinfo, path and query: never in the database file, the
log (at debug level, urllib3's lines included), the outbox's errors or the Incidents page."""

from __future__ import annotations

import logging
from datetime import timedelta

from streamlit.testing.v1 import AppTest

from hypercare import redaction
from hypercare.incidents import notify
from hypercare.runtime import AppContext, set_context
from hypercare.store.read import arrow
from tests.fakes.webhook import WebhookReceiver
from tests.test_incidents import CONFIG
from tests.test_incidents_notify import NOW, open_one

CANARIES = ("CanaryPass7f3", "CanaryPath91b", "CanaryQuery55")


def test_a_url_is_shown_by_its_host_only():
    assert redaction.safe_url("https://u:p@hooks.example.com:8443/services/T/B/x?y=1") == "https://hooks.example.com:8443/[redacted]"
    assert redaction.safe_url("https://hooks.example.com") == "https://hooks.example.com/"
    assert redaction.without_userinfo("https://u:p@example.com/health") == "https://example.com/health"


def test_userinfo_of_any_url_and_every_piece_of_a_registered_one_are_redacted():
    assert redaction.redact("GET https://bob:hunter22@x.example/a failed") == "GET https://[redacted]@x.example/a failed"
    redaction.register("https://hooks.example.com/services/T1/B2/CanaryPiece?token=CanaryTok")
    line = 'https://hooks.example.com:443 "POST /services/T1/B2/CanaryPiece?token=CanaryTok HTTP/1.1" 200 2'
    assert "Canary" not in redaction.redact(line) and "hooks.example.com:443" in redaction.redact(line)


def test_a_database_url_is_redacted_whole_and_its_password_alone_but_not_its_database_name():
    redaction.register("postgresql+psycopg://migrator:CanaryDbPw9@db.internal:5432/gymdb_ledger")
    line = "reading postgresql+psycopg://migrator:CanaryDbPw9@db.internal:5432/gymdb_ledger; password CanaryDbPw9"
    assert redaction.redact(line) == "reading [redacted]; password [redacted]"
    assert redaction.redact("table /gymdb_ledger/bookings") == "table /gymdb_ledger/bookings"


def test_canary_secrets_never_reach_the_db_the_debug_log_or_the_page(store, tmp_path, clock):
    log_file = tmp_path / "hypercare.log"
    handler = logging.FileHandler(log_file)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)  # what `hypercare -v` does
    redaction.install()
    try:
        open_one(store)
        with WebhookReceiver([500, "late", 200], late_seconds=30) as hook:
            port = hook.server.server_port
            url = f"http://hookuser:{CANARIES[0]}@127.0.0.1:{port}/services/{CANARIES[1]}?key={CANARIES[2]}"
            for k in range(3):
                notify.deliver_pending(store, NOW + timedelta(minutes=20 * k), env={"HOOK_L1": url}, deadline=0.5)
            assert [status for _, status, _ in hook.received] == [500, None, 200]
            assert hook.received[0][0] == f"/services/{CANARIES[1]}?key={CANARIES[2]}"  # the secrets were really used
        errors = arrow(store.cursor(), "SELECT error FROM notification_attempts ORDER BY attempt").to_pylist()
        assert "answered 500" in errors[0]["error"] and errors[1]["error"].startswith("uncertain")
        set_context(AppContext(CONFIG, store, clock))
        at = AppTest.from_file("../dashboard/views/incidents.py", default_timeout=30).run()
        assert not at.exception
        texts = [*at.markdown, *at.caption, *at.error, *at.warning, *at.info, *at.success]
        page = repr([t.value for t in texts]) + repr([d.value.to_dict() for d in at.dataframe])
        assert "uncertain" in page or "answered 500" in page or "HOOK_L1" in page
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        handler.close()
    store.close()
    logged = log_file.read_text()
    assert "urllib3.connectionpool" in logged and "127.0.0.1" in logged  # -v really logs requests
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("hypercare.duckdb*"))
    for canary in CANARIES:
        assert canary not in logged
        assert canary.encode() not in stored
        assert canary not in page
