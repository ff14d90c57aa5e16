"""A store row never changes account. Linking a shop another account has pending, uninstalled or
disconnected, or connected, gives the caller its own pending row, answered exactly as for a shop nobody
has, and leaves the other row alone. Only proof of control of the shop (Shopify OAuth, WooCommerce keys)
connects the caller's row, and never over another account's connected row.
No store is called: the OAuth code exchange is replaced."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qsl, urlparse

import pytest
from sqlmodel import Session, select

from printgate.connectors.base.models import ComplianceRecord, OrderSync, StoreConnection
from printgate.core import crypto
from printgate.core.db import get_engine
from printgate.core.ids import new_id
from printgate.core.keys import get_or_create_account
from tests.conftest import make_key
from tests.connectors.conftest import SHOP, install_query
from tests.fakes.shopify_store import FakeShopify

STORE_URL = "https://shop.example.com"


def account_id(name: str) -> str:
    with Session(get_engine()) as session:
        return get_or_create_account(session, name).id


def seed_store(platform: str, shop: str, owner: str, status: str) -> str:
    """``owner``'s store row with an order and a compliance record, as a real store accumulates."""
    owner_id = account_id(owner)
    with Session(get_engine()) as session:
        row = StoreConnection(id=new_id("store"), account_id=owner_id, platform=platform, shop=shop, status=status,
                              credentials=crypto.encrypt({"access_token": "shpat_owner"}),
                              installed_at=None if status == "pending" else time_now())
        session.add(row)
        session.add(OrderSync(id=new_id("osync"), connection_id=row.id, account_id=owner_id, platform=platform,
                              external_id="1001", name="#1001"))
        session.add(ComplianceRecord(id=new_id("cmp"), account_id=owner_id, connection_id=row.id,
                                     kind="data_request", customer_id="42"))
        session.commit()
        return row.id


def time_now() -> Any:
    from printgate.core.clock import utcnow

    return utcnow()


def rows(shop: str) -> list[StoreConnection]:
    with Session(get_engine()) as session:
        return list(session.exec(select(StoreConnection).where(StoreConnection.shop == shop)).all())


def assert_untouched(store_id: str, owner: str, status: str) -> None:
    owner_id = account_id(owner)
    with Session(get_engine()) as session:
        row = session.get(StoreConnection, store_id)
        assert row is not None and row.account_id == owner_id and row.status == status
        assert (crypto.decrypt(row.credentials) or {}).get("access_token") == "shpat_owner"
        history = session.exec(select(OrderSync).where(OrderSync.connection_id == store_id)).all()
        records = session.exec(select(ComplianceRecord).where(ComplianceRecord.connection_id == store_id)).all()
    assert [(s.account_id, s.external_id) for s in history] == [(owner_id, "1001")]
    assert [r.account_id for r in records] == [owner_id]


def shape(store: dict[str, Any]) -> dict[str, Any]:
    """What a link answers, without what differs between any two rows (ids, names, times)."""
    return {k: v.replace(store["id"], "<id>") if isinstance(v, str) else v
            for k, v in store.items() if k not in ("id", "shop", "name", "createdAt")}


@pytest.mark.parametrize("status", ["pending", "uninstalled", "disconnected"])
def test_linking_another_accounts_shopify_shop_never_moves_its_row(client: Any, auth: dict[str, str],
                                                                   shopify_env: FakeShopify, status: str) -> None:
    theirs = seed_store("shopify", SHOP, "acme", status)
    mallory = {"Authorization": f"Bearer {make_key('mallory')}"}
    linked = client.post("/stores/shopify/link", json={"shop": SHOP}, headers=mallory)
    fresh = client.post("/stores/shopify/link", json={"shop": "nobody-has-it.myshopify.com"}, headers=mallory)
    assert linked.status_code == fresh.status_code == 201, linked.text
    assert linked.json()["store"]["id"] != theirs
    assert shape(linked.json()["store"]) == shape(fresh.json()["store"]), "the answer says nothing of acme"
    assert sorted(linked.json()) == sorted(fresh.json())
    assert_untouched(theirs, "acme", status)
    assert sorted(r.account_id for r in rows(SHOP)) == sorted([account_id("acme"), account_id("mallory")])
    # Linking again is idempotent: still one row per account.
    assert client.post("/stores/shopify/link", json={"shop": SHOP}, headers=mallory).json()["store"]["id"] \
        == linked.json()["store"]["id"]
    assert len(rows(SHOP)) == 2
    assert client.get(f"/stores/{theirs}", headers=mallory).status_code == 404


