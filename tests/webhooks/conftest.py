"""A real HTTP receiver on a loopback port for outbound deliveries, and webhook helpers."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Answers every POST with ``status`` (or the next of ``script``) and keeps what it got."""

    url: str
    requests: list[Received] = field(default_factory=list)
    status: int = 200
    script: list[int] = field(default_factory=list)
    reply_headers: dict[str, str] = field(default_factory=dict)
    reply_body: bytes = b'{"ok":true}'

    def next_status(self) -> int:
        return self.script.pop(0) if self.script else self.status

    def bodies(self, event_type: str | None = None) -> list[Any]:
        out = [r.json() for r in self.requests]
        return [b for b in out if event_type is None or b.get("type") == event_type]


def _serve(receiver_holder: list[Receiver]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            receiver = receiver_holder[0]
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            receiver.requests.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            status = receiver.next_status()
            self.send_response(status)
            for key, value in receiver.reply_headers.items():
                self.send_header(key, value)
            self.send_header("content-length", str(len(receiver.reply_body)))
            self.end_headers()
            self.wfile.write(receiver.reply_body)

        def log_message(self, *_args: Any) -> None:
            pass

    return ThreadingHTTPServer(("127.0.0.1", 0), Handler)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    holder: list[Receiver] = []
    server = _serve(holder)
    host, port = server.server_address[:2]
    holder.append(Receiver(url=f"http://{host!s}:{port}/hook"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield holder[0]
    server.shutdown()
    server.server_close()


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries without waiting, so a burst worker runs a delivery's whole schedule at once."""
    monkeypatch.setenv("PRINTGATE_WEBHOOK_RETRY_SCHEDULE", "0,0,0,0,0")
    monkeypatch.setenv("PRINTGATE_WEBHOOK_INBOUND_RETRY_SCHEDULE", "0,0,0")
    monkeypatch.setenv("PRINTGATE_WEBHOOK_RETRY_JITTER", "0")
