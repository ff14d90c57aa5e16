"""Shopify webhooks: the verifier ``printgate.webhooks.inbound`` calls, and the handler its worker runs.

Verification: base64 HMAC-SHA256 of the raw body with the app's client secret (the previous secret
too during a rotation, and a connection's own extra secrets), headers with or without the ``X-``
prefix. The delivery id (``X-Shopify-Webhook-Id``) is what the receiver dedupes on; the shop domain
header says which connection (and so which account) the delivery belongs to.

Topics:

- ``orders/create``, ``orders/updated``, ``orders/paid`` -> the connector pipeline (it proceeds
  once the order is paid; Filecheck fulfils on ``orders/paid``);
- ``orders/cancelled`` -> the OrderSync is cancelled and queued processing is stopped;
- ``app/uninstalled`` -> connection ``uninstalled``, tokens wiped, erasure scheduled 48 h later;
- ``customers/data_request`` -> an export record of that customer's jobs and files;
- ``customers/redact`` -> that customer's jobs, files and orders deleted;
- ``shop/redact`` -> everything of the shop erased.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from printgate.connectors.base import erasure, ownership, pipeline
from printgate.connectors.base.models import StoreConnection
from printgate.connectors.shopify.adapter import ShopifyAdapter, parse_order
from printgate.connectors.shopify.config import get_shopify_settings
from printgate.core import crypto
from printgate.core.clock import utcnow
from printgate.webhooks.signing import SignatureError, verify_body_hmac_b64

log = logging.getLogger("printgate.shopify.webhooks")

ORDER_TOPICS = ("orders/create", "orders/updated", "orders/paid", "orders/cancelled")
COMPLIANCE_TOPICS = ("customers/data_request", "customers/redact", "shop/redact")
ERASE_GRACE = timedelta(hours=48)


def header(headers: Mapping[str, str], name: str) -> str | None:
    """``X-Shopify-Topic`` or ``shopify-topic``, any case."""
    low = name.lower()
    bare = low.removeprefix("x-")
    found = headers.get(low)  # the receiver's headers are lower-case already: no scan
    if found is None:
        found = headers.get(bare)
    if found is not None:
        return found
    for key, value in headers.items():
        if key.lower() in (low, bare):
            return value
    return None


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def verify(headers: Mapping[str, str], body: bytes, connection_id: str | None) -> Any:
    """``printgate.webhooks.inbound`` verifier: raises ``SignatureError`` (401) / ``UnknownConnection`` (404)."""
    from printgate.webhooks.inbound import UnknownConnection, Verified, batch_memo

    memo = batch_memo()  # a burst from one shop: its connection read once per receiver batch
    if "shopify.settings" not in memo:
        memo["shopify.settings"] = get_shopify_settings()
    signature = header(headers, "X-Shopify-Hmac-Sha256")
    shop = (header(headers, "X-Shopify-Shop-Domain") or "").strip().lower()
    if ("shopify.shop", shop) not in memo:
        memo[("shopify.shop", shop)] = _shop_signer(shop)
    known: _ShopSigner | None = memo[("shopify.shop", shop)]
    verify_body_hmac_b64([*memo["shopify.settings"].secrets, *(known.secrets if known else [])], body, signature)
    if known is None or (connection_id and known.connection_id != connection_id):
        raise UnknownConnection(f"Unknown Shopify shop: {shop or '(no shop header)'}")
    delivery_id = header(headers, "X-Shopify-Webhook-Id") or header(headers, "X-Shopify-Event-Id")
    if not delivery_id:
        raise SignatureError("missing X-Shopify-Webhook-Id")
    return Verified(account_id=known.account_id, connection_id=known.connection_id, delivery_id=delivery_id,
                    topic=header(headers, "X-Shopify-Topic"),
                    triggered_at=_parse_time(header(headers, "X-Shopify-Triggered-At")))


@dataclass(frozen=True)
class _ShopSigner:
    """What verifying a shop's delivery needs from its connection."""

    connection_id: str
    account_id: str
    secrets: list[str]


def _shop_signer(shop: str) -> _ShopSigner | None:
    """The shop's current connection (``ownership.current_of``), read with one narrow select on a
    pooled connection: no ORM session, no full row. Never cached beyond the receiver batch, so a
    removed or uninstalled connection, or rotated secrets, count from the next batch on."""
    if not shop:
        return None
    from printgate.core.db import get_engine

    with get_engine().connect() as conn:
        rows = conn.execute(_SIGNER_SELECT, {"shop": shop}).all()
    connection = ownership.current_of(rows)
    if connection is None:
        return None
    extra = _extra_secrets(connection.webhook_secrets, crypto.keyring()) if connection.webhook_secrets else ()
    return _ShopSigner(connection.id, connection.account_id, list(extra))


_SIGNER_SELECT = (
    select(StoreConnection.id, StoreConnection.account_id, StoreConnection.webhook_secrets,  # type: ignore[call-overload]
           StoreConnection.status, StoreConnection.installed_at, StoreConnection.created_at,
           StoreConnection.updated_at)
    .where(StoreConnection.platform == "shopify", StoreConnection.shop == bindparam("shop"))
    .order_by(col(StoreConnection.created_at), col(StoreConnection.id)))