def _callback(client: Any, fake: FakeShopify, install_url: str) -> Any:
    state = dict(parse_qsl(urlparse(install_url).query))["state"]
    params = install_query({"code": fake.issue_code(SHOP), "shop": SHOP, "state": state,
                            "timestamp": str(int(time.time()))})
    return client.get("/shopify/callback", params=params, follow_redirects=False)


@pytest.fixture
def exchange(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Shopify's code exchange, answered here: the test makes no store call."""
    from printgate.connectors.shopify import oauth

    calls: list[str] = []

    def exchange_code(shop: str, code: str, settings: Any = None) -> dict[str, Any]:
        calls.append(shop)
        return {"access_token": "shpat_newcomer", "scope": "read_orders,write_orders"}

    monkeypatch.setattr(oauth, "exchange_code", exchange_code)
    return calls


def test_a_second_account_gets_its_own_row_only_after_proving_control(
        client: Any, auth: dict[str, str], shopify_env: FakeShopify, exchange: list[str]) -> None:
    from printgate.connectors.shopify import oauth

    theirs = seed_store("shopify", SHOP, "acme", "uninstalled")
    newcomer = {"Authorization": f"Bearer {make_key('globex')}"}
    linked = client.post("/stores/shopify/link", json={"shop": SHOP}, headers=newcomer).json()
    assert linked["store"]["status"] == "pending"
    with Session(get_engine()) as session:
        current = oauth.connection_for_shop(session, SHOP)
        assert current is not None and current.id == theirs, "unproven: the shop's traffic stays with acme"
    assert _callback(client, shopify_env, linked["installUrl"]).status_code == 302
    assert exchange == [SHOP]
    mine = client.get(f"/stores/{linked['store']['id']}", headers=newcomer).json()
    assert mine["status"] == "connected" and mine["id"] != theirs
    assert_untouched(theirs, "acme", "uninstalled")
    with Session(get_engine()) as session:
        current = oauth.connection_for_shop(session, SHOP)
        assert current is not None and current.id == mine["id"]  # webhooks now reach the proven owner


def test_a_shopify_shop_connected_elsewhere_is_neither_linked_nor_moved(
        client: Any, auth: dict[str, str], shopify_env: FakeShopify) -> None:
    """The link answers as for a shop nobody has (no oracle); the connected row stays acme's."""
    theirs = seed_store("shopify", SHOP, "acme", "connected")
    mallory = {"Authorization": f"Bearer {make_key('mallory')}"}
    linked = client.post("/stores/shopify/link", json={"shop": SHOP}, headers=mallory)
    fresh = client.post("/stores/shopify/link", json={"shop": "nobody-has-it.myshopify.com"}, headers=mallory)
    assert linked.status_code == fresh.status_code == 201, linked.text
    assert sorted(linked.json()) == sorted(fresh.json())
    assert sorted(linked.json()["store"]) == sorted(fresh.json()["store"])
    assert linked.json()["store"]["status"] == fresh.json()["store"]["status"] == "pending"
    assert "another" not in linked.text.lower()
    assert linked.json()["store"]["id"] != theirs
    assert sorted(r.account_id for r in rows(SHOP)) == sorted([account_id("acme"), account_id("mallory")])
    assert_untouched(theirs, "acme", "connected")


def test_oauth_does_not_connect_over_another_accounts_connected_shop(
        client: Any, auth: dict[str, str], shopify_env: FakeShopify, exchange: list[str]) -> None:
    """Linked while acme's row was pending; acme connected meanwhile: the proof still does not move it."""
    theirs = seed_store("shopify", SHOP, "acme", "pending")
    newcomer = {"Authorization": f"Bearer {make_key('globex')}"}
    linked = client.post("/stores/shopify/link", json={"shop": SHOP}, headers=newcomer).json()
    with Session(get_engine()) as session:
        row = session.get(StoreConnection, theirs)
        assert row is not None
        row.status = "connected"
        session.add(row)
        session.commit()
    refused = _callback(client, shopify_env, linked["installUrl"])
    assert refused.status_code == 403 and "disconnect it there" in refused.json()["message"]
    assert client.get(f"/stores/{linked['store']['id']}", headers=newcomer).json()["status"] == "pending"
    assert_untouched(theirs, "acme", "connected")


def test_an_install_from_shopify_is_not_given_to_one_of_several_unproven_links(
        client: Any, auth: dict[str, str], shopify_env: FakeShopify) -> None:
    for name in ("acme", "globex"):
        headers = {"Authorization": f"Bearer {make_key(name)}"}
        assert client.post("/stores/shopify/link", json={"shop": SHOP}, headers=headers).status_code == 201
    launch = install_query({"shop": SHOP, "timestamp": str(int(time.time()))})
    assert client.get("/shopify/install", params=launch, follow_redirects=False).status_code == 403


@pytest.mark.parametrize("status", ["pending", "uninstalled", "disconnected"])
def test_linking_another_accounts_woocommerce_store_never_moves_its_row(client: Any, auth: dict[str, str],
                                                                        status: str) -> None:
    theirs = seed_store("woocommerce", STORE_URL, "acme", status)
    mallory = {"Authorization": f"Bearer {make_key('mallory')}"}
    linked = client.post("/woocommerce/stores", headers=mallory, json={"storeUrl": STORE_URL})
    fresh = client.post("/woocommerce/stores", headers=mallory, json={"storeUrl": "https://nobody.example.com"})
    assert linked.status_code == fresh.status_code == 201, linked.text
    assert linked.json()["store"]["id"] != theirs
    assert shape(linked.json()["store"]) == shape(fresh.json()["store"]) and sorted(linked.json()) == sorted(fresh.json())
    assert linked.json()["pluginSecret"].startswith("whsec_")
    assert_untouched(theirs, "acme", status)
    assert sorted(r.account_id for r in rows(STORE_URL)) == sorted([account_id("acme"), account_id("mallory")])


def test_woocommerce_keys_do_not_connect_over_another_accounts_connected_store(client: Any,
                                                                                auth: dict[str, str]) -> None:
    theirs = seed_store("woocommerce", STORE_URL, "acme", "connected")
    mallory = {"Authorization": f"Bearer {make_key('mallory')}"}
    # Refused before the keys are tried: no call reaches the store (shop.example.com is not served here,
    # a call would fail as unreachable, not 403).
    taken = client.post("/woocommerce/stores", headers=mallory,
                        json={"storeUrl": STORE_URL, "consumerKey": "ck_x", "consumerSecret": "cs_x"})
    assert taken.status_code == 403, taken.text
    plugin_only = client.post("/woocommerce/stores", headers=mallory, json={"storeUrl": STORE_URL, "pluginOnly": True})
    assert plugin_only.status_code == 403, plugin_only.text
    assert [r.id for r in rows(STORE_URL)] == [theirs]  # refused before anything was made
    # A plain link (connect later, by the store's own approval) answers as for a store nobody has.
    linked = client.post("/woocommerce/stores", headers=mallory, json={"storeUrl": STORE_URL})
    assert linked.status_code == 201, linked.text
    assert linked.json()["store"]["id"] != theirs and linked.json()["store"]["status"] == "pending"
    assert_untouched(theirs, "acme", "connected")
