"""A store module's connection: its signing secrets (with the rotation overlap), its API
credentials, its version and the callback route printgate calls on it."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from printgate.connectors.base.models import StoreConnection
from printgate.core import crypto
from printgate.core.clock import as_utc, utcnow
from printgate.core.errors import BadRequest
from printgate.webhooks.signing import new_whsec

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


# --- secrets ---------------------------------------------------------------------------------------

def secret_rows(connection: StoreConnection) -> list[dict[str, Any]]:
    rows = crypto.decrypt(connection.webhook_secrets) if connection.webhook_secrets else []
    return [r for r in rows or [] if isinstance(r, dict) and isinstance(r.get("secret"), str)]


def active_secrets(connection: StoreConnection, now: datetime | None = None) -> list[str]:
    """The current secret first, then rotated-out ones whose overlap has not ended."""
    now = now or utcnow()
    out = []
    for row in secret_rows(connection):
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
    for row in secret_rows(connection):
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
