"""``printgate worker``: a queue worker, wired like the API (``printgate.app.wire``).

The parent imports the PDF stack and the queue entry points once, so each forked work horse starts
warm and a missing entry point fails here, at start-up.
"""

from __future__ import annotations

import os


def _preload_engines() -> None:
    """Warm imports, and the one-time set-ups that take process-wide locks, done in the main thread
    before the periodic thread starts and before RQ forks: a fork while another thread holds
    SQLAlchemy's mapper lock leaves the work horse blocked until the job timeout."""
    import pikepdf  # noqa: F401
    import pymupdf  # noqa: F401
    from sqlalchemy.orm import configure_mappers

    import printgate.core.fixes
    import printgate.core.models
    import printgate.core.pipeline.runner
    import printgate.core.render  # noqa: F401
    from printgate.core.preflight.catalog import registry

    configure_mappers()
    registry()


def run(queues: list[str], *, name_prefix: str | None = None, no_fork: bool = False,
        max_jobs: int | None = None) -> int:
    from rq import SimpleWorker

    from printgate import tasks
    from printgate.app import wire
    from printgate.core.config import get_settings
    from printgate.core.periodic import Scheduler
    from printgate.core.queue import ForkSafeWorker, get_redis

    wire()
    assert tasks.ENTRY_POINTS  # imported for its check: every entry point resolves
    _preload_engines()
    reaper = Scheduler()
    reaper.start()
    name = f"{name_prefix}-{os.getpid()}" if name_prefix else None
    # no_fork runs jobs in this process: no fork and no re-import per job, which is most of an
    # intake's latency. A crash then takes the worker down: `serve` restarts it and the recovery
    # sweep re-queues the task; max_jobs recycles the process before memory can creep.
    worker_class = SimpleWorker if no_fork else ForkSafeWorker
    worker = worker_class(queues, connection=get_redis(), name=name, worker_ttl=get_settings().worker_ttl_s)
    try:
        worker.work(with_scheduler=True, logging_level=os.environ.get("PRINTGATE_LOG_LEVEL", "WARNING"),
                    max_jobs=max_jobs)
    finally:
        reaper.stop()
    return 0
