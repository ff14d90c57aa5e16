"""printgate's side of the signed store modules (OpenCart, PrestaShop): one story, two platforms.

The modules (``connectors/opencart/extension``, ``connectors/prestashop/module``, wire format in
``connectors/store_php/README.md``) call printgate themselves; printgate calls them back.

Routes (secret key): ``POST /store-modules/stores``, ``GET`` / ``PATCH /store-modules/stores/{id}``,
``POST /store-modules/stores/{id}/rotate-secret``; the rest of a store's life (orders, reconcile,
disconnect) is ``printgate.connectors.routes`` (``/stores/...``), as for every platform.

1. **Registering a store** (merchant, secret key): ``POST /store-modules/stores`` creates a
   ``StoreConnection`` (platform ``opencart`` | ``prestashop``, the store URL, the OpenCart version,
   optional platform API credentials, all encrypted) and returns the ``whsec_`` secret the merchant
   pastes into the module, once. ``POST /store-modules/stores/{id}/rotate-secret`` issues a new
   one; the previous secret keeps verifying (and co-signs callbacks) for the overlap.
2. **Order calls**: ``POST /orders/{orderId}`` (core) asks :func:`verify_order_call`, registered
   with ``printgate.core.orders``: the Standard Webhooks headers must match one of the account's store
   secrets (5-minute tolerance) and the call is attributed to that store. A repeated
   ``webhook-id`` (the module retries with the same id) is answered 2xx again: capture is idempotent.
3. **Into the pipeline**: core sends ``ORDER_CAPTURED(order_id, store_id)``; for a store-module
   connection :func:`on_order_captured` queues :func:`intake_captured`, which maps the captured order
   into an ``ExternalOrder`` and calls ``printgate.connectors.base.pipeline.intake`` (verify, attach,
   processing, deliver, write back with the pipeline's own backoff).
4. **Write back** (:class:`StoreModuleAdapter`): the signed ``order.files_ready`` callback to the
   module's route (per platform and version); where API credentials are configured, the
   platform's own API writes a note on the order too: as the fallback when the callback cannot be
   delivered (default), or always (``settings.apiWriteBack = "always"``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from fastapi import APIRouter
from sqlmodel import Session, col, select

from printgate.connectors.base.adapter import AdapterError, DeliveredFile, ExternalLine, ExternalOrder
from printgate.connectors.base.models import OrderSync, StoreConnection
from printgate.connectors.base.spec import AdapterFactory, PlatformSpec
from printgate.core import crypto, net
from printgate.core.api.deps import JsonBody, SecretKey, SessionDep
from printgate.core.clock import as_utc, utcnow
from printgate.core.errors import BadRequest, Conflict, NotFound, Unauthorized
from printgate.core.ids import new_id
from printgate.core.models import Job, Order
from printgate.webhooks.signing import STANDARD_TOLERANCE_S, SignatureError, new_whsec, standard_verify

log = logging.getLogger("printgate.connectors.store_modules")

PLATFORMS = ("opencart", "prestashop")
OPENCART_VERSIONS = (3, 4)

# printgate -> module callback routes (connectors/store_php/README.md).
CALLBACK_ROUTES = {
    ("opencart", 3): "index.php?route=extension/module/printgate/callback",
    ("opencart", 4): "index.php?route=extension/printgate/module/printgate.callback",
    ("prestashop", None): "index.php?fc=module&module=printgate&controller=callback",
}

# How long a rotated-out secret keeps verifying order calls (and co-signing callbacks).
DEFAULT_OVERLAP_H = 24
MAX_OVERLAP_H = 24 * 14

# The modules send the order status *name* as a slug ("Payment accepted" -> "payment_accepted").
# Names are the merchant's (and translated), so unknown ones count as "go ahead": printing an
# order that turns out unpaid is recoverable, never printing a paid one is not. Cancellation words
# are matched as prefixes so "canceled", "cancelled", "annule", "annulee", "storniert" all count.
PENDING_STATUSES = frozenset({
    "pending", "missing_orders", "awaiting_check_payment", "awaiting_bank_wire_payment",
    "awaiting_cash_on_delivery_validation", "awaiting_payment", "on_backorder_not_paid", "payment_error",
    "failed", "en_attente_du_paiement_par_cheque", "en_attente_de_virement_bancaire", "en_attente",
})
CANCEL_PREFIXES = ("cancel", "void", "refund", "reversed", "chargeback", "denied", "expired", "annul", "rembours",
                   "storn", "erstattet")
# OpenCart's "Canceled Reversal": a chargeback was withdrawn, the money is the merchant's again.
PAID_OVERRIDES = frozenset({"canceled_reversal", "cancelled_reversal"})


def normalize_status(raw: str | None, settings: Mapping[str, Any] | None = None) -> str:
    """A module's status slug -> the pipeline's ``paid`` | ``pending`` | ``cancelled``.

    ``settings`` (the connection's) may list ``paidStatuses`` / ``pendingStatuses`` /
    ``cancelledStatuses`` slugs, which win over the defaults.
    """
    slug = (raw or "pending").strip().lower()
    settings = settings or {}
    for key, value in (("cancelledStatuses", "cancelled"), ("pendingStatuses", "pending"), ("paidStatuses", "paid")):
        if slug in (settings.get(key) or ()):
            return value
    if slug in PENDING_STATUSES:
        return "pending"
    if slug in PAID_OVERRIDES:
        return "paid"
    if slug.startswith(CANCEL_PREFIXES):
        return "cancelled"
    return "paid"


# --- secrets ---------------------------------------------------------------------------------------

def _secret_rows(connection: StoreConnection) -> list[dict[str, Any]]:
    rows = crypto.decrypt(connection.webhook_secrets) if connection.webhook_secrets else []
    return [r for r in rows or [] if isinstance(r, dict) and isinstance(r.get("secret"), str)]


def active_secrets(connection: StoreConnection, now: datetime | None = None) -> list[str]:
    """The current secret first, then rotated-out ones whose overlap has not ended."""
    now = now or utcnow()
    out = []
    for row in _secret_rows(connection):
        expires = row.get("expiresAt")
        if expires and as_utc(datetime.fromisoformat(expires)) <= now:
            continue
        out.append(row["secret"])
    return out


def issue_secret(connection: StoreConnection, *, overlap_h: float = DEFAULT_OVERLAP_H,
                 now: datetime | None = None) -> tuple[str, str | None]:
    """A new current secret; the previous ones expire after ``overlap_h``. Returns (secret, expiresAt)."""
    now = now or utcnow()
    secret = new_whsec()
    expires_at = (now + timedelta(hours=overlap_h)).isoformat() if overlap_h > 0 else None
    kept = []
    for row in _secret_rows(connection):
        old_expiry = row.get("expiresAt")
        if old_expiry and as_utc(datetime.fromisoformat(old_expiry)) <= now:
            continue
        if overlap_h <= 0:
            continue  # revoke the old secrets now
        if not old_expiry or as_utc(datetime.fromisoformat(old_expiry)) > now + timedelta(hours=overlap_h):
            row = {**row, "expiresAt": expires_at}
        kept.append(row)
    rows = [{"secret": secret, "createdAt": now.isoformat(), "expiresAt": None}, *kept]
    connection.webhook_secrets = crypto.encrypt(rows)
    return secret, (expires_at if kept else None)


def secret_hint(secret: str) -> str:
    """What the merchant sees to tell secrets apart: never the secret itself."""
    return "whsec_…" + hashlib.sha256(secret.encode()).hexdigest()[:8]


# --- credentials and settings ------------------------------------------------------------------------

def credentials(connection: StoreConnection) -> dict[str, Any]:
    value = crypto.decrypt(connection.credentials) if connection.credentials else None
    return value if isinstance(value, dict) else {}


def oc_version(connection: StoreConnection) -> int | None:
    if connection.platform != "opencart":
        return None
    return int((connection.settings or {}).get("ocVersion") or 3)


def callback_url(connection: StoreConnection) -> str:
    route = CALLBACK_ROUTES[(connection.platform, oc_version(connection))]
    return connection.shop.rstrip("/") + "/" + route


def normalize_store_url(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadRequest("storeUrl is required: the shop's base URL, e.g. https://shop.example/")
    url = value.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadRequest("storeUrl must be an http(s) URL")
    if parts.query or parts.fragment:
        raise BadRequest("storeUrl must be the shop's base URL, without query or fragment")
    path = parts.path
    if path.endswith("index.php"):
        path = path[: -len("index.php")]
    return f"{parts.scheme}://{parts.netloc.lower()}{path.rstrip('/')}/"


# --- verifying order calls ---------------------------------------------------------------------------

def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def verify_order_call(session: Session, account_id: str, headers: Mapping[str, str], raw: bytes,
                      body: dict[str, Any]) -> str | None:
    """Core's order verifier: the store connection a signed call came from.

    The signature picks the store (one account may run several shops); the timestamp must then be
    within 5 minutes. Calls signed by no store of ours return None (core answers 401 to a signed
    call nobody claims), so other verifiers (WordPress) get their turn.
    """
    if not _header(headers, "webhook-signature"):
        return None
    connections = session.exec(select(StoreConnection).where(
        StoreConnection.account_id == account_id, col(StoreConnection.platform).in_(PLATFORMS),
        StoreConnection.status == "connected")).all()
    source = body.get("source") if isinstance(body, dict) else None
    connections = sorted(connections, key=lambda c: c.platform != source)  # the named platform first
    now = time.time()
    for connection in connections:
        secrets_ = active_secrets(connection)
        if not secrets_:
            continue
        try:
            # Attribute first (any age), then judge freshness: a stale call gets a precise answer.
            standard_verify(secrets_, headers, raw, now=now, tolerance_s=10**10)
        except SignatureError:
            continue
        stamp = int(_header(headers, "webhook-timestamp") or 0)
        if abs(now - stamp) > STANDARD_TOLERANCE_S:
            raise Unauthorized("webhook-timestamp is outside the 5-minute tolerance: check the shop's clock")
        if source in PLATFORMS and source != connection.platform:
            raise Unauthorized(f"Signed by the {connection.platform} store {connection.id}, but source is {source!r}")
        _note_call(session, connection, headers, body)
        return connection.id
    return None


def _note_call(session: Session, connection: StoreConnection, headers: Mapping[str, str], body: Any) -> None:
    settings = dict(connection.settings or {})
    settings["lastOrderCallAt"] = utcnow().isoformat()
    settings["lastWebhookId"] = _header(headers, "webhook-id")
    store_url = body.get("storeUrl") if isinstance(body, dict) else None
    if isinstance(store_url, str) and store_url:
        settings["reportedStoreUrl"] = store_url
    connection.settings = settings
    session.add(connection)
    session.commit()


# --- from a captured order to the pipeline ---------------------------------------------------------

def external_order(order: Order, connection: StoreConnection) -> ExternalOrder:
    """A captured module order (``POST /orders/{id}`` body, as core stored it) -> ``ExternalOrder``."""
    lines = []
    for index, item in enumerate(order.items or []):
        if not isinstance(item, dict):
            continue
        props = {k: v for k, v in item.items() if k not in ("itemId", "productId", "name", "quantity", "sku", "total")}
        quantity = item.get("quantity")
        lines.append(ExternalLine(
            line_id=str(item.get("itemId") if item.get("itemId") is not None else index + 1),
            product_id=str(item["productId"]) if item.get("productId") is not None else None,
            name=item.get("name"), quantity=int(quantity) if isinstance(quantity, int | str) and str(quantity).isdigit()
            else 1, sku=item.get("sku") or None, properties=props,
            total=str(item["total"]) if item.get("total") is not None else None,
        ))
    status = normalize_status(order.status, connection.settings)
    customer = order.customer if isinstance(order.customer, dict) else None
    return ExternalOrder(
        external_id=order.external_id, name=f"#{order.external_id}", status=status, lines=lines,
        currency=order.currency, total=order.total, customer=customer, shipping_address=order.shipping_address,
        cancelled=status == "cancelled", updated_at=as_utc(order.updated_at) if order.updated_at else None,
    )


def _store_connection(session: Session, store_id: str | None) -> StoreConnection | None:
    if not store_id:
        return None
    connection = session.get(StoreConnection, store_id)
    if connection is None or connection.platform not in PLATFORMS:
        return None
    return connection


def on_order_captured(order_id: str, store_id: str | None = None, origin: str | None = None, **_: Any) -> None:
    """Core captured an order from a signed module call: queue it into the connector pipeline."""
    if origin == "pipeline" or not store_id:
        return  # the pipeline's own capture re-sends the signal: it must not loop back in
    from printgate.core.db import session_scope
    from printgate.core.queue import WEBHOOKS, enqueue

    with session_scope() as session:
        if _store_connection(session, store_id) is None:
            return
    enqueue(WEBHOOKS, intake_captured, order_id, store_id, timeout=300)


def intake_captured(order_id: str, store_id: str) -> str | None:
    """RQ entry point: one captured order through ``pipeline.intake``. Returns the OrderSync id."""
    from printgate.connectors.base import pipeline
    from printgate.core.db import session_scope

    with session_scope() as session:
        order = session.get(Order, order_id)
        connection = _store_connection(session, store_id)
        if order is None or connection is None or connection.status != "connected":
            return None
        sync = pipeline.intake(session, connection, external_order(order, connection), event="order-call")
        return sync.id



def seen_orders(session: Session, connection: StoreConnection, since: datetime) -> list[ExternalOrder]:
    """Orders this store's module has sent since ``since``, as the pipeline needs them."""
    rows = session.exec(select(Order).where(
        Order.account_id == connection.account_id, Order.store_id == connection.id,
        col(Order.updated_at) >= since).order_by(col(Order.updated_at))).all()
    return [external_order(row, connection) for row in rows]


# --- outbound HTTP ------------------------------------------------------------------------------------

def guard_url(url: str) -> None:
    """Refuse private destinations unless the instance allows them (``printgate.core.net``, as webhooks do)."""
    try:
        net.check_url(url)
    except net.Refused as exc:
        raise AdapterError(str(exc), retryable=False) from exc
    except httpx.HTTPError as exc:
        raise AdapterError(str(exc)) from exc


def http_client() -> httpx.Client:
    from printgate.webhooks.settings import get_webhook_settings

    settings = get_webhook_settings()
    return net.client(timeout=httpx.Timeout(settings.timeout_s * 3, connect=settings.connect_timeout_s),
                      headers={"user-agent": settings.user_agent})


# --- the callback ---------------------------------------------------------------------------------

def callback_message_id(sync: OrderSync, event_type: str = "order.files_ready") -> str:
    """The same ``webhook-id`` on every attempt for one order's event (Standard Webhooks)."""
    return "msg_" + hashlib.sha256(f"{sync.id}:{event_type}".encode()).hexdigest()[:32]


def callback_payload(session: Session, sync: OrderSync, files: list[DeliveredFile],
                     event_type: str = "order.files_ready") -> dict[str, Any]:
    """``{type, data:{orderId, storeId, orderSync, jobs:[{jobId, status, outcome, canProceed, runs}]}}``.

    A run's ``downloadUrl`` is printgate's stable link (it re-signs a short-lived URL on each
    click), so the copy the module stores keeps working; ``signedUrl`` is the short-lived one.
    No time in the body (``webhook-timestamp`` has it): retries send the same bytes unless a
    short-lived URL was re-signed meanwhile.
    """
    from printgate.core.wire import runs_wire

    jobs: dict[str, dict[str, Any]] = {}
    for f in files:
        entry = jobs.get(f.job_id)
        if entry is None:
            job = session.get(Job, f.job_id)
            wire = runs_wire(session, job) if job is not None else {"runs": []}
            proofs = {run["id"]: [{"url": p["url"]} for p in run.get("proofs") or []] for run in wire["runs"]}
            entry = jobs[f.job_id] = {
                "jobId": f.job_id, "lineId": f.line_id, "status": job.status if job else None,
                "outcome": job.outcome if job else None, "canProceed": wire.get("canProceed"), "runs": [],
                "_proofs": proofs,
            }
        entry["runs"].append({
            "id": f.run_id, "name": f.name, "status": f.status, "outcome": f.outcome,
            "hasOutput": bool(f.link), "downloadUrl": f.link or f.download_url, "signedUrl": f.download_url,
            "expiresIn": f.expires_in, "proofs": entry["_proofs"].get(f.run_id, []),
        })
    for entry in jobs.values():
        entry.pop("_proofs")
    return {"type": event_type,
            "data": {"orderId": sync.external_id, "storeId": sync.connection_id, "orderSync": sync.id,
                     "jobs": list(jobs.values())}}


# Module answers (store_php/README.md): 200 ok; 409 replayed id = it already has this event.
CALLBACK_FINAL = {400: "the module refused the event body", 404: "the module does not know this order "
                  "(no printgate line on it)", 405: "the callback URL does not accept POST: check the store URL "
                  "and OpenCart version", 410: "the callback route is gone"}


def deliver_callback(connection: StoreConnection, sync: OrderSync, body: bytes,
                     event_type: str = "order.files_ready") -> dict[str, Any]:
    """POST the signed callback once; raise ``AdapterError`` when it was not accepted."""
    from printgate.webhooks.outbound import post, signature_headers
    from printgate.webhooks.settings import get_webhook_settings

    secrets_ = active_secrets(connection)
    if not secrets_:
        raise AdapterError("the store has no webhook secret: rotate one and paste it into the module",
                           retryable=False)
    url = callback_url(connection)
    headers = {"content-type": "application/json", "user-agent": get_webhook_settings().user_agent,
               **signature_headers(secrets_, callback_message_id(sync, event_type), body, int(time.time()))}
    outcome = post(url, headers, body)
    code = outcome.status_code
    if outcome.ok or code == 409:
        return {"url": url, "status": code, "replayed": code == 409, "durationMs": outcome.duration_ms}
    if code in CALLBACK_FINAL:
        raise AdapterError(f"callback {url} answered {code}: {CALLBACK_FINAL[code]}", retryable=False)
    if code is None and (outcome.error or "").startswith("refused"):  # a private address, not a URL
        raise AdapterError(f"callback {url} {outcome.error}", retryable=False)
    hint = {401: " (signature refused: paste the current webhook secret into the module)",
            503: " (the module is not configured yet)"}.get(code or 0, "")
    raise AdapterError(f"callback {url} failed: {outcome.error or code}{hint}")


class StoreModuleAdapter:
    """The shared ``PlatformAdapter`` of the signed store modules; platforms add their API."""

    platform = ""

    def __init__(self, connection: StoreConnection) -> None:
        self.connection = connection

    # -- the platform's own API (optional second path) --

    def api_configured(self) -> bool:
        return False

    def api_note(self, session: Session, sync: OrderSync, text: str) -> dict[str, Any]:
        raise AdapterError("no platform API credentials", retryable=False)

    # -- PlatformAdapter --

    def fetch_recent_orders(self, session: Session, since: datetime) -> list[ExternalOrder]:
        return seen_orders(session, self.connection, since)

    def enrich_order(self, session: Session, order: ExternalOrder) -> ExternalOrder:
        return order  # the module already resolved each line's jobId and product workflow

    def cancel_hint(self, session: Session, order_sync: OrderSync) -> None:
        return None

    def write_back(self, session: Session, order_sync: OrderSync, files: list[DeliveredFile]) -> dict[str, Any]:
        payload = callback_payload(session, order_sync, files)
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        result: dict[str, Any] = {"files": len(files)}
        callback_error: AdapterError | None = None
        try:
            result["callback"] = deliver_callback(self.connection, order_sync, body)
        except AdapterError as exc:
            callback_error = exc
            result["callback"] = {"error": str(exc), "retryable": exc.retryable}
        mode = (self.connection.settings or {}).get("apiWriteBack", "fallback")
        want_api = self.api_configured() and mode != "never" and (callback_error is not None or mode == "always")
        api_error: AdapterError | None = None
        if want_api:
            done = (order_sync.steps or {}).get("storeApi", {})
            if done.get("status") == "done":
                result["api"] = {"alreadyWritten": True, **(done.get("result") or {})}
            else:
                try:
                    written = self.api_note(session, order_sync, note_text(order_sync, files))
                except AdapterError as exc:
                    api_error = exc
                    result["api"] = {"error": str(exc), "retryable": exc.retryable}
                else:
                    steps = dict(order_sync.steps or {})
                    steps["storeApi"] = {"status": "done", "at": utcnow().isoformat(), "result": written}
                    order_sync.steps = steps
                    session.add(order_sync)
                    session.commit()
                    result["api"] = written
        if callback_error is None:
            return result
        if want_api and api_error is None and (mode != "always" or not callback_error.retryable):
            # The merchant has the links on the order and the module fetches files live; with
            # "always", a callback that may still get through is retried (the note is not repeated).
            return result
        errors = [str(callback_error)] + ([str(api_error)] if api_error else [])
        retryable = callback_error.retryable or bool(api_error and api_error.retryable)
        raise AdapterError("; ".join(errors), retryable=retryable)


def note_text(sync: OrderSync, files: list[DeliveredFile]) -> str:
    """The order note the platform API writes: one line per file, with printgate's stable link."""
    lines = [f"printgate: print-ready files for order {sync.external_id}:"]
    for f in files:
        lines.append(f"- {f.name or f.run_id}: {f.link or 'no output (' + str(f.outcome) + ')'}")
    return "\n".join(lines)


def api_error(what: str, response: httpx.Response) -> AdapterError:
    code = response.status_code
    retryable = code == 429 or code >= 500
    return AdapterError(f"{what} answered HTTP {code}: {response.text[:200]}", retryable=retryable)


# --- merchant API: registering stores --------------------------------------------------------------

router = APIRouter(tags=["stores"])

CREATE_KEYS = {"platform", "storeUrl", "name", "ocVersion", "apiCredentials", "settings"}
SETTINGS_KEYS = {"apiWriteBack", "paidStatuses", "pendingStatuses", "cancelledStatuses"}
OC_CREDENTIAL_KEYS = {"username", "key", "orderStatusId"}
PS_CREDENTIAL_KEYS = {"webserviceKey"}


def _check_settings(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict) or set(value) - SETTINGS_KEYS:
        raise BadRequest(f"settings may only hold {sorted(SETTINGS_KEYS)}")
    if "apiWriteBack" in value and value["apiWriteBack"] not in ("fallback", "always", "never"):
        raise BadRequest("settings.apiWriteBack must be fallback, always or never")
    for key in ("paidStatuses", "pendingStatuses", "cancelledStatuses"):
        if key in value and (not isinstance(value[key], list) or not all(isinstance(s, str) for s in value[key])):
            raise BadRequest(f"settings.{key} must be a list of status slugs")
    return dict(value)


def _check_credentials(platform: str, value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    allowed = OC_CREDENTIAL_KEYS if platform == "opencart" else PS_CREDENTIAL_KEYS
    if not isinstance(value, dict) or set(value) - allowed:
        raise BadRequest(f"apiCredentials for {platform} may only hold {sorted(allowed)}")
    if platform == "opencart":
        if not isinstance(value.get("username"), str) or not isinstance(value.get("key"), str) \
                or not value["username"] or not value["key"]:
            raise BadRequest("apiCredentials needs the OpenCart API user's username and key "
                             "(System > Users > API)")
        if "orderStatusId" in value and not isinstance(value["orderStatusId"], int):
            raise BadRequest("apiCredentials.orderStatusId must be an integer")
    elif not isinstance(value.get("webserviceKey"), str) or len(value["webserviceKey"]) < 8:
        raise BadRequest("apiCredentials.webserviceKey must be the PrestaShop Webservice key")
    return dict(value)


def store_module_wire(connection: StoreConnection) -> dict[str, Any]:
    from printgate.connectors.routes import store_wire
    from printgate.core.config import get_settings

    creds = credentials(connection) if connection.credentials else {}
    settings = dict(connection.settings or {})
    rows = _secret_rows(connection) if connection.webhook_secrets else []
    now = utcnow()
    return {
        **store_wire(connection),
        "webhookUrl": None,
        "ocVersion": oc_version(connection),
        "callbackUrl": callback_url(connection),
        "orderUrl": f"{get_settings().public_url.rstrip('/')}/orders/{{orderId}}",
        "apiCredentials": ({"configured": True, "username": creds.get("username"),
                            "orderStatusId": creds.get("orderStatusId")} if connection.platform == "opencart"
                           else {"configured": True}) if creds else {"configured": False},
        "webhookSecrets": [
            {"hint": secret_hint(r["secret"]), "createdAt": r.get("createdAt"), "expiresAt": r.get("expiresAt"),
             "current": index == 0}
            for index, r in enumerate(rows)
            if not r.get("expiresAt") or as_utc(datetime.fromisoformat(r["expiresAt"])) > now
        ],
        "settings": {k: v for k, v in settings.items() if k in SETTINGS_KEYS},
        "lastOrderCallAt": settings.get("lastOrderCallAt"),
    }


def _own(session: Session, account_id: str, store_id: str) -> StoreConnection:
    connection = session.get(StoreConnection, store_id)
    if connection is None or connection.account_id != account_id or connection.platform not in PLATFORMS:
        raise NotFound(f"Store not found: {store_id}")
    return connection


@router.post("/store-modules/stores", status_code=201)
def create_store(session: SessionDep, caller: SecretKey, body: JsonBody) -> dict[str, Any]:
    """Link an OpenCart or PrestaShop shop; the answer carries its webhook secret, once.

    Body: ``{"platform": "opencart" | "prestashop", "storeUrl": "https://shop.example/",
    "name"?, "ocVersion"?: 3 | 4 (OpenCart, default 3), "apiCredentials"?: OpenCart
    ``{"username", "key", "orderStatusId"?}`` (System > Users > API; ``orderStatusId`` is needed on
    OpenCart 4) | PrestaShop ``{"webserviceKey"}``, "settings"?: {"apiWriteBack": "fallback" |
    "always" | "never", "paidStatuses" | "pendingStatuses" | "cancelledStatuses": [slug, ...]}}``.

    201: ``{"store": {..., "callbackUrl", "orderUrl", "webhookSecrets": [{hint, ...}]},
    "webhookSecret": "whsec_...", "module": {"apiBaseUrl", "webhookSecret"}}``: paste both into the
    module's settings. 409 when the shop is already linked (rotate its secret instead).
    """
    if not isinstance(body, dict) or set(body) - CREATE_KEYS:
        raise BadRequest(f"Body keys: {sorted(CREATE_KEYS)}")
    platform = body.get("platform")
    if platform not in PLATFORMS:
        raise BadRequest("platform must be opencart or prestashop")
    shop = normalize_store_url(body.get("storeUrl"))
    settings = _check_settings(body.get("settings"))
    if platform == "opencart":
        version = body.get("ocVersion", 3)
        if version not in OPENCART_VERSIONS:
            raise BadRequest("ocVersion must be 3 or 4")
        settings["ocVersion"] = version
    elif body.get("ocVersion") is not None:
        raise BadRequest("ocVersion is for OpenCart stores")
    creds = _check_credentials(platform, body.get("apiCredentials"))
    name = body.get("name")
    if name is not None and not isinstance(name, str):
        raise BadRequest("name must be a string")
    connection = session.exec(select(StoreConnection).where(StoreConnection.platform == platform,
                                                            StoreConnection.shop == shop)).first()
    if connection is not None and (connection.account_id != caller.account_id or connection.status == "connected"):
        raise Conflict(f"This {platform} store is already linked"
                       + (f" ({connection.id}): rotate its secret instead" if connection.account_id
                          == caller.account_id else " to another account"))
    now = utcnow()
    if connection is None:
        connection = StoreConnection(id=new_id("store"), account_id=caller.account_id, platform=platform,
                                     shop=shop)
    connection.name = name or connection.name or urlsplit(shop).hostname
    connection.status = "connected"
    connection.settings = settings
    connection.credentials = crypto.encrypt(creds) if creds else None
    connection.installed_at = now
    connection.uninstalled_at = None
    connection.updated_at = now
    connection.webhook_secrets = None
    secret, _ = issue_secret(connection, overlap_h=0, now=now)
    session.add(connection)
    session.commit()
    return {"store": store_module_wire(connection), "webhookSecret": secret,
            "module": {"apiBaseUrl": _public_url(), "webhookSecret": secret,
                       "note": "Paste the webhook secret into the module's settings now: it is not shown again."}}


@router.get("/store-modules/stores/{store_id}")
def get_store(session: SessionDep, caller: SecretKey, store_id: str) -> dict[str, Any]:
    return store_module_wire(_own(session, caller.account_id, store_id))


@router.patch("/store-modules/stores/{store_id}")
def update_store(session: SessionDep, caller: SecretKey, store_id: str, body: JsonBody) -> dict[str, Any]:
    """Change the name, OpenCart version, API credentials (``null`` removes them) or settings."""
    connection = _own(session, caller.account_id, store_id)
    if not isinstance(body, dict) or set(body) - {"name", "ocVersion", "apiCredentials", "settings"}:
        raise BadRequest("Body keys: name, ocVersion, apiCredentials, settings")
    settings = dict(connection.settings or {})
    if "ocVersion" in body:
        if connection.platform != "opencart" or body["ocVersion"] not in OPENCART_VERSIONS:
            raise BadRequest("ocVersion must be 3 or 4 (OpenCart stores only)")
        settings["ocVersion"] = body["ocVersion"]
    if "settings" in body:
        settings.update(_check_settings(body["settings"]))
    if "apiCredentials" in body:
        creds = _check_credentials(connection.platform, body["apiCredentials"])
        connection.credentials = crypto.encrypt(creds) if creds else None
    if "name" in body:
        if not isinstance(body["name"], str):
            raise BadRequest("name must be a string")
        connection.name = body["name"]
    connection.settings = settings
    connection.updated_at = utcnow()
    session.add(connection)
    session.commit()
    return store_module_wire(connection)


@router.post("/store-modules/stores/{store_id}/rotate-secret")
def rotate_secret(session: SessionDep, caller: SecretKey, store_id: str, body: JsonBody) -> dict[str, Any]:
    """A new webhook secret (shown once). The previous one verifies for ``overlapHours`` more
    (default 24, 0 revokes it now) so the merchant can paste the new one without losing calls."""
    connection = _own(session, caller.account_id, store_id)
    if connection.status != "connected":
        raise BadRequest(f"Store is {connection.status}: link it again with POST /store-modules/stores")
    body = body or {}
    if not isinstance(body, dict) or set(body) - {"overlapHours"}:
        raise BadRequest("Body keys: overlapHours")
    overlap = body.get("overlapHours", DEFAULT_OVERLAP_H)
    if not isinstance(overlap, int | float) or isinstance(overlap, bool) or not 0 <= overlap <= MAX_OVERLAP_H:
        raise BadRequest(f"overlapHours must be a number from 0 to {MAX_OVERLAP_H}")
    secret, expires = issue_secret(connection, overlap_h=float(overlap))
    connection.updated_at = utcnow()
    session.add(connection)
    session.commit()
    return {"store": store_module_wire(connection), "webhookSecret": secret, "previousSecretExpiresAt": expires}


def _public_url() -> str:
    from printgate.core.config import get_settings

    return get_settings().public_url.rstrip("/")


def module_platform(name: str, adapter: AdapterFactory, line_item_keys: tuple[str, ...]) -> PlatformSpec:
    """OpenCart's and PrestaShop's declaration: their own adapter, the module machinery shared here."""
    return PlatformSpec(name=name, adapter=adapter, line_item_keys=line_item_keys, order_verifier=verify_order_call,
                        on_order_captured=on_order_captured, routers=(router,))
