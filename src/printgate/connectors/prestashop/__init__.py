"""PrestaShop 1.7 / 8 / 9: the module (``module/``, PHP) and printgate's side (``connector``,
``webservice``).

:func:`platform` declares it (``printgate.connectors.platforms``): the adapter, and the signed order
calls and routes it shares with OpenCart (``printgate.connectors.store_modules``).
"""

from __future__ import annotations

from printgate.connectors.base.spec import PlatformSpec


def platform() -> PlatformSpec:
    from printgate.connectors.prestashop.connector import PrestaShopAdapter
    from printgate.connectors.store_modules import module_platform

    return module_platform("prestashop", PrestaShopAdapter, line_item_keys=("printgate_job_id", "fc_job_id", "jobId"))
