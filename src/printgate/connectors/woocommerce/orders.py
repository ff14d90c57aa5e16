"""The plugin's signed ``POST /orders/{id}`` calls: who sent them, and on into the pipeline.

The WordPress plugin signs every order call with Standard Webhooks headers made with the plugin
secret (``whsec_...``) the merchant pasted from printgate. :func:`verify_order_call` (registered with
``printgate.core.orders``) checks them against the caller's WooCommerce connections (5-minute tolerance) and
returns the connection id; core then captures the order with that ``store_id``. A repeated
``webhook-id`` is simply captured again: capture is idempotent, so the plugin gets its 2xx.

One path into the pipeline: core's ``ORDER_CAPTURED`` signal (with ``store_id``) queues
:func:`intake_captured`, which turns the captured order into an ``ExternalOrder`` and calls
``pipeline.intake`` exactly like a webhook would. The pipeline's own captures (``origin="pipeline"``)
are ignored, so the signal does not loop; plugin call and pipeline share one core Order row.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, select

from printgate.connectors.base.adapter import ExternalLine, ExternalOrder
from printgate.connectors.base.models import StoreConnection
from printgate.connectors.woocommerce import store
from printgate.connectors.woocommerce.adapter import CANCELLED_STATUSES
from printgate.core.clock import utcnow
from printgate.core.errors import Unauthorized
from printgate.core.models import Order
from printgate.webhooks.signing import SignatureError, standard_verify

log = logging.getLogger("printgate.woocommerce.orders")



def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def verify_order_call(session: Session, account_id: str, headers: Mapping[str, str], raw: bytes,
                      body: dict[str, Any]) -> str | None:
    """``printgate.core.orders`` verifier: the WooCommerce connection whose plugin secret signed this call."""
    if not _header(headers, "webhook-signature"):
        return None
    connections = session.exec(select(StoreConnection).where(
        StoreConnection.account_id == account_id, StoreConnection.platform == store.PLATFORM,
        StoreConnection.status != "uninstalled")).all()
    for connection in connections:
        secrets_ = store.plugin_secrets(connection)
        if not secrets_:
            continue
        try:
            standard_verify(secrets_, headers, raw)
        except SignatureError as exc:
            if "tolerance" in str(exc) or "missing" in str(exc) or "not an integer" in str(exc):
                raise Unauthorized(f"Order call signature: {exc}") from exc
            continue
        settings = dict(connection.settings or {})
        if not settings.get("pluginSeenAt") or settings.get("plugin") is False:
            settings.update(pluginSeenAt=utcnow().isoformat(), plugin=True)
            connection.settings = settings
            session.add(connection)
            session.commit()
        return connection.id
    return None  # another platform's verifier may know it; core answers 401 when none does


def on_order_captured(order_id: str, store_id: str | None = None, origin: str | None = None, **_: Any) -> None:
    """Core captured an order from a store module: queue its intake when it is a WooCommerce one."""
    if not store_id or origin == "pipeline":
        return  # no store, or the pipeline's own capture: it must not loop back in
    from printgate.core.db import session_scope
    from printgate.core.queue import WEBHOOKS, enqueue

    with session_scope() as session:
        connection = session.get(StoreConnection, store_id)
        order = session.get(Order, order_id)
        if connection is None or connection.platform != store.PLATFORM or order is None:
            return
        if order.account_id != connection.account_id:
            return  # not this store's order
    enqueue(WEBHOOKS, intake_captured, order_id, store_id, timeout=300)


def external_order(order: Order) -> ExternalOrder:
    """A captured plugin order (``{items[{itemId, productId, ..., jobId, meta}]}``) as an ExternalOrder."""
    lines = []
    for item in order.items or []:
        if not isinstance(item, dict):
            continue
        props = dict(item.get("meta") or {}) if isinstance(item.get("meta"), dict) else {}
        for key in ("jobId", "_printgate_job_id", "_filecheck_job_id", "Filecheck Job"):
            if isinstance(item.get(key), str):
                props.setdefault("_printgate_job_id" if key == "jobId" else key, item[key])
        lines.append(ExternalLine(
            line_id=str(item.get("itemId")), product_id=str(item["productId"]) if item.get("productId") else None,
            name=item.get("name"), quantity=int(item.get("quantity") or 1), sku=item.get("sku") or None,
            properties=props, total=str(item["total"]) if item.get("total") is not None else None,
        ))
    status = (order.status or "").lower() or None
    return ExternalOrder(
        external_id=order.external_id, name=f"#{order.external_id}", status=status, lines=lines,
        currency=order.currency, total=order.total, customer=order.customer,
        shipping_address=order.shipping_address, cancelled=status in CANCELLED_STATUSES,
    )


def intake_captured(order_id: str, store_id: str) -> dict[str, Any]:
    """Queue entry point: a plugin-captured order goes through the connector pipeline."""
    from printgate.connectors.woocommerce.webhooks import intake_order
    from printgate.core.db import session_scope

    with session_scope() as session:
        connection = session.get(StoreConnection, store_id)
        order = session.get(Order, order_id)
        if connection is None or order is None or order.account_id != connection.account_id:
            return {"ignored": "order or store is gone"}
        if connection.status == "uninstalled" or connection.erased_at is not None:
            return {"ignored": f"store is {connection.status}"}
        return intake_order(session, connection, external_order(order), event="plugin")
