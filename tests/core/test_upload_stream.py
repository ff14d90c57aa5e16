"""The presigned upload target reads the body as a stream (issue 14, medium 6): a forged signature
is refused before the file's bytes are read, and an oversize file is stopped at the cap, also when
the client sends it chunked with no Content-Length. Against a real ``printgate serve``: the test
client would buffer the whole body before the app saw it."""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import Server, start_server

pytestmark = pytest.mark.e2e
CAP = 1_000_000
BOUNDARY = "pgboundary7c1e"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("upload-stream"), workers=0,
                           extra_env={"PRINTGATE_MAX_UPLOAD_BYTES": str(CAP)})
    yield running
    running.stop()


def presign(server: Server) -> dict[str, Any]:
    response = httpx.post(f"{server.url}/uploads", json={},
                          headers={"Authorization": f"Bearer {server.secret_key}"}, timeout=30)
    assert response.status_code == 200, response.text
    return dict(response.json())


def send_chunked(server: Server, path: str, fields: dict[str, str], file_bytes: int) -> tuple[int, int]:
    """POST the form chunked (no Content-Length), as fast as the server reads it; stop sending once
    it answers. Returns (status, file bytes sent before the answer)."""
    head = "".join(f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                   for k, v in fields.items())
    head += (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.pdf\"\r\n"
             "Content-Type: application/pdf\r\n\r\n")
    host = urlsplit(server.url)
    sock = socket.create_connection((host.hostname, host.port), timeout=30)
    sock.sendall((f"POST {path} HTTP/1.1\r\nHost: {host.netloc}\r\nTransfer-Encoding: chunked\r\n"
                  f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n\r\n").encode())

    def chunk(data: bytes) -> bytes:
        return f"{len(data):x}\r\n".encode() + data + b"\r\n"

    sock.sendall(chunk(head.encode()))
    sent, block, answer = 0, b"x" * 65536, b""
    deadline = time.monotonic() + 60
    try:
        while sent < file_bytes and time.monotonic() < deadline:
            readable, writable, _ = select.select([sock], [sock], [], 1.0)
            if readable:
                break
            if writable:
                sock.sendall(chunk(block))
                sent += len(block)
        else:
            sock.sendall(chunk(f"\r\n--{BOUNDARY}--\r\n".encode()) + b"0\r\n\r\n")
        while b"\r\n" not in answer:
            part = sock.recv(4096)
            if not part:
                break
            answer += part
    except (BrokenPipeError, ConnectionResetError):
        answer = answer or sock.recv(4096)
    finally:
        sock.close()
    return int(answer.split(b" ", 2)[1]), sent


def test_a_forged_signature_is_refused_before_the_file_is_read(server: Server) -> None:
    upload = presign(server)
    fields = {**upload["upload"]["fields"], "X-Printgate-Signature": "forged"}
    status, sent = send_chunked(server, f"/uploads/{upload['fileRef']}", fields, file_bytes=300 * 1024 * 1024)
    assert status == 403
    assert sent < 32 * 1024 * 1024, f"the server read {sent} bytes of a refused upload"
    assert list(server.data_dir.rglob("*.part")) == []


def test_a_chunked_upload_over_the_cap_stops_at_the_cap(server: Server) -> None:
    upload = presign(server)
    status, sent = send_chunked(server, f"/uploads/{upload['fileRef']}", upload["upload"]["fields"],
                                file_bytes=600 * 1024 * 1024)
    assert status == 413
    assert sent < 64 * 1024 * 1024, f"the server read {sent} bytes for a {CAP} byte cap"
    stored = [p for p in server.data_dir.rglob("*") if p.is_file() and upload["fileRef"] in str(p)]
    assert stored == [], stored


def test_a_chunked_upload_under_the_cap_is_stored(server: Server, tmp_path: Path) -> None:
    upload = presign(server)
    status, sent = send_chunked(server, f"/uploads/{upload['fileRef']}", upload["upload"]["fields"],
                                file_bytes=5 * 65536)
    assert (status, sent) == (204, 5 * 65536)
    stored = [p for p in server.data_dir.rglob("*") if p.is_file() and p.name == upload["fileRef"]]
    assert [p.stat().st_size for p in stored] == [5 * 65536]
