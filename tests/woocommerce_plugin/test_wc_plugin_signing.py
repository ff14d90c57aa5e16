"""Standard Webhooks signatures across languages: the plugin's PHP signer against printgate's
Python verifier (printgate.webhooks.signing) and the reference `standardwebhooks` package, both ways."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from printgate.webhooks.signing import SignatureError, standard_headers, standard_sign, standard_verify

from .conftest import run_php

SECRET = "whsec_" + base64.b64encode(b"printgate-woocommerce-test-key!!").decode()
OTHER_SECRET = "whsec_" + base64.b64encode(b"a-completely-different-secret-k").decode()
BODIES = [
    json.dumps(
        {"orderId": "727", "status": "processing", "items": [{"jobId": "job_01jf8n2q4v"}], "source": "wp"}
    ),
    json.dumps({"name": "Ship Your Idea – Größe M", "emoji": "🖨️"}, ensure_ascii=False),
    "",
    "not json at all {\n\t}",
]


def php_sign(
    body: str, secret: str = SECRET, msg_id: str | None = None, timestamp: int | None = None
) -> dict[str, str]:
    cmd: dict = {"cmd": "sign", "secret": secret, "body": body}
    if msg_id is not None:
        cmd["id"] = msg_id
    if timestamp is not None:
        cmd["timestamp"] = timestamp
    return run_php(cmd)["headers"]


def php_verify(headers: dict[str, str], body: str, secret: str = SECRET, now: int | None = None) -> dict:
    cmd: dict = {"cmd": "verify", "secret": secret, "headers": headers, "body": body}
    if now is not None:
        cmd["now"] = now
    return run_php(cmd)


# --- PHP signs, Python verifies ---------------------------------------------------------------


@pytest.mark.parametrize("body", BODIES, ids=["order", "unicode", "empty", "raw"])
def test_php_signature_verifies_with_printgate_and_reference_verifier(body: str):
    headers = php_sign(body)
    assert set(headers) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert headers["webhook-id"].startswith("msg_") and len(headers["webhook-id"]) == 36
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 5
    assert headers["webhook-signature"].startswith("v1,")

    assert standard_verify(SECRET, headers, body.encode()) == headers["webhook-id"]
    Webhook(SECRET).verify(body.encode(), headers, json_parse=False)


@pytest.mark.parametrize("body", BODIES, ids=["order", "unicode", "empty", "raw"])
def test_php_and_python_produce_the_same_signature(body: str):
    headers = php_sign(body, msg_id="msg_fixed", timestamp=1_700_000_000)
    assert headers["webhook-signature"] == standard_sign(SECRET, "msg_fixed", 1_700_000_000, body.encode())
    reference = Webhook(SECRET).sign("msg_fixed", datetime.fromtimestamp(1_700_000_000, tz=UTC), body)
    assert headers["webhook-signature"] == reference


def test_php_message_ids_are_unique():
    ids = {php_sign(BODIES[0])["webhook-id"] for _ in range(3)}
    assert len(ids) == 3


def test_python_rejects_tampered_body_signed_by_php():
    headers = php_sign(BODIES[0])
    tampered = BODIES[0].replace("processing", "completed").encode()
    with pytest.raises(SignatureError, match="does not match"):
        standard_verify(SECRET, headers, tampered)
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(tampered, headers, json_parse=False)


def test_python_rejects_php_signature_made_with_another_secret():
    headers = php_sign(BODIES[0], secret=OTHER_SECRET)
    with pytest.raises(SignatureError, match="does not match"):
        standard_verify(SECRET, headers, BODIES[0].encode())
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(BODIES[0].encode(), headers, json_parse=False)


@pytest.mark.parametrize("age", [301, -301, 3600])
def test_python_rejects_stale_or_future_php_signature(age: int):
    # Our verifier takes the clock as an argument: the boundary is checked exactly, whatever php-cli's
    # start-up costs between signing and verifying.
    signed_at = 1_700_000_000
    headers = php_sign(BODIES[0], timestamp=signed_at)
    with pytest.raises(SignatureError, match="tolerance"):
        standard_verify(SECRET, headers, BODIES[0].encode(), now=signed_at + age)
    assert standard_verify(SECRET, headers, BODIES[0].encode(), now=signed_at + (299 if age > 0 else -299))
    # The reference library reads the clock itself: sign twice as far out so start-up time cannot matter.
    far = php_sign(BODIES[0], timestamp=int(time.time()) - 2 * age)
    with pytest.raises(WebhookVerificationError, match=r"too (old|new)"):
        Webhook(SECRET).verify(BODIES[0].encode(), far, json_parse=False)


def test_php_signer_accepts_secret_without_prefix():
    bare = SECRET[len("whsec_") :]
    headers = php_sign(BODIES[0], secret=bare, msg_id="msg_1", timestamp=1_700_000_000)
    assert headers["webhook-signature"] == standard_sign(SECRET, "msg_1", 1_700_000_000, BODIES[0].encode())


@pytest.mark.parametrize("secret", ["", "whsec_", "whsec_***not-base64***", "   "])
def test_php_signer_refuses_invalid_secrets(secret: str):
    answer = run_php({"cmd": "new_signer", "secret": secret})
    assert answer == {"ok": False, "error": "The webhook secret must be whsec_ followed by base64."}


# --- Python signs, PHP verifies ---------------------------------------------------------------


@pytest.mark.parametrize("body", BODIES, ids=["order", "unicode", "empty", "raw"])
def test_php_accepts_python_signatures(body: str):
    headers = standard_headers(SECRET, "msg_from_python", body.encode())
    assert php_verify(headers, body) == {"ok": True, "id": "msg_from_python"}


def test_php_accepts_reference_library_signature():
    now = int(time.time())
    body = BODIES[1]
    sig = Webhook(SECRET).sign("msg_ref", datetime.fromtimestamp(now, tz=UTC), body)
    headers = {"webhook-id": "msg_ref", "webhook-timestamp": str(now), "webhook-signature": sig}
    assert php_verify(headers, body) == {"ok": True, "id": "msg_ref"}


def test_php_reads_headers_case_insensitively_and_in_wordpress_form():
    headers = standard_headers(SECRET, "msg_case", BODIES[0].encode())
    upper = {k.upper(): v for k, v in headers.items()}
    assert php_verify(upper, BODIES[0])["ok"] is True
    # WP_REST_Request::get_headers(): lower-case, dashes as underscores, values as lists.
    wp_form = {k.replace("-", "_"): [v] for k, v in headers.items()}
    assert php_verify(wp_form, BODIES[0]) == {"ok": True, "id": "msg_case"}


def test_php_rejects_tampered_body():
    headers = standard_headers(SECRET, "msg_t", BODIES[0].encode())
    answer = php_verify(headers, BODIES[0] + " ")
    assert answer == {"ok": False, "error": "signature does not match"}


def test_php_rejects_wrong_secret():
    headers = standard_headers(OTHER_SECRET, "msg_w", BODIES[0].encode())
    assert php_verify(headers, BODIES[0]) == {"ok": False, "error": "signature does not match"}


def test_php_rejects_changed_message_id():
    headers = standard_headers(SECRET, "msg_original", BODIES[0].encode())
    headers["webhook-id"] = "msg_other"
    assert php_verify(headers, BODIES[0]) == {"ok": False, "error": "signature does not match"}


@pytest.mark.parametrize("skew", [301, -301, 86_400])
def test_php_rejects_timestamps_outside_five_minutes(skew: int):
    """At the PHP side's own "now": PHP's clock read a second after Python's (a slow start on a busy
    machine) once made a stamp 301 s ahead look 300 s ahead, and pass."""
    now = 1_700_000_000
    headers = standard_headers(SECRET, "msg_old", BODIES[0].encode(), timestamp=now - skew)
    answer = php_verify(headers, BODIES[0], now=now)
    assert answer == {"ok": False, "error": "webhook-timestamp is outside the allowed tolerance"}


@pytest.mark.parametrize("skew", [3_600, -3_600])
def test_php_checks_timestamps_against_its_own_clock(skew: int):
    """Without a given "now" the plugin reads its clock: an hour off either way is refused."""
    headers = standard_headers(SECRET, "msg_old", BODIES[0].encode(), timestamp=int(time.time()) - skew)
    answer = php_verify(headers, BODIES[0])
    assert answer == {"ok": False, "error": "webhook-timestamp is outside the allowed tolerance"}


def test_php_tolerance_edge_is_inclusive_at_five_minutes():
    ts = 1_700_000_000
    headers = standard_headers(SECRET, "msg_edge", BODIES[0].encode(), timestamp=ts)
    assert php_verify(headers, BODIES[0], now=ts + 300)["ok"] is True
    assert php_verify(headers, BODIES[0], now=ts - 300)["ok"] is True
    assert php_verify(headers, BODIES[0], now=ts + 301)["ok"] is False


def test_php_accepts_any_matching_signature_during_rotation():
    old = standard_headers(OTHER_SECRET, "msg_rot", BODIES[0].encode(), timestamp=int(time.time()))
    new = standard_sign(SECRET, "msg_rot", int(old["webhook-timestamp"]), BODIES[0].encode())
    old["webhook-signature"] = f"{old['webhook-signature']} {new}"
    assert php_verify(old, BODIES[0]) == {"ok": True, "id": "msg_rot"}


@pytest.mark.parametrize(
    ("mutate", "error"),
    [
        (
            lambda h: h.pop("webhook-signature"),
            "missing webhook-id, webhook-timestamp or webhook-signature header",
        ),
        (lambda h: h.pop("webhook-id"), "missing webhook-id, webhook-timestamp or webhook-signature header"),
        (
            lambda h: h.pop("webhook-timestamp"),
            "missing webhook-id, webhook-timestamp or webhook-signature header",
        ),
        (lambda h: h.update({"webhook-timestamp": "12.5"}), "webhook-timestamp is not an integer"),
        (
            lambda h: h.update({"webhook-signature": "v2," + h["webhook-signature"][3:]}),
            "no v1 signature in webhook-signature",
        ),
    ],
    ids=["no-signature", "no-id", "no-timestamp", "float-timestamp", "only-v2"],
)
def test_php_rejects_malformed_headers(mutate, error: str):
    headers = standard_headers(SECRET, "msg_m", BODIES[0].encode())
    mutate(headers)
    assert php_verify(headers, BODIES[0]) == {"ok": False, "error": error}
