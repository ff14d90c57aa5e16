"""A store's signed ``POST /orders/{orderId}``: which store sent it, and into the pipeline.

Core's order route hands over every call that carries ``webhook-signature``
(``printgate.core.orders.take_order_call``); :func:`receive_order_call` is what the connectors room
installs there. It looks at the account's stores on every platform that takes signed order calls
(``PlatformSpec.order_calls``), the platform the body names first, attributes the call
(:func:`.verify.attribute`), notes it on the store, and gives it to
``printgate.connectors.base.pipeline.capture_call``, which captures the order and queues its intake.
None (core answers 401) when no store of the account signed it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, col, select

from printgate.connectors import registry
from printgate.connectors.base import pipeline
from printgate.connectors.base.models import StoreConnection
from printgate.connectors.base.spec import OrderCalls
from printgate.connectors.signed_calls.verify import attribute, is_signed
from printgate.core.errors import Unauthorized
from printgate.core.orders import ItemResult


def _calls_of(connection: StoreConnection) -> OrderCalls | None:
    try:
        return registry.spec_for(connection.platform).order_calls
    except LookupError:
        return None


def _secrets(connection: StoreConnection) -> list[str]:
    calls = _calls_of(connection)
    return calls.secrets(connection) if calls is not None else []


def _platform_named(source: Any) -> str | None:
    """The platform a body's ``source`` names (``wp`` is WooCommerce's), if any."""
    if not isinstance(source, str):
        return None
    for name in registry.platforms():
        spec = registry.spec_for(name)
        if source == name or source in spec.order_sources:
            return name
    return None


def candidates(session: Session, account_id: str, source: Any = None) -> list[StoreConnection]:
    """The account's stores that may sign order calls, those of the platform ``source`` names first."""
    platforms = [name for name in registry.platforms() if registry.spec_for(name).order_calls is not None]
    if not platforms:
        return []
    rows = session.exec(select(StoreConnection).where(
        StoreConnection.account_id == account_id, col(StoreConnection.platform).in_(platforms))
        .order_by(col(StoreConnection.created_at))).all()
    named = _platform_named(source)
    accepted = [row for row in rows if (calls := _calls_of(row)) is not None and calls.accepts(row)]
    return sorted(accepted, key=lambda row: row.platform != named)


def receive_order_call(session: Session, account_id: str, order_id: str, headers: Mapping[str, str], raw: bytes,
                       body: dict[str, Any]) -> list[ItemResult] | None:
    """Capture a store's signed order call; None when no store of this account signed it."""
    if not is_signed(headers):
        return None
    source = body.get("source")
    connection = attribute(candidates(session, account_id, source), _secrets, headers, raw)
    if connection is None:
        return None
    named = _platform_named(source)
    if named is not None and named != connection.platform:
        raise Unauthorized(f"Signed by the {connection.platform} store {connection.id}, but source is {source!r}")
    calls = _calls_of(connection)
    if calls is not None and calls.seen is not None:
        calls.seen(session, connection, headers, body)
    return pipeline.capture_call(session, connection, order_id, body)
