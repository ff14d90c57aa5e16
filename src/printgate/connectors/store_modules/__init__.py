"""printgate's side of the signed store modules (OpenCart, PrestaShop): one story, two platforms.

The modules (``connectors/opencart/extension``, ``connectors/prestashop/module``, wire format in
``connectors/store_php/README.md``) call printgate themselves; printgate calls them back.

1. **Registering a store** (:mod:`.routes`, merchant, secret key): ``POST /store-modules/stores``
   creates a ``StoreConnection`` (platform ``opencart`` | ``prestashop``, the store URL, the OpenCart
   version, optional platform API credentials, all encrypted) and returns the ``whsec_`` secret the
   merchant pastes into the module, once. ``POST /store-modules/stores/{id}/rotate-secret`` issues a
   new one; the previous secret keeps verifying (and co-signs callbacks) for the overlap
   (:mod:`.store`).
2. **Order calls**: ``POST /orders/{orderId}`` signed with the store's secret goes to
   ``printgate.connectors.signed_calls`` (:func:`.orders.order_calls` says where the secrets are):
   the call is attributed to the store whose secret signed it (5-minute tolerance), captured by the
   pipeline (``pipeline.capture_call``), and its intake queued: :func:`.orders.external_order` maps it
   into an ``ExternalOrder`` for ``pipeline.intake`` (verify, attach, processing, deliver, write back
   with the pipeline's own backoff). A repeated ``webhook-id`` is answered 2xx again: capture is
   idempotent.
3. **Write back** (:class:`.adapter.StoreModuleAdapter`): the signed ``order.files_ready`` callback
   to the module's route (per platform and version); where API credentials are configured, the
   platform's own API writes a note on the order too: as the fallback when the callback cannot be
   delivered (default), or always (``settings.apiWriteBack = "always"``).
"""

from __future__ import annotations

from printgate.connectors.base.spec import AdapterFactory, PlatformSpec
from printgate.connectors.store_modules.adapter import (
    StoreModuleAdapter,
    api_error,
    callback_message_id,
    guard_url,
    http_client,
)
from printgate.connectors.store_modules.orders import (
    external_order,
    normalize_status,
    order_calls,
    seen_orders,
)
from printgate.connectors.store_modules.routes import router
from printgate.connectors.store_modules.store import PLATFORMS, active_secrets, credentials, oc_version

__all__ = ["PLATFORMS", "StoreModuleAdapter", "active_secrets", "api_error", "callback_message_id", "credentials",
           "external_order", "guard_url", "http_client", "module_platform", "normalize_status", "oc_version",
           "seen_orders"]


def module_platform(name: str, adapter: AdapterFactory, line_item_keys: tuple[str, ...]) -> PlatformSpec:
    """OpenCart's and PrestaShop's declaration: their own adapter, the module machinery shared here."""
    return PlatformSpec(name=name, adapter=adapter, line_item_keys=line_item_keys, order_calls=order_calls(),
                        routers=(router,))
