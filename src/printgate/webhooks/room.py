"""The webhooks room's wiring: outbound events on job and order signals, the delivery sweep, the
inbound fast path and the endpoints' routes."""

from __future__ import annotations

from printgate.core import signals
from printgate.core.wiring import Wiring
from printgate.webhooks import inbound, outbound, recovery


def install(wiring: Wiring) -> None:
    wiring.listen(signals.JOB_CREATED, outbound.on_job_created)
    wiring.listen(signals.JOB_COMPLETED, outbound.on_job_completed)
    wiring.listen(signals.JOB_PROCESSED, outbound.on_job_processed)
    wiring.listen(signals.JOB_REVIEWED, outbound.on_job_reviewed)
    wiring.listen(signals.ORDER_CAPTURED, outbound.on_order_captured)
    wiring.every("webhooks.sweep", recovery.sweep, every_s=15, on_startup=lambda: recovery.sweep(requeue_pending=True))
    if wiring.app is not None:
        from printgate.webhooks import routes

        wiring.route(routes.router)
        wiring.middleware(routes.middleware)
        wiring.gauge("printgate_inbound_backlog", "Store webhook deliveries stored and not yet handled",
                     lambda: inbound.backlog()[0])
        wiring.gauge("printgate_inbound_backlog_age_seconds",
                     "How long the oldest store webhook delivery not yet handled has waited (0: none waits)",
                     lambda: inbound.backlog()[1])
