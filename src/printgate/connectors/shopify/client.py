"""A small Admin GraphQL client: one httpx call per operation, pinned API version, cost throttling.

Why our own client and not ``shopifyapp`` (Shopify's Python package): printgate needs four things
from Shopify (OAuth code/refresh/token exchange, one GraphQL endpoint, webhook HMACs, install-link
HMACs) and each is a few lines over httpx, which core already depends on. Owning them keeps the
token-refresh + encrypted-storage flow, the throttle back-off and the test fake under one roof, adds
no dependency to the image, and avoids process-global session state. ``ShopifyAPI`` (legacy) was
never an option: no token exchange, no expiring-token refresh, sessions in class attributes.

Throttling (Shopify's leaky bucket): every response carries ``extensions.cost.throttleStatus``
(``maximumAvailable``, ``currentlyAvailable``, ``restoreRate``). A ``THROTTLED`` error is retried
after the time the bucket needs to refill the requested cost; when the bucket runs low the client
waits before the next call instead of getting throttled.
"""

from __future__ import annotations

import logging
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from printgate.connectors.base.adapter import AdapterError
from printgate.connectors.shopify.config import ShopifySettings, get_shopify_settings
from printgate.core import net

log = logging.getLogger("printgate.shopify")

SERVER_RETRIES = 2  # in-call retries of a 429/5xx answer


class TokenRejected(AdapterError):
    """Shopify answered 401: the access token is invalid or expired."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=True)


@dataclass
class ThrottleStatus:
    maximum: float
    available: float
    restore_rate: float

    @classmethod
    def from_extensions(cls, extensions: dict[str, Any] | None) -> ThrottleStatus | None:
        status = ((extensions or {}).get("cost") or {}).get("throttleStatus")
        if not status:
            return None
        return cls(float(status.get("maximumAvailable", 1000)), float(status.get("currentlyAvailable", 0)),
                   float(status.get("restoreRate", 50)) or 50.0)


class ShopifyAdmin:
    """``graphql(query, variables)`` against one shop with one access token."""

    def __init__(self, shop: str, access_token: str, *, settings: ShopifySettings | None = None,
                 http: httpx.Client | None = None, sleep: Callable[[float], None] = time.sleep,
                 max_throttle_retries: int = 6) -> None:
        self.shop = shop
        self.settings = settings or get_shopify_settings()
        self.url = self.settings.admin_url(shop, f"/admin/api/{self.settings.api_version}/graphql.json")
        self._token = access_token
        self._http = http or net.client(timeout=self.settings.http_timeout_s)
        self._sleep = sleep
        self.max_throttle_retries = max_throttle_retries
        self.throttle: ThrottleStatus | None = None
        self.last_cost: float = 0.0
        self.throttled_waits: list[float] = []

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ShopifyAdmin:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _wait_for_budget(self, cost: float) -> None:
        status = self.throttle
        if status is None or status.available >= cost:
            return
        wait = (cost - status.available) / status.restore_rate
        self.throttled_waits.append(wait)
        self._sleep(wait)

    def graphql(self, query: str, variables: dict[str, Any] | None = None, *,
                operation: str | None = None, expected_cost: float | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"query": query, "variables": variables or {}}
        if operation:
            body["operationName"] = operation
        headers = {"X-Shopify-Access-Token": self._token, "Content-Type": "application/json",
                   "Accept": "application/json"}
        self._wait_for_budget(expected_cost or self.last_cost)
        for attempt in range(self.max_throttle_retries + 1):
            try:
                response = self._http.post(self.url, json=body, headers=headers)
            except httpx.HTTPError as exc:
                raise AdapterError(f"Shopify unreachable: {exc}") from exc
            if response.status_code == 401:
                raise TokenRejected("Shopify rejected the access token (401)")
            if response.status_code == 403:
                raise AdapterError("Shopify refused the call (403): a scope is missing", retryable=False)
            if response.status_code == 429 or response.status_code >= 500:
                # A short in-call retry; longer outages are the pipeline's backoff (next_attempt_at).
                if attempt < SERVER_RETRIES:
                    wait = min(float(response.headers.get("Retry-After") or 0.25 * 2 ** attempt), 5.0)
                    self.throttled_waits.append(wait)
                    self._sleep(wait)
                    continue
                raise AdapterError(f"Shopify answered {response.status_code}")
            if response.status_code != 200:
                raise AdapterError(f"Shopify answered {response.status_code}: {response.text[:300]}",
                                   retryable=False)
            payload = response.json()
            extensions = payload.get("extensions") or {}
            self.throttle = ThrottleStatus.from_extensions(extensions) or self.throttle
            cost = (extensions.get("cost") or {})
            self.last_cost = float(cost.get("actualQueryCost") or cost.get("requestedQueryCost") or 0)
            errors = payload.get("errors") or []
            if any((e.get("extensions") or {}).get("code") == "THROTTLED" for e in errors):
                requested = float(cost.get("requestedQueryCost") or self.last_cost or 1)
                status = self.throttle
                wait = ((requested - status.available) / status.restore_rate) if status else 2.0 ** attempt
                wait = max(wait, 0.01)  # other callers may drain the bucket meanwhile
                if attempt < self.max_throttle_retries:
                    log.info("shopify %s throttled: waiting %.2f s", self.shop, wait)
                    self.throttled_waits.append(wait)
                    self._sleep(wait)
                    continue
                raise AdapterError("Shopify kept throttling the call")
            if errors:
                messages = "; ".join(str(e.get("message")) for e in errors)
                raise AdapterError(f"GraphQL errors: {messages}", retryable=False)
            return dict(payload.get("data") or {})
        raise AdapterError("Shopify kept throttling the call")


def paged_query(operation: str, connection: str, sort_key: str, node_fields: str) -> str:
    """The text of a query reading one page of the connection ``connection`` (``first`` and ``after``
    cursor, a search ``query``, sorted by ``sort_key``), asking each node for ``node_fields`` (GraphQL
    selections, one a line). Every listing printgate pages through has this shape."""
    nodes = textwrap.indent(textwrap.dedent(node_fields).strip("\n") + "\n", " " * 6)
    return (f"\nquery {operation}($first: Int!, $after: String, $query: String) {{\n"
            f"  {connection}(first: $first, after: $after, query: $query, sortKey: {sort_key}) {{\n"
            "    pageInfo { hasNextPage endCursor }\n"
            f"    nodes {{\n{nodes}    }}\n  }}\n}}\n")


@dataclass
class Page:
    """One page of a connection: its nodes and the cursor of the next page (None on the last)."""

    nodes: list[dict[str, Any]]
    next_cursor: str | None

    @classmethod
    def of(cls, data: dict[str, Any], connection: str) -> Page:
        page = data.get(connection) or {}
        info = page.get("pageInfo") or {}
        return cls([n for n in page.get("nodes") or [] if n],
                   (info.get("endCursor") or None) if info.get("hasNextPage") else None)


def user_errors(data: dict[str, Any], field: str) -> None:
    """Raise when a mutation payload carries ``userErrors``."""
    errors = (data.get(field) or {}).get("userErrors") or []
    if errors:
        text = "; ".join(f"{'.'.join(e.get('field') or [])}: {e.get('message')}" for e in errors)
        raise AdapterError(f"{field}: {text}", retryable=False)
