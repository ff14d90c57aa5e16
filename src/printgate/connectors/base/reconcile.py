"""Reconciliation: find store orders whose webhook was lost, retry due write-backs, run erasures.

Platforms drop webhooks (WooCommerce never retries; Shopify gives up after 8 tries and may delete
the subscription), so every connection's adapter is asked now and then for recent orders, and each
goes through ``pipeline.intake`` (a no-op for orders already handled).

``tick()`` is the one periodic entry point (see ``printgate.connectors.base.cron``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from printgate.connectors import registry
from printgate.connectors.base import erasure, pipeline
from printgate.connectors.base.adapter import AdapterError
from printgate.connectors.base.models import StoreConnection
from printgate.connectors.base.states import ConnectionStatus
from printgate.core.clock import as_utc, utcnow

log = logging.getLogger("printgate.connectors.reconcile")

# Look back this far on a connection's first reconciliation, and overlap later windows by this.
FIRST_WINDOW = timedelta(days=3)
OVERLAP = timedelta(minutes=30)


def reconcile(session: Session, connection: StoreConnection, *, since: datetime | None = None,
              now: datetime | None = None) -> dict[str, Any]:

    now = now or utcnow()
    if connection.status != ConnectionStatus.CONNECTED:
        return {"storeId": connection.id, "skipped": f"store is {connection.status}"}
    if since is None:
        last = connection.last_reconciled_at
        since = as_utc(last) - OVERLAP if last else now - FIRST_WINDOW
    adapter = registry.adapter_for(connection)
    try:
        orders = adapter.fetch_recent_orders(session, since)
    except AdapterError as exc:
        log.warning("reconcile %s: %s", connection.id, exc)
        return {"storeId": connection.id, "error": str(exc)}
    seen = 0
    moved: list[dict[str, Any]] = []
    for order in orders:
        seen += 1
        existing = pipeline.get_sync(session, connection.id, order.external_id)
        before = existing.status if existing else None
        if before in ("written_back", "no_jobs", "cancelled", "failed") and not order.cancelled:
            continue
        try:
            if order.paid and pipeline.needs_verification(session, connection.id, order.external_id):
                order = adapter.enrich_order(session, order)
            sync = pipeline.intake(session, connection, order, event="reconcile")
        except Exception as exc:  # one bad order must not stop the rest
            session.rollback()
            log.exception("reconcile %s order %s failed", connection.id, order.external_id)
            moved.append({"orderId": order.external_id, "error": str(exc)})
            continue
        if sync.status != before:
            moved.append({"orderId": order.external_id, "from": before, "to": sync.status})
    connection.last_reconciled_at = now
    session.add(connection)
    session.commit()
    return {"storeId": connection.id, "ordersSeen": seen, "ordersMoved": moved, "since": since.isoformat()}


def reconcile_all(session: Session, *, now: datetime | None = None) -> list[dict[str, Any]]:
    connections = session.exec(select(StoreConnection).where(
        StoreConnection.status == ConnectionStatus.CONNECTED)).all()
    return [reconcile(session, c, now=now) for c in connections]


def tick() -> dict[str, Any]:
    """Periodic job: reconcile every store, retry due write-backs, erase stores past their grace."""
    from printgate.core.db import session_scope

    with session_scope() as session:
        results = reconcile_all(session)
        retried = pipeline.retry_due(session)
        erased = erasure.erase_due(session)
    return {"reconciled": results, "retried": retried, "erased": erased}
