"""OpenCart 3 and 4: the extension (``extension/``, PHP) and printgate's side (``connector``, ``api``).

``connectors.registry`` imports ``connectors.opencart.connector``, which registers the adapter and
the signed-order-call verifier (``connectors.store_modules``).
"""
