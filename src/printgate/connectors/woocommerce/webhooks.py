"""WooCommerce webhooks: the verifier ``printgate.webhooks.inbound`` calls, and the handler its worker runs.

Deliveries arrive at ``POST /webhooks/woocommerce/{connection_id}`` (the URL printgate gave the store
when it created the webhooks); ``POST /webhooks/woocommerce`` works too, the store then being found
by ``X-WC-Webhook-Source``.

- Signature: ``X-WC-Webhook-Signature`` = base64(HMAC-SHA256(webhook secret, raw body)); missing or
  wrong -> 401. WooCommerce's unsigned ``webhook_id=N`` ping on creation -> 200, nothing stored.
- Dedupe: ``X-WC-Webhook-Delivery-ID`` is a hash of webhook id and time, different on every send,
  so it cannot recognise the same order state twice. The delivery key is
  ``{connection}:{webhook id}:{order id}:{date_modified_gmt}:{status}`` instead: one order state is
  handled once, whichever topic (created/updated) or replay brings it.
- A signed body that is not an order (another topic the merchant pointed at us, an action hook) is
  accepted and ignored: WooCommerce never retries, and counts every non-2xx towards disabling the
  webhook after 5 failures, which would also stop the orders. It is stored (for the record) and
  the handler logs it.
- ``order.deleted`` (body ``{"id": N}``) cancels the order's sync.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from printgate.connectors.base import ownership, pipeline
from printgate.connectors.base.models import ORDER_FINAL, StoreConnection
from printgate.connectors.woocommerce import store
from printgate.connectors.woocommerce.adapter import (
    StoreDisconnected,
    WooCommerceAdapter,
    is_order,
    parse_order,
)
from printgate.connectors.woocommerce.config import normalize_store_url
from printgate.core import crypto
from printgate.webhooks.signing import SignatureError, header, verify_body_hmac_b64

log = logging.getLogger("printgate.woocommerce.webhooks")

PING = re.compile(rb"^webhook_id=\d+$")
ORDER_TOPICS = ("order.created", "order.updated", "order.restored")
DELETE_TOPICS = ("order.deleted",)


def delivery_key(connection_id: str, headers: Mapping[str, str], body: bytes) -> tuple[str, str | None]:
    """The dedupe key of a verified delivery, and the topic to store."""
    webhook_id = header(headers, "X-WC-Webhook-ID") or "0"
    topic = header(headers, "X-WC-Webhook-Topic")
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if is_order(data):
        return (f"{connection_id}:{webhook_id}:{data['id']}:{data.get('date_modified_gmt') or ''}:"
                f"{data.get('status')}", topic)
    if topic in DELETE_TOPICS and isinstance(data, dict) and data.get("id") is not None:
        return f"{connection_id}:{webhook_id}:{data['id']}:deleted", topic
    # Not an order: each delivery is its own (kept for the record, ignored by the handler).
    return f"{connection_id}:{webhook_id}:other:{header(headers, 'X-WC-Webhook-Delivery-ID') or ''}", topic


@dataclass(frozen=True)
class _StoreSigner:
    """What verifying a store's delivery needs from its connection."""

    connection_id: str
    account_id: str
    secrets: list[str]


def _store_signer(headers: Mapping[str, str], connection_id: str | None) -> _StoreSigner:
    """The store's connection (by id, or its current one by ``X-WC-Webhook-Source``:
    ``ownership.current_of``), read with one narrow select on a pooled connection: no ORM session, no
    full row. Never cached beyond the receiver batch, so a removed connection or rotated secrets count
    from the next batch on; only the decryption of one ciphertext is remembered."""
    from printgate.core.db import get_engine
    from printgate.webhooks.inbound import UnknownConnection

    source = "" if connection_id else (header(headers, "X-WC-Webhook-Source") or "")
    shop = None
    if source:
        try:
            shop = normalize_store_url(source, check_network=False)
        except Exception:  # a malformed source header names no store
            shop = None
    found = None
    if connection_id or shop:
        with get_engine().connect() as conn:
            if connection_id:
                found = conn.execute(_SIGNER_BY_ID, {"id": connection_id}).one_or_none()
            else:
                found = ownership.current_of(conn.execute(_SIGNER_BY_SHOP, {"shop": shop}).all())
    if found is None:
        raise UnknownConnection(f"Unknown WooCommerce store: {connection_id or '(no store in the URL)'}")
    secrets = _webhook_secrets(found.webhook_secrets, crypto.keyring()) if found.webhook_secrets else ()
    return _StoreSigner(found.id, found.account_id, list(secrets))


