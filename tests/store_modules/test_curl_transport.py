"""The real cURL transport against a local HTTP server standing in for printgate."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from printgate.webhooks.signing import standard_verify

from .conftest import SECRET, SK, php_run


class FakePrintgate(BaseHTTPRequestHandler):
    received: list[dict] = []

    def log_message(self, *args: object) -> None:
        pass

    def _send(
        self, status: int, body: bytes, content_type: str = "application/json", headers: dict | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        auth = self.headers.get("Authorization")
        if self.path == "/files/cards.pdf?sig=abc":
            # Signed storage URL: must not receive the secret key.
            assert auth is None
            self._send(200, b"%PDF-1.7 streamed", "application/pdf")
        elif auth != f"Bearer {SK}":
            self._send(401, b'{"message":"Unauthorized"}')
        elif self.path == "/workflows":
            self._send(200, json.dumps({"workflows": [{"id": "wf_1", "name": "Cards"}]}).encode())
        elif self.path == "/jobs/job_1?expand=runs":
            self._send(
                200, json.dumps({"id": "job_1", "status": "ready", "canProceed": True, "runs": []}).encode()
            )
        elif self.path == "/jobs/job_1/runs/task_1/output":
            host = self.headers["Host"]
            self._send(
                302,
                b"",
                headers={
                    "Location": f"http://{host.replace('127.0.0.1', 'localhost')}/files/cards.pdf?sig=abc"
                },
            )
        else:
            self._send(404, b'{"error":true,"message":"Job not found: job_missing"}')

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append({"path": self.path, "headers": dict(self.headers.items()), "body": body})
        self._send(200, b'{"success":true,"affectedJobIds":[]}')


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FakePrintgate)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_curl_transport_end_to_end(server: str) -> None:
    FakePrintgate.received.clear()
    out = php_run("curl", base=server, down=f"http://127.0.0.1:{_closed_port()}")
    assert out["workflows"] == [{"id": "wf_1", "name": "Cards"}]
    assert out["job"]["canProceed"] is True
    assert out["download"] == {"data": "%PDF-1.7 streamed", "type": "application/pdf"}
    # The sink gets the response headers too: the shop's download proxy passes the real type on.
    assert out["sink_type"] == "application/pdf"
    assert out["send"] == "delivered"
    [post] = FakePrintgate.received
    assert post["path"] == "/orders/1"
    assert post["headers"]["Authorization"] == f"Bearer {SK}"
    assert post["headers"]["Content-Type"] == "application/json"
    assert standard_verify(SECRET, post["headers"], post["body"]) == post["headers"]["webhook-id"]
    assert json.loads(post["body"]) == {"orderId": "1", "status": "processing", "items": []}
    assert out["send_down"] == "queued"
    assert out["down_error"].startswith("unreachable: ")
    assert out["missing"] == [404, "Job not found: job_missing"]


@pytest.mark.parametrize(
    ("name", "origin", "expected"),
    [
        ("flyer.pdf", "application/pdf", "application/pdf"),
        ("flyer.pdf", "application/octet-stream", "application/pdf"),  # generic origin: the name tells
        ("flyer.PDF", "", "application/pdf"),
        ("proof.png", "image/png; charset=binary", "image/png; charset=binary"),
        ("https://x.test/p/proof.jpg?sig=1", "", "image/jpeg"),
        ("artwork.tif", "not a type", "image/tiff"),
        ("blob", "application/octet-stream", "application/octet-stream"),  # nothing tells: stays generic
        ("notes", "", "application/octet-stream"),
    ],
)
def test_download_content_type(name: str, origin: str, expected: str) -> None:
    assert php_run("content_type", cases=[[name, origin]]) == [expected]
