"""Signatures on the wire, one function per scheme.

- Standard Webhooks (``webhook-id``, ``webhook-timestamp``, ``webhook-signature: v1,<b64>``) signs
  printgate's outbound events and the calls store modules (OpenCart, PrestaShop, WordPress) make to
  printgate. Secrets look like ``whsec_<base64>``.
- Filecheck's SDK (``constructEvent``) verifies ``x-filecheck-signature``: hex HMAC-SHA256 of the raw
  body; printgate's outbound events carry it next to the Standard Webhooks headers.
- Shopify and WooCommerce sign the raw body with base64(HMAC-SHA256); Shopify's install redirect
  carries a hex HMAC over the sorted query pairs.

All comparisons are constant-time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Iterable, Mapping

STANDARD_TOLERANCE_S = 5 * 60


class SignatureError(Exception):
    """The signature is missing, malformed, wrong or outside the time tolerance."""


def new_whsec() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def _whsec_key(secret: str) -> bytes:
    raw = secret[len("whsec_"):] if secret.startswith("whsec_") else secret
    try:
        return base64.b64decode(raw, validate=True)
    except ValueError as exc:
        raise SignatureError("webhook secret is not valid base64") from exc


def standard_sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """Return the ``webhook-signature`` header value (``v1,<base64>``)."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_whsec_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def standard_headers(secret: str, msg_id: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    ts = int(time.time()) if timestamp is None else timestamp
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": standard_sign(secret, msg_id, ts, body),
    }


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by name, whatever its case (a plain mapping of headers, as every verifier gets)."""
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def standard_verify(
    secrets_: str | Iterable[str],
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float | None = None,
    tolerance_s: int = STANDARD_TOLERANCE_S,
) -> str:
    """Verify a Standard Webhooks request; return its ``webhook-id``.

    Several secrets may be given so a rotated secret keeps verifying during the overlap.
    """
    msg_id = header(headers, "webhook-id")
    ts_raw = header(headers, "webhook-timestamp")
    sig_header = header(headers, "webhook-signature")
    if not msg_id or not ts_raw or not sig_header:
        raise SignatureError("missing webhook-id, webhook-timestamp or webhook-signature header")
    try:
        ts = int(ts_raw)
    except ValueError as exc:
        raise SignatureError("webhook-timestamp is not an integer") from exc
    current = time.time() if now is None else now
    if abs(current - ts) > tolerance_s:
        raise SignatureError("webhook-timestamp is outside the allowed tolerance")
    candidates = [part.split(",", 1)[1] for part in sig_header.split() if part.startswith("v1,")]
    if not candidates:
        raise SignatureError("no v1 signature in webhook-signature")
    for secret in [secrets_] if isinstance(secrets_, str) else list(secrets_):
        expected = standard_sign(secret, msg_id, ts, body).split(",", 1)[1]
        if any(hmac.compare_digest(expected, candidate) for candidate in candidates):
            return msg_id
    raise SignatureError("signature does not match")


FILECHECK_SIGNATURE_HEADER = "x-filecheck-signature"


def filecheck_signature(secret: str, body: bytes) -> str:
    """The ``x-filecheck-signature`` value: bare lowercase hex of HMAC-SHA256(secret, raw body).

    The key is the endpoint secret exactly as the merchant is given it, ``whsec_`` prefix included,
    as UTF-8 bytes: not the base64-decoded bytes Standard Webhooks signs with. Why:

    - DECISIONS.md 11: "also with ``x-filecheck-signature`` (hex HMAC-SHA256 of the body with the
      endpoint secret, as Filecheck's SDK verifies)". API.md §9: "header ``x-filecheck-signature:
      <hex>`` = HMAC-SHA256 of the raw body". Both say hex, no ``sha256=`` prefix, and "the endpoint
      secret", i.e. the string the merchant holds; neither mentions decoding it.
    - Filecheck's SDK, whose verification the decision names (filecheck-node ``src/webhooks.ts``, in the
      repository sdk-fixtures/PROVENANCE.md names), keys its HMAC with the secret string it is handed
      (Node's ``createHmac('sha256', secret)`` takes a string's UTF-8 bytes) and compares the trimmed
      header with the hex digest; its own test signs with ``'whsec_test_secret'``, which is not base64 at
      all. A merchant passes the one secret they have to ``constructEvent``, so the sender must key with
      that same string for the SDK's check to pass.
    """
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def filecheck_verify(secrets_: str | Iterable[str], body: bytes, signature: str | None) -> None:
    """Check an ``x-filecheck-signature`` value (surrounding whitespace ignored, as the SDK does)."""
    if not signature:
        raise SignatureError(f"missing {FILECHECK_SIGNATURE_HEADER} header")
    for secret in [secrets_] if isinstance(secrets_, str) else list(secrets_):
        # bytes: compare_digest refuses str with non-ASCII characters, which a forged header may hold
        if hmac.compare_digest(filecheck_signature(secret, body).encode(), signature.strip().encode()):
            return
    raise SignatureError("signature does not match")


def body_hmac_b64(secret: str, body: bytes) -> str:
    """base64(HMAC-SHA256(secret, body)): Shopify's and WooCommerce's webhook signature."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def verify_body_hmac_b64(secrets_: str | Iterable[str], body: bytes, signature: str | None) -> None:
    if not signature:
        raise SignatureError("missing signature header")
    for secret in [secrets_] if isinstance(secrets_, str) else list(secrets_):
        if hmac.compare_digest(body_hmac_b64(secret, body), signature.strip()):
            return
    raise SignatureError("signature does not match")


def shopify_query_hmac(secret: str, params: Mapping[str, str]) -> str:
    """Hex HMAC over the sorted ``k=v`` pairs without ``hmac`` (Shopify install / app proxy)."""
    message = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k not in ("hmac", "signature"))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def verify_shopify_query(secrets_: str | Iterable[str], params: Mapping[str, str]) -> None:
    given = params.get("hmac")
    if not given:
        raise SignatureError("missing hmac parameter")
    for secret in [secrets_] if isinstance(secrets_, str) else list(secrets_):
        if hmac.compare_digest(shopify_query_hmac(secret, params), given):
            return
    raise SignatureError("hmac does not match")
