"""The app's embedded admin page: who may open it, the workflow per product or collection (written
where the connector reads it), and recent orders with their files, thumbnails and proofs."""

from __future__ import annotations

import html
import re
import time
from pathlib import Path
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
    paid_order,
    post_webhook,
    widget_job,
)
from tests.fakes.shopify_store import FakeShopify

PNG = b"\x89PNG\r\n\x1a\n"


def id_token(**overrides: Any) -> str:
    from printgate.connectors.shopify.oauth import sign_id_token

    now = int(time.time())
    claims = {"iss": f"https://{SHOP}/admin", "dest": f"https://{SHOP}", "aud": CLIENT_ID, "sub": "42",
              "exp": now + 60, "nbf": now - 5, "iat": now - 5, "jti": "abc", "sid": "s1"}
    secret = overrides.pop("secret", CLIENT_SECRET)
    claims.update(overrides)
    return sign_id_token(claims, secret)


def session_value(page: str) -> str:
    match = re.search(r'name="session" value="([^"]+)"', page)
    assert match, page[:2000]
    return html.unescape(match.group(1))


def row(page: str, gid: str) -> str:
    match = re.search(rf'<tr data-id="{re.escape(gid)}">(.*?)</tr>', page, re.S)
    assert match, f"{gid} not listed"
    return match.group(1)


def selected(page: str, gid: str) -> str:
    match = re.search(r'<option value="([^"]*)" selected>', row(page, gid))
    assert match, row(page, gid)
    return match.group(1)


def seed_catalogue(fake: FakeShopify) -> None:
    state = fake.shop(SHOP)
    state.product_titles.update({"632910392": "Business cards", "7001": "Poster A2", "7002": "Flyer A5"})
    state.products["632910392"] = {"printgate.workflow_id": "wf_default"}
    state.collections["88"] = {"title": "Flyers", "products": ["7002"]}


def test_merchant_picks_workflows_per_product_and_collection(client: Any, auth: dict[str, str], instance: Any,
                                                             shopify_env: FakeShopify, traffic: Traffic) -> None:
    store = connect_shop(client, shopify_env, auth)
    seed_catalogue(shopify_env)

    # Shopify loads the page in the admin iframe with an ID token in the URL.
    page = client.get("/shopify/admin", params={"id_token": id_token(), "shop": SHOP, "embedded": "1"})
    assert page.status_code == 200, page.text
    assert page.headers["content-security-policy"] == f"frame-ancestors https://admin.shopify.com https://{SHOP}"
    text = page.text
    assert re.findall(r'<tr data-id="[^"]+">\s*<td>([^<]+)</td>', text) == ["Business cards", "Flyer A5", "Poster A2"]
    assert selected(text, "gid://shopify/Product/632910392") == "wf_default"  # the metafield it already had
    assert selected(text, "gid://shopify/Product/7001") == ""
    assert 'value="wf_business_cards"' in row(text, "gid://shopify/Product/7001")  # the account's workflows
    assert f'<meta name="shopify-api-key" content="{CLIENT_ID}">' in text  # App Bridge, the one script from a CDN
    assert len(re.findall(r"<script\b", text)) == 1
    [listed] = traffic.graphql("PrintgateAdminProducts")
    assert listed["first"] == 25 and listed["after"] is None
    session = session_value(text)

    # A product's own workflow.
    saved = client.post("/shopify/admin/workflow", data={
        "session": session, "target": "gid://shopify/Product/7001", "workflow": "wf_photo", "tab": "products"},
        follow_redirects=False)
    assert saved.status_code == 303, saved.text
    [written] = traffic.graphql("PrintgateWorkflowSet")[0]["metafields"]
    assert written == {"ownerId": "gid://shopify/Product/7001", "namespace": "printgate", "key": "workflow_id",
                       "type": "single_line_text_field", "value": "wf_photo"}
    back = client.get(saved.headers["location"])
    assert back.status_code == 200 and "Workflow saved." in back.text
    assert selected(back.text, "gid://shopify/Product/7001") == "wf_photo"

    # A collection's workflow, on the collections tab.
    collections = client.get("/shopify/admin", params={"session": session, "tab": "collections"})
    assert selected(collections.text, "gid://shopify/Collection/88") == ""
    saved = client.post("/shopify/admin/workflow", data={
        "session": session, "target": "gid://shopify/Collection/88", "workflow": "wf_business_cards",
        "tab": "collections"}, follow_redirects=False)
    assert saved.status_code == 303
    assert dict(parse_qsl(urlparse(saved.headers["location"]).query))["tab"] == "collections"
    assert selected(client.get(saved.headers["location"]).text, "gid://shopify/Collection/88") == "wf_business_cards"

    # Clearing the product's own workflow deletes its metafield.
    cleared = client.post("/shopify/admin/workflow", data={
        "session": session, "target": "gid://shopify/Product/632910392", "workflow": ""}, follow_redirects=False)
    assert cleared.status_code == 303 and "saved=0" in cleared.headers["location"]
    assert traffic.graphql("PrintgateWorkflowClear")[0]["metafields"] == [
        {"ownerId": "gid://shopify/Product/632910392", "namespace": "printgate", "key": "workflow_id"}]

    # The connector picks the workflow up when an order arrives: the product's own, else its collection's.
    from printgate.connectors.base.adapter import ExternalLine, ExternalOrder
    from printgate.connectors.base.models import StoreConnection
    from printgate.connectors.shopify.adapter import ShopifyAdapter
    from printgate.core.db import session_scope

    order = ExternalOrder(external_id="1", name="#1001", status="paid", lines=[
        ExternalLine(line_id="a", product_id="7001", name="Poster", quantity=1, sku=None, properties={}),
        ExternalLine(line_id="b", product_id="7002", name="Flyer", quantity=1, sku=None, properties={}),
        ExternalLine(line_id="c", product_id="632910392", name="Cards", quantity=1, sku=None, properties={}),
    ])
    with session_scope() as db:
        connection = db.get(StoreConnection, store["id"])
        assert connection is not None
        ShopifyAdapter(connection).enrich_order(db, order)
    assert [line.workflow_id for line in order.lines] == ["wf_photo", "wf_business_cards", None]


