"""A small WooCommerce REST client (``/wp-json/wc/v3``) over httpx.

Authentication is the consumer key/secret pair, as HTTP Basic over HTTPS. Some hosts (CGI/FastCGI
setups) strip the ``Authorization`` header before PHP sees it; WooCommerce then answers 401 as for
an anonymous caller (``woocommerce_rest_cannot_view`` and friends), not "invalid key". The client
then retries once with ``consumer_key``/``consumer_secret`` as query parameters (WooCommerce's
documented fallback) and remembers it (``auth_mode``) so the connection keeps using it.

An answer that says the key itself is bad (``woocommerce_rest_authentication_error``, or 401 in both
modes) raises :class:`KeysRejected`: the merchant revoked or regenerated the keys, so retrying is
pointless until they reconnect.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx

from printgate.connectors.base.adapter import AdapterError
from printgate.connectors.woocommerce.config import REST_PREFIX, WooCommerceSettings, get_woocommerce_settings
from printgate.core import net

log = logging.getLogger("printgate.woocommerce")

# 401 codes WooCommerce gives an unauthenticated caller: the header may have been stripped.
ANONYMOUS_CODES = frozenset({"woocommerce_rest_cannot_view", "woocommerce_rest_cannot_create",
                             "woocommerce_rest_cannot_edit", "woocommerce_rest_cannot_delete",
                             "rest_forbidden", "woocommerce_rest_authentication_missing"})


class KeysRejected(AdapterError):
    """The store refused the consumer key/secret (revoked, regenerated, deleted user)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)


class StoreNotFound(AdapterError):
    """404 from the store: the resource (or the REST API itself) is not there."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)


@dataclass
class Page:
    items: list[Any]
    total_pages: int


def _error(response: httpx.Response) -> tuple[str, str]:
    try:
        data = response.json()
    except ValueError:
        return "", response.text[:200]
    if isinstance(data, dict):
        return str(data.get("code") or ""), str(data.get("message") or "")
    return "", ""


class WooClient:
    def __init__(self, store_url: str, consumer_key: str, consumer_secret: str, *, auth_mode: str = "basic",
                 settings: WooCommerceSettings | None = None, http: httpx.Client | None = None) -> None:
        self.store_url = store_url.rstrip("/")
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret
        self.auth_mode = auth_mode if auth_mode in ("basic", "query") else "basic"
        self.settings = settings or get_woocommerce_settings()
        self._http = http or net.client(timeout=self.settings.http_timeout_s)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> WooClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def url(self, path: str) -> str:
        return f"{self.store_url}{REST_PREFIX}{path}"

    def _send(self, method: str, path: str, params: dict[str, Any] | None, body: Any, mode: str) -> httpx.Response:
        query = dict(params or {})
        auth = None
        if mode == "query":
            query.update(consumer_key=self.consumer_key, consumer_secret=self.consumer_secret)
        else:
            auth = httpx.BasicAuth(self.consumer_key, self.consumer_secret)
        try:
            return self._http.request(method, self.url(path), params=query or None, json=body, auth=auth,
                                      headers={"Accept": "application/json", "User-Agent": "printgate"})
        except httpx.HTTPError as exc:
            raise AdapterError(f"WooCommerce store unreachable: {exc}") from exc

    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                json: Any = None) -> httpx.Response:
        response = self._send(method, path, params, json, self.auth_mode)
        if response.status_code == 401 and self.auth_mode == "basic":
            code, _message = _error(response)
            if code in ANONYMOUS_CODES:
                retry = self._send(method, path, params, json, "query")
                if retry.status_code != 401:
                    log.info("%s strips the Authorization header: using query-string auth", self.store_url)
                    self.auth_mode = "query"
                response = retry
        if response.status_code == 401:
            code, message = _error(response)
            raise KeysRejected(f"the store rejected the API keys (401 {code or 'unauthorized'}: {message})".strip())
        if response.status_code == 403:
            code, message = _error(response)
            raise AdapterError(f"the store refused the call (403 {code}: {message}); the keys need read_write",
                               retryable=False)
        if response.status_code == 404:
            code, message = _error(response)
            raise StoreNotFound(f"{method} {path}: not found on the store (404 {code}: {message})")
        if response.status_code == 429 or response.status_code >= 500:
            raise AdapterError(f"{method} {path}: the store answered {response.status_code}")
        if response.status_code >= 300:
            code, message = _error(response)
            raise AdapterError(f"{method} {path}: the store answered {response.status_code} {code}: {message}",
                               retryable=False)
        return response

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params).json()

    def page(self, path: str, **params: Any) -> Page:
        response = self.request("GET", path, params=params)
        items = response.json()
        try:
            total_pages = int(response.headers.get("X-WP-TotalPages") or 1)
        except ValueError:
            total_pages = 1
        return Page(items=items if isinstance(items, list) else [], total_pages=total_pages)

    def post(self, path: str, body: Any) -> Any:
        return self.request("POST", path, json=body).json()

    def put(self, path: str, body: Any) -> Any:
        return self.request("PUT", path, json=body).json()
