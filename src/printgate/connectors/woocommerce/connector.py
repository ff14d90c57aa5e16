"""Registers WooCommerce with every room that needs to know it (imported by ``printgate.connectors.registry``).

- ``printgate.connectors.registry``: the adapter the shared pipeline uses;
- ``printgate.webhooks.inbound``: ``POST /webhooks/woocommerce[/{connection_id}]`` verifier and handler;
- ``printgate.core.orders``: the verifier of the plugin's signed ``POST /orders/{id}`` calls;
- ``printgate.core.signals.ORDER_CAPTURED``: plugin-captured orders into the pipeline;
- the merchant routes (``/woocommerce/*``) on ``printgate.connectors.routes.router``.
"""

from __future__ import annotations

from printgate.connectors import registry
from printgate.connectors.woocommerce import orders
from printgate.connectors.woocommerce.adapter import WooCommerceAdapter
from printgate.core import signals
from printgate.core.orders import register_order_verifier


def _register() -> None:
    registry.register("woocommerce", WooCommerceAdapter)
    register_order_verifier(orders.verify_order_call)
    signals.connect(signals.ORDER_CAPTURED, orders.on_order_captured)
    try:
        from printgate.webhooks import inbound
    except ModuleNotFoundError:  # the receiver is not part of this build
        pass
    else:
        inbound.register_platform("woocommerce", verify=_verify, handle="printgate.connectors.woocommerce.webhooks.handle",
                                  kept_headers=("x-wc-webhook-",))


def _verify(headers, body, connection_id):  # type: ignore[no-untyped-def]
    from printgate.connectors.woocommerce.webhooks import verify

    return verify(headers, body, connection_id)


_register()
