"""Shopify install and tokens: authorization-code grant, token exchange, expiring-token refresh.

Which printgate account a shop belongs to (the install links an account):

1. The merchant starts from printgate: ``POST /stores/shopify/link {"shop": ...}`` with their
   secret key creates a ``pending`` connection for the shop in their account and returns the
   authorize URL; its ``state`` nonce is stored with the account id.
2. The merchant installs from the Shopify admin / App Store (``GET /shopify/install`` with Shopify's
   HMAC): the shop's existing connection decides the account (a reinstall, or a shop linked as in
   1.); otherwise ``PRINTGATE_SHOPIFY_DEFAULT_ACCOUNT`` (single-merchant instances); otherwise the
   install is refused with a message telling the merchant to link the shop from printgate first.

Tokens are stored encrypted (``printgate.core.crypto``); expiring offline tokens (1 h, with a
rotating refresh token) are refreshed ``refresh_margin_s`` before they expire, on use.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
from sqlmodel import Session, select

from printgate.connectors.base import ownership
from printgate.connectors.base.adapter import AdapterError
from printgate.connectors.base.models import ConnectorNonce, StoreConnection
from printgate.connectors.base.states import ConnectionStatus
from printgate.connectors.shopify.config import ShopifySettings, get_shopify_settings
from printgate.core import crypto, net
from printgate.core.clock import as_utc, utcnow
from printgate.core.config import get_settings
from printgate.core.errors import BadRequest, Forbidden, Unauthorized
from printgate.core.ids import new_id
from printgate.core.models import Account
from printgate.webhooks.signing import SignatureError, verify_shopify_query

SHOP_RE = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")
STATE_TTL = timedelta(minutes=15)
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"
OFFLINE_TOKEN_TYPE = "urn:shopify:params:oauth:token-type:offline-access-token"
REQUIRED_SCOPES = ("read_orders", "write_orders")


def valid_shop(shop: str | None) -> str:
    shop = (shop or "").strip().lower()
    if not SHOP_RE.match(shop):
        raise BadRequest("shop must be a *.myshopify.com domain")
    return shop


def verify_install_query(params: Mapping[str, str], settings: ShopifySettings | None = None) -> None:
    """Shopify's hex HMAC over the sorted query (without ``hmac``), and timestamp freshness."""
    settings = settings or get_shopify_settings()
    if not settings.secrets:
        raise Forbidden("Shopify is not configured: set PRINTGATE_SHOPIFY_API_KEY and PRINTGATE_SHOPIFY_API_SECRET")
    try:
        verify_shopify_query(settings.secrets, params)
    except SignatureError as exc:
        raise Unauthorized(f"Invalid Shopify request: {exc}") from exc
    try:
        ts = int(params.get("timestamp", ""))
    except ValueError as exc:
        raise Unauthorized("Invalid Shopify request: timestamp missing") from exc
    if abs(time.time() - ts) > settings.install_max_age_s:
        raise Unauthorized("Invalid Shopify request: timestamp is too old")


# --- state ----------------------------------------------------------------------------------------

def issue_state(session: Session, shop: str, account_id: str | None) -> str:
    nonce = secrets.token_urlsafe(24)
    session.add(ConnectorNonce(nonce=nonce, platform="shopify", shop=shop, account_id=account_id,
                               expires_at=utcnow() + STATE_TTL))
    session.commit()
    return nonce


def consume_state(session: Session, state: str | None, shop: str) -> ConnectorNonce:
    row = session.get(ConnectorNonce, state or "")
    if row is None or row.platform != "shopify" or row.used_at is not None:
        raise Unauthorized("Invalid or reused OAuth state")
    if as_utc(row.expires_at) < utcnow():
        raise Unauthorized("OAuth state expired: start the install again")
    if row.shop != shop:
        raise Unauthorized("OAuth state was issued for another shop")
    row.used_at = utcnow()
    session.add(row)
    session.commit()
    return row


def redirect_uri() -> str:
    return f"{get_settings().public_url.rstrip('/')}/shopify/callback"


def authorize_url(shop: str, state: str, settings: ShopifySettings | None = None) -> str:
    settings = settings or get_shopify_settings()
    query = urlencode({"client_id": settings.api_key, "scope": settings.scopes, "redirect_uri": redirect_uri(),
                       "state": state, "grant_options[]": ""})
    return settings.admin_url(shop, f"/admin/oauth/authorize?{query}")


