"""OpenCart 3 and 4: the extension (``extension/``, PHP) and printgate's side (``connector``, ``api``).

``printgate.connectors.registry`` imports ``printgate.connectors.opencart.connector``, which registers the adapter and
the signed-order-call verifier (``printgate.connectors.store_modules``).
"""
