"""A real ``printgate serve`` (forking RQ workers, embedded Redis) delivers signed events."""

from __future__ import annotations

import hashlib
import hmac
import time
from pathlib import Path

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from tests.conftest import b64, make_pdf, start_server, wait_for
from tests.webhooks.conftest import Receiver


@pytest.mark.e2e
def test_serve_delivers_job_events_and_job_webhook(tmp_path: Path, receiver: Receiver) -> None:
    server = start_server(tmp_path / "data")
    try:
        headers = {"Authorization": f"Bearer {server.secret_key}"}
        created = httpx.post(f"{server.url}/webhook-endpoints", headers=headers,
                             json={"url": receiver.url, "events": ["job.created", "job.completed"]})
        assert created.status_code == 201, created.text
        secret = created.json()["endpoint"]["secret"]
        pdf = make_pdf(tmp_path / "a.pdf")
        job = httpx.post(f"{server.url}/jobs/preflight", headers=headers, timeout=60,
                         json={"sources": [{"file": b64(pdf), "name": "a.pdf"}],
                               "webhook": {"url": receiver.url + "/job", "headers": {"X-Ref": "r-1"}}}).json()["job"]
        wait_for(lambda: len(receiver.requests) >= 3, timeout=60)
        time.sleep(0.5)
        paths = sorted((r.path, r.json().get("type")) for r in receiver.requests)
        assert paths == [("/hook", "job.completed"), ("/hook", "job.created"), ("/hook/job", None)]
        for received in receiver.requests:
            body = Webhook(secret).verify(received.body, received.headers)
            assert (body.get("data") or body)["id"] == job["id"]
        assert next(r for r in receiver.requests if r.path == "/hook/job").headers["x-ref"] == "r-1"
        listing = httpx.get(f"{server.url}/webhook-endpoints/{created.json()['endpoint']['id']}/deliveries",
                            headers=headers).json()["deliveries"]
        assert sorted(d["status"] for d in listing) == ["succeeded", "succeeded"]
        # the inbound receiver is mounted and refuses an unknown platform
        body = b"{}"
        sig = hmac.new(b"k", body, hashlib.sha256).hexdigest()
        assert httpx.post(f"{server.url}/webhooks/nope", content=body, headers={"X-Sig": sig}).status_code == 404
    finally:
        server.stop()
    assert server.proc.returncode == 0
