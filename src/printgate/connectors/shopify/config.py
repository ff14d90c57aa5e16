"""Shopify app settings, from the environment (prefix ``PRINTGATE_SHOPIFY_``).

- ``API_KEY`` / ``API_SECRET``: the app's client id and client secret (Partner / Dev Dashboard).
- ``API_SECRET_PREVIOUS``: the secret before a rotation; webhooks and install links signed with it
  keep verifying during the overlap (Shopify signs with the old one for up to an hour).
- ``SCOPES``: ``read_orders,write_orders,read_products,write_products,write_files`` (``read_products``
  for the per-product workflow metafield, ``write_products`` for setting it on products and collections
  from the embedded admin page, ``write_files`` for Files API uploads).
- ``DEFAULT_ACCOUNT``: the printgate account id (or name) a shop installed from the Shopify admin
  is linked to when the merchant did not start the install from printgate (one-merchant instances).
- ``ADMIN_BASE``: where a shop's admin lives, ``{shop}`` is replaced (tests point it at a local fake).
- ``API_VERSION``: the pinned Admin API version.
- ``APP_BRIDGE``: ``0`` leaves App Bridge's script tag (cdn.shopify.com) out of the embedded pages;
  they still work in the admin iframe with their own links and forms.
"""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

from printgate.core.config import forget_section, get_settings

API_VERSION = "2026-10"


class ShopifySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PRINTGATE_SHOPIFY_", extra="ignore")

    api_key: str = ""
    api_secret: str = ""
    api_secret_previous: str = ""
    scopes: str = "read_orders,write_orders,read_products,write_products,write_files"
    default_account: str = ""
    admin_base: str = "https://{shop}"
    api_version: str = API_VERSION
    # Request expiring offline tokens (1 h access token + rotating refresh token).
    expiring_tokens: bool = True
    # Refresh this long before the access token expires.
    refresh_margin_s: int = 300
    # Install requests older than this (their ``timestamp``) are refused.
    install_max_age_s: int = 3600
    # Attach print files to the shop's Files (needs write_files) besides the links.
    attach_files: bool = False
    # Create shop-specific webhook subscriptions at install (apps not deployed with shopify.app.toml).
    register_webhooks: bool = False
    # Webhook deliveries older than this are refused (Shopify retries for 4 h).
    webhook_max_age_s: int = 6 * 3600
    http_timeout_s: float = 20.0
    # Put App Bridge's script tag (Shopify's CDN) in the embedded pages.
    app_bridge: bool = True

    @property
    def secrets(self) -> list[str]:
        return [s for s in (self.api_secret, self.api_secret_previous) if s]

    def admin_url(self, shop: str, path: str) -> str:
        return self.admin_base.replace("{shop}", shop).rstrip("/") + path


def get_shopify_settings() -> ShopifySettings:
    """This room's section of the settings tree (``printgate.core.config``)."""
    return get_settings().section(ShopifySettings)


def reset_shopify_settings() -> None:
    """Build the section again at its next read (it is also re-read when its variables change)."""
    forget_section(ShopifySettings)