# --- accounts -------------------------------------------------------------------------------------

def connection_for_shop(session: Session, shop: str) -> StoreConnection | None:
    """The row the shop's own traffic belongs to (``printgate.connectors.base.ownership.current_row``)."""
    return ownership.current_row(session, "shopify", shop)


def default_account(session: Session) -> str | None:
    wanted = get_shopify_settings().default_account
    if not wanted:
        return None
    account = session.get(Account, wanted) or session.exec(select(Account).where(Account.name == wanted)).first()
    return account.id if account else None


def account_for_install(session: Session, shop: str) -> str:
    """The account an install started from Shopify belongs to: the one that has the shop connected or
    installed it last (a reinstall); else the one account that linked it; else the default account."""
    rows = ownership.rows_for_shop(session, "shopify", shop)
    if any(r.status == "connected" or r.installed_at is not None for r in rows):
        current = ownership.current_row(session, "shopify", shop)
        assert current is not None
        return current.account_id
    linked = {r.account_id for r in rows}
    if len(linked) == 1:
        return linked.pop()
    account = default_account(session) if not linked else None
    if account is None:
        raise Forbidden("This shop is not linked to a printgate account: link it from printgate first "
                        "(POST /stores/shopify/link with your secret key), or set PRINTGATE_SHOPIFY_DEFAULT_ACCOUNT")
    return account


def link_shop(session: Session, account_id: str, shop: str) -> StoreConnection:
    """The caller's own connection for the shop, ``pending`` until installed.

    Never another account's row (``printgate.connectors.base.ownership``): the install (OAuth) proves control,
    and ``install_connection`` connects this row then, unless another account has the shop connected.
    The answer is the same whether or not another account has the shop, connected or not: only the
    proof of control may learn that."""
    connection = ownership.own_row(session, account_id, "shopify", shop)
    if connection is None:
        connection = StoreConnection(id=new_id("store"), account_id=account_id, platform="shopify", shop=shop)
    if connection.status != "connected":
        connection.status = "pending"
    connection.updated_at = utcnow()
    session.add(connection)
    session.commit()
    return connection


def install_connection(session: Session, account_id: str, shop: str, tokens: dict[str, Any]) -> StoreConnection:
    """Connect the account's own row for the shop (the caller proved control: OAuth or token exchange),
    never while another account has the shop connected (one connected account per shop)."""
    ownership.ensure_not_connected_elsewhere(session, account_id, "shopify", shop)
    connection = link_shop(session, account_id, shop)
    store_tokens(connection, tokens)
    connection.status = ConnectionStatus.CONNECTED
    connection.installed_at = utcnow()
    connection.uninstalled_at = None
    connection.erase_after = None
    connection.erased_at = None
    session.add(connection)
    session.commit()
    return connection


# --- token endpoint ---------------------------------------------------------------------------------

