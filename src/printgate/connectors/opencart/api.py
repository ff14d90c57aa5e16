"""OpenCart's own API, used to leave a comment on an order's history (the merchant sees it on the
admin order page). Two code paths, one per major version:

- OpenCart 3: ``POST index.php?route=api/login`` (form ``username``, ``key``) -> ``api_token``;
  ``POST index.php?route=api/order/info&api_token=&order_id=`` -> ``order.order_status_id``;
  ``POST index.php?route=api/order/history&api_token=&order_id=`` (form ``order_status_id``,
  ``comment``, ``notify``, ``override``). Errors: ``{"error": {"key"|"ip": "..."}}`` or a string.
- OpenCart 4: ``POST index.php?route=api/account/login`` -> ``api_token``;
  ``POST index.php?route=api/order&call=history_add&api_token=`` (form ``order_id``,
  ``order_status_id``, ``comment``, ``notify``, ``override``; 4.1). OpenCart 4.0.2 has no
  ``api/order`` controller (404): the same form goes to ``api/sale/order.addHistory``. OpenCart 4's
  API cannot read an order, so the status to keep is configured (``apiCredentials.orderStatusId``).

``addOrderHistory`` / ``addHistory`` set the order's status to ``order_status_id``: printgate always
passes the order's current status, so only a comment is added. The API user's IP allowlist must
contain printgate's address (``api/login`` refuses others).
"""

from __future__ import annotations

from typing import Any

import httpx

from printgate.connectors.base.adapter import AdapterError
from printgate.connectors.store_modules import api_error, guard_url, http_client


class RouteMissing(AdapterError):
    """The shop has no such route (404 / its HTML "page not found"): another version's path may work."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)


class OpenCartApi:
    def __init__(self, store_url: str, version: int, username: str, key: str,
                 client: httpx.Client | None = None) -> None:
        self.base = store_url.rstrip("/") + "/index.php"
        self.version = version
        self.username = username
        self.key = key
        self.client = client or http_client()
        self.token: str | None = None

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> OpenCartApi:
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()

    # -- plumbing --

    def _post(self, what: str, params: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        guard_url(self.base)
        try:
            response = self.client.post(self.base, params=params, data=data)
        except httpx.HTTPError as exc:
            raise AdapterError(f"OpenCart {what}: {type(exc).__name__}: {exc}") from exc
        if response.status_code == 404:
            raise RouteMissing(f"OpenCart {what}: route {params.get('route')} not found (HTTP 404)")
        if response.status_code >= 300:
            raise api_error(f"OpenCart {what}", response)
        try:
            payload = response.json()
        except ValueError as exc:
            # OpenCart prints PHP notices or an HTML error page before/instead of the JSON.
            raise AdapterError(f"OpenCart {what} did not answer JSON: {response.text[:200]!r}") from exc
        if not isinstance(payload, dict):
            raise AdapterError(f"OpenCart {what} answered {payload!r}", retryable=False)
        error = payload.get("error")
        if error:
            text = "; ".join(f"{k}: {v}" for k, v in error.items()) if isinstance(error, dict) else str(error)
            # Permission errors mean the session expired: one fresh login may help.
            raise AdapterError(f"OpenCart {what}: {text}", retryable="permission" in text.lower())
        return payload

    def login(self) -> str:
        route = "api/login" if self.version == 3 else "api/account/login"
        payload = self._post("api login", {"route": route}, {"username": self.username, "key": self.key})
        token = payload.get("api_token") or payload.get("token")
        if not isinstance(token, str) or not token:
            raise AdapterError(f"OpenCart api login gave no api_token: {payload!r}", retryable=False)
        self.token = token
        return token

    # -- calls --

    def order_status_id(self, order_id: str) -> int:
        """OpenCart 3 only: the order's current status (``api/order/info``)."""
        token = self.token or self.login()
        payload = self._post("order info", {"route": "api/order/info", "api_token": token, "order_id": order_id}, {})
        order = payload.get("order") or {}
        try:
            return int(order["order_status_id"])
        except (KeyError, TypeError, ValueError) as exc:
            raise AdapterError(f"OpenCart order info has no order_status_id: {payload!r}", retryable=False) from exc

    def add_history(self, order_id: str, comment: str, *, order_status_id: int | None = None) -> dict[str, Any]:
        """A history entry with ``comment`` that keeps the order's status; customer not notified."""
        token = self.token or self.login()
        if self.version == 3:
            status = order_status_id if order_status_id is not None else self.order_status_id(order_id)
            payload = self._post("order history", {"route": "api/order/history", "api_token": token,
                                                   "order_id": order_id},
                                 {"order_status_id": status, "comment": comment, "notify": 0, "override": 0})
        else:
            if order_status_id is None:
                raise AdapterError("OpenCart 4's API cannot read an order's status: set "
                                   "apiCredentials.orderStatusId to the status printgate's history entry keeps",
                                   retryable=False)
            status = order_status_id
            form = {"order_id": order_id, "order_status_id": status, "comment": comment, "notify": 0, "override": 0}
            try:
                payload = self._post("order history_add", {"route": "api/order", "call": "history_add",
                                                           "api_token": token}, form)
            except RouteMissing:  # OpenCart 4.0.2
                payload = self._post("order addHistory", {"route": "api/sale/order.addHistory", "api_token": token},
                                     form)
        return {"orderStatusId": status, "success": payload.get("success")}