_SIGNER_COLUMNS = (StoreConnection.id, StoreConnection.account_id, StoreConnection.webhook_secrets,
                   StoreConnection.status, StoreConnection.installed_at, StoreConnection.created_at,
                   StoreConnection.updated_at)
_SIGNER_BY_ID = select(*_SIGNER_COLUMNS).where(  # type: ignore[call-overload]
    StoreConnection.id == bindparam("id"), StoreConnection.platform == store.PLATFORM)
_SIGNER_BY_SHOP = (
    select(*_SIGNER_COLUMNS)  # type: ignore[call-overload]
    .where(StoreConnection.platform == store.PLATFORM, StoreConnection.shop == bindparam("shop"))
    .order_by(col(StoreConnection.created_at), col(StoreConnection.id)))


@lru_cache(maxsize=256)
def _webhook_secrets(token: str, keys: object) -> tuple[str, ...]:
    """A connection's webhook secrets (as ``store.webhook_secrets`` reads them), decrypted once per
    ciphertext and key set: rotating or removing the secrets stores a new ciphertext (or none),
    rotating the keys gives a new key set, so nothing stale is used. A failed decryption raises and
    is not remembered."""
    del keys  # part of the cache key only: ``crypto.decrypt`` reads the same keys
    data = crypto.decrypt(token)
    return tuple(s for s in data if isinstance(s, str) and s) if isinstance(data, list) else ()


def verify(headers: Mapping[str, str], body: bytes, connection_id: str | None) -> Any:
    """``printgate.webhooks.inbound`` verifier: raises ``SignatureError`` (401) / ``UnknownConnection`` (404)."""
    from printgate.webhooks.inbound import Ping, Verified, batch_memo

    signature = header(headers, "X-WC-Webhook-Signature")
    if not signature and PING.match(body.strip()):
        return Ping(note="woocommerce webhook created")
    # A burst from one store: its connection read (and its secrets decrypted) once per receiver batch.
    memo = batch_memo()
    found = ("woocommerce.store", connection_id or "", "" if connection_id else header(headers, "X-WC-Webhook-Source"))
    if found not in memo:
        memo[found] = _store_signer(headers, connection_id)  # an unknown store raises: nothing kept
    signer: _StoreSigner = memo[found]
    if not signer.secrets:
        raise SignatureError("this store has no webhook secret (disconnected)")
    verify_body_hmac_b64(signer.secrets, body, signature)
    key, topic = delivery_key(signer.connection_id, headers, body)
    return Verified(account_id=signer.account_id, connection_id=signer.connection_id, delivery_id=key,
                    topic=topic, triggered_at=None)


def handle(session: Session, delivery: Any) -> None:
    connection = session.get(StoreConnection, delivery.connection_id or "")
    if connection is None:
        log.warning("delivery %s: connection %s is gone", delivery.id, delivery.connection_id)
        return
    try:
        body = json.loads(bytes(delivery.body) or b"null")
    except ValueError:
        body = None
    result = dispatch(session, connection, delivery.topic or "", body)
    log.info("woocommerce delivery %s (%s): %s", delivery.id, delivery.topic, result)


def dispatch(session: Session, connection: StoreConnection, topic: str, body: Any) -> dict[str, Any]:
    if connection.status in ("uninstalled",) or connection.erased_at is not None:
        return {"ignored": f"store is {connection.status}"}
    if topic in DELETE_TOPICS and isinstance(body, dict) and body.get("id") is not None:
        sync = pipeline.get_sync(session, connection.id, str(body["id"]))
        if sync is not None:
            pipeline.cancel(session, sync)
            return {"orderSync": sync.id, "status": sync.status}
        return {"ignored": "deleted order was never synced"}
    if not is_order(body):
        return {"ignored": f"not an order (topic {topic or 'none'})"}
    return intake_order(session, connection, parse_order(body), event=topic or "webhook")


def intake_order(session: Session, connection: StoreConnection, order: Any, *, event: str) -> dict[str, Any]:
    """Enrich (product workflows) when the order can proceed, then hand it to the pipeline."""
    if order.paid and not order.cancelled:
        adapter = WooCommerceAdapter(connection)
        try:
            if event != "plugin" and connection.status == "connected":
                existing = pipeline.get_sync(session, connection.id, order.external_id)
                if existing is None or existing.status not in ORDER_FINAL:
                    order = adapter.with_hidden_meta(session, order)
            order = adapter.enrich_order(session, order)
        except StoreDisconnected:
            pass  # recorded on the connection (disconnected); the order still gets its OrderSync
        # Any other failure (store down) propagates: the caller retries rather than verify the jobs
        # without the products' workflows.
    sync = pipeline.intake(session, connection, order, event=event)
    return {"orderSync": sync.id, "status": sync.status}
