"""Merchant API (secret key) for module stores: ``POST /store-modules/stores`` registers a store and
answers its webhook secret once; ``GET`` / ``PATCH /store-modules/stores/{id}``,
``POST /store-modules/stores/{id}/rotate-secret``. The rest of a store's life (orders, reconcile,
disconnect) is ``printgate.connectors.routes`` (``/stores/...``), as for every platform."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr
from sqlmodel import Session, select

from printgate.connectors.base.models import StoreConnection
from printgate.connectors.store_modules.store import (
    DEFAULT_OVERLAP_H,
    MAX_OVERLAP_H,
    PLATFORMS,
    callback_url,
    credentials,
    issue_secret,
    normalize_store_url,
    oc_version,
    secret_hint,
    secret_rows,
)
from printgate.core import crypto
from printgate.core.api.deps import JsonBody, SecretKey, SessionDep
from printgate.core.clock import as_utc, utcnow
from printgate.core.errors import BadRequest, Conflict, NotFound, parse_body
from printgate.core.ids import new_id

router = APIRouter(tags=["stores"])

SETTINGS_KEYS = {"apiWriteBack", "paidStatuses", "pendingStatuses", "cancelledStatuses"}


# --- bodies (printgate's own endpoints: unknown keys are refused, core/errors.validation_message) ---

class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModuleSettings(_Body):
    """``settings``: how the API write-back is used, and the merchant's own status slugs."""

    apiWriteBack: Literal["fallback", "always", "never"] = "fallback"
    paidStatuses: list[StrictStr] = Field(default_factory=list)
    pendingStatuses: list[StrictStr] = Field(default_factory=list)
    cancelledStatuses: list[StrictStr] = Field(default_factory=list)

    def given(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class OpenCartCredentials(_Body):
    """System > Users > API: the API user's username and key; ``orderStatusId`` is needed on OpenCart 4."""

    username: str = Field(min_length=1)
    key: str = Field(min_length=1)
    orderStatusId: StrictInt | None = None


class PrestaShopCredentials(_Body):
    """The PrestaShop Webservice key."""

    webserviceKey: str = Field(min_length=8)


class CreateStore(_Body):
    platform: Literal["opencart", "prestashop"]
    storeUrl: Any = None  # checked by normalize_store_url, which says what it wants
    name: StrictStr | None = None
    ocVersion: Literal[3, 4] | None = None
    apiCredentials: dict[str, Any] | None = None  # per platform: OpenCartCredentials | PrestaShopCredentials
    settings: ModuleSettings | None = None


class UpdateStore(_Body):
    """Only the keys given change; ``apiCredentials: null`` removes them."""

    name: StrictStr | None = None
    ocVersion: Literal[3, 4] | None = None
    apiCredentials: dict[str, Any] | None = None
    settings: ModuleSettings | None = None


class RotateSecret(_Body):
    overlapHours: StrictFloat = Field(default=DEFAULT_OVERLAP_H, ge=0, le=MAX_OVERLAP_H)


def _check_credentials(platform: str, value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    model: type[BaseModel] = OpenCartCredentials if platform == "opencart" else PrestaShopCredentials
    return parse_body(model, value, where="apiCredentials").model_dump(exclude_unset=True)


def store_module_wire(connection: StoreConnection) -> dict[str, Any]:
    from printgate.connectors.routes import store_wire
    from printgate.core.config import get_settings

    creds = credentials(connection) if connection.credentials else {}
    settings = dict(connection.settings or {})
    rows = secret_rows(connection) if connection.webhook_secrets else []
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
    given = parse_body(CreateStore, body)
    platform = given.platform
    shop = normalize_store_url(given.storeUrl)
    settings = given.settings.given() if given.settings else {}
    if platform == "opencart":
        settings["ocVersion"] = given.ocVersion or 3
    elif given.ocVersion is not None:
        raise BadRequest("ocVersion is for OpenCart stores")
    creds = _check_credentials(platform, given.apiCredentials)
    name = given.name
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
    given = parse_body(UpdateStore, body)
    changed = given.model_fields_set
    settings = dict(connection.settings or {})
    if "ocVersion" in changed:
        if connection.platform != "opencart" or given.ocVersion is None:
            raise BadRequest("ocVersion must be 3 or 4 (OpenCart stores only)")
        settings["ocVersion"] = given.ocVersion
    if "settings" in changed and given.settings is not None:
        settings.update(given.settings.given())
    if "apiCredentials" in changed:
        creds = _check_credentials(connection.platform, given.apiCredentials)
        connection.credentials = crypto.encrypt(creds) if creds else None
    if "name" in changed:
        if given.name is None:
            raise BadRequest("name must be a string")
        connection.name = given.name
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
    overlap = parse_body(RotateSecret, body or {}).overlapHours
    secret, expires = issue_secret(connection, overlap_h=float(overlap))
    connection.updated_at = utcnow()
    session.add(connection)
    session.commit()
    return {"store": store_module_wire(connection), "webhookSecret": secret, "previousSecretExpiresAt": expires}


def _public_url() -> str:
    from printgate.core.config import get_settings

    return get_settings().public_url.rstrip("/")
