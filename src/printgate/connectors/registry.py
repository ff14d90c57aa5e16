"""Every store platform printgate speaks, in one place.

``printgate.core.rooms`` imports this module when the API or a worker starts: that registers each platform's
adapter (used by the shared pipeline) and its webhook verifier/handler (``printgate.webhooks.inbound``), and
connects the pipeline's signal listeners. A new platform adds one ``register`` call in its package
and one import below.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable

from printgate.connectors.base import pipeline  # noqa: F401  (connects the JOB_PROCESSED listener)
from printgate.connectors.base.adapter import PlatformAdapter
from printgate.connectors.base.models import StoreConnection

log = logging.getLogger("printgate.connectors")

AdapterFactory = Callable[[StoreConnection], PlatformAdapter]

_adapters: dict[str, AdapterFactory] = {}

# Platform packages; each calls ``register`` on import. Missing ones are skipped (not built yet).
PLATFORM_MODULES = (
    "printgate.connectors.shopify",
    "printgate.connectors.woocommerce.connector",
    "printgate.connectors.opencart.connector",
    "printgate.connectors.prestashop.connector",
)


def register(platform: str, factory: AdapterFactory) -> None:
    _adapters[platform] = factory


def platforms() -> list[str]:
    return sorted(_adapters)


def adapter_for(connection: StoreConnection) -> PlatformAdapter:
    factory = _adapters.get(connection.platform)
    if factory is None:
        raise LookupError(f"no connector registered for platform {connection.platform!r}")
    return factory(connection)


def _load() -> None:
    for name in PLATFORM_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):
                continue
            raise


def _schedule() -> None:
    """Reconciliation, write-back retries and post-uninstall erasure, every few minutes, run by one
    worker of the fleet (``printgate.core.periodic``). ``printgate.connectors.base.cron`` is the RQ-cron alternative."""
    import os

    try:
        from printgate.core import periodic
    except ModuleNotFoundError:
        return
    from printgate.connectors.base.reconcile import tick

    periodic.register("connectors.tick", tick, every_s=float(os.environ.get("PRINTGATE_CONNECTOR_TICK_S", "300")))


_load()
_schedule()
