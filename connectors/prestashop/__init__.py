"""PrestaShop 1.7 / 8 / 9: the module (``module/``, PHP) and printgate's side (``connector``,
``webservice``).

``connectors.registry`` imports ``connectors.prestashop.connector``, which registers the adapter and
the signed-order-call verifier (``connectors.store_modules``).
"""
