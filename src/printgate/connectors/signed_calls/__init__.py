"""Signed calls between printgate and the store side (the WordPress plugin, the OpenCart and
PrestaShop modules), written once for every platform that has one.

Both directions use Standard Webhooks headers (``webhook-id``, ``webhook-timestamp``,
``webhook-signature``) made with a secret the merchant pasted into the store side:

- in (:mod:`.receive`): a store posts ``POST /orders/{orderId}``. Core hands a signed call to
  :func:`.receive.receive_order_call` (installed by ``printgate.connectors.room``), which finds the
  store that signed it (:mod:`.verify`: signature first, then the 5-minute tolerance) and gives it to
  the pipeline (``printgate.connectors.base.pipeline.capture_call``), the one owner of store-order
  capture. The path has one direction: core -> connectors, which use core's order functions and
  queue the order's intake; nothing comes back through a signal.
- out (:mod:`.send`): printgate posts a signed event to the store side (``order.files_ready``),
  co-signed with every secret still in its overlap, one ``webhook-id`` per order and event so a
  re-send is recognised as the same message.

A platform opts in with ``PlatformSpec.order_calls`` (:class:`printgate.connectors.base.spec.OrderCalls`):
where its secrets live, which of its stores may still call, and how a captured order becomes the
pipeline's ``ExternalOrder``.
"""
