"""The connectors room's wiring: each platform's adapter, webhook receiver, signed order calls and
routes, the pipeline's listener, and the reconciliation tick."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from printgate.connectors import registry
from printgate.connectors.base import pipeline, reconcile
from printgate.connectors.base.spec import PlatformSpec
from printgate.connectors.platforms import PLATFORMS
from printgate.connectors.signed_calls.receive import receive_order_call
from printgate.core import orders, signals
from printgate.core.config import get_settings
from printgate.core.wiring import Wiring
from printgate.webhooks import inbound


def install(wiring: Wiring, platforms: Iterable[Callable[[], PlatformSpec]] = PLATFORMS) -> None:
    specs = [declare() for declare in platforms]
    registry.install(specs)
    for spec in specs:
        if spec.webhooks is not None:
            hooks = spec.webhooks
            inbound.register_platform(spec.name, verify=hooks.verify, handle=hooks.handle,
                                      max_age_s=hooks.max_age_s, kept_headers=hooks.kept_headers)
        if spec.order_sources:
            orders.register_source_family(spec.order_sources)
    # A store's signed ``POST /orders/{id}`` (plugin, module) comes to us whole: one direction.
    orders.install_store_calls(receive_order_call)
    wiring.listen(signals.JOB_PROCESSED, pipeline.on_job_processed)
    wiring.listen(signals.JOB_COMPLETED, pipeline.on_job_completed)  # orders that wait for a verdict
    # Reconciliation, write-back retries and post-uninstall erasure, on one worker of the fleet
    # (``printgate.connectors.base.cron`` is the RQ-cron alternative).
    wiring.every("connectors.tick", reconcile.tick, every_s=get_settings().connector_tick_s)
    if wiring.app is not None:
        from printgate.connectors import routes

        wiring.route(routes.router)
        for spec in specs:
            for router in spec.routers:
                wiring.route(router)
