"""WooCommerce's HTTP surface: connecting a store (app-auth or pasted keys) and the plugin secret.

- ``POST /woocommerce/stores`` (secret key) ``{storeUrl, consumerKey?, consumerSecret?, name?,
  pluginOnly?, pluginSecret?}`` -> 201 ``{store, pluginSecret?, webhooks?, authorizeUrl?, connectUrl?}``. With keys
  (pasted from WooCommerce -> Settings -> Advanced -> REST API) they are checked against the store,
  kept encrypted and the order webhooks are created. Without keys the answer carries the app-auth
  URLs. ``pluginOnly: true`` links a store fed only by the printgate plugin. ``pluginSecret`` (the
  ``whsec_...`` to paste into the plugin) is shown once, when it is made; a ``pluginSecret`` in the
  body adopts the one a plugin already holds (moving a store between printgate instances).
- ``POST /woocommerce/stores/{id}/plugin-secret`` (secret key): a new plugin secret (the previous one
  keeps verifying for a day).
- ``GET /woocommerce/connect?store_url=`` with ``Authorization: Bearer sk_...`` or ``&token=`` (the
  account-signed ``connectUrl``): 302 to ``{store}/wc-auth/v1/authorize`` (app ``printgate``, scope
  ``read_write``, ``user_id`` = a signed single-use state).
- ``POST /woocommerce/callback``: WooCommerce posts ``{key_id, user_id, consumer_key,
  consumer_secret, key_permissions}``; the state is checked, the keys installed as above.
- ``GET /woocommerce/return``: where the merchant's browser lands afterwards (no secrets shown).
"""

from __future__ import annotations

import hmac
import html
import json
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, StrictBool, StrictStr
from sqlmodel import Session

from printgate.connectors.base import ownership
from printgate.connectors.base.adapter import AdapterError
from printgate.connectors.base.models import StoreConnection
from printgate.connectors.woocommerce import store
from printgate.connectors.woocommerce.config import normalize_store_url
from printgate.core.api.deps import JsonBody, SecretKey, SessionDep
from printgate.core.config import get_settings
from printgate.core.errors import BadRequest, NotFound, PrintgateError, Unauthorized, parse_body
from printgate.core.keys import authenticate

router = APIRouter(tags=["woocommerce"])

class CreateStore(BaseModel):
    """``POST /woocommerce/stores``: printgate's own body, unknown keys refused. The store URL, keys
    and plugin secret are checked where they are used (``normalize_store_url``, ``install_keys``,
    ``check_plugin_secret``), which say what they want."""

    model_config = ConfigDict(extra="forbid")
    storeUrl: Any = None
    consumerKey: Any = None
    consumerSecret: Any = None
    name: StrictStr | None = None
    pluginOnly: StrictBool = False
    pluginSecret: Any = None


def _store(connection: StoreConnection) -> dict[str, Any]:
    from printgate.connectors.routes import store_wire

    return {**store_wire(connection), "webhookUrl": store.delivery_url(connection),
            "pluginOnly": bool((connection.settings or {}).get("pluginOnly")),
            "disconnectedReason": (connection.settings or {}).get("disconnectedReason")}


def _install(session: Session, connection: StoreConnection, key: Any, secret: Any, *, key_id: Any = None,
             permissions: str | None = None) -> list[dict[str, Any]]:
    try:
        return store.install_keys(session, connection, key, secret, key_id=key_id, permissions=permissions)
    except PrintgateError:
        raise
    except AdapterError as exc:
        raise BadRequest(f"Could not reach the store's REST API: {exc}") from exc


