"""Connecting a WooCommerce store: pasted keys, app-auth (wc-auth/v1), webhooks, bad keys."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlparse

import pytest
from sqlmodel import Session

from printgate.connectors.base.models import StoreConnection
from printgate.core.db import get_engine
from tests.fakes.woocommerce_store import (  # noqa: F401  (fixtures)
    FakeWooCommerce,
    WooTraffic,
    connect_store,
    webhook_secret,
    woo_fixture,
    woo_server_fixture,
    woo_traffic_fixture,
)


def _row(store_id: str) -> StoreConnection:
    with Session(get_engine()) as session:
        row = session.get(StoreConnection, store_id)
        assert row is not None
        return row


def test_pasted_keys_connect_and_create_the_order_webhooks(client: Any, auth: dict[str, str],
                                                          woo: FakeWooCommerce, woo_traffic: WooTraffic) -> None:
    connected = connect_store(client, woo, auth)
    store = connected["store"]
    key, secret = connected["keys"]
    assert store["status"] == "connected" and store["shop"] == woo.base
    assert store["webhookUrl"] == f"http://testserver/webhooks/woocommerce/{store['id']}"
    assert connected["pluginSecret"].startswith("whsec_")
    assert sorted(h["topic"] for h in connected["webhooks"]) == ["order.created", "order.updated"]

    # Keys were checked with Basic auth, then kept encrypted (never in plain text in the row).
    first = woo_traffic.requests[0]
    assert first["method"] == "GET" and first["path"].endswith("/wp-json/wc/v3/orders")
    assert first["headers"]["authorization"].startswith("Basic ")
    row = _row(store["id"])
    assert key not in (row.credentials or "") and secret not in (row.credentials or "")
    from printgate.connectors.woocommerce import store as wc_store

    assert wc_store.credentials(row)["consumerKey"] == key

    # The webhooks point at this connection and carry printgate's secret.
    created = woo_traffic.sent("POST", "/wp-json/wc/v3/webhooks")
    assert [c["json"]["topic"] for c in created] == ["order.created", "order.updated"]
    for call in created:
        assert call["json"]["delivery_url"] == store["webhookUrl"]
        assert call["json"]["secret"] == webhook_secret(store["id"]) and call["json"]["status"] == "active"

    # Connecting again (new keys) keeps one webhook per topic and does not show the plugin secret again.
    key2, secret2 = woo.issue_keys()
    again = client.post("/woocommerce/stores", headers=auth,
                        json={"storeUrl": woo.base + "/", "consumerKey": key2, "consumerSecret": secret2})
    assert again.status_code == 201, again.text
    assert again.json()["store"]["id"] == store["id"] and "pluginSecret" not in again.json()
    assert {h["action"] for h in again.json()["webhooks"]} == {"updated"}
    assert len(woo_traffic.sent("POST", "/wp-json/wc/v3/webhooks")) == 2
    if not woo_traffic.replaying:
        assert len(woo.webhooks) == 2

    # Another account cannot take the connected store over.
    from tests.conftest import make_key

    other = {"Authorization": f"Bearer {make_key('globex')}"}
    taken = client.post("/woocommerce/stores", headers=other,
                        json={"storeUrl": woo.base, "consumerKey": key2, "consumerSecret": secret2})
    assert taken.status_code == 403


def test_app_auth_redirect_and_callback(client: Any, auth: dict[str, str], woo: FakeWooCommerce,
                                        woo_traffic: WooTraffic) -> None:
    started = client.get("/woocommerce/connect", params={"store_url": woo.base}, headers=auth,
                         follow_redirects=False)
    assert started.status_code == 302, started.text
    target = urlparse(started.headers["location"])
    assert f"{target.scheme}://{target.netloc}" == woo.base and target.path == "/wc-auth/v1/authorize"
    params = dict(parse_qsl(target.query))
    assert params["app_name"] == "printgate" and params["scope"] == "read_write"
    assert params["callback_url"] == "http://testserver/woocommerce/callback"
    assert params["return_url"].startswith("http://testserver/woocommerce/return?store=store_")
    state = params["user_id"]

    # WooCommerce posts the keys it made to the callback (server to server).
    key, secret = woo.issue_keys()
    body = {"key_id": 7, "user_id": state, "consumer_key": key, "consumer_secret": secret,
            "key_permissions": "read_write"}
    forged = client.post("/woocommerce/callback", json={**body, "user_id": state[:-2] + "xx"})
    assert forged.status_code == 401
    done = client.post("/woocommerce/callback", json=body)
    assert done.status_code == 200, done.text
    store_id = done.json()["store"]
    assert done.json()["webhooks"] == 2
    store = client.get(f"/stores/{store_id}", headers=auth).json()
    assert store["status"] == "connected" and store["scopes"] == "read_write"
    replayed = client.post("/woocommerce/callback", json=body)
    assert replayed.status_code == 401 and "already used" in replayed.json()["message"]
    page = client.get(params["return_url"].removeprefix("http://testserver"))
    assert page.status_code == 200 and "is connected" in page.text and "whsec_" not in page.text
    # Only the link printgate made shows the store: a bare or forged one is the unknown-store page.
    for forged_link in (f"/woocommerce/return?store={store_id}", f"/woocommerce/return?store={store_id}&sig=00"):
        denied = client.get(forged_link)
        assert denied.status_code == 404 and woo.base.split("//")[1] not in denied.text

    # A read-only grant is refused.
    started = client.get("/woocommerce/connect", params={"store_url": woo.base}, headers=auth,
                         follow_redirects=False)
    state2 = dict(parse_qsl(urlparse(started.headers["location"]).query))["user_id"]
    readonly = client.post("/woocommerce/callback", json={**body, "user_id": state2, "key_permissions": "read"})
    assert readonly.status_code == 403


def test_connect_link_for_a_browser_and_refusals(client: Any, auth: dict[str, str], woo: FakeWooCommerce) -> None:
    linked = client.post("/woocommerce/stores", headers=auth, json={"storeUrl": woo.base, "name": "Shop"})
    assert linked.status_code == 201, linked.text
    assert linked.json()["store"]["status"] == "pending" and linked.json()["pluginSecret"].startswith("whsec_")
    assert "/wc-auth/v1/authorize?" in linked.json()["authorizeUrl"]
    link = linked.json()["connectUrl"].removeprefix("http://testserver")
    followed = client.get(link, follow_redirects=False)  # no key: the signed token is the credential
    assert followed.status_code == 302 and "/wc-auth/v1/authorize?" in followed.headers["location"]
    other_store = link.replace("store_url=", "store_url=https%3A%2F%2Fother.example")
    assert client.get(other_store, follow_redirects=False).status_code in (400, 401)
    assert client.get("/woocommerce/connect", params={"store_url": woo.base}, follow_redirects=False).status_code == 401
    pk = {"Authorization": "Bearer " + __import__("tests.conftest", fromlist=["make_key"]).make_key("acme", "publishable")}
    assert client.get("/woocommerce/connect", params={"store_url": woo.base}, headers=pk,
                      follow_redirects=False).status_code == 401
    bad = client.post("/woocommerce/stores", headers=auth, json={"storeUrl": woo.base, "apiKey": "x"})
    assert bad.status_code == 400 and "apiKey" in bad.json()["message"]


def test_revoked_or_wrong_keys_are_refused_at_connect(client: Any, auth: dict[str, str], woo: FakeWooCommerce,
                                                      woo_traffic: WooTraffic) -> None:
    key, secret = woo.issue_keys()
    woo.revoked.add(key)
    refused = client.post("/woocommerce/stores", headers=auth,
                          json={"storeUrl": woo.base, "consumerKey": key, "consumerSecret": secret})
    assert refused.status_code == 401
    assert "Consumer key is invalid" in refused.json()["message"]
    assert client.get("/stores", headers=auth).json()["data"][0]["status"] == "pending"
    assert not woo_traffic.sent("POST", "/wp-json/wc/v3/webhooks")


def test_server_that_strips_authorization_gets_query_string_auth(client: Any, auth: dict[str, str],
                                                                 woo: FakeWooCommerce,
                                                                 woo_traffic: WooTraffic) -> None:
    woo.strip_authorization = True
    connected = connect_store(client, woo, auth)
    key, _secret = connected["keys"]
    basic, query = woo_traffic.requests[0], woo_traffic.requests[1]
    assert "authorization" in basic["headers"] and "consumer_key" not in basic["query"]
    assert query["query"]["consumer_key"] == key and "authorization" not in query["headers"]
    # Remembered: every later call uses query auth directly.
    assert all(r["query"].get("consumer_key") == key for r in woo_traffic.requests[1:])
    from printgate.connectors.woocommerce import store as wc_store

    assert wc_store.credentials(_row(connected["store"]["id"]))["authMode"] == "query"


@pytest.mark.parametrize("url", ["http://shop.example.com", "ftp://shop.example.com", "https://shop.example.com/?a=1",
                                 ""])
def test_store_urls_that_are_refused(instance: Any, url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from printgate.connectors.woocommerce.config import normalize_store_url, reset_woocommerce_settings
    from printgate.core.errors import BadRequest

    monkeypatch.delenv("PRINTGATE_ALLOW_PRIVATE_URLS", raising=False)
    reset_woocommerce_settings()
    with pytest.raises(BadRequest):
        normalize_store_url(url)


def test_store_url_normalization(instance: Any) -> None:
    from printgate.connectors.woocommerce.config import normalize_store_url

    assert normalize_store_url("HTTPS://Shop.Example.com/blog/wp-admin/") == "https://shop.example.com/blog"
    assert normalize_store_url("shop.example.com") == "https://shop.example.com"
