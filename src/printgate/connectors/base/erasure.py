"""Privacy requests for any platform: export a customer's data, erase a customer, erase a store.

What a store's customer has in printgate: the jobs attached to that store's orders (customer id or
e-mail recorded at attach time), their files, the core ``Order`` rows and our ``OrderSync`` rows.
Erasure is real: rows are deleted and files are removed from storage (not the soft delete of the
public API). Each request leaves a ``ComplianceRecord`` the merchant can read
(``GET /stores/{id}/compliance``); exports carry the customer's jobs with fresh download links.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from printgate.connectors.base.lines import read_lines
from printgate.connectors.base.models import ComplianceRecord, OrderSync, StoreConnection
from printgate.connectors.base.states import ConnectionStatus
from printgate.core.clock import iso, utcnow
from printgate.core.ids import new_id
from printgate.core.models import Artifact, Job, Order, Step, Task
from printgate.core.storage import get_storage

log = logging.getLogger("printgate.connectors.erasure")


def _store_orders(session: Session, connection: StoreConnection) -> list[OrderSync]:
    return list(session.exec(select(OrderSync).where(OrderSync.connection_id == connection.id)).all())


def _matches(sync: OrderSync, customer_id: str | None, email: str | None, order_ids: set[str]) -> bool:
    if sync.external_id in order_ids:
        return True
    if customer_id and sync.customer_id == customer_id:
        return True
    return bool(email and sync.customer_email and sync.customer_email.lower() == email.lower())


def customer_jobs(session: Session, connection: StoreConnection, *, customer_id: str | None,
                  email: str | None, order_ids: list[str] | None = None) -> tuple[list[OrderSync], list[Job]]:
    """The store's orders of this customer and every job attached to them (this account only)."""
    wanted = {str(o) for o in order_ids or []}
    syncs = [s for s in _store_orders(session, connection) if _matches(s, customer_id, email, wanted)]
    job_ids = {line.job_id for s in syncs for line in read_lines(s.lines) if line.job_id}
    external_ids = {s.external_id for s in syncs}
    jobs: dict[str, Job] = {}
    for job_id in job_ids:
        job = session.get(Job, job_id)
        if job is not None and job.account_id == connection.account_id:
            jobs[job.id] = job
    # Jobs attached to these orders by other routes (e.g. the order page re-posted via the API).
    if external_ids:
        for job in session.exec(select(Job).where(Job.account_id == connection.account_id,
                                                  col(Job.order_id).in_(external_ids))).all():
            jobs[job.id] = job
    return syncs, list(jobs.values())


def export_customer(session: Session, connection: StoreConnection, *, customer_id: str | None,
                    email: str | None, order_ids: list[str] | None = None,
                    request: dict[str, Any] | None = None) -> ComplianceRecord:
    from printgate.core.wire import runs_wire

    syncs, jobs = customer_jobs(session, connection, customer_id=customer_id, email=email, order_ids=order_ids)
    result = {
        "orders": [{"orderId": s.external_id, "name": s.name, "status": s.status, "createdAt": iso(s.created_at)}
                   for s in syncs],
        "jobs": [{**runs_wire(session, job), "createdAt": iso(job.created_at), "orderId": job.order_id,
                  "customerEmail": job.customer_email, "metaData": job.meta_data} for job in jobs],
    }
    record = ComplianceRecord(id=new_id("cmp"), account_id=connection.account_id, connection_id=connection.id,
                              kind="data_request", customer_id=customer_id, customer_email=email,
                              request=request, result=result)
    session.add(record)
    session.commit()
    return record


def purge_jobs(session: Session, jobs: list[Job]) -> int:
    """Delete jobs, their tasks, steps, artifacts and every stored file."""
    storage = get_storage()
    removed = 0
    for job in jobs:
        arts = session.exec(select(Artifact).where(Artifact.job_id == job.id)).all()
        for art in arts:
            try:
                storage.delete_prefix(art.key)
            except Exception as exc:  # keep erasing the rest; the record says what failed
                log.warning("could not delete %s: %s", art.key, exc)
        for prefix in (f"s/{job.account_id}/{job.id}", f"a/{job.account_id}/{job.id}"):
            try:
                storage.delete_prefix(prefix)
            except Exception:
                pass
        session.execute(delete(Artifact).where(col(Artifact.job_id) == job.id))
        session.execute(delete(Step).where(col(Step.job_id) == job.id))
        session.execute(delete(Task).where(col(Task.job_id) == job.id))
        session.execute(delete(Job).where(col(Job.id) == job.id))
        removed += 1
    session.commit()
    return removed


