"""OpenCart 3 and 4: the extension (``extension/``, PHP) and printgate's side (``connector``, ``api``).

:func:`platform` declares it (``printgate.connectors.platforms``): the adapter, and the signed order
calls and routes it shares with PrestaShop (``printgate.connectors.store_modules``).
"""

from __future__ import annotations

from printgate.connectors.base.spec import PlatformSpec


def platform() -> PlatformSpec:
    from printgate.connectors.opencart.connector import OpenCartAdapter
    from printgate.connectors.store_modules import module_platform

    return module_platform("opencart", OpenCartAdapter, line_item_keys=("printgate_job_id", "fc_job_id", "jobId"))
