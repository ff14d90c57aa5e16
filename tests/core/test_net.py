"""printgate.core.net, the one outbound guard: every hop checked, the connection pinned to the checked address,
bodies capped. A real HTTP server on loopback plays every host; the resolver and the socket opener
are replaced so a name can look public while the bytes still come from this machine."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from printgate.core import net
from printgate.core.config import reset_settings
from printgate.core.errors import UnreadableFile
from printgate.core.pipeline.fetch import fetch_url
from tests.conftest import Instance

PUBLIC_IP = "93.184.216.34"  # a global unicast address; never actually dialled (see ``dialled``)
PDF = b"%PDF-1.4\n" + b"0" * 2000 + b"\n%%EOF\n"


@dataclass
class Origin:
    port: int
    paths: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)


@pytest.fixture
def origin() -> Iterator[Origin]:
    """/start redirects to loopback's /secret; /file is a PDF; /big declares 10 kB; /drip sends 10 kB
    chunked without a length."""
    state = Origin(port=0)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            state.paths.append(self.path)
            state.hosts.append(self.headers.get("host", ""))
            if self.path == "/start":
                self._reply(302, b"", {"location": f"http://127.0.0.1:{state.port}/secret"})
            elif self.path == "/file":
                self._reply(200, PDF, {"content-type": "application/pdf"})
            elif self.path == "/secret":
                self._reply(200, b"instance credentials", {})
            elif self.path == "/big":
                self._reply(200, b"x" * 10_000, {})
            elif self.path == "/drip":
                self.send_response(200)
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                for _ in range(10):
                    self.wfile.write(b"3e8\r\n" + b"y" * 1000 + b"\r\n")
                self.wfile.write(b"0\r\n\r\n")
            else:
                self._reply(404, b"", {})

        def _reply(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def private_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A public instance: the suite allows private URLs globally (tests/conftest.py), this test not."""
    monkeypatch.setenv("PRINTGATE_ALLOW_PRIVATE_URLS", "0")
    reset_settings()


