"""PrestaShop's side of the pipeline: the signed callback to the module, the Webservice as the
second path (a private message on the order), and reconciliation.

Reconciliation: with a Webservice key, printgate reads the orders updated in the window and their
current state (``order_states.paid``; cancelled/refunded states by id or name), so a status change
whose module call was lost still moves the order (paid -> files; cancelled -> processing stops).
Line jobIds live only in the module (its ``printgate_order_job`` table) and reach printgate with
the module's order calls: orders printgate has never received are counted, not invented; the
module's queue retries them. Without a key, reconciliation works from the orders already received.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from printgate.connectors.base.adapter import ExternalOrder
from printgate.connectors.base.models import OrderSync
from printgate.connectors.prestashop.webservice import Webservice
from printgate.connectors.store_modules import (
    StoreModuleAdapter,
    credentials,
    external_order,
    normalize_status,
    seen_orders,
)
from printgate.core.clock import utcnow
from printgate.core.models import Order

# PrestaShop's installed states: 6 Canceled, 7 Refunded (PS_OS_CANCELED, PS_OS_REFUND).
CANCELLED_STATE_IDS = frozenset({"6", "7"})
# Webservice dates are the shop's local time: widen the window so any time zone is covered.
CLOCK_SLACK = timedelta(hours=14)


class PrestaShopAdapter(StoreModuleAdapter):
    platform = "prestashop"

    def webservice_key(self) -> str | None:
        key = credentials(self.connection).get("webserviceKey")
        return key if isinstance(key, str) and key else None

    def api_configured(self) -> bool:
        return self.webservice_key() is not None

    def webservice(self) -> Webservice:
        return Webservice(self.connection.shop, self.webservice_key() or "")

    def api_note(self, session: Session, sync: OrderSync, text: str) -> dict[str, Any]:
        with self.webservice() as ws:
            result = ws.add_private_message(sync.external_id, text, sync.customer_email)
        return {"via": "prestashop-webservice", **result}

    def state_status(self, state_id: str, states: dict[str, dict[str, Any]]) -> str:
        state = states.get(state_id) or {}
        if state_id in CANCELLED_STATE_IDS:
            return "cancelled"
        by_name = normalize_status(_slug(state.get("name")), self.connection.settings) if state.get("name") else None
        if by_name == "cancelled":
            return "cancelled"
        if state.get("paid"):
            return "paid"
        return by_name or "pending"

    def fetch_recent_orders(self, session: Session, since: datetime) -> list[ExternalOrder]:
        if not self.api_configured():
            return seen_orders(session, self.connection, since)
        with self.webservice() as ws:
            rows = ws.orders_updated(since - CLOCK_SLACK, utcnow() + CLOCK_SLACK)
            states = ws.order_states() if rows else {}
        out = []
        for row in rows:
            known = session.exec(select(Order).where(
                Order.account_id == self.connection.account_id, Order.store_id == self.connection.id,
                Order.external_id == str(row.get("id")))).first()
            if known is None:
                continue  # never received from the module: its jobIds are unknown here
            order = external_order(known, self.connection)
            status = self.state_status(str(row.get("current_state")), states)
            out.append(replace(order, status=status, cancelled=status == "cancelled"))
        return out


def _slug(name: Any) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "_", str(name or "").lower()).strip("_")

