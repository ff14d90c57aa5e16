"""Schedules for RQ's cron scheduler (``rq cron printgate.connectors.base.cron`` or
``CronScheduler.load_config_from_file("printgate.connectors.base.cron")``).

``tick`` reconciles every connected store, retries write-backs whose backoff elapsed and erases
stores 48 h after uninstall. It is idempotent, so running it from several schedulers is harmless.
This file is RQ's cron configuration, which RQ loads by name; ``printgate worker`` uses
``printgate.core.periodic`` instead and never imports it.
"""

from __future__ import annotations

from rq import cron

from printgate.connectors.base.reconcile import tick
from printgate.core.config import get_settings
from printgate.core.queue import WEBHOOKS

INTERVAL_S = int(get_settings().connector_tick_s)

cron.register(tick, queue_name=WEBHOOKS, interval=INTERVAL_S, job_timeout=900, name="connectors-tick")