def _token_call(shop: str, form: dict[str, str], settings: ShopifySettings) -> dict[str, Any]:
    url = settings.admin_url(shop, "/admin/oauth/access_token")
    try:
        with net.client(timeout=settings.http_timeout_s) as http:
            response = http.post(url, json=form, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise AdapterError(f"Shopify token endpoint unreachable: {exc}") from exc
    if response.status_code != 200:
        retryable = response.status_code >= 500 or response.status_code == 429
        raise AdapterError(f"Shopify token endpoint answered {response.status_code}: {response.text[:200]}",
                           retryable=retryable)
    data = response.json()
    if not isinstance(data, dict) or not data.get("access_token"):
        raise AdapterError("Shopify token endpoint returned no access_token", retryable=False)
    return data


def exchange_code(shop: str, code: str, settings: ShopifySettings | None = None) -> dict[str, Any]:
    settings = settings or get_shopify_settings()
    form = {"client_id": settings.api_key, "client_secret": settings.api_secret, "code": code}
    if settings.expiring_tokens:
        form["expiring"] = "1"
    return _token_call(shop, form, settings)


def refresh_tokens(shop: str, refresh_token: str, settings: ShopifySettings | None = None) -> dict[str, Any]:
    settings = settings or get_shopify_settings()
    return _token_call(shop, {"client_id": settings.api_key, "client_secret": settings.api_secret,
                              "grant_type": "refresh_token", "refresh_token": refresh_token}, settings)


def exchange_id_token(shop: str, id_token: str, settings: ShopifySettings | None = None) -> dict[str, Any]:
    settings = settings or get_shopify_settings()
    form = {"client_id": settings.api_key, "client_secret": settings.api_secret, "grant_type": TOKEN_EXCHANGE,
            "subject_token": id_token, "subject_token_type": ID_TOKEN_TYPE,
            "requested_token_type": OFFLINE_TOKEN_TYPE}
    if settings.expiring_tokens:
        form["expiring"] = "1"
    return _token_call(shop, form, settings)


def store_tokens(connection: StoreConnection, data: dict[str, Any]) -> None:
    now = utcnow()
    creds: dict[str, Any] = {"access_token": data["access_token"]}
    if data.get("refresh_token"):
        creds["refresh_token"] = data["refresh_token"]
        if data.get("refresh_token_expires_in"):
            creds["refresh_token_expires_at"] = int(time.time()) + int(data["refresh_token_expires_in"])
    connection.credentials = crypto.encrypt(creds)
    connection.token_expires_at = now + timedelta(seconds=int(data["expires_in"])) if data.get("expires_in") else None
    if data.get("scope"):
        connection.scopes = str(data["scope"])
    connection.updated_at = now


def access_token(session: Session, connection: StoreConnection, *, force_refresh: bool = False) -> str:
    """The shop's offline token, refreshed first when it expires within the margin."""
    settings = get_shopify_settings()
    creds = crypto.decrypt(connection.credentials) or {}
    token = creds.get("access_token")
    if not token:
        raise AdapterError(f"no access token for {connection.shop} (store is {connection.status})", retryable=False)
    expires = connection.token_expires_at
    due = expires is not None and as_utc(expires) - utcnow() < timedelta(seconds=settings.refresh_margin_s)
    if (due or force_refresh) and creds.get("refresh_token"):
        data = refresh_tokens(connection.shop, creds["refresh_token"], settings)
        store_tokens(connection, data)
        session.add(connection)
        session.commit()
        token = data["access_token"]
    elif due:
        raise AdapterError(f"the access token of {connection.shop} expired and there is no refresh token: "
                           "the merchant must open the app again", retryable=False)
    return str(token)


# --- ID tokens (App Bridge session tokens) ------------------------------------------------------------

def _b64url(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def decode_id_token(token: str, settings: ShopifySettings | None = None, *, leeway_s: int = 10) -> dict[str, Any]:
    """Verify an App Bridge ID token: HS256 with the client secret, ``aud`` = client id, exp/nbf."""
    settings = settings or get_shopify_settings()
    try:
        header_b64, payload_b64, sig_b64 = token.split(".")
        header = json.loads(_b64url(header_b64))
        claims = json.loads(_b64url(payload_b64))
        signature = _b64url(sig_b64)
    except (ValueError, TypeError) as exc:
        raise Unauthorized("Malformed ID token") from exc
    if header.get("alg") != "HS256":
        raise Unauthorized("ID token must be signed with HS256")
    signed = f"{header_b64}.{payload_b64}".encode()
    if not any(hmac.compare_digest(hmac.new(s.encode(), signed, hashlib.sha256).digest(), signature)
               for s in settings.secrets):
        raise Unauthorized("ID token signature does not match")
    now = time.time()
    if claims.get("aud") != settings.api_key:
        raise Unauthorized("ID token was issued for another app")
    if not isinstance(claims.get("exp"), int | float) or claims["exp"] < now - leeway_s:
        raise Unauthorized("ID token expired")
    if isinstance(claims.get("nbf"), int | float) and claims["nbf"] > now + leeway_s:
        raise Unauthorized("ID token is not valid yet")
    dest = str(claims.get("dest", ""))
    shop = dest.removeprefix("https://").split("/", 1)[0]
    if not SHOP_RE.match(shop):
        raise Unauthorized("ID token names no shop")
    iss = str(claims.get("iss", ""))
    if iss and iss.removeprefix("https://").split("/", 1)[0] != shop:
        raise Unauthorized("ID token issuer and destination differ")
    claims["shop"] = shop
    return dict(claims)


def sign_id_token(claims: dict[str, Any], secret: str) -> str:
    """HS256 ID token as App Bridge issues them (used by the bench, tests and local tools)."""
    def enc(value: bytes) -> str:
        return base64.urlsafe_b64encode(value).rstrip(b"=").decode()

    head = enc(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = enc(json.dumps(claims).encode())
    sig = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{enc(sig)}"
