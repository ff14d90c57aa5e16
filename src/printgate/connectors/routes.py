"""The merchant's view of their stores (secret key), plus the platforms' own routes.

- ``GET /stores``, ``GET /stores/{id}``, ``DELETE /stores/{id}`` (disconnect: tokens wiped)
- ``GET /stores/{id}/orders`` (OrderSync rows, step by step), ``GET /stores/{id}/orders/{orderId}``
- ``POST /stores/{id}/reconcile`` (look for orders whose webhook was lost, now)
- ``GET /stores/{id}/compliance`` (privacy requests handled: exports, redactions)
- ``GET /stores/{id}/files/{jobId}/{runId}?exp=&sig=``: the stable link written to store orders;
  redirects to a fresh signed download URL

Each platform's own routes (``/shopify/*``, ``/woocommerce/*``, ``/store-modules/*``) are in its
``PlatformSpec.routers``, added by ``printgate.connectors.room``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import RedirectResponse
from sqlmodel import Session, col, select

from printgate.connectors.base import reconcile as reconciler
from printgate.connectors.base.models import ComplianceRecord, OrderSync, StoreConnection
from printgate.connectors.base.pipeline import check_file_link, page_output, sync_wire
from printgate.core.api.deps import SecretKey, SessionDep
from printgate.core.clock import as_utc, iso, utcnow
from printgate.core.config import get_settings
from printgate.core.errors import BadRequest, Forbidden, NotFound
from printgate.core.models import Job
from printgate.core.storage import get_storage

router = APIRouter(tags=["stores"])


def store_wire(connection: StoreConnection) -> dict[str, Any]:
    def _iso(value: Any) -> str | None:
        return iso(as_utc(value)) if value else None

    return {
        "id": connection.id, "object": "store", "platform": connection.platform, "shop": connection.shop,
        "name": connection.name, "status": connection.status, "scopes": connection.scopes,
        "tokenExpiresAt": _iso(connection.token_expires_at), "installedAt": _iso(connection.installed_at),
        "uninstalledAt": _iso(connection.uninstalled_at), "eraseAfter": _iso(connection.erase_after),
        "erasedAt": _iso(connection.erased_at), "lastReconciledAt": _iso(connection.last_reconciled_at),
        "webhookUrl": f"{get_settings().public_url.rstrip('/')}/webhooks/{connection.platform}",
        "createdAt": _iso(connection.created_at),
    }


def own_store(session: Session, account_id: str, store_id: str) -> StoreConnection:
    connection = session.get(StoreConnection, store_id)
    if connection is None or connection.account_id != account_id:
        raise NotFound(f"Store not found: {store_id}")
    return connection


@router.get("/stores")
def list_stores(session: SessionDep, caller: SecretKey) -> dict[str, Any]:
    rows = session.exec(select(StoreConnection).where(StoreConnection.account_id == caller.account_id)
                        .order_by(col(StoreConnection.created_at))).all()
    return {"data": [store_wire(c) for c in rows]}


@router.get("/stores/{store_id}")
def get_store(session: SessionDep, caller: SecretKey, store_id: str) -> dict[str, Any]:
    return store_wire(own_store(session, caller.account_id, store_id))


@router.delete("/stores/{store_id}")
def disconnect_store(session: SessionDep, caller: SecretKey, store_id: str) -> dict[str, Any]:
    """Stop syncing this store and forget its tokens (orders and files stay until retention)."""
    connection = own_store(session, caller.account_id, store_id)
    connection.status = "disconnected"
    connection.credentials = None
    connection.webhook_secrets = None
    connection.token_expires_at = None
    connection.updated_at = utcnow()
    session.add(connection)
    session.commit()
    return {**store_wire(connection), "deleted": True}


@router.get("/stores/{store_id}/orders")
def list_orders(session: SessionDep, caller: SecretKey, store_id: str, status: str | None = None,
                limit: int = Query(50, ge=1, le=200)) -> dict[str, Any]:
    connection = own_store(session, caller.account_id, store_id)
    query = select(OrderSync).where(OrderSync.connection_id == connection.id)
    if status:
        query = query.where(OrderSync.status == status)
    rows = session.exec(query.order_by(col(OrderSync.created_at).desc()).limit(limit)).all()
    return {"data": [sync_wire(s) for s in rows]}


@router.get("/stores/{store_id}/orders/{order_id}")
def get_order(session: SessionDep, caller: SecretKey, store_id: str, order_id: str) -> dict[str, Any]:
    connection = own_store(session, caller.account_id, store_id)
    sync = session.exec(select(OrderSync).where(OrderSync.connection_id == connection.id,
                                                (OrderSync.external_id == order_id) | (OrderSync.id == order_id))).first()
    if sync is None:
        raise NotFound(f"Order not found: {order_id}")
    return sync_wire(sync)


@router.post("/stores/{store_id}/reconcile")
def reconcile_store(session: SessionDep, caller: SecretKey, store_id: str) -> dict[str, Any]:
    connection = own_store(session, caller.account_id, store_id)
    if connection.status != "connected":
        raise BadRequest(f"Store is {connection.status}")
    result = reconciler.reconcile(session, connection)
    return {**result, "retried": reconciler.pipeline.retry_due(session)}


@router.get("/stores/{store_id}/compliance")
def list_compliance(session: SessionDep, caller: SecretKey, store_id: str) -> dict[str, Any]:
    connection = own_store(session, caller.account_id, store_id)
    rows = session.exec(select(ComplianceRecord).where(ComplianceRecord.connection_id == connection.id)
                        .order_by(col(ComplianceRecord.created_at).desc())).all()
    return {"data": [{"id": r.id, "kind": r.kind, "customerId": r.customer_id, "customerEmail": r.customer_email,
                      "request": r.request, "result": r.result, "createdAt": iso(r.created_at)} for r in rows]}


@router.get("/stores/{store_id}/files/{job_id}/{run_id}", include_in_schema=False, response_model=None)
def store_file(session: SessionDep, store_id: str, job_id: str, run_id: str, exp: str = "",
               sig: str = "") -> RedirectResponse:
    """The link fulfilment staff click on the store's order page: fresh signed URL each time."""
    from printgate.core.wire import runs_wire

    if not check_file_link(store_id, job_id, run_id, exp, sig):
        raise Forbidden("This link is invalid or has expired")
    connection = session.get(StoreConnection, store_id)
    job = session.get(Job, job_id)
    if connection is None or job is None or job.account_id != connection.account_id or job.deleted_at is not None:
        raise NotFound("File not found")
    run = next((r for r in runs_wire(session, job)["runs"] if r["id"] == run_id), None)
    if run is None:  # one page of a split run (``{runId}.p{page}``)
        page = page_output(session, job.id, run_id)
        if page is not None:
            settings = get_settings()
            return RedirectResponse(get_storage().download_url(page.key, expires_in=settings.download_expires_s,
                                                               file_name=page.file_name), status_code=302)
    if run is None or not run.get("downloadUrl"):
        raise NotFound("This file has no output")
    return RedirectResponse(run["downloadUrl"], status_code=302)
