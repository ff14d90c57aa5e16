"""The WordPress plugin's signed ``POST /orders/{id}`` calls, as WooCommerce declares them.

The plugin signs every order call with Standard Webhooks headers made with the plugin secret
(``whsec_...``) the merchant pasted from printgate. ``printgate.connectors.signed_calls`` checks them
against the account's stores (:func:`order_calls` says where the secrets are: the current plugin
secret and, for a day after a rotation, the previous one) and the pipeline captures the order and
queues its intake: :func:`external_order` maps it, :func:`intake` reads the products' workflows and
hands it to ``pipeline.intake`` exactly like a webhook would. Plugin call and webhook share one
core Order row (the plugin's ``wp`` and the connector's ``woocommerce`` are one store's sources).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session

from printgate.connectors.base.adapter import ExternalLine, ExternalOrder
from printgate.connectors.base.models import StoreConnection
from printgate.connectors.base.spec import OrderCalls
from printgate.connectors.woocommerce import store
from printgate.connectors.woocommerce.adapter import CANCELLED_STATUSES
from printgate.core.clock import utcnow
from printgate.core.models import Order

PLUGIN_EVENT = "plugin"


def accepts(connection: StoreConnection) -> bool:
    """A disconnected store's plugin still sends orders (the plugin secret outlives revoked keys)."""
    return connection.status != "uninstalled" and connection.erased_at is None


def seen(session: Session, connection: StoreConnection, headers: Mapping[str, str], body: dict[str, Any]) -> None:
    """The plugin is installed: note it once (write-back then sends it ``order.files_ready``)."""
    settings = dict(connection.settings or {})
    if not settings.get("pluginSeenAt") or settings.get("plugin") is False:
        settings.update(pluginSeenAt=utcnow().isoformat(), plugin=True)
        connection.settings = settings
        session.add(connection)
        session.commit()


def external_order(order: Order, connection: StoreConnection | None = None) -> ExternalOrder:
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


def intake(session: Session, connection: StoreConnection, order: ExternalOrder) -> dict[str, Any]:
    from printgate.connectors.woocommerce.webhooks import intake_order

    return intake_order(session, connection, order, event=PLUGIN_EVENT)


def order_calls() -> OrderCalls:
    return OrderCalls(secrets=store.plugin_secrets, accepts=accepts, to_order=external_order, intake=intake,
                      event=PLUGIN_EVENT, seen=seen)
