"""WooCommerce: app-auth or pasted REST keys, order webhooks, the plugin's signed order calls, and
order write-back (meta, a note with the print-file links, the plugin's ``order.files_ready`` event).

:func:`platform` declares it to the rest of printgate (``printgate.connectors.platforms``);
importing this package registers nothing. The WordPress plugin (store side) is ``plugin/``.
"""

from __future__ import annotations

from printgate.connectors.base.spec import InboundWebhooks, PlatformSpec


def platform() -> PlatformSpec:
    from printgate.connectors.woocommerce import orders, routes, webhooks
    from printgate.connectors.woocommerce.adapter import WooCommerceAdapter

    return PlatformSpec(
        name="woocommerce",
        adapter=WooCommerceAdapter,
        line_item_keys=("_printgate_job_id", "_filecheck_job_id", "Filecheck Job", "fc_job_id"),
        webhooks=InboundWebhooks(verify=webhooks.verify, handle=webhooks.handle, kept_headers=("x-wc-webhook-",)),
        order_calls=orders.order_calls(),
        routers=(routes.router,),
        order_sources=("wp", "woocommerce"),  # the WordPress plugin says wp (Filecheck's name)
    )
