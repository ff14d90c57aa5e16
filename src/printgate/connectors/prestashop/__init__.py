"""PrestaShop 1.7 / 8 / 9: the module (``module/``, PHP) and printgate's side (``connector``,
``webservice``).

``printgate.connectors.registry`` imports ``printgate.connectors.prestashop.connector``, which registers the adapter and
the signed-order-call verifier (``printgate.connectors.store_modules``).
"""
