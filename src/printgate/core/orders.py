"""Order capture: link a store order's line items (and their jobIds) to the caller's jobs.

Idempotent: stores post the same order on every status change; a job is attached once and its
processing phase starts once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from printgate.core import outbox, signals
from printgate.core.clock import utcnow
from printgate.core.errors import Unauthorized
from printgate.core.ids import new_id
from printgate.core.jobs import service
from printgate.core.jobs.states import proceed_refusal
from printgate.core.models import Job, Order

# One store order is one Order row whichever way it arrived: a platform whose orders come under
# several ``source`` names declares them (``PlatformSpec.order_sources``) when its room is installed.
SOURCE_FAMILIES: dict[str, tuple[str, ...]] = {}
# Filecheck's default ``source`` (DECISIONS 8: optional), kept so its clients' orders stay one row.
DEFAULT_SOURCE = "wp"


def register_source_family(names: tuple[str, ...]) -> None:
    """``names`` are one store's orders: a lookup by any of them finds the others."""
    for name in names:
        SOURCE_FAMILIES[name] = names

# Keys under which stores carry the jobId on a line item (ours first, Filecheck's for migrations).
JOB_ID_KEYS = ("jobId", "printgate_job_id", "_printgate_job_id", "_jobId", "_filecheck_job_id", "Filecheck Job")


# A call that carries ``webhook-signature`` comes from a store's own plugin or module, signed with
# that store's secret. Core does not know stores: the connectors room installs the one receiver that
# takes such a call whole (which store signed it, capture, the store's order pipeline) and answers
# the per-item results; None when no store of the account signed it (401). The call goes one way:
# core -> the receiver, which uses the functions below; nothing comes back through a signal.
StoreCallReceiver = Callable[[Session, str, str, Mapping[str, str], bytes, dict[str, Any]], "list[ItemResult] | None"]
_store_calls: StoreCallReceiver | None = None


def install_store_calls(receiver: StoreCallReceiver) -> None:
    global _store_calls
    _store_calls = receiver


def take_order_call(session: Session, account_id: str, order_id: str, body: dict[str, Any],
                    headers: Mapping[str, str], raw: bytes) -> list[ItemResult]:
    """``POST /orders/{id}``: a signed call goes to the stores' receiver, an unsigned one is captured here."""
    if any(k.lower() == "webhook-signature" for k in headers):
        results = _store_calls(session, account_id, order_id, headers, raw, body) if _store_calls else None
        if results is None:
            raise Unauthorized("Order call signature does not match any store connection of this account")
        return results
    _order, results = capture_order(session, account_id, order_id, body)
    return results


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


def find_order(session: Session, account_id: str, external_id: str, source: str) -> Order | None:
    """The account's order ``external_id`` from ``source`` (or another name of the same store)."""
    return session.exec(select(Order).where(
        Order.account_id == account_id, col(Order.source).in_(SOURCE_FAMILIES.get(source, (source,))),
        Order.external_id == external_id).order_by(col(Order.created_at))).first()


def capture_order(session: Session, account_id: str, external_id: str, body: dict[str, Any],
                  *, store_id: str | None = None) -> tuple[Order, list[ItemResult]]:
    """Create or update the order as ``body`` describes it, and attach its items' jobs."""
    source = body.get("source") or DEFAULT_SOURCE
    order = find_order(session, account_id, external_id, source)
    if order is None:
        order = Order(id=new_id("ord"), account_id=account_id, external_id=external_id, source=source)
    order.status = body.get("status", order.status)
    order.currency = body.get("currency", order.currency)
    order.total = str(body["total"]) if body.get("total") is not None else order.total
    order.customer = body.get("customer", order.customer)
    order.items = body.get("items", order.items)
    order.shipping_address = body.get("shippingAddress", order.shipping_address)
    order.store_id = store_id or order.store_id
    order.updated_at = utcnow()
    session.add(order)
    owed = outbox.owe(session, signals.ORDER_CAPTURED, order_id=order.id, store_id=order.store_id)
    session.commit()
    return order, attach_jobs(session, order, body.get("items") or [], body.get("customer") or {}, owed=owed)


def attach_jobs(session: Session, order: Order, items: list[Any], customer: Any, *,
                owed: str | None = None) -> list[ItemResult]:
    """Attach the jobs ``items`` carry to ``order`` (each once; a job of another order or account is
    refused), start their processing phase, and announce the order (``ORDER_CAPTURED``, through the
    outbox: ``owed`` when the order's own commit already recorded it, else it rides the first commit
    here)."""
    account_id, external_id = order.account_id, order.external_id
    if owed is None:
        outbox.owe(session, signals.ORDER_CAPTURED, order_id=order.id, store_id=order.store_id)
    customer = customer if isinstance(customer, dict) else {}
    results: list[ItemResult] = []
    for item in items:
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
    session.commit()
    outbox.dispatch_owed(session)
    return results
