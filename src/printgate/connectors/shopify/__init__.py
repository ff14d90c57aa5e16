"""Shopify: OAuth install + token exchange, webhooks, order write-back, and the app package (``app/``).

:func:`platform` declares it to the rest of printgate (``printgate.connectors.platforms``);
importing this package registers nothing.
"""

from __future__ import annotations

from printgate.connectors.base.spec import InboundWebhooks, PlatformSpec


def platform() -> PlatformSpec:
    from printgate.connectors.shopify import admin_page, routes, webhooks
    from printgate.connectors.shopify.adapter import ShopifyAdapter
    from printgate.connectors.shopify.config import get_shopify_settings

    return PlatformSpec(
        name="shopify",
        adapter=ShopifyAdapter,
        line_item_keys=("_printgate_job_id", "_jobId", "_filecheck_job_id", "jobId", "Filecheck Job"),
        webhooks=InboundWebhooks(verify=webhooks.verify, handle=webhooks.handle,
                                 max_age_s=get_shopify_settings().webhook_max_age_s),
        routers=(routes.stores_router, routes.router, admin_page.router),
    )