@lru_cache(maxsize=256)
def _extra_secrets(token: str, keys: object) -> tuple[str, ...]:
    """A connection's extra secrets, decrypted once per ciphertext and key set: rotating or removing
    the secrets stores a new ciphertext (or none), rotating the keys gives a new key set, so nothing
    stale is used. A failed decryption raises and is not remembered."""
    del keys  # part of the cache key only: ``crypto.decrypt`` reads the same keys
    return tuple(crypto.decrypt(token) or ())


def handle(session: Session, delivery: Any) -> None:
    """Run one stored delivery. The pipeline records its own progress (OrderSync) and is idempotent,
    so its commits are safe even if the delivery is retried. In a batch of deliveries the orders of
    the whole batch are read at once and the batch's one commit records them (:func:`_batch_intake`)."""
    from printgate.webhooks.inbound import handler_batch

    connection = _held_connection(session, delivery.connection_id or "")
    if connection is None:
        log.warning("delivery %s: connection %s is gone", delivery.id, delivery.connection_id)
        return
    shared = handler_batch(session)
    if shared is None:
        dispatch(session, connection, delivery.topic or "", _body(delivery))
        return
    batch = _batch_intake(session, shared)
    body = shared["shopify.bodies"].pop(delivery.id, None)
    dispatch(session, connection, delivery.topic or "", body if body is not None else _body(delivery), batch=batch)


def _body(delivery: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(bytes(delivery.body) or b"{}")
    return body


def _batch_intake(session: Session, shared: dict[str, Any]) -> pipeline.IntakeBatch:
    """Once per batch: parse the batch's order deliveries and read their OrderSyncs in one query per
    store, instead of a query per delivery. A body that does not parse is left to its own handler."""
    batch: pipeline.IntakeBatch | None = shared.get("shopify.intake")
    if batch is not None:
        return batch
    batch = shared["shopify.intake"] = pipeline.IntakeBatch()
    bodies: dict[str, dict[str, Any]] = shared.setdefault("shopify.bodies", {})
    by_connection: dict[str, list[str]] = {}
    for delivery in shared["deliveries"]:
        if delivery.platform != "shopify" or delivery.topic not in ORDER_TOPICS:
            continue
        try:
            body = _body(delivery)
        except ValueError:
            continue
        bodies[delivery.id] = body
        by_connection.setdefault(delivery.connection_id or "", []).append(parse_order(body).external_id)
    for connection_id, external_ids in by_connection.items():
        batch.load(session, connection_id, external_ids)
    return batch


def _held_connection(session: Session, connection_id: str) -> StoreConnection | None:
    """The connection, read once per worker session: a batch of one shop's deliveries shares it (the
    session's identity map keeps only objects something references)."""
    held: dict[str, StoreConnection | None] = session.info.setdefault("shopify.connections", {})
    if connection_id not in held:
        held[connection_id] = session.get(StoreConnection, connection_id)
    return held[connection_id]


def dispatch(session: Session, connection: StoreConnection, topic: str, body: dict[str, Any], *,
             batch: pipeline.IntakeBatch | None = None) -> dict[str, Any]:
    if topic in ORDER_TOPICS:
        if connection.status != "connected":
            return {"ignored": f"store is {connection.status}"}
        order = parse_order(body)
        # read once for both
        found = (batch.get(session, connection.id, order.external_id) if batch is not None
                 else pipeline.get_sync(session, connection.id, order.external_id))
        if topic == "orders/cancelled":
            order.cancelled = True
        elif order.paid and pipeline.sync_needs_verification(found):
            order = ShopifyAdapter(connection).enrich_order(session, order)
        sync = pipeline.intake_found(session, connection, order, found, event=topic, batch=batch)
        return {"orderSync": sync.id, "status": sync.status}
    if topic == "app/uninstalled":
        uninstall(session, connection)
        return {"status": connection.status}
    if topic == "customers/data_request":
        customer = body.get("customer") or {}
        record = erasure.export_customer(
            session, connection, customer_id=_str(customer.get("id")), email=customer.get("email"),
            order_ids=[str(o) for o in body.get("orders_requested") or []], request=body)
        return {"record": record.id}
    if topic == "customers/redact":
        customer = body.get("customer") or {}
        record = erasure.redact_customer(
            session, connection, customer_id=_str(customer.get("id")), email=customer.get("email"),
            order_ids=[str(o) for o in body.get("orders_to_redact") or []], request=body)
        return {"record": record.id}
    if topic == "shop/redact":
        record = erasure.erase_store(session, connection, request=body)
        return {"record": record.id}
    log.info("shopify topic %s ignored", topic)
    return {"ignored": topic}


def uninstall(session: Session, connection: StoreConnection) -> None:
    now = utcnow()
    connection.status = "uninstalled"
    connection.credentials = None
    connection.token_expires_at = None
    connection.uninstalled_at = now
    connection.erase_after = now + ERASE_GRACE
    connection.updated_at = now
    session.add(connection)
    session.commit()


def _str(value: Any) -> str | None:
    return None if value is None else str(value)