@router.post("/woocommerce/stores", status_code=201)
def create_store(session: SessionDep, caller: SecretKey, body: JsonBody) -> dict[str, Any]:
    given = parse_body(CreateStore, body)
    store_url = normalize_store_url(given.storeUrl)
    has_keys = given.consumerKey is not None or given.consumerSecret is not None
    if has_keys and given.pluginOnly:
        raise BadRequest("pluginOnly stores take no REST API keys")
    if given.pluginSecret is not None:
        store.check_plugin_secret(given.pluginSecret)
    if has_keys or given.pluginOnly:  # connecting now: never over another account's connection
        ownership.ensure_not_connected_elsewhere(session, caller.account_id, store.PLATFORM, store_url)
    connection, plugin_secret = store.link_store(session, caller.account_id, store_url, name=given.name)
    if given.pluginSecret is not None:
        store.set_plugin_secret(session, connection, given.pluginSecret)
        plugin_secret = None  # the caller has it
    out: dict[str, Any] = {}
    if has_keys:
        out["webhooks"] = _install(session, connection, given.consumerKey, given.consumerSecret)
    elif given.pluginOnly:
        store.connect_plugin_only(session, connection)
    else:
        base = get_settings().public_url.rstrip("/")
        token = store.connect_token(caller.account_id, store_url)
        out["authorizeUrl"] = store.authorize_url(session, connection)
        out["connectUrl"] = f"{base}/woocommerce/connect?{_q(store_url=store_url, token=token)}"
    if plugin_secret:
        out["pluginSecret"] = plugin_secret
    return {"store": _store(connection), **out}


def _q(**params: str) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


@router.post("/woocommerce/stores/{store_id}/plugin-secret")
def new_plugin_secret(session: SessionDep, caller: SecretKey, store_id: str) -> dict[str, Any]:
    connection = session.get(StoreConnection, store_id)
    if connection is None or connection.account_id != caller.account_id or connection.platform != store.PLATFORM:
        raise NotFound(f"Store not found: {store_id}")
    return {"store": _store(connection), "pluginSecret": store.rotate_plugin_secret(session, connection)}


@router.get("/woocommerce/connect", include_in_schema=False, response_model=None)
def connect(request: Request, session: SessionDep, store_url: str = "", token: str = "") -> RedirectResponse:
    url = normalize_store_url(store_url)
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        principal = authenticate(session, auth[7:].strip())
        if not principal.is_secret:
            raise Unauthorized("Connecting a store needs a secret key (sk_...)")
        account_id = principal.account_id
    elif token:
        account_id = store.check_connect_token(token, url)
    else:
        raise Unauthorized("Send Authorization: Bearer sk_... or the signed connect link's token")
    connection, _secret = store.link_store(session, account_id, url)
    return RedirectResponse(store.authorize_url(session, connection), status_code=302)


async def _callback_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        data = json.loads(raw) if raw.strip().startswith(b"{") else dict(parse_qsl(raw.decode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("The callback body is neither JSON nor a form") from exc
    if not isinstance(data, dict):
        raise BadRequest("The callback body must be an object")
    return data


@router.post("/woocommerce/callback")
async def callback(request: Request, session: SessionDep) -> dict[str, Any]:
    """WooCommerce's app-auth callback (server to server, right after the merchant approves)."""
    data = await _callback_body(request)
    return await run_in_threadpool(_callback, session, data)


def _callback(session: Session, data: dict[str, Any]) -> dict[str, Any]:
    missing = [k for k in ("user_id", "consumer_key", "consumer_secret") if not data.get(k)]
    if missing:
        raise BadRequest(f"Missing {', '.join(missing)}")
    nonce = store.consume_state(session, str(data["user_id"]))
    if not nonce.account_id:
        raise Unauthorized("Connect state names no account")
    connection, _secret = store.link_store(session, nonce.account_id, nonce.shop)
    webhooks = _install(session, connection, str(data["consumer_key"]), str(data["consumer_secret"]),
                        key_id=data.get("key_id"), permissions=str(data.get("key_permissions") or "") or None)
    return {"success": True, "store": connection.id, "webhooks": len(webhooks)}


@router.get("/woocommerce/return", include_in_schema=False, response_model=None)
def returned(session: SessionDep, store_id: str = Query("", alias="store"), sig: str = "",
             success: str = "") -> HTMLResponse:
    signed = bool(store_id) and hmac.compare_digest(sig, store.return_signature(store_id))
    connection = session.get(StoreConnection, store_id) if signed else None
    if connection is None:  # unknown, or a link printgate did not make: the same answer
        return HTMLResponse("<p>Unknown store.</p>", status_code=404)
    ok = connection.status == "connected"
    text = ("is connected to printgate. Paste the plugin secret into the printgate plugin's settings."
            if ok else "is not connected yet" + (": the authorization was declined." if success == "0" else "."))
    return HTMLResponse(f"<!doctype html><meta charset=utf-8><title>printgate</title>"
                        f"<p><strong>{html.escape(connection.shop)}</strong> {html.escape(text)}</p>",
                        status_code=200 if ok else 409)
