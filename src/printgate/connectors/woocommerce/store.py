"""WooCommerce store connections: linking, app-auth state, keys, secrets and the store's webhooks.

One ``StoreConnection`` (platform ``woocommerce``, ``shop`` = the normalized site URL) per store.
Its encrypted ``credentials`` hold::

    {"consumerKey", "consumerSecret", "keyId", "keyPermissions", "authMode": "basic" | "query",
     "pluginSecret": "whsec_...", "pluginSecretPrevious", "pluginSecretPreviousUntil" (epoch s)}

and ``webhook_secrets`` the secret WooCommerce signs its webhooks with (newest first). The plugin
secret signs both directions between printgate and the WordPress plugin (Standard Webhooks).
A connection without REST keys (``settings.pluginOnly``) is fed by the plugin alone.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from sqlmodel import Session

from printgate.connectors.base import ownership
from printgate.connectors.base.models import ConnectorNonce, StoreConnection
from printgate.connectors.woocommerce.client import WooClient
from printgate.connectors.woocommerce.config import WEBHOOK_TOPICS, get_woocommerce_settings
from printgate.core import crypto
from printgate.core.clock import as_utc, utcnow
from printgate.core.config import get_settings
from printgate.core.errors import BadRequest, Forbidden, Unauthorized
from printgate.core.ids import new_id
from printgate.core.storage import sign_token, verify_token
from printgate.webhooks.signing import new_whsec

log = logging.getLogger("printgate.woocommerce")

PLATFORM = "woocommerce"
PLUGIN_SECRET_OVERLAP_S = 24 * 3600


# --- credentials -----------------------------------------------------------------------------------

def credentials(connection: StoreConnection) -> dict[str, Any]:
    data = crypto.decrypt(connection.credentials)
    return dict(data) if isinstance(data, dict) else {}


def save_credentials(connection: StoreConnection, data: dict[str, Any]) -> None:
    connection.credentials = crypto.encrypt({k: v for k, v in data.items() if v is not None})
    connection.updated_at = utcnow()


def has_rest_keys(connection: StoreConnection) -> bool:
    creds = credentials(connection)
    return bool(creds.get("consumerKey") and creds.get("consumerSecret"))


def webhook_secrets(connection: StoreConnection) -> list[str]:
    data = crypto.decrypt(connection.webhook_secrets)
    return [s for s in data if isinstance(s, str) and s] if isinstance(data, list) else []


def plugin_secrets(connection: StoreConnection, now: float | None = None) -> list[str]:
    """The plugin's current whsec, and the previous one for a day after a rotation."""
    creds = credentials(connection)
    out = [creds["pluginSecret"]] if creds.get("pluginSecret") else []
    until = creds.get("pluginSecretPreviousUntil") or 0
    if creds.get("pluginSecretPrevious") and until > (now if now is not None else time.time()):
        out.append(creds["pluginSecretPrevious"])
    return out


