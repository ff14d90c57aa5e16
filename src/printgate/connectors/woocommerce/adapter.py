"""WooCommerce's side of the pipeline: parse orders, read product workflows, write files back.

Write-back (idempotent, so the pipeline may call it again after a failure):

1. a private order note ``Print files ready: <name>: <link>, ...`` tagged with the OrderSync id;
   the existing notes are read first, so a retry never adds it twice;
2. order meta ``_printgate_files`` (JSON: jobs, runs, links), ``_printgate_status`` and
   ``_printgate_note_id`` (``PUT /orders/{id}``);
3. when the printgate plugin is installed, its ``order.files_ready`` event, Standard Webhooks-signed
   with the plugin secret and a ``webhook-id`` fixed per order, so a re-send is answered 409
   (already received) and counts as delivered; sent to the site's REST root whatever its
   permalinks (``printgate.connectors.woocommerce.events``).

A 401 from the store means the merchant revoked the keys: the connection is marked disconnected
with the reason and the pipeline waits (it does not call a disconnected store) until they reconnect.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from printgate.connectors.base.adapter import (
    AdapterError,
    DeliveredFile,
    ExternalLine,
    ExternalOrder,
    flatten_pairs,
)
from printgate.connectors.base.models import OrderSync, StoreConnection
from printgate.connectors.woocommerce import store
from printgate.connectors.woocommerce.client import KeysRejected, StoreNotFound, WooClient
from printgate.connectors.woocommerce.config import get_woocommerce_settings
from printgate.connectors.woocommerce.events import send_files_ready
from printgate.core.clock import iso, utcnow

log = logging.getLogger("printgate.woocommerce")

NOTE_PREFIX = "Print files ready:"
# Statuses after which nothing should be printed.
CANCELLED_STATUSES = frozenset({"cancelled", "refunded", "trash"})
PRODUCT_WORKFLOW_KEYS = ("_printgate_workflow", "_fc_workflow_id")


def _gmt(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def is_order(body: Any) -> bool:
    """The shape of ``GET /wp-json/wc/v3/orders/{id}``: an id, a status and line items."""
    return (isinstance(body, dict) and isinstance(body.get("id"), int) and not isinstance(body.get("id"), bool)
            and isinstance(body.get("status"), str) and isinstance(body.get("line_items"), list))


def parse_order(body: dict[str, Any]) -> ExternalOrder:
    """A WooCommerce order (REST shape, which ``order.*`` webhooks deliver) as an ``ExternalOrder``."""
    lines = []
    for item in body.get("line_items") or []:
        if not isinstance(item, dict):
            continue
        lines.append(ExternalLine(
            line_id=str(item.get("id")), product_id=str(item["product_id"]) if item.get("product_id") else None,
            name=item.get("name"), quantity=int(item.get("quantity") or 1), sku=item.get("sku") or None,
            properties=flatten_pairs(item.get("meta_data")),
            total=str(item["total"]) if item.get("total") is not None else None,
        ))
    billing = body.get("billing") or {}
    shipping = body.get("shipping") or {}
    name = " ".join(p for p in (billing.get("first_name"), billing.get("last_name")) if p) or None
    ship_name = " ".join(p for p in (shipping.get("first_name"), shipping.get("last_name")) if p) or None
    status = str(body.get("status") or "").lower() or None
    return ExternalOrder(
        external_id=str(body.get("id")), name=f"#{body.get('number') or body.get('id')}", status=status,
        lines=lines, currency=body.get("currency"),
        total=str(body["total"]) if body.get("total") is not None else None,
        customer={"id": body.get("customer_id"), "name": name, "email": billing.get("email"),
                  "phone": billing.get("phone")} if billing or body.get("customer_id") else None,
        shipping_address={"name": ship_name, "address1": shipping.get("address_1"),
                          "address2": shipping.get("address_2"), "city": shipping.get("city"),
                          "state": shipping.get("state"), "postcode": shipping.get("postcode"),
                          "country": shipping.get("country"), "company": shipping.get("company")}
        if any(shipping.values()) else None,
        attributes=flatten_pairs(body.get("meta_data")),
        cancelled=status in CANCELLED_STATUSES,
        updated_at=_gmt(body.get("date_modified_gmt")),
    )


class StoreDisconnected(AdapterError):
    """The store refused the keys; the connection is now ``disconnected`` (the pipeline waits)."""

    def __init__(self, message: str) -> None:
        # Retryable: the pipeline re-checks the connection before each attempt and does not call a
        # disconnected store, so the order simply waits for the merchant to reconnect.
        super().__init__(message, retryable=True)


class WooCommerceAdapter:
    platform = "woocommerce"

    def __init__(self, connection: StoreConnection) -> None:
        self.connection = connection
        self.settings = get_woocommerce_settings()

    # -- plumbing --

    def _client(self) -> WooClient:
        try:
            return store.client_for(self.connection)
        except LookupError as exc:
            raise AdapterError(str(exc), retryable=False) from exc

    def _calls(self, session: Session, fn: Any) -> Any:
        """Run ``fn(client)``; a 401 disconnects the store (with the reason) instead of retrying."""
        client = self._client()
        try:
            with client:
                result = fn(client)
        except KeysRejected as exc:
            store.mark_disconnected(session, self.connection, str(exc))
            raise StoreDisconnected(f"store disconnected: {exc}") from exc
        store.remember_auth_mode(session, self.connection, client)
        return result

    # -- PlatformAdapter --

    def fetch_recent_orders(self, session: Session, since: datetime) -> list[ExternalOrder]:
        if not store.has_rest_keys(self.connection):
            return []  # a plugin-only store: the plugin re-sends its orders itself

        def run(client: WooClient) -> list[ExternalOrder]:
            # Newest first, stopping once a page reaches past ``since``: WooCommerce before 5.8
            # ignores ``modified_after`` and would otherwise list the whole shop.
            cutoff = since.astimezone(UTC)
            orders: list[ExternalOrder] = []
            for page_no in range(1, self.settings.max_pages + 1):
                page = client.page("/orders", modified_after=cutoff.strftime("%Y-%m-%dT%H:%M:%S"),
                                   dates_are_gmt="true", per_page=self.settings.page_size, page=page_no,
                                   orderby="modified", order="desc", context="edit")
                parsed = [parse_order(o) for o in page.items if is_order(o)]
                fresh = [o for o in parsed if o.updated_at is None or o.updated_at >= cutoff]
                orders.extend(fresh)
                if page_no >= page.total_pages or len(fresh) < len(parsed):
                    break
            return orders

        orders = self._calls(session, run)
        checked = (self.connection.settings or {}).get("webhooksCheckedAt") or 0
        if time.time() - checked > self.settings.webhook_check_s:
            try:
                store.ensure_webhooks(session, self.connection)
            except AdapterError as exc:  # orders were read; the webhook check waits for the next pass
                log.warning("woocommerce %s: webhook check failed: %s", self.connection.id, exc)
        return orders

    def enrich_order(self, session: Session, order: ExternalOrder) -> ExternalOrder:
        """Each line's workflow from its product's ``_printgate_workflow`` meta (``wf_...`` only)."""
        from printgate.connectors.base.pipeline import line_job_id

        if self.connection.status != "connected" or not store.has_rest_keys(self.connection):
            return order
        products = sorted({line.product_id for line in order.lines
                           if line.product_id and line_job_id(self.platform, line)})
        if not products:
            return order
        products = products[:100]  # one page; a cart with more print products is verified without
        found = self._calls(session, lambda c: c.get("/products", include=",".join(products),
                                                     per_page=len(products), context="edit"))
        workflows: dict[str, str] = {}
        for product in found if isinstance(found, list) else []:
            meta = flatten_pairs(product.get("meta_data"))
            for key in PRODUCT_WORKFLOW_KEYS:
                value = meta.get(key)
                if isinstance(value, str) and value.startswith("wf_"):
                    workflows[str(product.get("id"))] = value
                    break
        for line in order.lines:
            line.workflow_id = line.workflow_id or workflows.get(line.product_id or "")
        return order

    def with_hidden_meta(self, session: Session, order: ExternalOrder) -> ExternalOrder:
        """The order as ``GET /orders/{id}?context=edit`` shows it, when no line shows a jobId.

        Depending on the WooCommerce version, a webhook payload (built in the ``view`` context) may
        leave out line-item meta whose key starts with ``_``, which is where the plugin keeps
        ``_printgate_job_id``. A paid order with no visible jobId is therefore read once more in
        the ``edit`` context before it is filed as "no print files".
        """
        from printgate.connectors.base.pipeline import line_job_id

        if any(line_job_id(self.platform, line) for line in order.lines) or not store.has_rest_keys(self.connection):
            return order
        try:
            body = self._calls(session, lambda c: c.get(f"/orders/{order.external_id}", context="edit"))
        except StoreNotFound:
            return order
        return parse_order(body) if is_order(body) else order

    def write_back(self, session: Session, order_sync: OrderSync, files: list[DeliveredFile]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        ready = bool(files) and all(f.link for f in files)
        status = "ready" if ready else ("partial" if any(f.link for f in files) else "no_output")
        result["status"] = status
        if store.has_rest_keys(self.connection):
            result.update(self._calls(session, lambda c: self._write_order(c, order_sync, files, status)))
        if self._plugin_installed():
            result["pluginEvent"] = self._send_plugin_event(session, order_sync, files, status)
        return result

    def cancel_hint(self, session: Session, order_sync: OrderSync) -> None:
        return None

    # -- pieces --

    @staticmethod
    def note_text(order_sync: OrderSync, files: list[DeliveredFile]) -> str:
        parts = [f"{f.name or f.run_id}: {f.link}" if f.link else f"{f.name or f.run_id}: no output ({f.outcome})"
                 for f in files]
        return f"{NOTE_PREFIX} {', '.join(parts)} [printgate {order_sync.id}]"

    def _write_order(self, client: WooClient, order_sync: OrderSync, files: list[DeliveredFile],
                     status: str) -> dict[str, Any]:
        order_id = order_sync.external_id
        marker = f"[printgate {order_sync.id}]"
        notes = client.get(f"/orders/{order_id}/notes", type="internal")
        note_id = next((n.get("id") for n in notes if isinstance(n, dict) and marker in str(n.get("note") or "")),
                       None) if isinstance(notes, list) else None
        note_written = note_id is None
        if note_id is None:
            created = client.post(f"/orders/{order_id}/notes",
                                  {"note": self.note_text(order_sync, files), "customer_note": False})
            note_id = created.get("id")
        jobs: dict[str, dict[str, Any]] = {}
        for f in files:
            entry = jobs.setdefault(f.job_id, {"jobId": f.job_id, "lineId": f.line_id, "files": []})
            entry["files"].append({"runId": f.run_id, "name": f.name, "status": f.status, "outcome": f.outcome,
                                   "link": f.link})
        payload = {"orderSync": order_sync.id, "status": status, "jobs": list(jobs.values()),
                   "updatedAt": iso(utcnow())}
        client.put(f"/orders/{order_id}", {"meta_data": [
            {"key": "_printgate_files", "value": json.dumps(payload, separators=(",", ":"))},
            {"key": "_printgate_status", "value": status},
            {"key": "_printgate_note_id", "value": str(note_id)},
        ]})
        return {"noteId": note_id, "noteWritten": note_written, "metaWritten": True}

    def _plugin_installed(self) -> bool:
        settings = self.connection.settings or {}
        return bool(settings.get("pluginSeenAt") or settings.get("pluginOnly")) and settings.get("plugin") is not False

    def _send_plugin_event(self, session: Session, order_sync: OrderSync, files: list[DeliveredFile],
                           status: str) -> dict[str, Any]:
        body = json.dumps({
            "type": "order.files_ready", "timestamp": iso(utcnow()),
            "data": {"orderId": order_sync.external_id, "status": status,
                     "jobIds": sorted({f.job_id for f in files}),
                     "files": [{"jobId": f.job_id, "runId": f.run_id, "name": f.name, "link": f.link}
                               for f in files]},
        }, separators=(",", ":")).encode()
        return send_files_ready(session, self.connection, f"msg_{order_sync.id}_files_ready", body)


__all__ = ["CANCELLED_STATUSES", "StoreDisconnected", "StoreNotFound", "WooCommerceAdapter", "is_order", "parse_order"]
