"""A module's order, as the pipeline reads it: statuses normalised, lines mapped, and the
declaration of its signed order calls (``printgate.connectors.signed_calls``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from printgate.connectors.base.adapter import ExternalLine, ExternalOrder
from printgate.connectors.base.models import StoreConnection
from printgate.connectors.base.spec import OrderCalls
from printgate.connectors.store_modules.store import active_secrets
from printgate.core.clock import as_utc, utcnow
from printgate.core.models import Order
from printgate.webhooks.signing import header

# Names are the merchant's (and translated), so unknown ones count as "go ahead": printing an
# order that turns out unpaid is recoverable, never printing a paid one is not. Cancellation words
# are matched as prefixes so "canceled", "cancelled", "annule", "annulee", "storniert" all count.
PENDING_STATUSES = frozenset({
    "pending", "missing_orders", "awaiting_check_payment", "awaiting_bank_wire_payment",
    "awaiting_cash_on_delivery_validation", "awaiting_payment", "on_backorder_not_paid", "payment_error",
    "failed", "en_attente_du_paiement_par_cheque", "en_attente_de_virement_bancaire", "en_attente",
})
CANCEL_PREFIXES = ("cancel", "void", "refund", "reversed", "chargeback", "denied", "expired", "annul", "rembours",
                   "storn", "erstattet")
# OpenCart's "Canceled Reversal": a chargeback was withdrawn, the money is the merchant's again.
PAID_OVERRIDES = frozenset({"canceled_reversal", "cancelled_reversal"})


def normalize_status(raw: str | None, settings: Mapping[str, Any] | None = None) -> str:
    """A module's status slug -> the pipeline's ``paid`` | ``pending`` | ``cancelled``.

    ``settings`` (the connection's) may list ``paidStatuses`` / ``pendingStatuses`` /
    ``cancelledStatuses`` slugs, which win over the defaults.
    """
    slug = (raw or "pending").strip().lower()
    settings = settings or {}
    for key, value in (("cancelledStatuses", "cancelled"), ("pendingStatuses", "pending"), ("paidStatuses", "paid")):
        if slug in (settings.get(key) or ()):
            return value
    if slug in PENDING_STATUSES:
        return "pending"
    if slug in PAID_OVERRIDES:
        return "paid"
    if slug.startswith(CANCEL_PREFIXES):
        return "cancelled"
    return "paid"


def _note_call(session: Session, connection: StoreConnection, headers: Mapping[str, str], body: Any) -> None:
    settings = dict(connection.settings or {})
    settings["lastOrderCallAt"] = utcnow().isoformat()
    settings["lastWebhookId"] = header(headers, "webhook-id")
    store_url = body.get("storeUrl") if isinstance(body, dict) else None
    if isinstance(store_url, str) and store_url:
        settings["reportedStoreUrl"] = store_url
    connection.settings = settings
    session.add(connection)
    session.commit()


def external_order(order: Order, connection: StoreConnection) -> ExternalOrder:
    """A captured module order (``POST /orders/{id}`` body, as core stored it) -> ``ExternalOrder``."""
    lines = []
    for index, item in enumerate(order.items or []):
        if not isinstance(item, dict):
            continue
        props = {k: v for k, v in item.items() if k not in ("itemId", "productId", "name", "quantity", "sku", "total")}
        quantity = item.get("quantity")
        lines.append(ExternalLine(
            line_id=str(item.get("itemId") if item.get("itemId") is not None else index + 1),
            product_id=str(item["productId"]) if item.get("productId") is not None else None,
            name=item.get("name"), quantity=int(quantity) if isinstance(quantity, int | str) and str(quantity).isdigit()
            else 1, sku=item.get("sku") or None, properties=props,
            total=str(item["total"]) if item.get("total") is not None else None,
        ))
    status = normalize_status(order.status, connection.settings)
    customer = order.customer if isinstance(order.customer, dict) else None
    return ExternalOrder(
        external_id=order.external_id, name=f"#{order.external_id}", status=status, lines=lines,
        currency=order.currency, total=order.total, customer=customer, shipping_address=order.shipping_address,
        cancelled=status == "cancelled", updated_at=as_utc(order.updated_at) if order.updated_at else None,
    )


def seen_orders(session: Session, connection: StoreConnection, since: datetime) -> list[ExternalOrder]:
    """Orders this store's module has sent since ``since``, as the pipeline needs them."""
    rows = session.exec(select(Order).where(
        Order.account_id == connection.account_id, Order.store_id == connection.id,
        col(Order.updated_at) >= since).order_by(col(Order.updated_at))).all()
    return [external_order(row, connection) for row in rows]


def order_calls() -> OrderCalls:
    """The modules' signed ``POST /orders/{id}``: verified with the store's secrets while it is
    connected; the module already resolved each line's jobId and product workflow."""
    return OrderCalls(secrets=active_secrets, accepts=lambda connection: connection.status == "connected",
                      to_order=external_order, event="order-call", seen=_note_call)
