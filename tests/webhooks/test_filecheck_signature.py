"""Outbound deliveries carry both signatures: Standard Webhooks and Filecheck's ``x-filecheck-signature``.

DECISIONS.md 11: "signed with Standard Webhooks headers ... and also with ``x-filecheck-signature`` (hex
HMAC-SHA256 of the body with the endpoint secret, as Filecheck's SDK verifies)". The expected values are
computed here with ``hmac``/``hashlib`` directly (key: the endpoint secret string as the merchant holds
it), never with printgate's signing code; the Standard Webhooks side is checked by the reference package.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select
from standardwebhooks.webhooks import Webhook

from printgate.core.db import get_engine
from printgate.webhooks import outbound
from printgate.webhooks.models import OutboundDelivery, WebhookEndpoint
from printgate.webhooks.signing import SignatureError, filecheck_verify
from tests.conftest import Instance, b64
from tests.webhooks.conftest import Received, Receiver

HEX64 = re.compile(r"[0-9a-f]{64}")


def expected_hex(secret: str, body: bytes) -> str:
    """What Filecheck's SDK computes: HMAC-SHA256 keyed with the secret string's UTF-8 bytes, hex."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class SdkSignatureError(Exception):
    pass


def construct_event(raw_body: bytes, signature_header: str | None, secret: str | None) -> dict[str, Any]:
    """A receiver written to Filecheck's SDK contract (API.md §9): verify ``x-filecheck-signature`` as hex
    HMAC-SHA256 of the raw body (header trimmed, constant-time), then infer the event from the body's shape
    (``taskIds`` + ``finalized`` + ``tasks`` => job.completed; ``taskCount`` => job.created)."""
    if not secret or not signature_header:
        raise SdkSignatureError("Webhook payload has no verifiable signature")
    if not hmac.compare_digest(expected_hex(secret, raw_body).encode(), signature_header.strip().encode()):
        raise SdkSignatureError("Webhook signature verification failed")
    payload = json.loads(raw_body)
    if isinstance(payload.get("taskIds"), list) and payload.get("finalized") and isinstance(payload.get("tasks"), list):
        kind = "job.completed"
    elif isinstance(payload.get("taskCount"), int):
        kind = "job.created"
    else:
        kind = "unknown"
    return {"type": kind, "payload": payload, "verified": True}


def create_endpoint(client: TestClient, auth: dict[str, str], url: str, **extra: Any) -> dict[str, Any]:
    response = client.post("/webhook-endpoints", headers=auth, json={"url": url, **extra})
    assert response.status_code == 201, response.text
    return dict(response.json()["endpoint"])


def run_preflight_job(client: TestClient, auth: dict[str, str], instance: Instance, pdf_file: Path,
                      **extra: Any) -> str:
    created = client.post("/jobs/preflight", headers=auth, json={"sources": [{"file": b64(pdf_file)}], **extra})
    assert created.status_code == 201, created.text
    instance.drain()
    return str(created.json()["job"]["id"])


def decoded_key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix("whsec_"))


def assert_both_signatures(received: Received, secret: str) -> None:
    header = received.headers["x-filecheck-signature"]
    assert HEX64.fullmatch(header), f"bare lowercase hex, no 'sha256=' prefix: {header!r}"
    assert header == expected_hex(secret, received.body)
    # the same delivery also passes the Standard Webhooks reference verifier with the same secret
    assert Webhook(secret).verify(received.body, received.headers) == json.loads(received.body)


def test_every_delivery_carries_both_signatures_made_with_one_endpoint_secret(
        client: TestClient, auth: dict[str, str], instance: Instance, receiver: Receiver, pdf_file: Path) -> None:
    ep = create_endpoint(client, auth, receiver.url)
    secret = ep["secret"]
    assert secret.startswith("whsec_")
    job_id = run_preflight_job(client, auth, instance, pdf_file)

    assert sorted(r.json()["type"] for r in receiver.requests) == ["job.completed", "job.created"]
    for received in receiver.requests:
        assert received.json()["data"]["id"] == job_id
        assert_both_signatures(received, secret)
        # keyed with the secret string as given, not with the bytes Standard Webhooks decodes it to
        decoded = hmac.new(decoded_key(secret), received.body, hashlib.sha256).hexdigest()
        assert received.headers["x-filecheck-signature"] != decoded


