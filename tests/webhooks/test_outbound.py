"""Outbound events to a real HTTP receiver on loopback: payloads, signatures, retries, breaker, API."""

from __future__ import annotations

import base64
import json
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from printgate.core.clock import as_utc, utcnow
from printgate.core.db import get_engine
from printgate.core.keys import get_or_create_account
from printgate.core.queue import WEBHOOKS, get_queue
from printgate.webhooks import outbound
from printgate.webhooks.models import OutboundAttempt, OutboundDelivery, WebhookEndpoint, WebhookEvent
from printgate.webhooks.signing import SignatureError, standard_verify
from tests.conftest import Instance, b64
from tests.support import source_dir
from tests.webhooks.conftest import Receiver

# The documented outbound retry delays (webhooks/README.md: "Retries: 30 s, 2 m, 10 m, 30 m, 1 h, 2 h,
# 4 h, 8 h, 12 h, 12 h (±10 % jitter ...)"), written out here: never read from the code under test.
RETRY_SCHEDULE_S = (30, 120, 600, 1800, 3600, 7200, 14400, 28800, 43200, 43200)


def acme_id() -> str:
    with Session(get_engine()) as session:
        return get_or_create_account(session, "acme").id


def create_endpoint(client: TestClient, auth: dict[str, str], url: str, **extra: Any) -> dict[str, Any]:
    response = client.post("/webhook-endpoints", headers=auth, json={"url": url, **extra})
    assert response.status_code == 201, response.text
    return dict(response.json()["endpoint"])


def emit_test_event(endpoint_id: str, data: Any = None, event_type: str = "job.created") -> list[str]:
    with Session(get_engine(), expire_on_commit=False) as session:
        ep = session.get(WebhookEndpoint, endpoint_id)
        assert ep is not None
        return outbound.emit(session, event_type, ep.account_id, data or {"id": "job_test"}, endpoints=[ep])


def endpoint_row(endpoint_id: str) -> WebhookEndpoint:
    with Session(get_engine()) as session:
        ep = session.get(WebhookEndpoint, endpoint_id)
        assert ep is not None
        return ep


def deliveries(endpoint_id: str | None = None) -> list[OutboundDelivery]:
    with Session(get_engine()) as session:
        query = select(OutboundDelivery).order_by(col(OutboundDelivery.created_at))
        if endpoint_id:
            query = query.where(OutboundDelivery.endpoint_id == endpoint_id)
        return list(session.exec(query).all())


def assert_signed(received: Any, secrets: list[str]) -> None:
    """Both our verifier and the Standard Webhooks reference package accept it, with every secret."""
    for secret in secrets:
        assert standard_verify(secret, received.headers, received.body) == received.headers["webhook-id"]
        assert Webhook(secret).verify(received.body, received.headers) == json.loads(received.body)


# --- payloads and signatures from real jobs ------------------------------------------------------------

def test_job_events_reach_endpoint_signed_in_the_printgate_envelope(
        client: TestClient, auth: dict[str, str], instance: Instance, receiver: Receiver, pdf_file: Path) -> None:
    ep = create_endpoint(client, auth, receiver.url)
    assert ep["secret"].startswith("whsec_") and ep["events"] == ["*"]
    created = client.post("/jobs/preflight", headers=auth, json={"sources": [{"file": b64(pdf_file)}]})
    assert created.status_code == 201
    job_id = created.json()["job"]["id"]
    instance.drain()

    types = [r.json()["type"] for r in receiver.requests]
    assert sorted(types) == ["job.completed", "job.created"]
    for received in receiver.requests:
        assert_signed(received, [ep["secret"]])
        assert received.headers["content-type"] == "application/json"
        assert received.headers["webhook-id"].startswith("evt_")
        body = received.json()
        assert set(body) == {"type", "timestamp", "data"}
        assert body["timestamp"].endswith("Z")
        assert body["data"]["id"] == job_id
    completed = receiver.bodies("job.completed")[0]["data"]
    job = client.get(f"/jobs/{job_id}", headers=auth).json()["job"]
    assert completed["status"] == job["status"] and completed["status"] in ("ready", "partial", "rejected")
    assert completed["summary"]["taskIds"] == [t["id"] for t in job["tasks"]]
    # a wrong secret is refused by both verifiers
    other = "whsec_" + base64.b64encode(b"x" * 24).decode()
    with pytest.raises(SignatureError):
        standard_verify(other, receiver.requests[0].headers, receiver.requests[0].body)
    with pytest.raises(WebhookVerificationError):
        Webhook(other).verify(receiver.requests[0].body, receiver.requests[0].headers)