def redact_customer(session: Session, connection: StoreConnection, *, customer_id: str | None,
                    email: str | None, order_ids: list[str] | None = None,
                    request: dict[str, Any] | None = None) -> ComplianceRecord:
    syncs, jobs = customer_jobs(session, connection, customer_id=customer_id, email=email, order_ids=order_ids)
    job_ids = [j.id for j in jobs]
    removed = purge_jobs(session, jobs)
    external_ids = [s.external_id for s in syncs]
    for sync in syncs:
        session.delete(sync)
    if external_ids:
        session.execute(delete(Order).where(col(Order.account_id) == connection.account_id,
                                            col(Order.store_id) == connection.id,
                                            col(Order.external_id).in_(external_ids)))
    record = ComplianceRecord(id=new_id("cmp"), account_id=connection.account_id, connection_id=connection.id,
                              kind="customer_redact", customer_id=customer_id, customer_email=None,
                              request=_without_pii(request),
                              result={"jobsDeleted": removed, "jobIds": job_ids, "ordersDeleted": len(external_ids)})
    session.add(record)
    session.commit()
    return record


def erase_store(session: Session, connection: StoreConnection, *, request: dict[str, Any] | None = None,
                now: datetime | None = None) -> ComplianceRecord:
    """Everything printgate holds for this store: its orders' jobs and files, orders, credentials."""
    syncs = _store_orders(session, connection)
    external_ids = {s.external_id for s in syncs}
    jobs: dict[str, Job] = {}
    job_ids = {line.job_id for s in syncs for line in read_lines(s.lines) if line.job_id}
    for job_id in job_ids:
        job = session.get(Job, job_id)
        if job is not None and job.account_id == connection.account_id:
            jobs[job.id] = job
    if external_ids:
        for job in session.exec(select(Job).where(Job.account_id == connection.account_id,
                                                  col(Job.order_id).in_(external_ids))).all():
            jobs[job.id] = job
    removed = purge_jobs(session, list(jobs.values()))
    session.execute(delete(OrderSync).where(col(OrderSync.connection_id) == connection.id))
    session.execute(delete(Order).where(col(Order.account_id) == connection.account_id,
                                        col(Order.store_id) == connection.id))
    session.execute(delete(ComplianceRecord).where(col(ComplianceRecord.connection_id) == connection.id,
                                                   col(ComplianceRecord.kind) == "data_request"))
    connection.credentials = None
    connection.webhook_secrets = None
    connection.token_expires_at = None
    connection.erased_at = now or utcnow()
    connection.erase_after = None
    if connection.status != ConnectionStatus.DISCONNECTED:
        connection.status = ConnectionStatus.UNINSTALLED
    connection.updated_at = utcnow()
    session.add(connection)
    record = ComplianceRecord(id=new_id("cmp"), account_id=connection.account_id, connection_id=connection.id,
                              kind="shop_redact", request=_without_pii(request),
                              result={"jobsDeleted": removed, "ordersDeleted": len(external_ids)})
    session.add(record)
    session.commit()
    return record


def erase_due(session: Session, *, now: datetime | None = None) -> int:
    """Erase stores whose post-uninstall grace period (``erase_after``) has passed."""
    now = now or utcnow()
    due = session.exec(select(StoreConnection).where(col(StoreConnection.erase_after).is_not(None),
                                                     col(StoreConnection.erase_after) <= now,
                                                     col(StoreConnection.erased_at).is_(None))).all()
    for connection in due:
        if connection.status == ConnectionStatus.CONNECTED:  # reinstalled in the meantime
            connection.erase_after = None
            session.add(connection)
            session.commit()
            continue
        erase_store(session, connection, request={"reason": "uninstalled", "scheduled": True}, now=now)
    return len(due)


def _without_pii(request: dict[str, Any] | None) -> dict[str, Any] | None:
    if not request:
        return request
    keep = ("shop_id", "shop_domain", "orders_to_redact", "reason", "scheduled", "data_request")
    out = {k: v for k, v in request.items() if k in keep}
    customer = request.get("customer")
    if isinstance(customer, dict) and customer.get("id") is not None:
        out["customer"] = {"id": customer["id"]}
    return out
