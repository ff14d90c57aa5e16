"""WooCommerce: app-auth or pasted REST keys, order webhooks, the plugin's signed order calls, and
order write-back (meta, a note with the print-file links, the plugin's ``order.files_ready`` event).

``printgate.connectors.registry`` imports :mod:`printgate.connectors.woocommerce.connector`, which registers everything;
importing this package alone has no side effects. The WordPress plugin (store side) is ``plugin/``.
"""