def test_job_webhook_gets_filecheck_shape_with_its_headers_signed_with_default_secret(
        client: TestClient, auth: dict[str, str], instance: Instance, receiver: Receiver, pdf_file: Path) -> None:
    ep = create_endpoint(client, auth, receiver.url + "/registered", events=["order.captured"])
    hook = {"url": receiver.url + "/job-hook", "headers": {"X-Shop-Token": "abc123", "Webhook-Id": "spoof"}}
    created = client.post("/jobs/preflight", headers=auth,
                          json={"sources": [{"file": b64(pdf_file)}], "webhook": hook})
    job_id = created.json()["job"]["id"]
    instance.drain()

    [received] = receiver.requests  # the endpoint is not subscribed to job events
    assert received.path == "/hook/job-hook"
    assert received.headers["x-shop-token"] == "abc123"
    assert received.headers["webhook-id"].startswith("evt_"), "reserved headers cannot be overridden"
    assert_signed(received, [ep["secret"]])
    body = received.json()
    fixture = json.loads(Path("/work/shared/spec/sdk-fixtures/webhook.job-completed.json").read_text())
    assert set(fixture) <= set(body), "the Filecheck job.completed keys are all there"
    assert "type" not in body and "data" not in body, "Filecheck sends no envelope"
    assert body["id"] == job_id and body["taskIds"] == [t["id"] for t in body["tasks"]]
    task_keys = set(fixture["tasks"][0]) - set(body["tasks"][0])
    assert task_keys == set(), f"task keys missing: {task_keys}"
    step_keys = set(fixture["tasks"][0]["steps"][0]) - set(body["tasks"][0]["steps"][0])
    assert step_keys == set()
    assert body["tasks"][0]["sourceRef"]["key"] == body["sourceRefs"][0]["key"]
    assert body["finalized"] is not None


def test_job_webhook_without_any_endpoint_is_sent_unsigned(
        client: TestClient, auth: dict[str, str], instance: Instance, receiver: Receiver, pdf_file: Path) -> None:
    client.post("/jobs/preflight", headers=auth, json={"sources": [{"file": b64(pdf_file)}],
                                                       "webhook": receiver.url})
    instance.drain()
    [received] = receiver.requests
    assert "webhook-signature" not in received.headers
    assert received.json()["status"] in ("ready", "partial", "rejected")


def test_filecheck_format_endpoint_gets_envelope_free_bodies(
        client: TestClient, auth: dict[str, str], instance: Instance, receiver: Receiver, pdf_file: Path) -> None:
    ep = create_endpoint(client, auth, receiver.url, format="filecheck")
    client.post("/jobs/preflight", headers=auth, json={"sources": [{"file": b64(pdf_file)}]})
    instance.drain()
    bodies = {("created" if "taskCount" in r.json() else "completed"): r.json() for r in receiver.requests}
    assert set(bodies) == {"created", "completed"}
    assert bodies["created"]["taskCount"] == 1 and isinstance(bodies["created"]["created"], int)
    assert {"taskIds", "finalized", "tasks"} <= set(bodies["completed"])
    for received in receiver.requests:
        assert_signed(received, [ep["secret"]])


# --- orders ------------------------------------------------------------------------------------------

