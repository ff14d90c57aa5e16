"""Rate limits are shared through Redis (every API process counts against one allowance) and cover
authenticated calls, the widget's pk_ calls (per key and client address), dashboard sign-in and
presigned uploads, each refused with 429 and Retry-After."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.conftest import Instance, free_port, make_key


@contextmanager
def api_process(tmp_path: Path, env: dict[str, str]) -> Iterator[str]:
    """One uvicorn process serving printgate on this test's instance (database, files, Redis)."""
    port = free_port()
    log = (tmp_path / f"api-{port}.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "printgate.asgi:app", "--port", str(port),
                             "--no-access-log"], env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (tmp_path / f"api-{port}.log").read_text()[-2000:]
            try:
                if httpx.get(f"{url}/checks", timeout=2).status_code in (200, 401):
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the API process did not start"
            time.sleep(0.2)
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_two_api_processes_share_one_count(instance: Instance, tmp_path: Path) -> None:
    headers = {"Authorization": f"Bearer {make_key('acme')}"}
    other = {"Authorization": f"Bearer {make_key('globex')}"}
    env = {"PRINTGATE_RATE_LIMIT_PER_MINUTE": "10"}
    with api_process(tmp_path, env) as first, api_process(tmp_path, env) as second:
        codes = [httpx.get(f"{(first, second)[i % 2]}/workflows", headers=headers).status_code for i in range(10)]
        assert codes == [200] * 10  # five in each process...
        for url in (first, second):  # ...and the eleventh is refused by either: the count is shared
            refused = httpx.get(f"{url}/workflows", headers=headers)
            assert refused.status_code == 429
            assert 1 <= int(refused.headers["Retry-After"]) <= 7  # one call's worth of a 10/min allowance
            assert refused.json()["error"] is True and "Too many requests" in refused.json()["message"]
        assert httpx.get(f"{first}/workflows", headers=other).status_code == 200  # per key


def test_widget_calls_are_limited_per_publishable_key_and_address(
        instance: Instance, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRINTGATE_RATE_LIMIT_WIDGET_PER_MINUTE", "3")
    monkeypatch.setenv("PRINTGATE_RATE_LIMIT_TRUST_FORWARDED", "1")
    from printgate.app import create_app
    from printgate.core.config import reset_settings

    reset_settings()
    pk = make_key("acme", kind="publishable")

    def call(address: str) -> httpx.Response:
        return client.get("/element/config", params={"workflowId": "wf_default"},
                          headers={"Authorization": f"Bearer {pk}", "X-Forwarded-For": f"10.9.9.9, {address}"})

    with TestClient(create_app()) as client:
        assert [call("203.0.113.7").status_code != 429 for _ in range(3)] == [True] * 3
        limited = call("203.0.113.7")
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
        assert call("198.51.100.4").status_code != 429  # another customer of the same shop
        stream = client.get("/element/jobs/job_x/events", params={"key": pk},
                            headers={"X-Forwarded-For": "203.0.113.7"})
        assert stream.status_code in (404, 429)  # the live stream counts too (404: no such job)


def test_sign_in_attempts_are_limited_per_address(instance: Instance, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRINTGATE_RATE_LIMIT_SIGNIN_PER_MINUTE", "4")
    from printgate.app import create_app
    from printgate.core.config import reset_settings

    reset_settings()
    with TestClient(create_app()) as client:
        codes = []
        for n in range(5):  # a different email each time: the dashboard's per-email limit never trips
            codes.append(client.post("/dashboard/login", data={"email": f"u{n}@x.test", "password": "guess-guess"},
                                     follow_redirects=False).status_code)
        assert all(code != 429 for code in codes[:4]) and codes[4] == 429
        refused = client.post("/dashboard/login", data={"email": "z@x.test", "password": "x"})
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
        assert client.get("/dashboard/login").status_code == 200  # reading the form is not an attempt


def test_presigned_uploads_are_limited_per_address_before_the_body_is_read(
        instance: Instance, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRINTGATE_RATE_LIMIT_UPLOADS_PER_MINUTE", "2")
    from printgate.app import create_app
    from printgate.core.config import reset_settings

    reset_settings()
    headers = {"Authorization": f"Bearer {make_key('acme')}"}
    with TestClient(create_app()) as client:
        uploads = [client.post("/uploads", headers=headers, json={}).json()["upload"] for _ in range(3)]
        targets = [u["url"].replace("http://testserver", "") for u in uploads]
        pdf = ("a.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")
        assert client.post(targets[0], data=uploads[0]["fields"], files={"file": pdf}).status_code == 204
        forged = client.post(targets[1], data={**uploads[1]["fields"], "X-Printgate-Signature": "0" * 64},
                             files={"file": pdf})
        assert forged.status_code == 403  # refused on its merits, and counted
        third = client.post(targets[2], data=uploads[2]["fields"], files={"file": pdf})
        assert third.status_code == 429 and int(third.headers["Retry-After"]) >= 1
        assert client.post("/uploads", headers=headers, json={}).status_code == 200  # a key's own allowance


def test_without_redis_each_process_still_limits(instance: Instance, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRINTGATE_RATE_LIMIT_PER_MINUTE", "3")
    from printgate.app import create_app
    from printgate.core.config import reset_settings
    from printgate.core.queue import reset_redis

    headers = {"Authorization": f"Bearer {make_key('acme')}"}
    monkeypatch.setenv("REDIS_URL", "unix:///nonexistent/redis.sock")
    reset_settings()
    reset_redis()
    with TestClient(create_app()) as client:
        codes = [client.get("/workflows", headers=headers).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