def test_bad_requests_get_a_clear_answer_and_write_nothing(client: Any, auth: dict[str, str], instance: Any,
                                                           shopify_env: FakeShopify, traffic: Traffic,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from printgate.connectors.shopify.config import reset_shopify_settings

    connect_shop(client, shopify_env, auth)
    seed_catalogue(shopify_env)
    forged = [
        ({"id_token": id_token(secret="not-the-app-secret")}, 401, "signature does not match"),
        ({"id_token": id_token(aud="another-app")}, 401, "another app"),
        ({"id_token": id_token(exp=int(time.time()) - 120)}, 401, "expired"),
        ({"id_token": "not.a.jwt"}, 401, "Malformed"),
        ({"session": "store_x.9999999999.deadbeef"}, 401, "Invalid admin session"),
        (install_query({"shop": SHOP, "timestamp": str(int(time.time()))}, secret="wrong"), 401, "Invalid Shopify"),
        ({}, 401, "Open printgate from your Shopify admin"),
    ]
    for params, status, message in forged:
        answer = client.get("/shopify/admin", params=params)
        assert answer.status_code == status, (params, answer.text)
        assert message in html.unescape(answer.text) and "<select" not in answer.text, (params, answer.text)

    # The signed launch query of a connected shop opens the page too.
    launched = client.get("/shopify/admin", params=install_query({"shop": SHOP, "timestamp": str(int(time.time())),
                                                                   "host": "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvcGc"}))
    assert launched.status_code == 200, launched.text
    session = session_value(launched.text)
    # The app's URL (application_url) is the same page when Shopify loads it with proof of the shop;
    # App Bridge's script tag (Shopify's CDN) can be left out.
    monkeypatch.setenv("PRINTGATE_SHOPIFY_APP_BRIDGE", "0")
    reset_shopify_settings()
    app = client.get("/shopify/app", params={"id_token": id_token()})
    assert app.status_code == 200 and '<table id="targets">' in app.text and "<script" not in app.text
    assert "cdn.shopify.com" not in app.text and 'action="admin/workflow"' in app.text

    refused = [
        ({"session": session[:-2] + "00", "target": "gid://shopify/Product/7001", "workflow": "wf_photo"}, 401,
         "Invalid admin session"),
        ({"session": session, "target": "gid://shopify/Order/450789469", "workflow": "wf_photo"}, 400,
         "Pick a product or a collection"),
        ({"session": session, "target": "gid://shopify/Product/7001", "workflow": "wf_someone_elses"}, 400,
         "Unknown workflow"),
        ({"session": session, "target": "gid://shopify/Product/404404", "workflow": "wf_photo"}, 502,
         "Owner does not exist"),
    ]
    for form, status, message in refused:
        answer = client.post("/shopify/admin/workflow", data=form, follow_redirects=False)
        assert answer.status_code == status, (form, answer.text)
        assert message in html.unescape(answer.text), (form, answer.text)
    # Only the product Shopify itself refused was sent; nothing was written.
    assert [m["metafields"][0]["ownerId"] for m in traffic.graphql("PrintgateWorkflowSet")] == [
        "gid://shopify/Product/404404"]
    if not traffic.replaying:
        assert not any(key[2] == "workflow_id" for key in shopify_env.shop(SHOP).metafields)


def test_session_expires_and_dies_with_the_connection(client: Any, auth: dict[str, str], instance: Any,
                                                      shopify_env: FakeShopify, traffic: Traffic) -> None:
    from printgate.connectors.base.models import StoreConnection
    from printgate.connectors.shopify.admin_page import SESSION_TTL_S, check_session, issue_session
    from printgate.core.db import session_scope
    from printgate.core.errors import Unauthorized

    store = connect_shop(client, shopify_env, auth)
    with session_scope() as db:
        connection = db.get(StoreConnection, store["id"])
        assert connection is not None
        assert check_session(db, issue_session(connection)).id == store["id"]
        with pytest.raises(Unauthorized, match="expired"):
            check_session(db, issue_session(connection, now=time.time() - SESSION_TTL_S - 1))
        value = issue_session(connection)
    assert client.delete(f"/stores/{store['id']}", headers=auth).status_code in (200, 204)
    answer = client.get("/shopify/admin", params={"session": value})
    assert answer.status_code == 401 and "no longer connected" in answer.text


def test_recent_orders_and_the_order_page_show_thumbnails_and_proofs(
        client: Any, auth: dict[str, str], instance: Any, shopify_env: FakeShopify, traffic: Traffic,
        artwork: Path) -> None:
    store = connect_shop(client, shopify_env, auth)
    shopify_env.shop(SHOP).products["632910392"] = {"printgate.workflow_id": "wf_default"}
    job_id = widget_job(client, "acme", artwork, instance)
    order = paid_order([job_id])
    shopify_env.add_order(SHOP, order)
    assert post_webhook(client, "orders/paid", order).status_code == 200
    instance.drain()
    synced = client.get(f"/stores/{store['id']}/orders/{order['id']}", headers=auth).json()
    assert synced["status"] == "written_back", synced

    launch = install_query({"shop": SHOP, "timestamp": str(int(time.time()))})
    page = client.get("/shopify/admin", params=launch)
    assert page.status_code == 200, page.text
    orders = page.text[page.text.index('id="orders"'):]
    assert f'data-order="{order["id"]}"' in orders and job_id in orders and "written_back" in orders
    check_images(client, orders, store["id"])
    download = re.search(r'class="download" href="([^"]+)"', orders)
    assert download and html.unescape(download.group(1)) == synced["files"][0]["link"]

    # The order page Shopify's order-details link opens.
    order_page = client.get("/shopify/orders", params=install_query({
        "id": f"gid://shopify/Order/{order['id']}", "shop": SHOP, "timestamp": str(int(time.time()))}))
    assert order_page.status_code == 200, order_page.text
    assert job_id in order_page.text and "Download print file" in order_page.text
    check_images(client, order_page.text, store["id"])


def check_images(client: Any, page: str, store_id: str) -> None:
    """The file's thumbnail and proof: signed printgate links that redirect to PNG downloads."""
    thumbs = re.findall(r'<img class="thumbnail" src="([^"]+)"', page)
    proofs = re.findall(r'<img class="proof" src="([^"]+)"', page)
    assert len(thumbs) == 1 and len(proofs) >= 1, page[:3000]
    for src in (thumbs[0], proofs[0]):
        src = html.unescape(src).replace("http://testserver", "")
        assert src.startswith(f"/shopify/images/{store_id}/")
        moved = client.get(src, follow_redirects=False)
        assert moved.status_code == 302, moved.text
        image = client.get(moved.headers["location"].replace("http://testserver", ""))
        assert image.status_code == 200 and image.headers["content-type"] == "image/png"
        assert image.content.startswith(PNG)
        assert client.get(src.replace("sig=", "sig=0"), follow_redirects=False).status_code == 403
        other_kind = src.replace("/thumbnail?", "/proof?") if "/thumbnail?" in src else src.replace("/proof?", "/thumbnail?")
        assert client.get(other_kind, follow_redirects=False).status_code == 403  # the signature covers the kind


def test_first_open_from_shopify_connects_the_shop_by_token_exchange(
        client: Any, auth: dict[str, str], instance: Any, shopify_env: FakeShopify, traffic: Traffic) -> None:
    linked = client.post("/stores/shopify/link", json={"shop": SHOP}, headers=auth)
    assert linked.status_code == 201 and linked.json()["store"]["status"] == "pending"
    seed_catalogue(shopify_env)
    page = client.get("/shopify/admin", headers={"Authorization": f"Bearer {id_token()}"})
    assert page.status_code == 200, page.text
    assert traffic.operations()[:2] == ["token:urn:ietf:params:oauth:grant-type:token-exchange",
                                        "gql:PrintgateAdminProducts"]
    store = client.get(f"/stores/{linked.json()['store']['id']}", headers=auth).json()
    assert store["status"] == "connected"
    assert "Poster A2" in page.text and "No orders with print files yet." in page.text
