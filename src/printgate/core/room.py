"""The core room's wiring: live status announcements, the outbox, recovery and retention sweeps, its routes."""

from __future__ import annotations

from printgate.core import outbox, retention, signals
from printgate.core.jobs import live
from printgate.core.pipeline import recovery
from printgate.core.wiring import Wiring


def install(wiring: Wiring) -> None:
    wiring.listen(signals.JOB_STATUS, live.publish)
    wiring.every("recovery.sweep", recovery.sweep, every_s=15, on_startup=lambda: recovery.sweep(requeue_pending=True))
    wiring.every("retention.purge", retention.purge, every_s=3600)
    wiring.every("signals.outbox", outbox.sweep, every_s=outbox.SWEEP_EVERY_S, on_startup=outbox.sweep)
    wiring.gauge("printgate_signals_owed", "Job and order events committed and not yet taken by every listener",
                 lambda: outbox.counts()["owed"])
    wiring.gauge("printgate_signals_failed", "Job and order events given up after their last attempt "
                 "(printgate.core.outbox; kept for an operator)", lambda: outbox.counts()["failed"])
    if wiring.app is not None:
        from printgate.core.api import job_read, ratelimit
        from printgate.core.api.routes import element, files, jobs, library, ops, orders, uploads

        ratelimit.limit_path("POST", "/uploads/", "upload")  # the presigned form's target, per address
        if not any(layer.cls is ratelimit.RateLimitMiddleware for layer in wiring.app.user_middleware):
            wiring.middleware([ratelimit.RateLimitMiddleware])
        if not any(layer.cls is job_read.JobReadFastPath for layer in wiring.app.user_middleware):
            wiring.middleware([job_read.JobReadFastPath])  # outermost of core's: a poll skips the rest

        for module in (jobs, uploads, orders, library, files, ops, element):
            wiring.route(module.router)