def test_order_captured_and_files_ready_once(client: TestClient, auth: dict[str, str], instance: Instance,
                                             receiver: Receiver, clean_pdf: Path) -> None:
    create_endpoint(client, auth, receiver.url, events=["order.captured", "order.files_ready"])
    created = client.post("/jobs/preflight", headers=auth, json={"sources": [{"file": b64(clean_pdf)}]})
    job_id = created.json()["job"]["id"]
    instance.drain()
    job = client.get(f"/jobs/{job_id}", headers=auth).json()["job"]
    assert job["canProceed"] is True, job["reason"]
    body = {"orderId": "5512", "status": "processing", "items": [{"itemId": 1, "name": "Cards", "jobId": job_id}]}
    assert client.post("/orders/5512", headers=auth, json=body).status_code == 200
    instance.drain()
    assert client.post("/orders/5512", headers=auth, json={**body, "status": "completed"}).status_code == 200
    instance.drain()

    captured = receiver.bodies("order.captured")
    assert [c["data"]["status"] for c in captured] == ["processing", "completed"]
    assert captured[0]["data"]["orderId"] == "5512" and captured[0]["data"]["jobIds"] == [job_id]
    ready = receiver.bodies("order.files_ready")
    assert len(ready) == 1, "files_ready is sent once per order"
    assert ready[0]["data"]["jobs"][0]["jobId"] == job_id


# --- retries, attempts, breaker --------------------------------------------------------------------------

