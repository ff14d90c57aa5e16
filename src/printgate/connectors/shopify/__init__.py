"""Shopify: OAuth install + token exchange, webhooks, order write-back, and the app package (``app/``).

Importing this package registers the adapter with ``printgate.connectors.registry`` and the webhook
verifier/handler with ``printgate.webhooks.inbound`` (``POST /webhooks/shopify``).
"""

from __future__ import annotations

from printgate.connectors.shopify.adapter import ShopifyAdapter


def _register() -> None:
    from printgate.connectors import registry
    from printgate.connectors.shopify import webhooks as shopify_webhooks
    from printgate.connectors.shopify.config import get_shopify_settings

    registry.register("shopify", ShopifyAdapter)
    try:
        from printgate.webhooks import inbound
    except ModuleNotFoundError:  # the receiver is not part of this build
        return
    inbound.register_platform("shopify", verify=shopify_webhooks.verify,
                              handle="printgate.connectors.shopify.webhooks.handle",
                              max_age_s=get_shopify_settings().webhook_max_age_s)


_register()
