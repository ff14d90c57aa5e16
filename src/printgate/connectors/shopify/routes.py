"""Shopify's HTTP surface: install (OAuth), callback, embedded session (token exchange), order page.

- ``POST /stores/shopify/link`` (secret key) ``{"shop"}`` -> ``{store, installUrl}``: link a shop to
  the caller's account and get the authorize URL to send the merchant to.
- ``GET /shopify/install?shop&timestamp&hmac[&host]``: Shopify's install/launch request -> 302 to
  ``https://{shop}/admin/oauth/authorize`` with a stored ``state`` nonce.
- ``GET /shopify/callback?code&shop&state&timestamp&hmac``: verify, exchange the code (expiring
  offline token), store tokens encrypted, register webhooks when configured -> 302 into the admin.
- ``POST /shopify/session`` with ``Authorization: Bearer <App Bridge ID token>``: token exchange for
  embedded use; returns the store.
- ``GET /shopify/orders?id=&shop=&hmac=...``: the order-page admin link target (HMAC-signed by
  Shopify) listing the order's print files.
"""

from __future__ import annotations

import html
import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, StrictStr
from sqlmodel import Session, select

from printgate.connectors.base.adapter import AdapterError
from printgate.connectors.base.models import OrderSync, StoreConnection
from printgate.connectors.base.states import ConnectionStatus
from printgate.connectors.shopify import oauth
from printgate.connectors.shopify.adapter import legacy_id
from printgate.connectors.shopify.config import get_shopify_settings
from printgate.core.api.deps import JsonBody, SecretKey, SessionDep
from printgate.core.errors import BadRequest, Forbidden, PrintgateError, Unauthorized, parse_body

log = logging.getLogger("printgate.shopify")

router = APIRouter(prefix="/shopify", tags=["shopify"])
stores_router = APIRouter(tags=["stores"])

WEBHOOK_TOPICS = ("ORDERS_CREATE", "ORDERS_PAID", "ORDERS_CANCELLED", "APP_UNINSTALLED")

SUBSCRIPTIONS_QUERY = """
query PrintgateWebhookSubscriptions {
  webhookSubscriptions(first: 50) {
    nodes { id topic endpoint { __typename ... on WebhookHttpEndpoint { callbackUrl } } }
  }
}
"""

SUBSCRIPTION_CREATE = """
mutation PrintgateWebhookSubscriptionCreate($topic: WebhookSubscriptionTopic!, $webhookSubscription: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) {
    webhookSubscription { id topic }
    userErrors { field message }
  }
}
"""


def _query(request: Request) -> dict[str, str]:
    return {k: v for k, v in request.query_params.items()}


def _store(connection: StoreConnection) -> dict[str, Any]:
    from printgate.connectors.routes import store_wire

    return store_wire(connection)


class LinkShop(BaseModel):
    """``POST /stores/shopify/link``: printgate's own body, unknown keys refused; ``oauth.valid_shop``
    checks the shop and says what it wants."""

    model_config = ConfigDict(extra="forbid")
    shop: StrictStr | None = None


@stores_router.post("/stores/shopify/link", status_code=201)
def link(session: SessionDep, caller: SecretKey, body: JsonBody) -> dict[str, Any]:
    shop = oauth.valid_shop(parse_body(LinkShop, body).shop)
    connection = oauth.link_shop(session, caller.account_id, shop)
    state = oauth.issue_state(session, shop, caller.account_id)
    return {"store": _store(connection), "installUrl": oauth.authorize_url(shop, state)}


@router.get("/install", include_in_schema=False, response_model=None)
def install(request: Request, session: SessionDep) -> RedirectResponse:
    params = _query(request)
    shop = oauth.valid_shop(params.get("shop"))
    oauth.verify_install_query(params)
    account_id = oauth.account_for_install(session, shop)
    state = oauth.issue_state(session, shop, account_id)
    return RedirectResponse(oauth.authorize_url(shop, state), status_code=302)


@router.get("/callback", include_in_schema=False, response_model=None)
def callback(request: Request, session: SessionDep) -> RedirectResponse:
    params = _query(request)
    shop = oauth.valid_shop(params.get("shop"))
    oauth.verify_install_query(params)
    nonce = oauth.consume_state(session, params.get("state"), shop)
    code = params.get("code")
    if not code:
        raise BadRequest("code is missing")
    account_id = nonce.account_id or oauth.account_for_install(session, shop)
    try:
        tokens = oauth.exchange_code(shop, code)
    except AdapterError as exc:
        raise Unauthorized(f"Shopify refused the authorization code: {exc}") from exc
    granted = set((tokens.get("scope") or "").split(","))
    missing = [s for s in oauth.REQUIRED_SCOPES if s not in granted and s.replace("read_", "write_") not in granted]
    if missing:
        raise Forbidden(f"The app needs the scopes {', '.join(missing)}")
    connection = install_connection(session, account_id, shop, tokens)
    if get_shopify_settings().register_webhooks:
        register_webhooks(session, connection)
    settings = get_shopify_settings()
    return RedirectResponse(settings.admin_url(shop, f"/admin/apps/{settings.api_key}"), status_code=302)


def install_connection(session: Session, account_id: str, shop: str, tokens: dict[str, Any]) -> StoreConnection:
    """Connect the account's own row for the shop (``oauth.install_connection``, shared with the
    embedded admin page)."""
    return oauth.install_connection(session, account_id, shop, tokens)


