"""The modules' PHP signer and printgate's Python signer agree, in both directions."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from printgate.webhooks.signing import SignatureError, standard_headers, standard_verify

from .conftest import OTHER_SECRET, SECRET, php_run

BODY = json.dumps(
    {"orderId": "1042", "status": "processing", "items": [{"jobId": "job_7Hq2", "name": "Flyer – A5"}]}
)


def test_php_signature_verifies_in_printgate_and_standardwebhooks() -> None:
    now = int(time.time())
    headers = php_run("sign", body=BODY, id="msg_php_1", timestamp=now)
    assert headers["webhook-id"] == "msg_php_1"
    assert headers["webhook-timestamp"] == str(now)
    assert headers["webhook-signature"].startswith("v1,")
    assert standard_verify(SECRET, headers, BODY.encode()) == "msg_php_1"
    assert Webhook(SECRET).verify(BODY, headers) == json.loads(BODY)


def test_php_generates_unique_ids_and_current_timestamp() -> None:
    first = php_run("sign", body=BODY)
    second = php_run("sign", body=BODY)
    assert first["webhook-id"].startswith("msg_")
    assert first["webhook-id"] != second["webhook-id"]
    assert abs(int(first["webhook-timestamp"]) - time.time()) < 10
    standard_verify(SECRET, first, BODY.encode())


@pytest.mark.parametrize("tamper", ["body", "secret", "stale"])
def test_printgate_rejects_tampered_php_signature(tamper: str) -> None:
    ts = int(time.time()) - (600 if tamper == "stale" else 0)
    headers = php_run("sign", body=BODY, id="msg_php_2", timestamp=ts)
    body = BODY.replace("1042", "1043") if tamper == "body" else BODY
    secret = OTHER_SECRET if tamper == "secret" else SECRET
    with pytest.raises(SignatureError):
        standard_verify(secret, headers, body.encode())
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, headers)


def test_php_verifies_python_signatures() -> None:
    now = int(time.time())
    ours = standard_headers(SECRET, "msg_py_1", BODY.encode(), timestamp=now)
    theirs = {
        "webhook-id": "msg_sw_1",
        "webhook-timestamp": str(now),
        "webhook-signature": Webhook(SECRET).sign("msg_sw_1", datetime.fromtimestamp(now, tz=UTC), BODY),
    }
    assert php_run("verify", headers=ours, body=BODY, now=now) == {"ok": True, "id": "msg_py_1"}
    assert php_run("verify", headers=theirs, body=BODY, now=now) == {"ok": True, "id": "msg_sw_1"}


def test_php_accepts_any_of_several_signatures_and_php_server_header_names() -> None:
    now = int(time.time())
    good = standard_headers(SECRET, "msg_py_2", BODY.encode(), timestamp=now)
    wrong = standard_headers(OTHER_SECRET, "msg_py_2", BODY.encode(), timestamp=now)
    server = {
        "HTTP_WEBHOOK_ID": "msg_py_2",
        "HTTP_WEBHOOK_TIMESTAMP": str(now),
        "HTTP_WEBHOOK_SIGNATURE": wrong["webhook-signature"] + " " + good["webhook-signature"],
    }
    assert php_run("verify", headers=server, body=BODY, now=now) == {"ok": True, "id": "msg_py_2"}


@pytest.mark.parametrize(
    ("case", "error"),
    [
        ("body", "signature does not match"),
        ("secret", "signature does not match"),
        ("stale", "tolerance"),
        ("future", "tolerance"),
        ("missing", "missing"),
        ("garbage_ts", "not an integer"),
    ],
)
def test_php_rejects_bad_python_signatures(case: str, error: str) -> None:
    now = int(time.time())
    ts = {"stale": now - 301, "future": now + 301}.get(case, now)
    secret = OTHER_SECRET if case == "secret" else SECRET
    headers = standard_headers(secret, "msg_py_3", BODY.encode(), timestamp=ts)
    if case == "missing":
        del headers["webhook-signature"]
    if case == "garbage_ts":
        headers["webhook-timestamp"] = "12e9"
    body = BODY + " " if case == "body" else BODY
    result = php_run("verify", headers=headers, body=body, now=now)
    assert result["ok"] is False
    assert error in result["error"]


def _event(order_id: str) -> str:
    return json.dumps(
        {
            "type": "order.files_ready",
            "data": {
                "orderId": order_id,
                "jobs": [
                    {
                        "jobId": "job_7Hq2",
                        "status": "ready",
                        "runs": [
                            {
                                "name": "flyer.pdf",
                                "downloadUrl": "http://printgate.test:8000/files/sig?x=1",
                                "proofs": [{"url": "http://printgate.test:8000/proofs/p1.png"}],
                            }
                        ],
                    }
                ],
            },
        }
    )


def test_callback_accepts_once_then_rejects_replay_and_forgeries() -> None:
    now = int(time.time())
    body = _event("1042")
    signed = standard_headers(SECRET, "msg_cb_1", body.encode(), timestamp=now)
    forged = standard_headers(OTHER_SECRET, "msg_cb_2", body.encode(), timestamp=now)
    stale = standard_headers(SECRET, "msg_cb_3", body.encode(), timestamp=now - 400)
    tampered_body = _event("9999")
    results = php_run(
        "callback",
        now=now,
        deliveries=[
            {"headers": signed, "body": body},
            {"headers": signed, "body": body},
            {"headers": forged, "body": body},
            {"headers": stale, "body": body},
            {"headers": signed | {"webhook-id": "msg_cb_4"}, "body": body},
            {
                "headers": standard_headers(SECRET, "msg_cb_5", tampered_body.encode(), timestamp=now),
                "body": body,
            },
        ],
    )
    first = results[0]
    assert first["ok"] is True
    assert first["event"]["type"] == "order.files_ready"
    assert first["event"]["orderId"] == "1042"
    assert first["event"]["messageId"] == "msg_cb_1"
    job = first["event"]["jobs"][0]
    assert job["jobId"] == "job_7Hq2"
    assert job["runs"][0]["name"] == "flyer.pdf"
    assert job["runs"][0]["id"] == "#0"
    assert job["runs"][0]["hasOutput"] is True
    assert job["runs"][0]["proofs"] == ["http://printgate.test:8000/proofs/p1.png"]
    assert [r.get("status") for r in results[1:]] == [409, 401, 401, 401, 401]
    assert "already processed" in results[1]["error"]
