"""A messaging platform's gateway for tests: a real HTTP server on 127.0.0.1 (ephemeral port)
that answers from a script, verifies each signature, and keeps each idempotency key once."""
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = "gateway-shared-secret-0123456789abcdef"


class Gateway:
    """`script` is consumed one entry per request: an HTTP status, "slow" (accepts the
    message, then answers only after the client gave up) or "meet" (waits until another
    request arrives); an empty script answers 200."""

    def __init__(self, secret: str = SECRET):
        self.secret = secret
        self.script: list = []
        self.requests: list[dict] = []  # key, body, verified, answer — every request seen
        self.accepted: dict[str, dict] = {}  # idempotency key → the message passed on, once
        self.release = threading.Event()  # ends every wait at teardown
        self.arrived = threading.Event()
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/messages"

    def verify(self, raw: bytes, header: str | None) -> bool:
        """What the real gateway does: HMAC-SHA256 of the exact body, compared in constant
        time (docs/NOTIFICATIONS.md)."""
        expected = "sha256=" + hmac.new(self.secret.encode(), raw, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, header or "")

    def keys(self) -> list[str]:
        return [request["key"] for request in self.requests]

    def _receive(self, headers, raw: bytes):
        with self.lock:
            action = self.script.pop(0) if self.script else 200
            record = {"key": headers.get("Idempotency-Key"), "body": json.loads(raw),
                      "raw": raw, "signature": headers.get("X-LMS-Signature"),
                      "verified": self.verify(raw, headers.get("X-LMS-Signature")),
                      "answer": action}
            self.requests.append(record)
            if action in (200, "slow", "meet") and record["verified"]:
                self.accepted.setdefault(record["key"], record["body"])
        if len(self.requests) > 1:
            self.arrived.set()
        if action == "slow":
            self.release.wait(10)
            return 200
        if action == "meet":
            self.arrived.wait(10)
            return 200
        return action if record["verified"] else 401

    def _handler(self):
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                status = gateway._receive(self.headers, raw)
                try:
                    self.send_response(status)
                    if status in (301, 302, 303, 307, 308):
                        self.send_header("Location", gateway.url)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b'{"ok": true}' if status == 200 else b'{"error": "x"}')
                except OSError:
                    pass  # the client timed out and went away

            def do_GET(self):  # noqa: N802 - a redirected POST would arrive as a GET
                with gateway.lock:
                    gateway.requests.append({"key": None, "method": "GET"})
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        return Handler

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.arrived.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
