"""Install (authorization code), callback checks, token refresh, token exchange, webhook registration."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qsl, urlparse

import pytest

from tests.connectors.conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    SHOP,
    Traffic,
    connect_shop,
    install_query,
)
from tests.fakes.shopify_store import FakeShopify


def _store_row(store_id: str) -> Any:
    from printgate.connectors.base.models import StoreConnection
    from printgate.core.db import session_scope

    with session_scope() as session:
        return session.get(StoreConnection, store_id)


def _launch(shop: str = SHOP, **extra: str) -> dict[str, str]:
    return install_query({"shop": shop, "timestamp": str(int(time.time())), **extra})


def test_install_redirects_to_authorize_with_a_stored_state(client: Any, auth: dict[str, str],
                                                            shopify_env: FakeShopify) -> None:
    client.post("/stores/shopify/link", json={"shop": SHOP}, headers=auth)
    response = client.get("/shopify/install", params=_launch(host="YWRtaW4"), follow_redirects=False)
    assert response.status_code == 302
    target = urlparse(response.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{shopify_env.base}/{SHOP}/admin/oauth/authorize"
    query = dict(parse_qsl(target.query, keep_blank_values=True))
    assert query["client_id"] == CLIENT_ID
    assert query["scope"] == "read_orders,write_orders,read_products,write_products,write_files"
    assert query["redirect_uri"] == "http://testserver/shopify/callback"
    assert len(query["state"]) >= 24 and query["grant_options[]"] == ""  # offline access

    from printgate.connectors.base.models import ConnectorNonce
    from printgate.core.db import session_scope

    with session_scope() as session:
        nonce = session.get(ConnectorNonce, query["state"])
        assert nonce is not None and nonce.shop == SHOP and nonce.used_at is None


@pytest.mark.parametrize("case", ["bad_hmac", "old_secret_ok", "stale", "bad_shop", "unlinked_shop"])
def test_install_request_checks(client: Any, auth: dict[str, str], shopify_env: FakeShopify, case: str) -> None:
    client.post("/stores/shopify/link", json={"shop": SHOP}, headers=auth)
    if case == "bad_hmac":
        params = {**_launch(), "hmac": "0" * 64}
        expected = 401
    elif case == "old_secret_ok":  # during a secret rotation the previous secret still signs
        params = install_query({"shop": SHOP, "timestamp": str(int(time.time()))}, secret="pgtest-previous-secret")
        expected = 302
    elif case == "stale":
        params = install_query({"shop": SHOP, "timestamp": str(int(time.time()) - 2 * 3600)})
        expected = 401
    elif case == "bad_shop":
        params = _launch(shop="evil.example.com")
        expected = 400
    else:
        params = _launch(shop="someone-else.myshopify.com")
        expected = 403  # no printgate account is linked and no default account is configured
    response = client.get("/shopify/install", params=params, follow_redirects=False)
    assert response.status_code == expected, response.text


def test_default_account_takes_shops_installed_from_shopify(client: Any, auth: dict[str, str],
                                                            shopify_env: FakeShopify,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from printgate.connectors.shopify.config import reset_shopify_settings

    client.get("/stores", headers=auth)  # creates the "acme" account
    monkeypatch.setenv("PRINTGATE_SHOPIFY_DEFAULT_ACCOUNT", "acme")
    reset_shopify_settings()
    response = client.get("/shopify/install", params=_launch(shop="walk-in.myshopify.com"), follow_redirects=False)
    assert response.status_code == 302
    assert urlparse(response.headers["location"]).path == "/walk-in.myshopify.com/admin/oauth/authorize"


def test_callback_installs_and_stores_tokens_encrypted(client: Any, auth: dict[str, str],
                                                       shopify_env: FakeShopify, traffic: Traffic) -> None:
    store = connect_shop(client, shopify_env, auth)
    assert store["platform"] == "shopify" and store["shop"] == SHOP
    assert store["scopes"] == "read_orders,write_orders,write_files"
    assert store["webhookUrl"] == "http://testserver/webhooks/shopify"
    assert "credentials" not in store and "accessToken" not in str(store)

    exchange = [r for r in traffic.requests if r["operation"] == "token:code"]
    assert len(exchange) == 1
    assert exchange[0]["json"]["client_id"] == CLIENT_ID and exchange[0]["json"]["expiring"] == "1"

    row = _store_row(store["id"])
    assert row.credentials and "shpat_" not in row.credentials and "shprt_" not in row.credentials
    from printgate.core import crypto

    creds = crypto.decrypt(row.credentials)
    assert creds["access_token"].startswith("shpat_") and creds["refresh_token"].startswith("shprt_")
    from printgate.core.clock import as_utc, utcnow

    remaining = (as_utc(row.token_expires_at) - utcnow()).total_seconds()
    assert 3500 < remaining <= 3600  # expiring offline token: one hour


@pytest.mark.parametrize("case", ["bad_hmac", "bad_state", "other_shop_state", "reused_state", "bad_shop"])
def test_callback_refuses_forged_or_replayed_requests(client: Any, auth: dict[str, str],
                                                      shopify_env: FakeShopify, traffic: Traffic, case: str) -> None:
    linked = client.post("/stores/shopify/link", json={"shop": SHOP}, headers=auth).json()
    state = dict(parse_qsl(urlparse(linked["installUrl"]).query))["state"]
    params = {"code": "code_x", "shop": SHOP, "state": state, "timestamp": str(int(time.time()))}
    expected = 401
    if case == "bad_hmac":
        signed = {**install_query(params), "hmac": "f" * 64}
    elif case == "bad_state":
        signed = install_query({**params, "state": "not-a-state-we-issued"})
    elif case == "other_shop_state":
        client.post("/stores/shopify/link", json={"shop": "second.myshopify.com"}, headers=auth)
        signed = install_query({**params, "shop": "second.myshopify.com"})
    elif case == "reused_state":
        first = install_query({**params, "code": shopify_env.issue_code(SHOP)})
        assert client.get("/shopify/callback", params=first, follow_redirects=False).status_code == 302
        signed = install_query({**params, "code": shopify_env.issue_code(SHOP)})
    else:
        signed = install_query({**params, "shop": "pg-test.myshopify.com.evil.example"})
        expected = 400
    response = client.get("/shopify/callback", params=signed, follow_redirects=False)
    assert response.status_code == expected, response.text
    if case == "reused_state":
        assert traffic.operations() == ["token:code"]  # the replay never reached Shopify
    else:
        assert traffic.operations() == []
        assert _store_row(linked["store"]["id"]).status == "pending"


def test_link_needs_a_secret_key(client: Any, instance: Any, shopify_env: FakeShopify) -> None:
    from tests.conftest import make_key

    pk = {"Authorization": f"Bearer {make_key('acme', kind='publishable')}"}
    assert client.post("/stores/shopify/link", json={"shop": SHOP}, headers=pk).status_code == 403
    assert client.post("/stores/shopify/link", json={"shop": SHOP}).status_code == 401


def test_link_body_refuses_unknown_and_mistyped_keys_naming_them(client: Any, auth: dict[str, str],
                                                                shopify_env: FakeShopify) -> None:
    for body, message in (({"shop": SHOP, "shpo": SHOP}, "shpo: Extra inputs are not permitted"),
                          ({"shop": 42}, "shop: Input should be a valid string"),
                          ({}, "shop must be a *.myshopify.com domain"),
                          ([SHOP], "Input should be a valid dictionary")):
        response = client.post("/stores/shopify/link", json=body, headers=auth)
        assert response.status_code == 400, (body, response.text)
        assert response.json()["error"] is True and response.json()["message"].startswith(message), response.text
    assert client.get("/stores", headers=auth).json()["data"] == []


def test_expiring_token_is_refreshed_before_use_and_rotates(client: Any, auth: dict[str, str],
                                                             shopify_env: FakeShopify, traffic: Traffic) -> None:
    from datetime import timedelta

    from printgate.connectors.base.models import StoreConnection
    from printgate.connectors.shopify import oauth
    from printgate.connectors.shopify.adapter import ShopifyAdapter
    from printgate.core import crypto
    from printgate.core.clock import utcnow
    from printgate.core.db import session_scope

    store = connect_shop(client, shopify_env, auth)
    with session_scope() as session:
        row = session.get(StoreConnection, store["id"])
        before = crypto.decrypt(row.credentials)
        row.token_expires_at = utcnow() + timedelta(seconds=60)  # inside the refresh margin
        session.add(row)
        session.commit()
        shopify_env.expire_tokens(SHOP)
        data = ShopifyAdapter(row).fetch_recent_orders(session, utcnow() - timedelta(days=1))
        assert data == []
        after = crypto.decrypt(session.get(StoreConnection, store["id"]).credentials)
        assert after["access_token"] != before["access_token"]
        assert after["refresh_token"] != before["refresh_token"]  # rotated
        # Fresh token: no second refresh.
        assert oauth.access_token(session, row) == after["access_token"]

    refreshes = [r for r in traffic.requests if r["operation"] == "token:refresh_token"]
    assert len(refreshes) == 1
    assert refreshes[0]["json"]["refresh_token"] == before["refresh_token"]
    assert refreshes[0]["json"]["client_secret"] == CLIENT_SECRET
    orders_calls = [r for r in traffic.requests if r["operation"] == "gql:PrintgateRecentOrders"]
    assert orders_calls and not any(k.lower() == "x-shopify-access-token"  # kept out of cassettes
                                    for k in orders_calls[0]["headers"])
    if not traffic.replaying:
        assert before["refresh_token"] not in shopify_env.shop(SHOP).refresh_tokens  # retired on first use


def test_a_rejected_token_is_refreshed_once_and_the_call_retried(client: Any, auth: dict[str, str],
                                                                 shopify_env: FakeShopify,
                                                                 traffic: Traffic) -> None:
    from datetime import timedelta

    from printgate.connectors.base.models import StoreConnection
    from printgate.connectors.shopify.adapter import ShopifyAdapter
    from printgate.core.clock import utcnow
    from printgate.core.db import session_scope

    store = connect_shop(client, shopify_env, auth)
    shopify_env.expire_tokens(SHOP)  # Shopify revoked it early; our clock still thinks it is fine
    with session_scope() as session:
        row = session.get(StoreConnection, store["id"])
        assert ShopifyAdapter(row).fetch_recent_orders(session, utcnow() - timedelta(days=1)) == []
    assert traffic.operations() == ["token:code", "gql:PrintgateRecentOrders", "token:refresh_token",
                                    "gql:PrintgateRecentOrders"]


def _id_token(**overrides: Any) -> str:
    from printgate.connectors.shopify.oauth import sign_id_token

    now = int(time.time())
    claims = {"iss": f"https://{SHOP}/admin", "dest": f"https://{SHOP}", "aud": CLIENT_ID, "sub": "42",
              "exp": now + 60, "nbf": now - 5, "iat": now - 5, "jti": "abc", "sid": "s1"}
    secret = overrides.pop("secret", CLIENT_SECRET)
    claims.update(overrides)
    return sign_id_token(claims, secret)


def test_token_exchange_for_the_embedded_admin(client: Any, auth: dict[str, str], shopify_env: FakeShopify,
                                               traffic: Traffic) -> None:
    client.post("/stores/shopify/link", json={"shop": SHOP}, headers=auth)
    token = _id_token()
    response = client.post("/shopify/session", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["exchanged"] is True and body["store"]["status"] == "connected"
    sent = [r["json"] for r in traffic.requests if r["operation"].startswith("token:urn")]
    assert sent[0]["grant_type"] == "urn:ietf:params:oauth:grant-type:token-exchange"
    assert sent[0]["subject_token"] == token
    assert sent[0]["subject_token_type"] == "urn:ietf:params:oauth:token-type:id_token"
    assert sent[0]["requested_token_type"] == "urn:shopify:params:oauth:token-type:offline-access-token"
    again = client.post("/shopify/session", headers={"Authorization": f"Bearer {_id_token()}"})
    assert again.json()["exchanged"] is False  # a connected store keeps its token
    assert len(sent) == 1


@pytest.mark.parametrize("claims", [{"aud": "another-app"}, {"exp": 1}, {"nbf": 4_000_000_000},
                                    {"secret": "wrong"}, {"dest": "https://evil.example.com"}])
def test_token_exchange_refuses_bad_id_tokens(client: Any, auth: dict[str, str], shopify_env: FakeShopify,
                                              claims: dict[str, Any]) -> None:
    client.post("/stores/shopify/link", json={"shop": SHOP}, headers=auth)
    response = client.post("/shopify/session", headers={"Authorization": f"Bearer {_id_token(**claims)}"})
    assert response.status_code == 401, response.text
    stores = client.get("/stores", headers=auth).json()["data"]
    assert [s["status"] for s in stores] == ["pending"]


def test_webhooks_are_registered_once_when_configured(client: Any, auth: dict[str, str],
                                                      shopify_env: FakeShopify, traffic: Traffic,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from printgate.connectors.base.models import StoreConnection
    from printgate.connectors.shopify.config import reset_shopify_settings
    from printgate.connectors.shopify.routes import register_webhooks
    from printgate.core.db import session_scope

    monkeypatch.setenv("PRINTGATE_SHOPIFY_REGISTER_WEBHOOKS", "1")
    reset_shopify_settings()
    store = connect_shop(client, shopify_env, auth)
    created = traffic.graphql("PrintgateWebhookSubscriptionCreate")
    assert sorted(v["topic"] for v in created) == ["APP_UNINSTALLED", "ORDERS_CANCELLED", "ORDERS_CREATE",
                                                   "ORDERS_PAID"]
    assert {v["webhookSubscription"]["callbackUrl"] for v in created} == {"http://testserver/webhooks/shopify"}
    with session_scope() as session:
        assert register_webhooks(session, session.get(StoreConnection, store["id"])) == []  # idempotent
    assert len(traffic.graphql("PrintgateWebhookSubscriptionCreate")) == 4


def test_a_refused_code_leaves_the_store_pending(client: Any, auth: dict[str, str], shopify_env: FakeShopify,
                                                 traffic: Traffic) -> None:
    linked = client.post("/stores/shopify/link", json={"shop": SHOP}, headers=auth).json()
    state = dict(parse_qsl(urlparse(linked["installUrl"]).query))["state"]
    params = install_query({"code": "code_never_issued", "shop": SHOP, "state": state,
                            "timestamp": str(int(time.time()))})
    response = client.get("/shopify/callback", params=params, follow_redirects=False)
    assert response.status_code == 401 and "authorization code" in response.json()["message"]
    assert traffic.operations() == ["token:code"]
    row = _store_row(linked["store"]["id"])
    assert row.status == "pending" and row.credentials is None


def test_install_is_refused_until_the_app_is_configured(client: Any, instance: Any,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from printgate.connectors.shopify.config import reset_shopify_settings

    monkeypatch.delenv("PRINTGATE_SHOPIFY_API_SECRET", raising=False)
    reset_shopify_settings()
    response = client.get("/shopify/install", params=_launch(), follow_redirects=False)
    reset_shopify_settings()
    assert response.status_code == 403 and "PRINTGATE_SHOPIFY_API_SECRET" in response.json()["message"]
