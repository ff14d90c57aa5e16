"""Outbound attempts keep their connection alive between deliveries, but only to the address the
latest check passed: every attempt is resolved and checked again, and a new answer gets a new,
checked connection (never a kept one to the old address, never one to a private address)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from printgate.core import net
from printgate.core.config import reset_settings
from printgate.webhooks.outbound import transport

PUBLIC_A = "93.184.216.34"  # global unicast addresses, never actually dialled: ``dialled`` sends them to loopback
PUBLIC_B = "93.184.216.35"


@dataclass
class KeepAliveReceiver:
    port: int
    peers: list[int] = field(default_factory=list)  # the client port of each request: one per connection
    hosts: list[str] = field(default_factory=list)


@pytest.fixture
def keepalive() -> Iterator[KeepAliveReceiver]:
    state = KeepAliveReceiver(port=0)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            state.peers.append(int(self.client_address[1]))
            state.hosts.append(self.headers.get("host", ""))
            self.send_response(200)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = int(server.server_address[1])
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def fresh_clients(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No connection kept from another test."""
    clients = net.PinnedClients()
    monkeypatch.setattr(transport, "_clients", clients)
    yield
    clients.close()


@pytest.fixture
def dialled(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every address a socket is opened to; the public test addresses are answered by loopback."""
    real = socket.create_connection
    seen: list[str] = []

    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        seen.append(address[0])
        host = "127.0.0.1" if address[0] in (PUBLIC_A, PUBLIC_B) else address[0]
        return real((host, address[1]), *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", create_connection)
    return seen


def answers(monkeypatch: pytest.MonkeyPatch, name: str, successive: list[list[str]]) -> list[str]:
    """``net.resolve`` answering ``name`` from ``successive`` (the last repeats); returns who was asked."""
    asked: list[str] = []
    real = net.resolve

    def resolve(host: str, port: int) -> list[str]:
        if host != name:
            return real(host, port)
        asked.append(host)
        return successive.pop(0) if len(successive) > 1 else successive[0]

    monkeypatch.setattr(net, "resolve", resolve)
    return asked


@pytest.fixture
def private_refused(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("PRINTGATE_ALLOW_PRIVATE_URLS", "0")
    reset_settings()
    yield
    monkeypatch.undo()
    reset_settings()


def send(url: str) -> transport.Outcome:
    return transport.post(url, {"content-type": "application/json"}, b'{"type":"job.created"}')


def test_deliveries_to_one_endpoint_reuse_one_connection(keepalive: KeepAliveReceiver, fresh_clients: None,
                                                         dialled: list[str]) -> None:
    url = f"http://127.0.0.1:{keepalive.port}/hook"
    outcomes = [send(url) for _ in range(5)]
    assert [o.status_code for o in outcomes] == [200] * 5 and all(o.ok for o in outcomes)
    assert len(keepalive.peers) == 5 and len(set(keepalive.peers)) == 1, "one kept-alive connection"
    assert dialled == ["127.0.0.1"]


def test_every_attempt_is_checked_again_and_a_private_answer_is_refused(
        keepalive: KeepAliveReceiver, fresh_clients: None, dialled: list[str], private_refused: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS rebinding after a first, public answer: the kept connection is not used for the second."""
    asked = answers(monkeypatch, "hooks.example.com", [[PUBLIC_A], ["127.0.0.1"]])
    url = f"http://hooks.example.com:{keepalive.port}/hook"
    first = send(url)
    assert first.ok and keepalive.hosts == [f"hooks.example.com:{keepalive.port}"]
    second = send(url)
    assert not second.ok and second.status_code is None
    assert second.error is not None and second.error.startswith("refused:") and "127.0.0.1" in second.error
    assert asked == ["hooks.example.com"] * 2, "resolved once per attempt"
    assert len(keepalive.peers) == 1 and dialled == [PUBLIC_A], "nothing sent after the private answer"


def test_a_new_public_answer_gets_a_new_connection_to_that_address(
        keepalive: KeepAliveReceiver, fresh_clients: None, dialled: list[str], private_refused: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    answers(monkeypatch, "hooks.example.com", [[PUBLIC_A], [PUBLIC_A], [PUBLIC_B], [PUBLIC_A]])
    url = f"http://hooks.example.com:{keepalive.port}/hook"
    assert all(send(url).ok for _ in range(4))
    # A, A (kept), then B: a connection of its own, dialled at B; back to A: A's kept connection again.
    assert dialled == [PUBLIC_A, PUBLIC_B]
    assert keepalive.peers[0] == keepalive.peers[1] == keepalive.peers[3] != keepalive.peers[2]


def test_clients_are_bounded_and_not_shared_with_a_forked_child(keepalive: KeepAliveReceiver,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    clients = net.PinnedClients(max_clients=2)
    try:
        urls = [f"http://127.0.0.1:{keepalive.port}/a", f"http://localhost:{keepalive.port}/b",
                f"http://127.0.0.2:{keepalive.port}/c"]
        first = clients.for_url(urls[0])
        assert clients.for_url(urls[0]) is first
        clients.for_url(urls[1])
        clients.for_url(urls[2])
        assert first.is_closed, "the least recently used client is closed past the bound"
        assert clients.for_url(urls[0]) is not first
        kept = clients.for_url(urls[0])
        monkeypatch.setattr("os.getpid", lambda: -1)  # as a forked child sees it: another process
        assert clients.for_url(urls[0]) is not kept
    finally:
        clients.close()
