"""WooCommerce connector settings, from the environment (prefix ``PRINTGATE_WOOCOMMERCE_``).

- ``APP_NAME``: the name WooCommerce shows the merchant on its "authorize app" screen.
- ``ALLOW_HTTP``: accept ``http://`` store URLs (WooCommerce only allows Basic/query auth over
  HTTPS; a plain-HTTP store is a development setup). Also on when ``PRINTGATE_ALLOW_PRIVATE_URLS=1``.
- ``STATE_TTL_S``: how long an app-auth ``user_id`` state (and a signed connect link) stays valid.
- ``WEBHOOK_CHECK_S``: reconciliation re-checks the store's webhooks this often (WooCommerce
  disables a webhook after more than 5 failed deliveries; printgate turns it back on).
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import httpx
from pydantic_settings import BaseSettings, SettingsConfigDict

from printgate.core import net
from printgate.core.config import forget_section, get_settings
from printgate.core.errors import BadRequest

REST_PREFIX = "/wp-json/wc/v3"
EVENTS_PATH = "/wp-json/printgate/v1/events"
WEBHOOK_TOPICS = ("order.created", "order.updated")


class WooCommerceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PRINTGATE_WOOCOMMERCE_", extra="ignore")

    app_name: str = "printgate"
    allow_http: bool = False
    state_ttl_s: int = 3600
    webhook_check_s: int = 6 * 3600
    http_timeout_s: float = 20.0
    # Orders per page when reconciling, and the most pages read in one pass (the next pass continues).
    page_size: int = 50
    max_pages: int = 20

    @property
    def http_allowed(self) -> bool:
        return self.allow_http or _private_allowed()


def _private_allowed() -> bool:
    return net.private_allowed()


def get_woocommerce_settings() -> WooCommerceSettings:
    """This room's section of the settings tree (``printgate.core.config``)."""
    return get_settings().section(WooCommerceSettings)


def reset_woocommerce_settings() -> None:
    """Build the section again at its next read (it is also re-read when its variables change)."""
    forget_section(WooCommerceSettings)


def normalize_store_url(value: object, *, check_network: bool = True) -> str:
    """``https://shop.example.com/sub`` (scheme and host lower-case, no trailing slash, no query).

    Refuses non-HTTPS stores (unless allowed) and, like outbound webhooks, addresses inside this
    network unless ``PRINTGATE_ALLOW_PRIVATE_URLS=1``: printgate calls this URL with the store's keys.
    ``check_network=False`` only normalizes (looking a store up by a header, nothing is called).
    """
    if not isinstance(value, str) or not value.strip():
        raise BadRequest("storeUrl is required: the WooCommerce site's address, e.g. https://shop.example.com")
    text = value.strip()
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise BadRequest(f"storeUrl is not an http(s) address: {value}")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise BadRequest("storeUrl must be the site's base address, without query, fragment or credentials")
    if scheme == "http" and check_network and not get_woocommerce_settings().http_allowed:
        raise BadRequest("storeUrl must use https: WooCommerce accepts API keys only over HTTPS")
    host = parts.hostname.lower()
    if check_network and not _private_allowed():
        try:
            net.check_url(text)
        except net.Refused as exc:
            raise BadRequest(f"storeUrl: {exc}") from exc
        except httpx.HTTPError as exc:
            raise BadRequest(f"storeUrl: cannot resolve {host!r}") from exc
    netloc = host + (f":{parts.port}" if parts.port else "")
    path = parts.path.rstrip("/")
    for suffix in ("/wp-admin", "/wp-json"):
        if path.endswith(suffix):
            path = path[: -len(suffix)]
    return urlunsplit((scheme, netloc, path, "", ""))