@pytest.fixture
def dialled(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every address a socket is opened to; :data:`PUBLIC_IP` is answered by the loopback origin."""
    real = socket.create_connection
    seen: list[tuple[str, int]] = []

    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        seen.append((address[0], address[1]))
        host = "127.0.0.1" if address[0] == PUBLIC_IP else address[0]
        return real((host, address[1]), *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", create_connection)
    return seen


def resolver(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[list[str]]]) -> list[str]:
    """``printgate.core.net.resolve`` answering each name from its list of successive answers (the last repeats)."""
    asked: list[str] = []
    real = net.resolve

    def resolve(host: str, port: int) -> list[str]:
        if host not in answers:
            return real(host, port)
        asked.append(host)
        queue = answers[host]
        return queue.pop(0) if len(queue) > 1 else queue[0]

    monkeypatch.setattr(net, "resolve", resolve)
    return asked


def test_a_redirect_from_a_public_host_to_loopback_is_refused(
        origin: Origin, private_refused: None, dialled: list[tuple[str, int]], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    resolver(monkeypatch, {"files.example.com": [[PUBLIC_IP]]})
    url = f"http://files.example.com:{origin.port}/start"
    with net.client(timeout=5) as http, pytest.raises(net.Refused, match="private address"):
        net.get_following(http, url)
    with pytest.raises(UnreadableFile, match=r"refused: '127\.0\.0\.1' resolves to a private address"):
        fetch_url(url, None, tmp_path / "source")
    assert origin.paths == ["/start", "/start"], "the loopback target was never asked"
    assert dialled == [(PUBLIC_IP, origin.port)] * 2
    assert not (tmp_path / "source").exists()


def test_the_connection_goes_to_the_address_that_was_checked(
        origin: Origin, private_refused: None, dialled: list[tuple[str, int]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS rebinding: the name answers public once, loopback afterwards. The one connection made uses
    the checked answer; the name and port still go in the Host header."""
    asked = resolver(monkeypatch, {"files.example.com": [[PUBLIC_IP], ["127.0.0.1"]]})
    with net.client(timeout=5) as http:
        response = http.get(f"http://files.example.com:{origin.port}/file")
        assert response.status_code == 200 and response.content == PDF
        assert http.get(f"http://files.example.com:{origin.port}/file").content == PDF  # same pinned connection
    assert asked == ["files.example.com"] and dialled == [(PUBLIC_IP, origin.port)]
    assert origin.hosts == [f"files.example.com:{origin.port}"] * 2
    with net.client(timeout=5) as http, pytest.raises(net.Refused, match=r"\(127\.0\.0\.1\)"):
        http.get(f"http://files.example.com:{origin.port}/file")  # a new connection: resolved and checked again
    assert dialled == [(PUBLIC_IP, origin.port)] and origin.paths == ["/file", "/file"]


@pytest.mark.parametrize("address", ["169.254.169.254", "fd00:ec2::254", "::ffff:169.254.169.254", "100.100.100.200"])
def test_cloud_metadata_addresses_are_refused(address: str, private_refused: None, dialled: list[tuple[str, int]],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    assert net.is_blocked(address)
    literal = f"[{address}]" if ":" in address else address
    with pytest.raises(net.Refused, match="private address"):
        net.check_url(f"http://{literal}/latest/meta-data/iam/")
    resolver(monkeypatch, {"metadata.example.com": [[address]]})
    with net.client(timeout=5) as http, pytest.raises(net.Refused, match="private address"):
        http.get("http://metadata.example.com/latest/meta-data/")
    assert dialled == []


@pytest.mark.parametrize("address", ["::ffff:127.0.0.1", "::ffff:7f00:1", "64:ff9b::7f00:1", "2002:7f00:1::1", "::1",
                                     "0.0.0.0", "::", "10.1.2.3", "172.16.0.1", "192.168.1.1", "fc00::1", "fe80::1",
                                     "224.0.0.1", "ff02::1", "100.64.0.1"])
def test_loopback_private_and_special_addresses_in_every_spelling_are_refused(
        address: str, origin: Origin, private_refused: None) -> None:
    assert net.is_blocked(address)
    literal = f"[{address}]" if ":" in address else address
    with net.client(timeout=5) as http, pytest.raises(net.Refused):
        http.get(f"http://{literal}:{origin.port}/secret")
    assert origin.paths == []


def test_public_addresses_pass_the_check() -> None:
    assert not net.is_blocked(PUBLIC_IP)
    assert not net.is_blocked("2606:2800:220:1:248:1893:25c8:1946")
    assert not net.is_blocked("::ffff:93.184.216.34")


def test_an_oversize_body_is_cut_with_a_clear_error(origin: Origin, monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    with net.client(timeout=5) as http:
        for path in ("/big", "/drip"):  # a declared length, and a chunked body that only grows
            with http.stream("GET", f"http://127.0.0.1:{origin.port}{path}") as response:
                read: list[bytes] = []
                with pytest.raises(net.TooLarge, match=r"(over|larger than) the 4000 byte limit"):
                    for chunk in net.read_capped(response, 4000):
                        read.append(chunk)
                assert sum(map(len, read)) <= 4000
    monkeypatch.setenv("PRINTGATE_MAX_UPLOAD_BYTES", "4000")
    reset_settings()
    with pytest.raises(UnreadableFile, match="Source file is larger than the 4000 byte limit"):
        fetch_url(f"http://127.0.0.1:{origin.port}/drip", None, tmp_path / "source")
    assert not (tmp_path / "source").exists()


def test_private_destinations_are_reached_when_the_operator_allows_them(
        origin: Origin, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PRINTGATE_ALLOW_PRIVATE_URLS", "1")
    reset_settings()
    assert fetch_url(f"http://127.0.0.1:{origin.port}/file", None, tmp_path / "a") == len(PDF)
    assert (tmp_path / "a").read_bytes() == PDF
    assert fetch_url(f"http://localhost:{origin.port}/start", None, tmp_path / "b") == len(b"instance credentials")
    assert origin.paths == ["/file", "/start", "/secret"]
    net.check_url("http://169.254.169.254/")  # the operator's call, metadata included


def test_a_url_job_source_on_a_private_address_ends_rejected_with_the_reason(
        origin: Origin, private_refused: None, client: TestClient, auth: dict[str, str], instance: Instance) -> None:
    created = client.post("/jobs", headers=auth, json={"sources": [
        {"url": f"http://127.0.0.1:{origin.port}/file", "steps": [{"type": "preflight"}]}]})
    assert created.status_code == 201, created.text
    job_id = created.json()["job"]["id"]
    instance.drain()
    job = client.get(f"/jobs/{job_id}", headers=auth).json()["job"]
    assert job["status"] == "rejected" and job["canProceed"] is False, job
    assert "private address" in str(job), job
    assert origin.paths == []


def test_a_refused_destination_is_a_transport_error_for_callers() -> None:
    """Callers that already handle ``httpx.HTTPError`` record a refusal as a failed call, not a crash."""
    assert issubclass(net.Refused, httpx.ConnectError)
    with pytest.raises(net.Refused, match="not an http"):
        net.check_url("file:///etc/passwd")
