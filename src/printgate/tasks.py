"""Every queue entry point, in one catalog: functions, referenced (RQ stores their import path).

A worker imports this at start-up, so an entry point that was renamed or removed fails there and
not when its first message arrives. ``tests/test_architecture.py`` checks that every enqueue in the
code names one of these.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from printgate.connectors.base import pipeline
from printgate.core import tasks as core_tasks
from printgate.webhooks import inbound, outbound

ENTRY_POINTS: tuple[Callable[..., Any], ...] = (
    core_tasks.run_task,  # queues intake, processing: one file's steps
    inbound.process_delivery,  # queue webhooks: a stored inbound delivery's handler
    outbound.deliver,  # queue webhooks: one outbound delivery attempt
    pipeline.advance_by_id,  # queue webhooks: a store order's next step once its jobs are processed
    pipeline.intake_call,  # queue webhooks: an order a store's plugin or module sent (signed call)
)