def check_plugin_secret(value: object) -> str:
    """A ``whsec_`` secret of at least 24 random bytes (what ``new_whsec`` makes)."""
    import base64
    import binascii

    if not isinstance(value, str) or not value.startswith("whsec_"):
        raise BadRequest("pluginSecret must be a whsec_... secret")
    try:
        raw = base64.b64decode(value[len("whsec_"):], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadRequest("pluginSecret is not valid base64 after whsec_") from exc
    if len(raw) < 24:
        raise BadRequest("pluginSecret is too short: at least 24 bytes")
    return value


def set_plugin_secret(session: Session, connection: StoreConnection, secret: str) -> None:
    rotate_plugin_secret(session, connection, check_plugin_secret(secret))


def rotate_plugin_secret(session: Session, connection: StoreConnection, secret: str | None = None) -> str:
    creds = credentials(connection)
    if secret is not None and creds.get("pluginSecret") == secret:
        return secret
    secret = secret or new_whsec()
    if creds.get("pluginSecret"):
        creds["pluginSecretPrevious"] = creds["pluginSecret"]
        creds["pluginSecretPreviousUntil"] = int(time.time()) + PLUGIN_SECRET_OVERLAP_S
    creds["pluginSecret"] = secret
    save_credentials(connection, creds)
    session.add(connection)
    session.commit()
    return secret


def client_for(connection: StoreConnection) -> WooClient:
    creds = credentials(connection)
    if not (creds.get("consumerKey") and creds.get("consumerSecret")):
        raise LookupError(f"store {connection.id} has no REST API keys")
    return WooClient(connection.shop, creds["consumerKey"], creds["consumerSecret"],
                     auth_mode=creds.get("authMode") or "basic")


def remember_auth_mode(session: Session, connection: StoreConnection, client: WooClient) -> None:
    creds = credentials(connection)
    if creds.get("authMode", "basic") != client.auth_mode:
        creds["authMode"] = client.auth_mode
        save_credentials(connection, creds)
        session.add(connection)
        session.commit()


def mark_disconnected(session: Session, connection: StoreConnection, reason: str) -> None:
    """The store refused our keys: stop calling it until the merchant reconnects.

    The dead keys are forgotten; the plugin secret stays, so the plugin's signed order calls are
    still recognised (and wait in the pipeline for the reconnection).
    """
    creds = credentials(connection)
    for key in ("consumerKey", "consumerSecret", "keyId", "keyPermissions", "authMode"):
        creds.pop(key, None)
    save_credentials(connection, creds)
    connection.status = "disconnected"
    connection.settings = {**(connection.settings or {}), "disconnectedReason": reason,
                           "disconnectedAt": utcnow().isoformat()}
    session.add(connection)
    session.commit()
    log.warning("woocommerce store %s disconnected: %s", connection.id, reason)


# --- linking ---------------------------------------------------------------------------------------

def connection_for_store(session: Session, store_url: str) -> StoreConnection | None:
    """The row the store's own traffic belongs to (``printgate.connectors.base.ownership.current_row``)."""
    return ownership.current_row(session, PLATFORM, store_url)


def link_store(session: Session, account_id: str, store_url: str, *, name: str | None = None) -> tuple[StoreConnection, str | None]:
    """The account's own connection for ``store_url`` (created pending), and its plugin secret when new.

    Never another account's row (``printgate.connectors.base.ownership``): the keys the store issues
    (``install_keys``) prove control and connect it. The link itself answers the same whether or not
    another account has the store; connecting (keys, plugin-only) is refused where another account
    has it connected, before any key is tried."""
    connection = ownership.own_row(session, account_id, PLATFORM, store_url)
    if connection is None:
        connection = StoreConnection(id=new_id("store"), account_id=account_id, platform=PLATFORM, shop=store_url,
                                     status="pending")
    connection.name = name or connection.name or store_url.split("://", 1)[-1]
    creds = credentials(connection)
    fresh_secret = None
    if not creds.get("pluginSecret"):
        fresh_secret = creds["pluginSecret"] = new_whsec()
        save_credentials(connection, creds)
    if not webhook_secrets(connection):
        connection.webhook_secrets = crypto.encrypt([secrets.token_urlsafe(32)])
    connection.updated_at = utcnow()
    session.add(connection)
    session.commit()
    return connection, fresh_secret


def install_keys(session: Session, connection: StoreConnection, consumer_key: str, consumer_secret: str, *,
                 key_id: Any = None, permissions: str | None = None) -> list[dict[str, Any]]:
    """Check the keys against the store, keep them encrypted, make sure the order webhooks exist."""
    if not (isinstance(consumer_key, str) and consumer_key.startswith("ck_")
            and isinstance(consumer_secret, str) and consumer_secret.startswith("cs_")):
        raise BadRequest("consumerKey must start with ck_ and consumerSecret with cs_")
    if permissions is not None and permissions not in ("read_write", "write"):
        raise Forbidden(f"printgate needs read_write API keys, the store granted {permissions!r}")
    from printgate.connectors.woocommerce.client import KeysRejected

    # Again (``link_store`` checked), before the keys are tried: printgate never serves as a key
    # tester against a store someone else has connected.
    ownership.ensure_not_connected_elsewhere(session, connection.account_id, PLATFORM, connection.shop)
    client = WooClient(connection.shop, consumer_key, consumer_secret)
    try:
        with client:
            client.page("/orders", per_page=1)
    except KeysRejected as exc:
        raise Unauthorized(f"WooCommerce rejected these keys: {exc}") from exc
    creds = credentials(connection)
    creds.update(consumerKey=consumer_key, consumerSecret=consumer_secret, keyId=key_id,
                 keyPermissions=permissions, authMode=client.auth_mode)
    save_credentials(connection, creds)
    now = utcnow()
    connection.status = "connected"
    connection.scopes = permissions or "read_write"
    connection.installed_at = connection.installed_at or now
    connection.uninstalled_at = None
    connection.erase_after = None
    connection.erased_at = None
    settings = {k: v for k, v in (connection.settings or {}).items()
                if k not in ("disconnectedReason", "disconnectedAt", "pluginOnly")}
    connection.settings = settings
    session.add(connection)
    session.commit()
    return ensure_webhooks(session, connection)


def connect_plugin_only(session: Session, connection: StoreConnection) -> None:
    ownership.ensure_not_connected_elsewhere(session, connection.account_id, PLATFORM, connection.shop)
    connection.status = "connected"
    connection.installed_at = connection.installed_at or utcnow()
    connection.settings = {**(connection.settings or {}), "pluginOnly": True}
    session.add(connection)
    session.commit()


def delivery_url(connection: StoreConnection) -> str:
    return f"{get_settings().public_url.rstrip('/')}/webhooks/{PLATFORM}/{connection.id}"


def ensure_webhooks(session: Session, connection: StoreConnection) -> list[dict[str, Any]]:
    """One active webhook per topic pointing at this connection, signed with our secret.

    Idempotent: an existing webhook for our URL is updated (secret, ``active`` again after
    WooCommerce disabled it for failed deliveries) instead of duplicated.
    """
    secret = webhook_secrets(connection)[0]
    target = delivery_url(connection)
    ours = target.rsplit("/", 1)[0] + "/"
    done: list[dict[str, Any]] = []
    with client_for(connection) as client:
        existing: dict[str, dict[str, Any]] = {}
        page_no = 1
        while True:
            page = client.page("/webhooks", per_page=100, page=page_no)
            for hook in page.items:
                # Ours: any printgate delivery URL of this instance (a hook left by an earlier
                # connection of this store is adopted and pointed at the current one).
                if isinstance(hook, dict) and str(hook.get("delivery_url") or "").startswith(ours) \
                        and (hook.get("delivery_url") == target or hook.get("topic") not in existing):
                    existing[str(hook.get("topic"))] = hook
            if page_no >= page.total_pages or page_no >= 5:
                break
            page_no += 1
        for topic in WEBHOOK_TOPICS:
            body = {"name": f"printgate {topic}", "topic": topic, "delivery_url": target, "secret": secret,
                    "status": "active"}
            hook = existing.get(topic)
            if hook is None:
                created = client.post("/webhooks", body)
                done.append({"id": created.get("id"), "topic": topic, "action": "created"})
            elif hook.get("status") != "active" or hook.get("secret") != secret or hook.get("delivery_url") != target:
                # WooCommerce shows the secret only in the ``edit`` context: when it is not shown,
                # set it again (cheap, and a webhook made by hand may carry another secret).
                client.put(f"/webhooks/{hook['id']}", body)
                done.append({"id": hook.get("id"), "topic": topic, "action": "updated",
                             "was": hook.get("status")})
            else:
                done.append({"id": hook.get("id"), "topic": topic, "action": "kept"})
        remember_auth_mode(session, connection, client)
    connection.settings = {**(connection.settings or {}), "webhooks": done,
                           "webhooksCheckedAt": int(time.time())}
    session.add(connection)
    session.commit()
    return done


# --- app-auth (wc-auth/v1) -------------------------------------------------------------------------

def _secret() -> str:
    return get_settings().effective_signing_secret


def issue_state(session: Session, connection: StoreConnection) -> str:
    """The ``user_id`` sent to ``/wc-auth/v1/authorize``: a stored single-use nonce plus its HMAC."""
    nonce = secrets.token_urlsafe(18)
    ttl = get_woocommerce_settings().state_ttl_s
    session.add(ConnectorNonce(nonce=nonce, platform=PLATFORM, shop=connection.shop,
                               account_id=connection.account_id, expires_at=utcnow() + timedelta(seconds=ttl)))
    session.commit()
    return f"{nonce}.{sign_token(_secret(), 'wc-auth', nonce, connection.shop)[:32]}"


def consume_state(session: Session, state: object) -> ConnectorNonce:
    if not isinstance(state, str) or state.count(".") != 1:
        raise Unauthorized("user_id is not a printgate connect state")
    nonce, sig = state.split(".")
    row = session.get(ConnectorNonce, nonce)
    if row is None or row.platform != PLATFORM:
        raise Unauthorized("Unknown connect state")
    if not hmac.compare_digest(sign_token(_secret(), "wc-auth", nonce, row.shop)[:32], sig):
        raise Unauthorized("Connect state signature does not match")
    if row.used_at is not None:
        raise Unauthorized("This connect state was already used")
    if as_utc(row.expires_at) < utcnow():
        raise Unauthorized("This connect state has expired; start connecting again")
    row.used_at = utcnow()
    session.add(row)
    session.commit()
    return row


def return_signature(store_id: str) -> str:
    """Signs the merchant's return link: without it, ``/woocommerce/return?store=<id>`` showed any
    store's shop URL and state to anyone who had (or guessed) an id."""
    return sign_token(get_settings().effective_signing_secret, "woocommerce-return", store_id)


def authorize_url(session: Session, connection: StoreConnection) -> str:
    base = get_settings().public_url.rstrip("/")
    params = {
        "app_name": get_woocommerce_settings().app_name, "scope": "read_write",
        "user_id": issue_state(session, connection),
        "return_url": f"{base}/woocommerce/return?{urlencode({'store': connection.id, 'sig': return_signature(connection.id)})}",
        "callback_url": f"{base}/woocommerce/callback",
    }
    return f"{connection.shop}/wc-auth/v1/authorize?{urlencode(params)}"


def connect_token(account_id: str, store_url: str, now: float | None = None) -> str:
    """An account-signed token for ``GET /woocommerce/connect`` (a link a browser can follow)."""
    exp = str(int(now if now is not None else time.time()) + get_woocommerce_settings().state_ttl_s)
    return f"{account_id}.{exp}.{sign_token(_secret(), 'wc-connect', account_id, store_url, exp)}"


def check_connect_token(token: str, store_url: str) -> str:
    parts = token.split(".")
    if len(parts) != 3:
        raise Unauthorized("Malformed connect token")
    account_id, exp, sig = parts
    if not verify_token(_secret(), sig, "wc-connect", account_id, store_url, exp):
        raise Unauthorized("Connect token does not match this store")
    try:
        expired = int(exp) < time.time()
    except ValueError:
        expired = True
    if expired:
        raise Unauthorized("Connect token has expired")
    return account_id
