"""One signed POST: the secrets that sign it, both header sets, and the attempt itself (the URL
guard, timeouts, same-origin 307/308 only, a bounded read of the answer). Never raises."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin, urlsplit

import httpx
from sqlmodel import Session, col, select

from printgate.core import net
from printgate.core.clock import as_utc, utcnow
from printgate.webhooks.models import WebhookEndpoint
from printgate.webhooks.settings import get_webhook_settings
from printgate.webhooks.signing import FILECHECK_SIGNATURE_HEADER, filecheck_signature, standard_sign

log = logging.getLogger("printgate.webhooks.outbound")

# --- signing secrets -------------------------------------------------------------------------------

def endpoint_secrets(endpoint: WebhookEndpoint, now: datetime | None = None) -> list[str]:
    """The current secret, and the previous one while its rotation overlap lasts."""
    now = now or utcnow()
    out = [endpoint.signing_secret() or ""]
    previous = endpoint.signing_secret(previous=True)
    if previous and endpoint.previous_secret_expires_at and as_utc(endpoint.previous_secret_expires_at) > now:
        out.append(previous)
    return out


def account_default_endpoint(session: Session, account_id: str) -> WebhookEndpoint | None:
    """The endpoint whose secret signs the account's per-job webhooks: its oldest one."""
    return session.exec(select(WebhookEndpoint).where(WebhookEndpoint.account_id == account_id)
                        .order_by(col(WebhookEndpoint.created_at), col(WebhookEndpoint.id))).first()


def signature_headers(secrets_: list[str], msg_id: str, body: bytes, timestamp: int) -> dict[str, str]:
    """Both header sets, so a Standard Webhooks verifier and Filecheck's SDK each accept the request.

    ``secrets_`` is current first (``endpoint_secrets``). ``webhook-signature`` lists one ``v1,`` per
    secret; ``x-filecheck-signature`` is a single hex digest the SDK compares whole, so it comes from the
    current secret only: the one the merchant was given last.
    """
    signature = " ".join(standard_sign(secret, msg_id, timestamp, body) for secret in secrets_)
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp), "webhook-signature": signature,
            FILECHECK_SIGNATURE_HEADER: filecheck_signature(secrets_[0], body)}


# --- one attempt ------------------------------------------------------------------------------------

@dataclass
class Outcome:
    ok: bool
    status_code: int | None = None
    duration_ms: int = 0
    snippet: str | None = None
    error: str | None = None
    url: str = ""


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or (443 if parts.scheme == "https" else 80)


# Kept-alive connections across deliveries: a fresh client per attempt paid a new TCP (and TLS)
# connection and two CA-bundle loads each time. Every hop is still resolved and checked, and a
# connection is reused only to the addresses that check returned (``net.PinnedClients``).
_clients = net.PinnedClients()


def post(url: str, headers: dict[str, str], body: bytes) -> Outcome:
    """POST once (plus same-origin 307/308 hops); never raises."""
    settings = get_webhook_settings()
    started = time.monotonic()
    target = url
    try:
        timeout = httpx.Timeout(settings.timeout_s, connect=settings.connect_timeout_s)
        for _hop in range(settings.max_redirects + 1):
            client = _clients.for_url(target)  # resolved and checked for this hop; pinned to that answer
            with client.stream("POST", target, content=body, headers=headers, timeout=timeout) as resp:
                snippet = _read_snippet(resp, settings.response_snippet_bytes, settings.timeout_s)
                code = resp.status_code
                location = resp.headers.get("location")
            if code in (307, 308) and location:
                nxt = urljoin(target, location)
                if _origin(nxt) != _origin(target):
                    return _done(False, started, target, code, snippet,
                                 f"redirect to another origin not followed: {nxt}")
                target = nxt
                continue
            if 300 <= code < 400:
                return _done(False, started, target, code, snippet,
                             f"HTTP {code} redirect not followed{f' (to {location})' if location else ''}: "
                             "point the endpoint at the final URL")
            ok = 200 <= code < 300
            return _done(ok, started, target, code, snippet, None if ok else f"HTTP {code}")
        return _done(False, started, target, None, None, "too many redirects")
    except net.Refused as exc:
        return _done(False, started, target, None, None, f"refused: {exc}")
    except httpx.TimeoutException as exc:
        return _done(False, started, target, None, None, f"timeout: {type(exc).__name__}")
    except httpx.HTTPError as exc:
        return _done(False, started, target, None, None, f"{type(exc).__name__}: {exc}")


def _read_snippet(resp: httpx.Response, limit: int, max_seconds: float) -> str:
    """The start of the answer, for the delivery log; never more than ``limit`` bytes or ``max_seconds``."""
    chunks: list[bytes] = []
    size = 0
    deadline = time.monotonic() + max_seconds
    for chunk in resp.iter_raw():
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit or time.monotonic() > deadline:
            break
    return b"".join(chunks)[:limit].decode("utf-8", "replace")


def _done(ok: bool, started: float, url: str, code: int | None, snippet: str | None, error: str | None) -> Outcome:
    return Outcome(ok=ok, status_code=code, duration_ms=int((time.monotonic() - started) * 1000),
                   snippet=snippet, error=error, url=url)
