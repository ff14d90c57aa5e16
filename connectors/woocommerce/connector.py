"""Registers WooCommerce with every room that needs to know it (imported by ``connectors.registry``).

- ``connectors.registry``: the adapter the shared pipeline uses;
- ``webhooks.inbound``: ``POST /webhooks/woocommerce[/{connection_id}]`` verifier and handler;
- ``core.orders``: the verifier of the plugin's signed ``POST /orders/{id}`` calls;
- ``core.signals.ORDER_CAPTURED``: plugin-captured orders into the pipeline;
- the merchant routes (``/woocommerce/*``) on ``connectors.routes.router``.
"""

from __future__ import annotations

from connectors import registry
from connectors.woocommerce import orders
from connectors.woocommerce.adapter import WooCommerceAdapter
from core import signals
from core.orders import register_order_verifier


def _register() -> None:
    registry.register("woocommerce", WooCommerceAdapter)
    register_order_verifier(orders.verify_order_call)
    signals.connect(signals.ORDER_CAPTURED, orders.on_order_captured)
    try:
        from webhooks import inbound
    except ModuleNotFoundError:  # the receiver is not part of this build
        pass
    else:
        inbound.register_platform("woocommerce", verify=_verify, handle="connectors.woocommerce.webhooks.handle",
                                  kept_headers=("x-wc-webhook-",))


def _verify(headers, body, connection_id):  # type: ignore[no-untyped-def]
    from connectors.woocommerce.webhooks import verify

    return verify(headers, body, connection_id)


_register()