def test_failing_receiver_retries_are_recorded_and_endpoint_disabled(
        client: TestClient, auth: dict[str, str], instance: Instance, receiver: Receiver, fast_retries: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRINTGATE_WEBHOOK_DISABLE_AFTER_FAILURES", "4")
    monkeypatch.setenv("PRINTGATE_WEBHOOK_DISABLE_AFTER_S", "0")
    receiver.status = 503
    receiver.reply_body = b"maintenance window"
    ep = create_endpoint(client, auth, receiver.url)
    [delivery_id] = emit_test_event(ep["id"])
    instance.drain(rounds=10)

    assert len(receiver.requests) == 4
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1, "retries keep the message id"
    row = endpoint_row(ep["id"])
    assert row.enabled is False and row.failure_count == 4
    assert row.disabled_reason is not None and "4 consecutive failed deliveries" in row.disabled_reason
    listing = client.get(f"/webhook-endpoints/{ep['id']}/deliveries", headers=auth).json()["deliveries"]
    [d] = listing
    assert d["id"] == delivery_id and d["status"] == "failed" and d["attemptCount"] == 4
    assert [a["statusCode"] for a in d["attempts"]] == [503, 503, 503, 503]
    assert all(a["responseSnippet"] == "maintenance window" and a["durationMs"] >= 0 for a in d["attempts"])
    assert d["attempts"][0]["error"] == "HTTP 503" and d["attempts"][0]["nextRetryAt"] is not None
    assert d["attempts"][-1]["error"] == "HTTP 503; endpoint disabled" and d["attempts"][-1]["nextRetryAt"] is None

    # a disabled endpoint gets no new deliveries, and a retry is refused until it is enabled
    assert emit_test_event(ep["id"]) != []  # emitted to the given list ...
    instance.drain()
    assert deliveries(ep["id"])[-1].status == "cancelled"  # ... but cancelled at send time
    assert client.post(f"/webhook-deliveries/{delivery_id}/retry", headers=auth).status_code == 409
    shown = client.get(f"/webhook-endpoints/{ep['id']}", headers=auth).json()["endpoint"]
    assert shown["enabled"] is False and shown["disabledReason"] == row.disabled_reason

    # the merchant fixes the receiver, enables the endpoint and retries the failed delivery
    receiver.status = 200
    enabled = client.post(f"/webhook-endpoints/{ep['id']}/enable", headers=auth).json()["endpoint"]
    assert enabled["enabled"] is True and enabled["failureCount"] == 0 and enabled["disabledReason"] is None
    retried = client.post(f"/webhook-deliveries/{delivery_id}/retry", headers=auth)
    assert retried.status_code == 202
    instance.drain()
    d = client.get(f"/webhook-deliveries/{delivery_id}", headers=auth).json()["delivery"]
    assert d["status"] == "succeeded" and d["attemptCount"] == 5 and d["attempts"][-1]["statusCode"] == 200
    assert len(receiver.requests) == 5


def test_breaker_needs_the_failures_to_span_the_configured_time(
        client: TestClient, auth: dict[str, str], instance: Instance, receiver: Receiver, fast_retries: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRINTGATE_WEBHOOK_DISABLE_AFTER_FAILURES", "3")
    monkeypatch.setenv("PRINTGATE_WEBHOOK_DISABLE_AFTER_S", "86400")
    receiver.status = 500
    ep = create_endpoint(client, auth, receiver.url)
    emit_test_event(ep["id"])
    instance.drain(rounds=10)
    row = endpoint_row(ep["id"])
    assert row.failure_count == 6 and row.enabled is True, "six quick failures are not a day of failures"
    assert deliveries(ep["id"])[0].status == "failed"  # the schedule (5 retries) is exhausted
    with Session(get_engine()) as session:
        stored = session.get(WebhookEndpoint, ep["id"])
        assert stored is not None
        stored.failing_since = utcnow() - timedelta(hours=25)
        session.add(stored)
        session.commit()
    emit_test_event(ep["id"])
    instance.drain(rounds=10)
    assert endpoint_row(ep["id"]).enabled is False
    # one success resets the streak
    client.post(f"/webhook-endpoints/{ep['id']}/enable", headers=auth)
    receiver.status = 200
    emit_test_event(ep["id"])
    instance.drain()
    row = endpoint_row(ep["id"])
    assert row.failure_count == 0 and row.failing_since is None and row.last_success_at is not None


def default_schedule(monkeypatch: pytest.MonkeyPatch, *, jitter: bool = True) -> None:
    """The shipped retry settings, whatever the environment of the test run says."""
    monkeypatch.delenv("PRINTGATE_WEBHOOK_RETRY_SCHEDULE", raising=False)
    if jitter:
        monkeypatch.delenv("PRINTGATE_WEBHOOK_RETRY_JITTER", raising=False)
    else:
        monkeypatch.setenv("PRINTGATE_WEBHOOK_RETRY_JITTER", "0")


def test_default_retry_schedule_is_the_documented_one(monkeypatch: pytest.MonkeyPatch) -> None:
    from printgate.webhooks.settings import DEFAULT_RETRY_SCHEDULE, get_webhook_settings

    default_schedule(monkeypatch)
    assert tuple(DEFAULT_RETRY_SCHEDULE) == RETRY_SCHEDULE_S
    settings = get_webhook_settings()
    assert tuple(settings.retry_schedule) == RETRY_SCHEDULE_S
    assert settings.retry_jitter == 0.1
    readme = (source_dir("webhooks") / "README.md").read_text()
    assert "Retries: 30 s, 2 m, 10 m, 30 m, 1 h, 2 h, 4 h, 8 h, 12 h, 12 h (±10 % jitter" in readme


def test_backoff_follows_the_schedule_within_the_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    """``backoff_s(n)``: the delay before attempt n + 1; None once the 10 retries are used up."""
    default_schedule(monkeypatch, jitter=False)
    assert [outbound.backoff_s(n) for n in range(1, 12)] == [float(s) for s in RETRY_SCHEDULE_S] + [None]
    assert outbound.backoff_s(12) is None
    default_schedule(monkeypatch)  # +-10 % jitter
    for attempt, base in enumerate(RETRY_SCHEDULE_S, start=1):
        delays = [outbound.backoff_s(attempt) for _ in range(40)]
        assert all(d is not None and base * 0.9 <= d <= base * 1.1 for d in delays), (attempt, base, delays)
        assert len(set(delays)) > 1, "the delays are jittered"
    assert outbound.backoff_s(11) is None


def test_failing_delivery_records_every_retry_on_the_documented_schedule(
        client: TestClient, auth: dict[str, str], instance: Instance, receiver: Receiver,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A receiver that always fails: 11 attempts, each failed one recording when the next is due,
    30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, 8 h, 12 h and 12 h later; then ``failed``."""
    default_schedule(monkeypatch, jitter=False)
    monkeypatch.setenv("PRINTGATE_WEBHOOK_DISABLE_AFTER_FAILURES", "1000")  # the breaker stays out of it
    receiver.status = 503
    ep = create_endpoint(client, auth, receiver.url)
    [delivery_id] = emit_test_event(ep["id"])
    get_queue(WEBHOOKS).empty()  # every attempt is made right here, the clock moved to its due time
    delays: list[float] = []
    due: datetime | None = None
    for attempt in range(1, len(RETRY_SCHEDULE_S) + 2):
        with time_machine.travel(due or utcnow(), tick=True):
            status = outbound.deliver(delivery_id)
        with Session(get_engine()) as session:
            row = session.get(OutboundDelivery, delivery_id)
            assert row is not None
        assert row.attempts == attempt
        if attempt <= len(RETRY_SCHEDULE_S):
            assert status == "pending" and row.next_attempt_at is not None, (attempt, status)
            delays.append((as_utc(row.next_attempt_at) - as_utc(row.updated_at)).total_seconds())
            due = as_utc(row.next_attempt_at)
            assert f"{delivery_id}-{attempt + 1}" in get_queue(WEBHOOKS).scheduled_job_registry.get_job_ids()
        else:
            assert status == "failed" and row.next_attempt_at is None and row.completed_at is not None
    assert delays == [float(s) for s in RETRY_SCHEDULE_S]
    assert sum(delays) == 142_950  # the last retry is due 39 h 42 min 30 s after the first attempt
    assert len(receiver.requests) == len(RETRY_SCHEDULE_S) + 1
    assert due is not None
    with time_machine.travel(due + timedelta(days=1), tick=True):
        assert outbound.deliver(delivery_id) == "failed", "no attempt past the schedule"
    assert len(receiver.requests) == len(RETRY_SCHEDULE_S) + 1

    # Each attempt row records its next retry: the delay after the attempt ended.
    with Session(get_engine()) as session:
        attempts = session.exec(select(OutboundAttempt).where(OutboundAttempt.delivery_id == delivery_id)
                                .order_by(col(OutboundAttempt.number))).all()
    assert [a.number for a in attempts] == list(range(1, 12))
    recorded = [(as_utc(a.next_retry_at) - as_utc(a.started_at)).total_seconds() - (a.duration_ms or 0) / 1000
                for a in attempts[:-1] if a.next_retry_at is not None]
    assert recorded == pytest.approx(RETRY_SCHEDULE_S, abs=1e-3)
    assert attempts[-1].next_retry_at is None
    # ... and the API shows the same times to the merchant (ISO, millisecond precision).
    shown = client.get(f"/webhook-deliveries/{delivery_id}", headers=auth).json()["delivery"]
    assert shown["status"] == "failed" and shown["attemptCount"] == 11 and shown["maxAttempts"] == 11
    api_delays = [(_parse_iso(a["nextRetryAt"]) - _parse_iso(a["at"])).total_seconds() - a["durationMs"] / 1000
                  for a in shown["attempts"][:-1]]
    assert api_delays == pytest.approx(RETRY_SCHEDULE_S, abs=0.01)
    assert shown["attempts"][-1]["nextRetryAt"] is None


def _parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_first_retry_is_queued_30_s_later(client: TestClient, auth: dict[str, str], instance: Instance,
                                          receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    """Default schedule: retry 1 after 30 s (+-10 %), queued as an RQ scheduled job."""
    default_schedule(monkeypatch)
    receiver.status = 500
    ep = create_endpoint(client, auth, receiver.url)
    [delivery_id] = emit_test_event(ep["id"])
    instance.drain()
    [d] = deliveries(ep["id"])
    assert d.status == "pending" and d.attempts == 1 and d.next_attempt_at is not None
    # Measured from the failed attempt's own record, so a slow worker does not stretch it.
    wait = (as_utc(d.next_attempt_at) - as_utc(d.updated_at)).total_seconds()
    assert 27 <= round(wait, 3) <= 33, wait
    assert f"{delivery_id}-2" in get_queue(WEBHOOKS).scheduled_job_registry.get_job_ids()
    early = client.post(f"/webhook-deliveries/{delivery_id}/retry", headers=auth)
    assert early.status_code == 409 and early.json()["message"].startswith("This delivery is already scheduled")


def test_rotation_signs_with_both_secrets_for_the_overlap(
        client: TestClient, auth: dict[str, str], instance: Instance, receiver: Receiver) -> None:
    ep = create_endpoint(client, auth, receiver.url)
    old = ep["secret"]
    before = utcnow()
    rotated = client.post(f"/webhook-endpoints/{ep['id']}/rotate-secret", headers=auth)
    after = utcnow()
    assert rotated.status_code == 200
    new = rotated.json()["endpoint"]["secret"]
    assert new != old and new.startswith("whsec_")
    # 24 h after the rotation, which happened during the request (the API shows milliseconds).
    expires = _parse_iso(rotated.json()["endpoint"]["previousSecretExpiresAt"])
    assert before + timedelta(hours=24) - timedelta(milliseconds=1) < expires <= after + timedelta(hours=24)
    emit_test_event(ep["id"])
    instance.drain()
    [received] = receiver.requests
    assert len(received.headers["webhook-signature"].split(" ")) == 2
    assert_signed(received, [old, new])

    # after the overlap only the new secret signs
    with Session(get_engine()) as session:
        stored = session.get(WebhookEndpoint, ep["id"])
        assert stored is not None
        stored.previous_secret_expires_at = utcnow() - timedelta(seconds=1)
        session.add(stored)
        session.commit()
    emit_test_event(ep["id"])
    instance.drain()
    latest = receiver.requests[-1]
    assert len(latest.headers["webhook-signature"].split(" ")) == 1
    assert_signed(latest, [new])
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(latest.body, latest.headers)

    # a merchant may bring their own secret
    mine = "whsec_" + base64.b64encode(b"k" * 32).decode()
    again = client.post(f"/webhook-endpoints/{ep['id']}/rotate-secret", headers=auth, json={"secret": mine})
    assert again.json()["endpoint"]["secret"] == mine


# --- HTTP edge cases -------------------------------------------------------------------------------------

def test_redirects_same_origin_307_followed_other_host_not(
        client: TestClient, auth: dict[str, str], instance: Instance, receiver: Receiver, fast_retries: None) -> None:
    receiver.script = [307, 200]
    receiver.reply_headers = {"Location": "/moved"}
    ep = create_endpoint(client, auth, receiver.url)
    emit_test_event(ep["id"])
    instance.drain()
    assert [r.path for r in receiver.requests] == ["/hook", "/moved"]
    assert receiver.requests[0].body == receiver.requests[1].body
    [d] = deliveries(ep["id"])
    assert d.status == "succeeded"

    receiver.requests.clear()
    receiver.script = [308]
    receiver.reply_headers = {"Location": "http://localhost.example.invalid/steal"}
    ep2 = create_endpoint(client, auth, receiver.url + "2", events=["job.processed"])
    [delivery_id] = emit_test_event(ep2["id"], event_type="job.processed")
    receiver.status = 500
    instance.drain(rounds=10)
    with Session(get_engine()) as session:
        first = session.exec(select(OutboundAttempt).where(OutboundAttempt.delivery_id == delivery_id)
                             .order_by(col(OutboundAttempt.number))).first()
    assert first is not None and first.status_code == 308
    assert first.error == "redirect to another origin not followed: http://localhost.example.invalid/steal"
    receiver.reply_headers = {"Location": "/elsewhere"}
    receiver.script = [302]
    ep3 = create_endpoint(client, auth, receiver.url + "3", events=["job.processed"])
    [third] = emit_test_event(ep3["id"], event_type="job.processed")
    instance.drain(rounds=10)
    d3 = client.get(f"/webhook-deliveries/{third}", headers=auth).json()["delivery"]
    assert d3["attempts"][0]["error"].startswith("HTTP 302 redirect not followed")


def test_timeouts_and_connection_errors_are_recorded(
        client: TestClient, auth: dict[str, str], instance: Instance, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRINTGATE_WEBHOOK_TIMEOUT_S", "0.3")
    stall, answered = threading.Event(), threading.Event()

    class Slow(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            stall.wait(60)  # answers only once the test lets it, after the attempt was recorded
            answered.set()
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        slow = create_endpoint(client, auth, f"http://127.0.0.1:{server.server_address[1]}/slow")
        [slow_id] = emit_test_event(slow["id"])
        closed = create_endpoint(client, auth, "http://127.0.0.1:9/closed")  # discard port: nothing listens
        [closed_id] = emit_test_event(closed["id"])
        instance.drain()
        assert not answered.is_set(), "the attempt waited for the receiver's answer instead of timing out"
    finally:
        stall.set()
        server.shutdown()
        server.server_close()
    slow_d = client.get(f"/webhook-deliveries/{slow_id}", headers=auth).json()["delivery"]
    assert slow_d["attempts"][0]["error"] == "timeout: ReadTimeout" and slow_d["status"] == "pending"
    # The configured 0.3 s, not the default 10 s: waited at least the read timeout, and gave up far
    # below the default (a generous bound; the receiver above would have held it for 60 s).
    assert 290 <= slow_d["attempts"][0]["durationMs"] < 5000, slow_d["attempts"][0]
    closed_d = client.get(f"/webhook-deliveries/{closed_id}", headers=auth).json()["delivery"]
    assert closed_d["attempts"][0]["error"].startswith("ConnectError")


def test_private_network_destination_refused_unless_allowed(
        client: TestClient, auth: dict[str, str], instance: Instance, receiver: Receiver,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PRINTGATE_ALLOW_PRIVATE_URLS", raising=False)
    ep = create_endpoint(client, auth, receiver.url)
    [delivery_id] = emit_test_event(ep["id"])
    instance.drain()
    assert receiver.requests == []
    d = client.get(f"/webhook-deliveries/{delivery_id}", headers=auth).json()["delivery"]
    assert "private address" in d["attempts"][0]["error"]


# --- durability ------------------------------------------------------------------------------------------

def test_deliveries_survive_a_lost_queue_and_a_dead_worker(
        client: TestClient, auth: dict[str, str], instance: Instance, receiver: Receiver) -> None:
    ep = create_endpoint(client, auth, receiver.url)
    ids = [emit_test_event(ep["id"], {"n": n})[0] for n in range(10)]
    get_queue(WEBHOOKS).empty()  # no worker ran; Redis lost the messages
    instance.drain()
    assert receiver.requests == []
    # one delivery was mid-attempt when its worker died
    with Session(get_engine()) as session:
        row = session.get(OutboundDelivery, ids[0])
        assert row is not None
        row.status, row.attempts = "sending", 1
        row.locked_until = utcnow() - timedelta(seconds=1)
        session.add(row)
        session.commit()
    counts = outbound.sweep(requeue_pending=True)
    assert counts == {"requeued": 10, "reclaimed": 1, "purged": 0}
    assert outbound.sweep(requeue_pending=True)["requeued"] == 0, "queued deliveries are not doubled"
    instance.drain()
    assert sorted(r.json()["data"]["n"] for r in receiver.requests) == list(range(10))
    assert all(d.status == "succeeded" for d in deliveries(ep["id"]))
    d0 = client.get(f"/webhook-deliveries/{ids[0]}", headers=auth).json()["delivery"]
    assert [a["error"] for a in d0["attempts"]] == [
        "the worker making this attempt stopped; the attempt is repeated", None]


def test_event_and_deliveries_written_together(client: TestClient, auth: dict[str, str], instance: Instance,
                                               receiver: Receiver) -> None:
    a = create_endpoint(client, auth, receiver.url + "/a", events=["job.created"])
    b = create_endpoint(client, auth, receiver.url + "/b")
    create_endpoint(client, auth, receiver.url + "/c", events=["order.captured"])
    create_endpoint(client, auth, receiver.url + "/d", enabled=False)
    with Session(get_engine(), expire_on_commit=False) as session:
        eps = outbound._endpoints_for(session, acme_id(), "job.created")
        assert sorted(ep.id for ep in eps) == sorted([a["id"], b["id"]])
        ids = outbound.emit(session, "job.created", acme_id(), {"id": "job_1"}, endpoints=eps)
        event = session.exec(select(WebhookEvent)).one()
        rows = session.exec(select(OutboundDelivery).where(OutboundDelivery.event_id == event.id)).all()
        assert sorted(r.id for r in rows) == sorted(ids) and len(ids) == 2
        with pytest.raises(ValueError, match="unknown event type"):
            outbound.emit(session, "job.exploded", acme_id(), {}, endpoints=eps)
    instance.drain()
    assert sorted(r.path for r in receiver.requests) == ["/hook/a", "/hook/b"]
    assert receiver.requests[0].body == receiver.requests[1].body


def _workflow_intake_job(client: TestClient, instance: Instance, pdf: Path) -> str:
    """A job through the Element path (workflow ``wf_default``), intake verdict reached."""
    from tests.conftest import make_key

    headers = {"Authorization": f"Bearer {make_key('acme', kind='publishable')}"}
    created = client.post("/element/jobs", headers=headers, json={"workflowId": "wf_default"}).json()
    job_id = created["jobId"]
    upload = client.post("/uploads", headers=headers, json={}).json()
    url = upload["upload"]["url"].removeprefix("http://testserver")
    assert client.post(url, data=upload["upload"]["fields"],
                       files={"file": (pdf.name, pdf.read_bytes(), "application/pdf")}).status_code == 204
    on_job = {**headers, "Printgate-Job-Token": created["clientToken"]}  # as the widget sends it
    added = client.post(f"/element/jobs/{job_id}/files", headers=on_job,
                        json={"fileRef": upload["fileRef"], "name": pdf.name})
    assert added.status_code in (200, 201), added.text
    instance.drain()
    return str(job_id)


def test_workflow_order_files_ready_waits_for_processing(
        client: TestClient, auth: dict[str, str], instance: Instance, receiver: Receiver, clean_pdf: Path) -> None:
    ep = create_endpoint(client, auth, receiver.url, events=["job.processed", "order.captured", "order.files_ready"])
    job_id = _workflow_intake_job(client, instance, clean_pdf)
    assert receiver.requests == [], "intake alone sends none of the subscribed events"
    body = {"orderId": "7001", "status": "processing", "items": [{"itemId": 1, "jobId": job_id}]}
    assert client.post("/orders/7001", headers=auth, json=body).json()["affectedJobIds"] == [job_id]
    instance.drain()

    types = [r.json()["type"] for r in receiver.requests]
    assert types.index("order.captured") < types.index("order.files_ready")
    assert types.count("order.files_ready") == 1 and types.count("job.processed") == 1
    processed = receiver.bodies("job.processed")[0]["data"]
    assert processed["id"] == job_id and processed["wfPhase"] == "processing_done"
    ready = receiver.bodies("order.files_ready")[0]["data"]
    assert ready["orderId"] == "7001"
    [entry] = ready["jobs"]
    assert entry["jobId"] == job_id and len(entry["deliverables"]) == 1
    assert entry["deliverables"][0]["downloadUrl"]
    for received in receiver.requests:
        assert_signed(received, [ep["secret"]])


def test_finished_deliveries_are_purged_after_the_retention(
        client: TestClient, auth: dict[str, str], instance: Instance, receiver: Receiver) -> None:
    ep = create_endpoint(client, auth, receiver.url)
    old_id, new_id_ = emit_test_event(ep["id"])[0], emit_test_event(ep["id"])[0]
    instance.drain()
    with Session(get_engine()) as session:
        row = session.get(OutboundDelivery, old_id)
        assert row is not None
        row.created_at = utcnow() - timedelta(days=31)
        session.add(row)
        session.commit()
    assert outbound.sweep()["purged"] == 1
    assert [d.id for d in deliveries(ep["id"])] == [new_id_]
    assert client.get(f"/webhook-deliveries/{old_id}", headers=auth).status_code == 404
    with Session(get_engine()) as session:
        assert session.exec(select(OutboundAttempt).where(OutboundAttempt.delivery_id == old_id)).all() == []
        assert len(session.exec(select(WebhookEvent)).all()) == 1
