"""One call for core's Reaper and ``printgate serve`` start-up: resume webhook work from the rows.

    from printgate.webhooks.recovery import sweep
    sweep(requeue_pending=True)   # at start-up: every due pending row
    sweep()                       # periodically (the Reaper's interval)
"""

from __future__ import annotations

import logging

from printgate.webhooks import inbound, outbound

log = logging.getLogger("printgate.webhooks")


def sweep(*, requeue_pending: bool = False) -> dict[str, dict[str, int]]:
    """Inbound and outbound sweeps; a failure of one is logged and does not stop the other. (An event
    whose signal never reached ``outbound/emit`` is core's outbox sweep's: ``printgate.core.outbox``.)"""
    out: dict[str, dict[str, int]] = {}
    for name, fn in (("inbound", inbound.sweep), ("outbound", outbound.sweep)):
        try:
            out[name] = fn(requeue_pending=requeue_pending)
        except Exception:
            log.exception("webhook %s sweep failed", name)
            out[name] = {}
    return out
