"""The one cursor loop for Shopify listings (recent orders, the admin page's products and collections):
it follows ``endCursor`` while ``hasNextPage`` says so, no further than asked, and never asks again
for a page it has no cursor for."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from printgate.connectors.base.models import StoreConnection
from printgate.connectors.shopify.adapter import ORDERS_QUERY, ShopifyAdapter
from printgate.connectors.shopify.client import Page, paged_query


def _adapter(monkeypatch: pytest.MonkeyPatch, answers: list[dict[str, Any]]) -> tuple[ShopifyAdapter, list[Any]]:
    """An adapter whose GraphQL calls are answered from ``answers``, recording what was asked."""
    adapter = ShopifyAdapter(StoreConnection(id="store_paging", account_id="acct_paging", platform="shopify",
                                             shop="pg-test.myshopify.com", status="connected"))
    asked: list[Any] = []

    def call(session: Any, query: str, variables: dict[str, Any], operation: str) -> dict[str, Any]:
        asked.append((operation, dict(variables)))
        return answers[len(asked) - 1]

    monkeypatch.setattr(adapter, "_call", call)
    return adapter, asked


def _orders(ids: list[int], next_cursor: str | None) -> dict[str, Any]:
    return {"orders": {"pageInfo": {"hasNextPage": next_cursor is not None, "endCursor": next_cursor or "end"},
                       "nodes": [{"id": f"gid://shopify/Order/{i}", "legacyResourceId": str(i)} for i in ids]}}


def test_pages_follow_the_cursor_until_the_last_page(monkeypatch: pytest.MonkeyPatch) -> None:
    adapter, asked = _adapter(monkeypatch, [_orders([1, 2], "c1"), _orders([3], "c2"), _orders([4], None)])
    pages = list(adapter.pages(None, ORDERS_QUERY, "PrintgateRecentOrders", "orders", {"first": 2}, most=10))
    assert [[n["legacyResourceId"] for n in p.nodes] for p in pages] == [["1", "2"], ["3"], ["4"]]
    assert [variables["after"] for _op, variables in asked] == [None, "c1", "c2"]
    assert pages[-1].next_cursor is None


def test_pages_stop_at_most_and_start_from_after(monkeypatch: pytest.MonkeyPatch) -> None:
    adapter, asked = _adapter(monkeypatch, [_orders([5], "c6"), _orders([6], "c7")])
    pages = list(adapter.pages(None, ORDERS_QUERY, "PrintgateRecentOrders", "orders", {"first": 1}, after="c5",
                               most=2))
    assert [p.next_cursor for p in pages] == ["c6", "c7"] and len(asked) == 2
    assert asked[0] == ("PrintgateRecentOrders", {"first": 1, "after": "c5"})


def test_recent_orders_read_every_page(monkeypatch: pytest.MonkeyPatch) -> None:
    adapter, asked = _adapter(monkeypatch, [_orders([10, 11], "c1"), _orders([12], None)])
    orders = adapter.fetch_recent_orders(None, datetime(2026, 1, 2, tzinfo=UTC))  # type: ignore[arg-type]
    assert [o.external_id for o in orders] == ["10", "11", "12"]
    assert asked[1][1] == {"first": 50, "query": "updated_at:>'2026-01-02T00:00:00.000Z'", "after": "c1"}


def test_a_page_without_a_next_cursor_is_the_last() -> None:
    lying = {"products": {"pageInfo": {"hasNextPage": True, "endCursor": None}, "nodes": [None, {"id": "p"}]}}
    assert Page.of(lying, "products") == Page([{"id": "p"}], None)
    assert Page.of({}, "products") == Page([], None)


def test_paged_query_is_one_connection_page() -> None:
    text = paged_query("Op", "products", "TITLE", "id\ntitle\n")
    assert "query Op($first: Int!, $after: String, $query: String)" in text
    assert "products(first: $first, after: $after, query: $query, sortKey: TITLE)" in text
    assert "pageInfo { hasNextPage endCursor }" in text and "      id\n      title\n    }" in text
