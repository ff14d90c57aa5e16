"""Shopify's side of the pipeline: parse orders, look up product workflows, write files back.

Write-back (Admin GraphQL, idempotent):

1. optionally (``PRINTGATE_SHOPIFY_ATTACH_FILES`` and the ``write_files`` scope) each print file is
   uploaded to the shop's Files: ``stagedUploadsCreate`` -> POST the file -> ``fileCreate``;
2. ``metafieldsSet`` on the order: ``printgate.jobs`` (json: jobs, status, links) and
   ``printgate.status`` (shown by the admin block / order-page link);
3. the order note gets a "printgate" paragraph with the links (once: a marker guards it), via
   ``orderUpdate``; and the tag ``printgate-ready`` via ``tagsAdd`` for the orders list.
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
from sqlmodel import Session, select

from printgate.connectors.base.adapter import (
    AdapterError,
    DeliveredFile,
    ExternalLine,
    ExternalOrder,
    flatten_pairs,
)
from printgate.connectors.base.models import OrderSync, StoreConnection
from printgate.connectors.shopify import oauth
from printgate.connectors.shopify.client import Page, ShopifyAdmin, TokenRejected, paged_query, user_errors
from printgate.connectors.shopify.config import get_shopify_settings
from printgate.core import net
from printgate.core.clock import iso

NAMESPACE = "printgate"
READY_TAG = "printgate-ready"
NOTE_MARKER = "[printgate]"

ORDERS_QUERY = paged_query("PrintgateRecentOrders", "orders", "UPDATED_AT", """
id
legacyResourceId
name
displayFinancialStatus
cancelledAt
updatedAt
currencyCode
totalPriceSet { shopMoney { amount currencyCode } }
customer { id legacyResourceId email firstName lastName phone }
customAttributes { key value }
lineItems(first: 100) {
  nodes {
    id
    name
    quantity
    sku
    customAttributes { key value }
    product { id legacyResourceId }
  }
}
""")

PRODUCT_WORKFLOWS_QUERY = """
query PrintgateProductWorkflows($ids: [ID!]!) {
  nodes(ids: $ids) {
    ... on Product {
      id
      legacyResourceId
      metafield(namespace: "printgate", key: "workflow_id") { value }
      collections(first: 20, sortKey: TITLE) {
        nodes { id metafield(namespace: "printgate", key: "workflow_id") { value } }
      }
    }
  }
}
"""

METAFIELDS_SET = """
mutation PrintgateMetafieldsSet($metafields: [MetafieldsSetInput!]!) {
  metafieldsSet(metafields: $metafields) {
    metafields { id namespace key }
    userErrors { field message code }
  }
}
"""

ORDER_NOTE_QUERY = """
query PrintgateOrderNote($id: ID!) {
  order(id: $id) { id note tags }
}
"""

ORDER_UPDATE = """
mutation PrintgateOrderUpdate($input: OrderInput!) {
  orderUpdate(input: $input) {
    order { id }
    userErrors { field message }
  }
}
"""

TAGS_ADD = """
mutation PrintgateTagsAdd($id: ID!, $tags: [String!]!) {
  tagsAdd(id: $id, tags: $tags) {
    node { id }
    userErrors { field message }
  }
}
"""

STAGED_UPLOADS_CREATE = """
mutation PrintgateStagedUploadsCreate($input: [StagedUploadInput!]!) {
  stagedUploadsCreate(input: $input) {
    stagedTargets { url resourceUrl parameters { name value } }
    userErrors { field message }
  }
}
"""

FILE_CREATE = """
mutation PrintgateFileCreate($files: [FileCreateInput!]!) {
  fileCreate(files: $files) {
    files { id alt fileStatus }
    userErrors { field message code }
  }
}
"""


def gid(kind: str, legacy_id: str | int) -> str:
    return f"gid://shopify/{kind}/{legacy_id}"


def legacy_id(value: str | int | None) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text.rsplit("/", 1)[-1] if text.startswith("gid://") else text


def _status_from_rest(order: dict[str, Any]) -> str | None:
    status = order.get("financial_status")
    return str(status).lower() if status else None


def parse_order(body: dict[str, Any]) -> ExternalOrder:
    """An ``orders/*`` webhook body (the REST order shape; ``{"order": ...}`` is unwrapped)."""
    order = body.get("order", body) if isinstance(body, dict) else {}
    lines = []
    for item in order.get("line_items") or []:
        lines.append(ExternalLine(
            line_id=str(item.get("id")), product_id=legacy_id(item.get("product_id")),
            name=item.get("name") or item.get("title"), quantity=int(item.get("quantity") or 1),
            sku=item.get("sku") or None, properties=flatten_pairs(item.get("properties")),
            total=str(item["price"]) if item.get("price") is not None else None,
        ))
    customer = order.get("customer") or {}
    name = " ".join(p for p in (customer.get("first_name"), customer.get("last_name")) if p) or None
    shipping = order.get("shipping_address") or None
    return ExternalOrder(
        external_id=str(order.get("id")), name=order.get("name"), status=_status_from_rest(order), lines=lines,
        currency=order.get("currency"), total=str(order["total_price"]) if order.get("total_price") else None,
        customer={"id": customer.get("id"), "name": name, "email": customer.get("email") or order.get("email"),
                  "phone": customer.get("phone")} if customer or order.get("email") else None,
        shipping_address={
            "name": shipping.get("name"), "address1": shipping.get("address1"), "address2": shipping.get("address2"),
            "city": shipping.get("city"), "state": shipping.get("province"), "postcode": shipping.get("zip"),
            "country": shipping.get("country_code") or shipping.get("country"), "company": shipping.get("company"),
        } if isinstance(shipping, dict) else None,
        attributes=flatten_pairs(order.get("note_attributes")),
        cancelled=bool(order.get("cancelled_at")),
    )


def parse_graphql_order(node: dict[str, Any]) -> ExternalOrder:
    """An order node of ``PrintgateRecentOrders`` (reconciliation)."""
    lines = []
    for item in (node.get("lineItems") or {}).get("nodes") or []:
        product = item.get("product") or {}
        lines.append(ExternalLine(
            line_id=legacy_id(item.get("id")) or "", product_id=product.get("legacyResourceId") or legacy_id(product.get("id")),
            name=item.get("name"), quantity=int(item.get("quantity") or 1), sku=item.get("sku") or None,
            properties=flatten_pairs(item.get("customAttributes")),
        ))
    customer = node.get("customer") or {}
    money = ((node.get("totalPriceSet") or {}).get("shopMoney") or {})
    name = " ".join(p for p in (customer.get("firstName"), customer.get("lastName")) if p) or None
    return ExternalOrder(
        external_id=str(node.get("legacyResourceId") or legacy_id(node.get("id"))), name=node.get("name"),
        status=str(node.get("displayFinancialStatus") or "").lower() or None, lines=lines,
        currency=node.get("currencyCode"), total=money.get("amount"),
        customer={"id": customer.get("legacyResourceId") or legacy_id(customer.get("id")), "name": name,
                  "email": customer.get("email"), "phone": customer.get("phone")} if customer else None,
        attributes=flatten_pairs(node.get("customAttributes")), cancelled=bool(node.get("cancelledAt")),
    )


class ShopifyAdapter:
    platform = "shopify"

    def __init__(self, connection: StoreConnection) -> None:
        self.connection = connection
        self.settings = get_shopify_settings()

    # -- plumbing --

    def _call(self, session: Session, query: str, variables: dict[str, Any], operation: str) -> dict[str, Any]:
        token = oauth.access_token(session, self.connection)
        try:
            with ShopifyAdmin(self.connection.shop, token, settings=self.settings) as admin:
                return admin.graphql(query, variables, operation=operation)
        except TokenRejected:
            token = oauth.access_token(session, self.connection, force_refresh=True)
            with ShopifyAdmin(self.connection.shop, token, settings=self.settings) as admin:
                return admin.graphql(query, variables, operation=operation)

    def pages(self, session: Session, query: str, operation: str, connection: str, variables: dict[str, Any], *,
              after: str | None = None, most: int = 1) -> Iterator[Page]:
        """Up to ``most`` pages of a :func:`~printgate.connectors.shopify.client.paged_query` listing,
        from the cursor ``after`` on, each asked for when the one before it says there is a next."""
        for _ in range(most):
            page = Page.of(self._call(session, query, {**variables, "after": after}, operation), connection)
            yield page
            if page.next_cursor is None:
                return
            after = page.next_cursor

    # -- PlatformAdapter --

    def fetch_recent_orders(self, session: Session, since: datetime) -> list[ExternalOrder]:
        pages = self.pages(session, ORDERS_QUERY, "PrintgateRecentOrders", "orders",
                           {"first": 50, "query": f"updated_at:>'{iso(since)}'"}, most=20)
        # at most 20 pages (1,000 orders) per pass; the next pass continues
        return [parse_graphql_order(node) for page in pages for node in page.nodes]

    def enrich_order(self, session: Session, order: ExternalOrder) -> ExternalOrder:
        """Each line's product workflow: the product metafield ``printgate.workflow_id``, else that of
        the first of its collections (by title) that has one (both set from the embedded admin page)."""
        products = sorted({line.product_id for line in order.lines if line.product_id})
        if not products or self.connection.status != "connected":
            return order
        data = self._call(session, PRODUCT_WORKFLOWS_QUERY, {"ids": [gid("Product", p) for p in products]},
                          "PrintgateProductWorkflows")
        workflows = {}
        for node in data.get("nodes") or []:
            if not node:
                continue
            own = (node.get("metafield") or {}).get("value")
            inherited = next((c["metafield"]["value"] for c in (node.get("collections") or {}).get("nodes") or []
                              if c and (c.get("metafield") or {}).get("value")), None)
            if own or inherited:
                workflows[legacy_id(node.get("legacyResourceId") or node.get("id"))] = own or inherited
        for line in order.lines:
            line.workflow_id = line.workflow_id or workflows.get(line.product_id)
        return order

    def write_back(self, session: Session, order_sync: OrderSync, files: list[DeliveredFile]) -> dict[str, Any]:
        order_gid = gid("Order", order_sync.external_id)
        result: dict[str, Any] = {}
        if self.settings.attach_files and "write_files" in (self.connection.scopes or ""):
            result["filesAttached"] = self._attach_files(session, order_sync, files)
        jobs: dict[str, dict[str, Any]] = {}
        for f in files:
            entry = jobs.setdefault(f.job_id, {"jobId": f.job_id, "lineId": f.line_id, "files": []})
            entry["files"].append({"runId": f.run_id, "name": f.name, "status": f.status, "outcome": f.outcome,
                                   "link": f.link, "downloadUrl": f.download_url, "expiresIn": f.expires_in,
                                   "shopifyFileId": self._file_id(order_sync, f.run_id)})
        ready = bool(files) and all(f.link for f in files)
        status = "ready" if ready else ("partial" if any(f.link for f in files) else "no_output")
        for entry in jobs.values():
            entry["status"] = "ready" if all(x["link"] for x in entry["files"]) else "no_output"
        metafields = [
            {"ownerId": order_gid, "namespace": NAMESPACE, "key": "jobs", "type": "json",
             "value": json.dumps({"orderSync": order_sync.id, "status": status, "jobs": list(jobs.values())})},
            {"ownerId": order_gid, "namespace": NAMESPACE, "key": "status", "type": "single_line_text_field",
             "value": status},
        ]
        data = self._call(session, METAFIELDS_SET, {"metafields": metafields}, "PrintgateMetafieldsSet")
        user_errors(data, "metafieldsSet")
        result["metafields"] = len((data.get("metafieldsSet") or {}).get("metafields") or [])
        result["noteWritten"] = self._write_note(session, order_sync, order_gid, files)
        data = self._call(session, TAGS_ADD, {"id": order_gid, "tags": [READY_TAG if ready else "printgate"]},
                          "PrintgateTagsAdd")
        user_errors(data, "tagsAdd")
        result["status"] = status
        return result

    def cancel_hint(self, session: Session, order_sync: OrderSync) -> None:
        return None

    # -- pieces --

    def _write_note(self, session: Session, order_sync: OrderSync, order_gid: str,
                    files: list[DeliveredFile]) -> bool:
        data = self._call(session, ORDER_NOTE_QUERY, {"id": order_gid}, "PrintgateOrderNote")
        current = ((data.get("order") or {}).get("note")) or ""
        if f"{NOTE_MARKER} {order_sync.id}" in current:
            return False  # written by an earlier attempt
        lines = [f"{NOTE_MARKER} {order_sync.id} print files:"]
        for f in files:
            lines.append(f"- {f.name or f.run_id}: {f.link or 'no output (' + str(f.outcome) + ')'}")
        note = (current.rstrip() + "\n\n" if current.strip() else "") + "\n".join(lines)
        data = self._call(session, ORDER_UPDATE, {"input": {"id": order_gid, "note": note}}, "PrintgateOrderUpdate")
        user_errors(data, "orderUpdate")
        return True

    @staticmethod
    def _file_id(order_sync: OrderSync, run_id: str) -> str | None:
        for entry in order_sync.files or []:
            if entry.get("runId") == run_id and entry.get("shopifyFileId"):
                return str(entry["shopifyFileId"])
        return None

    def _attach_files(self, session: Session, order_sync: OrderSync, files: list[DeliveredFile]) -> int:
        """Files API: stagedUploadsCreate -> upload -> fileCreate, once per run (ids kept on the sync)."""
        from printgate.core.models import Artifact, Job
        from printgate.core.storage import get_storage
        from printgate.core.wire import OUTPUT_ROLES

        storage = get_storage()
        attached = 0
        for f in files:
            if not f.link or self._file_id(order_sync, f.run_id):
                continue
            job = session.get(Job, f.job_id)
            if job is None:
                continue
            arts = [a for a in session.exec(select(Artifact).where(Artifact.task_id == f.run_id)).all()
                    if a.role in OUTPUT_ROLES]
            if not arts:
                continue
            art = arts[-1]
            data_bytes = storage.local_path(art.key).read_bytes()
            name = art.file_name or f"{f.run_id}.pdf"
            mime = art.mime_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
            staged = self._call(session, STAGED_UPLOADS_CREATE, {"input": [{
                "filename": name, "mimeType": mime, "resource": "FILE", "httpMethod": "POST",
                "fileSize": str(len(data_bytes)),
            }]}, "PrintgateStagedUploadsCreate")
            user_errors(staged, "stagedUploadsCreate")
            target = staged["stagedUploadsCreate"]["stagedTargets"][0]
            form = {p["name"]: p["value"] for p in target.get("parameters") or []}
            try:
                with net.client(timeout=self.settings.http_timeout_s * 3) as http:
                    upload = http.post(target["url"], data=form, files={"file": (name, data_bytes, mime)})
            except httpx.HTTPError as exc:
                raise AdapterError(f"staged upload failed: {exc}") from exc
            if upload.status_code >= 300:
                raise AdapterError(f"staged upload answered {upload.status_code}")
            created = self._call(session, FILE_CREATE, {"files": [{
                "originalSource": target["resourceUrl"], "contentType": "FILE",
                "alt": f"printgate {order_sync.name or order_sync.external_id} {name}",
            }]}, "PrintgateFileCreate")
            user_errors(created, "fileCreate")
            file_id = created["fileCreate"]["files"][0]["id"]
            entries = [dict(e) for e in order_sync.files or []]
            for entry in entries:
                if entry.get("runId") == f.run_id:
                    entry["shopifyFileId"] = file_id
            order_sync.files = entries
            session.add(order_sync)
            session.commit()
            attached += 1
        return attached
