"""Real HTTP(S) endpoints on 127.0.0.1 that misbehave on purpose, for the health-check tests.

Paths: /healthy (200, JSON {"status": "UP"} with "ok" in it), /error (500), /wrong-body
(200, an HTML maintenance page), /json-down (200, {"status": "DOWN"}), /slow (answers once
`timeout_seconds` has passed twice), /hung (reads the request, never answers), /loop (redirects
to itself), /auth (200 only with the expected Authorization header, else 401). Waiting
handlers wait on events, so closing the server releases them at once.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import ssl
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class Endpoints:
    """A threaded server; `url(path)` gives its address. Use as a context manager."""

    def __init__(self, *, slow_seconds: float = 1.0, token: str = "s3cret-token", tls: ssl.SSLContext | None = None):
        self.slow_seconds = slow_seconds
        self.token = token
        self.release = threading.Event()  # set on close: frees /hung and /slow
        self.hung_entered = threading.Event()
        self.hung_left = threading.Event()
        self.seen_authorization: list[str | None] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                route = getattr(self, "route_" + self.path.strip("/").replace("-", "_"), None)
                if route is None:
                    self.answer(404, "text/plain", b"not found")
                else:
                    route()

            def answer(self, status: int, kind: str, body: bytes, **headers: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def route_healthy(self) -> None:
                self.answer(200, "application/json", json.dumps({"status": "UP", "db": {"ok": True, "pool": 7}}).encode())

            def route_error(self) -> None:
                self.answer(500, "text/plain", b"internal error")

            def route_wrong_body(self) -> None:
                self.answer(200, "text/html; charset=utf-8", b"<html><h1>Down for maintenance</h1></html>")

            def route_json_down(self) -> None:
                self.answer(200, "application/json", b'{"status": "DOWN"}')

            def route_slow(self) -> None:
                owner.release.wait(owner.slow_seconds)
                self.answer(200, "application/json", b'{"status": "UP"}')

            def route_hung(self) -> None:
                owner.hung_entered.set()
                owner.release.wait(30)
                owner.hung_left.set()
                self.close_connection = True

            def route_loop(self) -> None:
                self.answer(302, "text/plain", b"", Location="/loop")

            def route_auth(self) -> None:
                got = self.headers.get("Authorization")
                owner.seen_authorization.append(got)
                if got == f"Bearer {owner.token}":
                    self.answer(200, "text/plain", b"ok")
                else:
                    self.answer(401, "text/plain", b"unauthorized")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.scheme = "https" if tls else "http"
        if tls:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"{self.scheme}://127.0.0.1:{self.server.server_address[1]}{path}"

    def __enter__(self) -> Endpoints:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def self_signed_tls(folder: Path, valid_days: float) -> tuple[ssl.SSLContext, Path, datetime]:
    """A server TLS context with a self-signed certificate for 127.0.0.1 that expires in
    `valid_days` from now; returns it, the certificate's PEM file (to trust it) and its expiry."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hypercare test endpoint")])
    now = datetime.now(timezone.utc).replace(microsecond=0)
    expires = now + timedelta(days=valid_days)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(expires)
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "endpoint.pem", folder / "endpoint.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context, cert_file, expires
