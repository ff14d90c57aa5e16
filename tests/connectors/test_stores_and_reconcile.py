"""Merchant API, reconciliation of lost webhooks, GraphQL throttling, jobId keys, credentials at rest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.connectors.conftest import (
    SHOP,
    Traffic,
    connect_shop,
    fixture_order,
    paid_order,
    post_webhook,
    widget_job,
)
from tests.fakes.shopify_store import FakeShopify, GraphQLError, validate


def test_merchant_sees_only_their_stores(client: Any, auth: dict[str, str], other_auth: dict[str, str],
                                         shopify_env: FakeShopify, traffic: Traffic) -> None:
    store = connect_shop(client, shopify_env, auth)
    listed = client.get("/stores", headers=auth).json()["data"]
    assert [s["id"] for s in listed] == [store["id"]]
    assert client.get("/stores", headers=other_auth).json()["data"] == []
    for path in (f"/stores/{store['id']}", f"/stores/{store['id']}/orders", f"/stores/{store['id']}/compliance"):
        assert client.get(path, headers=other_auth).status_code == 404
    assert client.delete(f"/stores/{store['id']}", headers=other_auth).status_code == 404
    assert client.post(f"/stores/{store['id']}/reconcile", headers=other_auth).status_code == 404
    # Another account cannot take over a connected shop: its link makes its own pending row, answered
    # as for any shop, and the connected one stays this merchant's.
    other = client.post("/stores/shopify/link", json={"shop": SHOP}, headers=other_auth)
    assert other.status_code == 201 and other.json()["store"]["id"] != store["id"]
    assert other.json()["store"]["status"] == "pending"
    mine = client.get(f"/stores/{store['id']}", headers=auth).json()
    assert mine["status"] == "connected"
    assert client.get("/stores").status_code == 401


def test_disconnect_wipes_credentials_and_stops_syncing(client: Any, auth: dict[str, str], instance: Any,
                                                        shopify_env: FakeShopify, traffic: Traffic) -> None:
    from printgate.connectors.base.models import StoreConnection
    from printgate.core.db import session_scope

    store = connect_shop(client, shopify_env, auth)
    deleted = client.delete(f"/stores/{store['id']}", headers=auth)
    assert deleted.status_code == 200 and deleted.json()["status"] == "disconnected"
    with session_scope() as session:
        assert session.get(StoreConnection, store["id"]).credentials is None
    post_webhook(client, "orders/paid", paid_order([None]))
    instance.drain()
    assert client.get(f"/stores/{store['id']}/orders", headers=auth).json()["data"] == []
    assert client.post(f"/stores/{store['id']}/reconcile", headers=auth).status_code == 400


def test_reconciliation_picks_up_an_order_whose_webhook_was_lost(client: Any, auth: dict[str, str],
                                                                 instance: Any, shopify_env: FakeShopify,
                                                                 traffic: Traffic, artwork: Path) -> None:
    store = connect_shop(client, shopify_env, auth)
    job_id = widget_job(client, "acme", artwork, instance)
    traffic.bind(job_id)  # Shopify's order list carries it
    lost = paid_order([job_id], order_id=5551)
    unpaid = paid_order([None], order_id=5552)
    unpaid["financial_status"] = "pending"
    for order in (lost, unpaid):
        shopify_env.add_order(SHOP, order)  # no webhook ever arrives
    result = client.post(f"/stores/{store['id']}/reconcile", headers=auth)
    assert result.status_code == 200, result.text
    body = result.json()
    assert body["ordersSeen"] == 2
    assert {m["orderId"]: m["to"] for m in body["ordersMoved"]} == {"5551": "processing", "5552": "received"}
    instance.drain()
    synced = client.get(f"/stores/{store['id']}/orders/5551", headers=auth).json()
    assert synced["status"] == "written_back"
    assert synced["steps"]["received"]["event"] == "reconcile"
    assert synced["lines"][0]["jobId"] == job_id and synced["lines"][0]["lineId"] == "466157049"
    # A second pass finds nothing new, and the webhook arriving late changes nothing.
    again = client.post(f"/stores/{store['id']}/reconcile", headers=auth).json()
    assert again["ordersMoved"] == []
    post_webhook(client, "orders/paid", lost)
    instance.drain()
    assert len(traffic.graphql("PrintgateMetafieldsSet")) == 1
    query = traffic.graphql("PrintgateRecentOrders")[0]
    assert query["first"] == 50 and query["query"].startswith("updated_at:>'")


def test_the_periodic_tick_reconciles_retries_and_erases(client: Any, auth: dict[str, str], instance: Any,
                                                         shopify_env: FakeShopify, traffic: Traffic) -> None:
    from printgate.connectors.base.reconcile import tick

    store = connect_shop(client, shopify_env, auth)
    shopify_env.add_order(SHOP, paid_order([None], order_id=6661))
    result = tick()
    assert result["reconciled"][0]["storeId"] == store["id"]
    assert result["reconciled"][0]["ordersMoved"] == [{"orderId": "6661", "from": None, "to": "no_jobs"}]
    assert client.get(f"/stores/{store['id']}", headers=auth).json()["lastReconciledAt"]


def test_workers_run_the_tick_periodically(app: Any) -> None:
    from printgate.connectors.base.reconcile import tick
    from printgate.core import periodic

    task = periodic._tasks["connectors.tick"]
    assert task.fn is tick and task.every_s == 300


def test_cron_config_registers_the_tick(instance: Any) -> None:
    from rq.cron import CronScheduler

    from printgate.core.queue import get_redis

    scheduler = CronScheduler(connection=get_redis())
    scheduler.load_config_from_file("printgate.connectors.base.cron")
    [job] = scheduler.get_jobs()
    assert job.func.__module__ == "printgate.connectors.base.reconcile" and job.func.__name__ == "tick"
    assert job.queue_name == "webhooks" and job.interval == 300


def test_throttled_calls_wait_for_the_bucket_and_retry(client: Any, auth: dict[str, str],
                                                       shopify_env: FakeShopify, traffic: Traffic) -> None:
    from printgate.connectors.base.models import StoreConnection
    from printgate.connectors.shopify import oauth
    from printgate.connectors.shopify.adapter import ORDERS_QUERY
    from printgate.connectors.shopify.client import ShopifyAdmin
    from printgate.core.db import session_scope

    store = connect_shop(client, shopify_env, auth)
    shopify_env.shop(SHOP).throttle_next = 2
    waits: list[float] = []
    with session_scope() as session:
        token = oauth.access_token(session, session.get(StoreConnection, store["id"]))
    with ShopifyAdmin(SHOP, token, sleep=waits.append) as admin:
        data = admin.graphql(ORDERS_QUERY, {"first": 5, "after": None, "query": None},
                             operation="PrintgateRecentOrders")
        assert data["orders"]["nodes"] == []
        # (requested 5 - available 2) / restoreRate 100
        assert waits == [pytest.approx(0.03), pytest.approx(0.03)]
        assert admin.throttle is not None and admin.throttle.maximum == 2000.0
    assert traffic.operations().count("gql:PrintgateRecentOrders") == 3


def test_client_waits_before_a_call_the_bucket_cannot_pay(instance: Any) -> None:
    from printgate.connectors.shopify.client import ShopifyAdmin, ThrottleStatus

    waits: list[float] = []
    admin = ShopifyAdmin(SHOP, "token", sleep=waits.append)
    admin.throttle = ThrottleStatus(maximum=1000, available=10, restore_rate=50)
    admin._wait_for_budget(110)
    admin._wait_for_budget(5)
    assert waits == [2.0]
    admin.close()


def test_malformed_graphql_is_refused_by_the_fake_and_raised(client: Any, auth: dict[str, str],
                                                             shopify_env: FakeShopify, traffic: Traffic) -> None:
    from printgate.connectors.base.adapter import AdapterError
    from printgate.connectors.base.models import StoreConnection
    from printgate.connectors.shopify import oauth
    from printgate.connectors.shopify.client import ShopifyAdmin
    from printgate.core.db import session_scope

    store = connect_shop(client, shopify_env, auth)
    with session_scope() as session:
        token = oauth.access_token(session, session.get(StoreConnection, store["id"]))
    bad = "mutation Broken($metafields: [MetafieldsSetInput!]!) { metafieldsSet(metafields: $metafields) { metafields { id } } }"
    with ShopifyAdmin(SHOP, token) as admin, pytest.raises(AdapterError, match="userErrors"):
        admin.graphql(bad, {"metafields": []}, operation="Broken")
    traffic.requests.clear()  # this one was meant to be invalid: keep it out of the final check


@pytest.mark.parametrize(("query", "variables", "message"), [
    ("query Q($id: ID!) { order(id: $id) { id } }", {}, "was not provided"),
    ("query Q($id: ID!) { order(id: $id) { id } }", {"id": "x", "extra": 1}, "is not defined"),
    ("query Q($id: String!) { order(id: $id) { id } }", {"id": "x"}, "Type mismatch"),
    ("query Q($id: ID) { order(id: $id) { id } }", {"id": "x"}, "Nullable variable"),
    ("query Q { order(id: $id) { id } }", {}, "is not defined"),
    ("query Q { orderz { id } }", {}, "doesn't exist"),
    ("mutation M($i: OrderInput!) { orderUpdate(input: $i) { order { id } } }", {"i": {}}, "userErrors"),
    ("mutation M($i: OrderInput!) { orderUpdate(input: $i) { order { id } userErrors { field } }", {"i": {}},
     "end of document"),
    ("mutation M($id: ID!, $tags: [String!]!) { tagsAdd(id: $id) { node { id } userErrors { field } } }",
     {"id": "x", "tags": []}, "never used"),
])
def test_fake_graphql_checker_is_strict(query: str, variables: dict[str, Any], message: str) -> None:
    with pytest.raises(GraphQLError, match=message):
        validate(query, variables)


def test_printgates_own_documents_pass_the_checker() -> None:
    from printgate.connectors.shopify import adapter, routes

    documents = [adapter.ORDERS_QUERY, adapter.PRODUCT_WORKFLOWS_QUERY, adapter.METAFIELDS_SET,
                 adapter.ORDER_NOTE_QUERY, adapter.ORDER_UPDATE, adapter.TAGS_ADD, adapter.STAGED_UPLOADS_CREATE,
                 adapter.FILE_CREATE, routes.SUBSCRIPTIONS_QUERY, routes.SUBSCRIPTION_CREATE]
    names = set()
    for doc in documents:
        op = validate(doc, {name: "x" for name in __import__("re").findall(r"\$(\w+):", doc)})
        names.add(op.name)
    assert len(names) == len(documents)


# --- jobId keys -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["_printgate_job_id", "_jobId", "_filecheck_job_id", "Filecheck Job"])
def test_line_item_keys(key: str) -> None:
    from printgate.connectors.base.pipeline import job_ids_by_line
    from printgate.connectors.shopify.adapter import parse_order

    order = fixture_order()
    order["line_items"][1]["properties"] = [{"name": key, "value": " job_01abc "}]
    parsed = parse_order({"order": order})
    assert job_ids_by_line("shopify", parsed) == {"466157049": None, "518995019": "job_01abc",
                                                  "703073504": None}


def test_filecheck_cart_attribute_goes_to_lines_without_their_own() -> None:
    from printgate.connectors.base.pipeline import job_ids_by_line
    from printgate.connectors.shopify.adapter import parse_order

    order = fixture_order("order_with_properties.json")
    order["note_attributes"] = [{"name": "Filecheck Job", "value": "job_01one, job_01two"}]
    order["line_items"][1]["properties"].append({"name": "_printgate_job_id", "value": "job_01two"})
    parsed = parse_order(order)
    assert job_ids_by_line("shopify", parsed) == {"466157049": "job_01one", "641254555689": "job_01two"}
    assert parsed.lines[1].properties["Coffees"] == "Coffee blend 1"  # first value of a repeated name


# --- credentials at rest --------------------------------------------------------------------------------

def test_credentials_encryption_key_rotation(instance: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from cryptography.fernet import Fernet

    from printgate.core import crypto

    derived = crypto.encrypt({"access_token": "shpat_x"})  # from the signing secret
    assert "shpat_x" not in derived
    assert crypto.decrypt(derived) == {"access_token": "shpat_x"}
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv("PRINTGATE_ENCRYPTION_KEY", old)
    token = crypto.encrypt({"a": 1})
    monkeypatch.setenv("PRINTGATE_ENCRYPTION_KEY", f"{new},{old}")
    assert crypto.decrypt(token) == {"a": 1}  # old tokens still open
    assert Fernet(new.encode()).decrypt(crypto.encrypt({"b": 2}).encode()) == b'{"b":2}'  # new ones use the new key
    monkeypatch.setenv("PRINTGATE_ENCRYPTION_KEY", "a passphrase, not a Fernet key")
    with pytest.raises(crypto.CredentialsError):
        crypto.decrypt(token)
    assert crypto.decrypt(crypto.encrypt([1])) == [1]


def test_order_page_link_lists_files(client: Any, auth: dict[str, str], instance: Any,
                                     shopify_env: FakeShopify, traffic: Traffic, artwork: Path) -> None:
    import time

    from tests.connectors.conftest import install_query

    store = connect_shop(client, shopify_env, auth)
    job_id = widget_job(client, "acme", artwork, instance)
    order = paid_order([job_id], order_id=7771)
    for line in order["line_items"]:
        line["product_id"] = None
    shopify_env.add_order(SHOP, order)
    post_webhook(client, "orders/paid", order)
    instance.drain()
    params = install_query({"id": "gid://shopify/Order/7771", "shop": SHOP, "timestamp": str(int(time.time()))})
    page = client.get("/shopify/orders", params=params)
    assert page.status_code == 200 and "written_back" in page.text
    assert f"/stores/{store['id']}/files/{job_id}/" in page.text
    forged = client.get("/shopify/orders", params={**params, "id": "gid://shopify/Order/1"})
    assert forged.status_code == 401