def register_webhooks(session: Session, connection: StoreConnection) -> list[str]:
    """Shop-specific subscriptions, for apps not deployed with ``shopify.app.toml`` (custom apps).

    App-specific subscriptions declared in the toml need no call; this is idempotent either way.
    """
    from printgate.connectors.shopify.adapter import ShopifyAdapter
    from printgate.connectors.shopify.client import user_errors
    from printgate.core.config import get_settings

    adapter = ShopifyAdapter(connection)
    callback_url = f"{get_settings().public_url.rstrip('/')}/webhooks/shopify"
    data = adapter._call(session, SUBSCRIPTIONS_QUERY, {}, "PrintgateWebhookSubscriptions")
    existing = {(n.get("topic"), (n.get("endpoint") or {}).get("callbackUrl"))
                for n in (data.get("webhookSubscriptions") or {}).get("nodes") or []}
    created = []
    for topic in WEBHOOK_TOPICS:
        if (topic, callback_url) in existing:
            continue
        result = adapter._call(session, SUBSCRIPTION_CREATE, {
            "topic": topic, "webhookSubscription": {"callbackUrl": callback_url, "format": "JSON"},
        }, "PrintgateWebhookSubscriptionCreate")
        user_errors(result, "webhookSubscriptionCreate")
        created.append(topic)
    return created


@router.post("/session")
def embedded_session(request: Request, session: SessionDep) -> dict[str, Any]:
    """Token exchange: the embedded admin sends its App Bridge ID token; printgate gets (or keeps)
    an offline token for the shop and returns the store."""
    auth = request.headers.get("authorization", "")
    if not auth.lower().startswith("bearer "):
        raise Unauthorized("Send the App Bridge ID token as Authorization: Bearer <token>")
    id_token = auth[7:].strip()
    claims = oauth.decode_id_token(id_token)
    shop = claims["shop"]
    connection = oauth.connection_for_shop(session, shop)
    fresh = connection is not None and connection.status == ConnectionStatus.CONNECTED \
        and connection.credentials
    if not fresh:
        account_id = oauth.account_for_install(session, shop)
        try:
            tokens = oauth.exchange_id_token(shop, id_token)
        except AdapterError as exc:
            raise Unauthorized(f"Token exchange failed: {exc}") from exc
        connection = install_connection(session, account_id, shop, tokens)
    assert connection is not None
    return {"store": _store(connection), "exchanged": not fresh}


APP_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>printgate</title>
<meta name="shopify-api-key" content="{api_key}">
<script src="https://cdn.shopify.com/shopifycloud/app-bridge.js"></script>
<style>body{{font:14px/1.5 system-ui,sans-serif;margin:2rem;max-width:40rem}}code{{background:#f4f4f4;padding:0 .3em}}</style>
</head><body>
<h1>printgate</h1>
<p id="status">Connecting this shop to printgate…</p>
<ol>
<li>Add the <strong>printgate upload</strong> block to your product template (Online Store → Themes → Customize).</li>
<li>Set the publishable key, your printgate URL and the workflow; a product's metafield
<code>printgate.workflow_id</code> overrides the workflow.</li>
<li>Paid orders get their print files under <strong>More actions → Print files (printgate)</strong>,
in the order note and in the order metafields <code>printgate.jobs</code> / <code>printgate.status</code>.</li>
</ol>
<script>
(async function () {{
  var el = document.getElementById('status');
  try {{
    var token = await shopify.idToken();
    var r = await fetch('{base}/shopify/session', {{method: 'POST', headers: {{Authorization: 'Bearer ' + token}}}});
    var body = await r.json();
    el.textContent = r.ok ? 'Connected: ' + body.store.shop + ' (' + body.store.status + ')'
                          : 'Not connected: ' + body.message;
  }} catch (e) {{ el.textContent = 'Not connected: ' + e; }}
}})();
</script>
</body></html>
"""


@router.get("/app", include_in_schema=False, response_model=None)
def app_page(request: Request, session: SessionDep) -> HTMLResponse:
    """The embedded app's page (``application_url``). Loaded by Shopify with an ID token (or its
    signed launch query), it is the admin page (``admin_page``: workflows per product/collection,
    recent orders); bare, App Bridge gets an ID token and printgate exchanges it for the shop's
    offline token (``POST /shopify/session``)."""
    from printgate.connectors.shopify import admin_page
    from printgate.core.config import get_settings

    if admin_page.identifies_shop(request):
        return admin_page.admin(request, session, **admin_page.page_params(request))
    settings = get_shopify_settings()
    return HTMLResponse(APP_PAGE.format(api_key=html.escape(settings.api_key),
                                        base=get_settings().public_url.rstrip("/")))


@router.get("/app/orders", include_in_schema=False, response_model=None)
@router.get("/orders", include_in_schema=False, response_model=None)
def order_page(request: Request, session: SessionDep) -> HTMLResponse:
    """Target of the order-details admin link: Shopify appends ``id``, ``shop`` and an ``hmac``."""
    params = _query(request)
    try:
        shop = oauth.valid_shop(params.get("shop"))
        oauth.verify_install_query(params)
    except PrintgateError as exc:
        return HTMLResponse(f"<p>{html.escape(exc.message)}</p>", status_code=exc.status_code)
    connection = oauth.connection_for_shop(session, shop)
    order_id = legacy_id(params.get("id")) or ""
    sync = session.exec(select(OrderSync).where(OrderSync.connection_id == (connection.id if connection else ""),
                                                OrderSync.external_id == order_id)).first()
    if sync is None:
        return HTMLResponse("<p>printgate has no print files for this order.</p>", status_code=404)
    # Each file with its thumbnail and proof (``admin_page.render_order_page``).
    from printgate.connectors.shopify.admin_page import render_order_page

    return HTMLResponse(render_order_page(session, connection, sync))
