"""Order capture: link a store order's line items (and their jobIds) to the caller's jobs.

Idempotent: stores post the same order on every status change; a job is attached once and its
processing phase starts once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from printgate.core import signals
from printgate.core.clock import utcnow
from printgate.core.ids import new_id
from printgate.core.jobs import service
from printgate.core.jobs.states import proceed_refusal
from printgate.core.models import Job, Order

# One store order is one Order row whichever way it arrived: a platform whose orders come under
# several ``source`` names (WooCommerce: ``wp`` from the WordPress plugin, Filecheck's name, and
# ``woocommerce`` from its connector) declares them (``PlatformSpec.order_sources``).
SOURCE_FAMILIES: dict[str, tuple[str, ...]] = {}


def register_source_family(names: tuple[str, ...]) -> None:
    """``names`` are one store's orders: a lookup by any of them finds the others."""
    for name in names:
        SOURCE_FAMILIES[name] = names

# Keys under which stores carry the jobId on a line item (ours first, Filecheck's for migrations).
JOB_ID_KEYS = ("jobId", "printgate_job_id", "_printgate_job_id", "_jobId", "_filecheck_job_id", "Filecheck Job")


# Store modules (WordPress, OpenCart, PrestaShop) sign their order calls. Connectors register a
# verifier: it returns the store connection id the call came from (or None when the call carries no
# signature and the account accepts unsigned calls) and raises ``printgate.core.errors.Unauthorized`` on a bad
# signature. Core does not know store connections; it only asks.
OrderVerifier = Callable[[Session, str, Mapping[str, str], bytes, dict[str, Any]], "str | None"]
_verifiers: list[OrderVerifier] = []


def register_order_verifier(verifier: OrderVerifier) -> None:
    if verifier not in _verifiers:
        _verifiers.append(verifier)


def verify_order_call(session: Session, account_id: str, headers: Mapping[str, str], raw: bytes,
                      body: dict[str, Any]) -> str | None:
    """The store connection a signed order call came from; 401 if a signature is present but wrong."""
    signed = any(k.lower() == "webhook-signature" for k in headers)
    for verifier in _verifiers:
        store_id = verifier(session, account_id, headers, raw, body)
        if store_id:
            return store_id
    if signed:
        from printgate.core.errors import Unauthorized

        raise Unauthorized("Order call signature does not match any store connection of this account")
    return None


@dataclass
class ItemResult:
    job_id: str
    attached: bool
    reason: str | None = None

    def wire(self) -> dict[str, Any]:
        return {"jobId": self.job_id, "attached": self.attached, "reason": self.reason}


def item_job_id(item: dict[str, Any]) -> str | None:
    for key in JOB_ID_KEYS:
        value = item.get(key)
        if isinstance(value, str) and value.startswith("job_"):
            return value
    return None


def capture_order(session: Session, account_id: str, external_id: str, body: dict[str, Any],
                  *, store_id: str | None = None, origin: str = "order_call") -> tuple[Order, list[ItemResult]]:
    """Create or update the order and attach its items' jobs.

    ``origin`` travels with the ``ORDER_CAPTURED`` signal: ``"pipeline"`` when the connector pipeline
    captures an order it is already processing, so connectors listening for store order calls do not
    feed it back into the pipeline.
    """
    source = body.get("source") or "wp"
    order = session.exec(select(Order).where(
        Order.account_id == account_id, col(Order.source).in_(SOURCE_FAMILIES.get(source, (source,))),
        Order.external_id == external_id).order_by(col(Order.created_at))).first()
    if order is None:
        order = Order(id=new_id("ord"), account_id=account_id, external_id=external_id, source=source)
    # The store's own order call describes the order; the pipeline re-capturing an order that call
    # made only attaches jobs (its item list holds just the print lines and would drop the rest).
    if origin != "pipeline" or order.source == source:
        order.status = body.get("status", order.status)
        order.currency = body.get("currency", order.currency)
        order.total = str(body["total"]) if body.get("total") is not None else order.total
        order.customer = body.get("customer", order.customer)
        order.items = body.get("items", order.items)
        order.shipping_address = body.get("shippingAddress", order.shipping_address)
    order.store_id = store_id or order.store_id
    order.updated_at = utcnow()
    session.add(order)
    session.commit()

    results: list[ItemResult] = []
    customer = body.get("customer") or {}
    for item in body.get("items") or []:
        job_id = item_job_id(item) if isinstance(item, dict) else None
        if job_id is None:
            continue
        job = session.get(Job, job_id)
        if job is None or job.account_id != account_id or job.deleted_at is not None:
            results.append(ItemResult(job_id, False, "job not found for this account"))
            continue
        if job.order_id not in (None, external_id):
            results.append(ItemResult(job_id, False, f"job is already attached to order {job.order_id}"))
            continue
        refusal = proceed_refusal(job.status, job.params)
        if refusal is not None:
            results.append(ItemResult(job_id, False, f"job cannot proceed ({refusal})"))
            continue
        job.order_id = external_id
        job.order_status = order.status
        job.customer_id = job.customer_id or (str(customer["id"]) if customer.get("id") is not None else None)
        job.customer_email = job.customer_email or customer.get("email")
        job.channel = "store" if job.channel in (None, "api") and job.kind == "workflow" else job.channel
        job.modified_at = utcnow()
        session.add(job)
        session.commit()
        service.maybe_start_processing(session, job, reason="order_placed")
        results.append(ItemResult(job_id, True))
    signals.send(signals.ORDER_CAPTURED, order_id=order.id, store_id=order.store_id, origin=origin)
    return order, results
