"""PrestaShop's Webservice (``{shop}/api/...``): the key is the HTTP Basic user, the password is
empty; JSON with ``output_format=JSON``, XML bodies for writes (the documented blank schemas).

Used for:

- the order note: a private ``customer_message`` in the order's ``customer_thread`` (created when
  the order has none), which the admin order page shows in its Messages block;
- reconciliation: ``GET /api/orders?filter[date_upd]=[from,to]&date=1&display=full`` and
  ``GET /api/order_states`` (which states count as paid).

The key needs GET on ``orders``, ``order_states``, ``customers``, ``customer_threads`` and POST on
``customer_threads``, ``customer_messages``.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape

import httpx

from printgate.connectors.base.adapter import AdapterError
from printgate.connectors.store_modules import api_error, guard_url, http_client

DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
PAGE = 100


def xml_document(resource: str, fields: dict[str, Any]) -> bytes:
    """``<prestashop><resource><field><![CDATA[...]]></field>...</resource></prestashop>``."""
    parts = [f"<{k}><![CDATA[{str(v).replace(']]>', ']]]]><![CDATA[>')}]]></{k}>" for k, v in fields.items()]
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<prestashop xmlns:xlink="http://www.w3.org/1999/xlink">'
            f"<{escape(resource)}>{''.join(parts)}</{escape(resource)}></prestashop>").encode()


def _created_id(response: httpx.Response, resource: str) -> str:
    """The id of a created resource, from a JSON or an XML answer."""
    try:
        data = response.json()
        node = data.get(resource) if isinstance(data, dict) else None
        if isinstance(node, dict) and node.get("id") is not None:
            return str(node["id"])
    except ValueError:
        pass
    try:
        root = ElementTree.fromstring(response.content)
    except ElementTree.ParseError as exc:
        raise AdapterError(f"PrestaShop {resource}: unreadable answer {response.text[:200]!r}") from exc
    found = root.find(f"./{resource}/id")
    if found is None or not (found.text or "").strip():
        raise AdapterError(f"PrestaShop {resource}: no id in the answer", retryable=False)
    return found.text.strip()  # type: ignore[union-attr]


def _items(data: Any, key: str) -> list[dict[str, Any]]:
    """A list answer: ``{"orders": [...]}``, or ``[]`` when nothing matched."""
    if isinstance(data, dict):
        value = data.get(key)
        return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
    return []


def _text(value: Any) -> str:
    """A multi-language field (``[{"id": "1", "value": "..."}]``) or a plain one, as text."""
    if isinstance(value, list):
        return next((str(v.get("value")) for v in value if isinstance(v, dict) and v.get("value")), "")
    return "" if value is None else str(value)


class Webservice:
    def __init__(self, store_url: str, key: str, client: httpx.Client | None = None) -> None:
        self.base = store_url.rstrip("/") + "/api/"
        self.client = client or http_client()
        self.auth = httpx.BasicAuth(key, "")

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Webservice:
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()

    def _request(self, method: str, path: str, params: dict[str, Any], content: bytes | None = None) -> httpx.Response:
        url = self.base + path
        guard_url(url)
        headers = {"content-type": "application/xml"} if content is not None else {}
        try:
            response = self.client.request(method, url, params=params, content=content, auth=self.auth,
                                           headers=headers)
        except httpx.HTTPError as exc:
            raise AdapterError(f"PrestaShop Webservice {path}: {type(exc).__name__}: {exc}") from exc
        if response.status_code in (401, 403):
            raise AdapterError(f"PrestaShop Webservice refused the key for {method} {path} "
                               f"(HTTP {response.status_code}): check its permissions", retryable=False)
        if response.status_code >= 300:
            raise api_error(f"PrestaShop Webservice {method} {path}", response)
        return response

    def get(self, path: str, **params: Any) -> Any:
        response = self._request("GET", path, {**params, "output_format": "JSON"})
        try:
            return response.json()
        except ValueError as exc:
            raise AdapterError(f"PrestaShop Webservice {path} did not answer JSON: {response.text[:200]!r}") from exc

    def create(self, resource: str, singular: str, fields: dict[str, Any]) -> str:
        response = self._request("POST", resource, {"output_format": "JSON"}, xml_document(singular, fields))
        return _created_id(response, singular)

    # -- reads --

    def orders_updated(self, since: datetime, until: datetime) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for page in range(50):
            data = self.get("orders", **{"filter[date_upd]": f"[{since.strftime(DATE_FORMAT)},{until.strftime(DATE_FORMAT)}]",
                                         "date": 1, "display": "full", "sort": "[date_upd_ASC]",
                                         "limit": f"{page * PAGE},{PAGE}"})
            batch = _items(data, "orders")
            out.extend(batch)
            if len(batch) < PAGE:
                break
        return out

    def order_states(self) -> dict[str, dict[str, Any]]:
        data = self.get("order_states", display="[id,paid,name]")
        return {str(s.get("id")): {"paid": str(s.get("paid")) == "1", "name": _text(s.get("name"))}
                for s in _items(data, "order_states")}

    def order(self, order_id: str) -> dict[str, Any]:
        data = self.get(f"orders/{order_id}")
        order = data.get("order") if isinstance(data, dict) else None
        if not isinstance(order, dict):
            raise AdapterError(f"PrestaShop order {order_id} not found", retryable=False)
        return order

    # -- the order note --

    def order_thread(self, order_id: str, email: str | None) -> str:
        threads = _items(self.get("customer_threads", **{"filter[id_order]": f"[{order_id}]", "display": "[id]"}),
                         "customer_threads")
        if threads:
            return str(threads[0]["id"])
        order = self.order(order_id)
        if not email and order.get("id_customer"):
            customer = self.get(f"customers/{order['id_customer']}")
            email = ((customer or {}).get("customer") or {}).get("email") if isinstance(customer, dict) else None
        return self.create("customer_threads", "customer_thread", {
            "id_lang": order.get("id_lang") or 1, "id_shop": order.get("id_shop") or 1,
            "id_customer": order.get("id_customer") or 0, "id_order": order_id, "id_contact": 0,
            "email": email or "", "token": secrets.token_hex(6), "status": "open",
        })

    def add_private_message(self, order_id: str, text: str, email: str | None = None) -> dict[str, Any]:
        thread = self.order_thread(order_id, email)
        message = self.create("customer_messages", "customer_message", {
            "id_customer_thread": thread, "id_employee": 0, "message": text, "private": 1, "read": 0,
        })
        return {"customerThreadId": thread, "customerMessageId": message}
