"""An incoming-webhook receiver (Slack/Teams style) on 127.0.0.1 that answers from a script.

Slack answers a good POST with 200 and the body "ok"; errors come back as HTTP statuses with a
short text body (e.g. 404 "no_service", 500). `statuses` is consumed one per request; when it
runs out, every request gets 200 "ok". Two hostile answers may be scripted too: "late" answers
200 only after `late_seconds` (after the sender gave up waiting), "trickle" sends its status line
and a header that never ends, one byte every 0.1 s, until the receiver stops. Both count as received (status None).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class WebhookReceiver:
    def __init__(self, statuses: list[int | str] | None = None, late_seconds: float = 5.0):
        self.statuses = list(statuses or [])
        self.received: list[tuple[str, int | None, dict]] = []  # (path, status answered, JSON body)
        self.got_request = threading.Event()
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                with receiver._lock:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver.received.append((self.path, status if isinstance(status, int) else None, body))
                receiver.got_request.set()
                if status == "trickle":
                    for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"." * 100_000:
                        if receiver.stopping.wait(0.1):
                            return
                        try:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                        except OSError:
                            return
                    return
                if status == "late":
                    if receiver.stopping.wait(late_seconds):
                        return
                    status = 200
                text = b"ok" if status == 200 else b"no_service" if status == 404 else b"server error"
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(text)))
                    self.end_headers()
                    self.wfile.write(text)
                except OSError:
                    pass  # the sender stopped waiting (a "late" answer)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str = "/services/T000/B000/secret-token") -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    @property
    def copies(self) -> int:
        """Requests that reached the receiver, whatever it answered."""
        return len(self.received)

    @property
    def delivered(self) -> list[dict]:
        return [body for _, status, body in self.received if status == 200]

    def __enter__(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