def test_a_wrong_secret_fails_the_filecheck_check(
        client: TestClient, auth: dict[str, str], instance: Instance, receiver: Receiver, pdf_file: Path) -> None:
    ep = create_endpoint(client, auth, receiver.url)
    run_preflight_job(client, auth, instance, pdf_file)
    received = receiver.requests[0]
    header = received.headers["x-filecheck-signature"]
    assert header == expected_hex(ep["secret"], received.body)

    wrong = ["whsec_" + base64.b64encode(b"x" * 24).decode(), ep["secret"].removeprefix("whsec_")]
    for secret in wrong:
        assert header != expected_hex(secret, received.body)
        with pytest.raises(SdkSignatureError):
            construct_event(received.body, header, secret)
        with pytest.raises(SignatureError):
            filecheck_verify(secret, received.body, header)
    filecheck_verify(ep["secret"], received.body, header)  # printgate's own verifier agrees
    with pytest.raises(SdkSignatureError):  # a body changed in transit
        construct_event(received.body.replace(b'"job.', b'"jxb.', 1), header, ep["secret"])


def test_filecheck_sdk_construct_event_accepts_filecheck_format_deliveries(
        client: TestClient, auth: dict[str, str], instance: Instance, receiver: Receiver, pdf_file: Path) -> None:
    ep = create_endpoint(client, auth, receiver.url, format="filecheck")
    job_id = run_preflight_job(client, auth, instance, pdf_file)

    events = {}
    for received in receiver.requests:
        event = construct_event(received.body, received.headers.get("x-filecheck-signature"), ep["secret"])
        assert event["verified"] is True and event["payload"]["id"] == job_id
        events[event["type"]] = event["payload"]
        assert_both_signatures(received, ep["secret"])
    assert set(events) == {"job.created", "job.completed"}
    assert events["job.created"]["taskCount"] == 1
    assert len(events["job.completed"]["tasks"]) == 1


def test_job_webhook_is_signed_for_the_sdk_and_its_submitter_cannot_set_the_header(
        client: TestClient, auth: dict[str, str], instance: Instance, receiver: Receiver, pdf_file: Path) -> None:
    ep = create_endpoint(client, auth, receiver.url + "/registered", events=["order.captured"])
    hook = {"url": receiver.url + "/job-hook", "headers": {"X-Filecheck-Signature": "spoof", "X-Shop": "1"}}
    run_preflight_job(client, auth, instance, pdf_file, webhook=hook)

    [received] = receiver.requests
    assert received.path == "/hook/job-hook" and received.headers["x-shop"] == "1"
    assert_both_signatures(received, ep["secret"])
    assert construct_event(received.body, received.headers["x-filecheck-signature"], ep["secret"])["type"] \
        == "job.completed"
    with Session(get_engine()) as session:
        [delivery] = session.exec(select(OutboundDelivery).where(col(OutboundDelivery.kind) == "job")).all()
    assert {k.lower() for k in delivery.headers or {}} == {"x-shop"}, "the submitter's copy is dropped"


def test_after_a_rotation_the_filecheck_signature_uses_the_current_secret(
        client: TestClient, auth: dict[str, str], instance: Instance, receiver: Receiver) -> None:
    ep = create_endpoint(client, auth, receiver.url)
    old = ep["secret"]
    rotated = client.post(f"/webhook-endpoints/{ep['id']}/rotate-secret", headers=auth)
    new = rotated.json()["endpoint"]["secret"]
    assert new != old
    with Session(get_engine(), expire_on_commit=False) as session:
        row = session.get(WebhookEndpoint, ep["id"])
        assert row is not None
        outbound.emit(session, "job.created", row.account_id, {"id": "job_test"}, endpoints=[row])
    instance.drain()

    [received] = receiver.requests
    assert_both_signatures(received, new)
    assert received.headers["x-filecheck-signature"] != expected_hex(old, received.body)
    Webhook(old).verify(received.body, received.headers)  # Standard Webhooks still carries both for the overlap


def test_a_job_webhook_without_any_secret_has_no_filecheck_signature(
        client: TestClient, auth: dict[str, str], instance: Instance, receiver: Receiver, pdf_file: Path) -> None:
    run_preflight_job(client, auth, instance, pdf_file, webhook=receiver.url)
    [received] = receiver.requests
    assert "x-filecheck-signature" not in received.headers and "webhook-signature" not in received.headers
    with pytest.raises(SdkSignatureError):
        construct_event(received.body, received.headers.get("x-filecheck-signature"), None)
