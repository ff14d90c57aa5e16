"""``printgate worker``: a queue worker, wired like the API (``printgate.app.wire``).

The parent imports the PDF stack and the queue entry points once, so each forked work horse starts
warm and a missing entry point fails here, at start-up.
"""

from __future__ import annotations

import contextlib
import logging
import os
import resource
from collections.abc import Iterator
from typing import Any

log = logging.getLogger("printgate.worker")


def _data_bytes() -> int:
    """What this process holds under RLIMIT_DATA now (``VmData``: its private writable memory)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmData:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


@contextlib.contextmanager
def memory_cap(extra_mb: int) -> Iterator[None]:
    """Cap this process's memory at what it holds now plus ``extra_mb`` for the duration (and for
    whatever it starts meanwhile: the engine's page workers, Ghostscript). Past the cap allocations
    fail, as a ``MemoryError`` in Python, which the steps turn into the job's reason; the process,
    and with it a no-fork worker, lives on. 0: no cap."""
    if extra_mb <= 0:
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    cap = _data_bytes() + extra_mb * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    try:
        resource.setrlimit(resource.RLIMIT_DATA, (cap, hard))
    except (ValueError, OSError) as exc:
        log.warning("could not cap the job's memory: %s", exc)
        yield
        return
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_DATA, (soft, hard))


# --- the worker's RQ scheduler (it moves delayed messages, e.g. webhook retries, onto their queue) ---
# RQ runs it in a forked child that holds a lock per queue in Redis (61 s, refreshed every second).
# Found by the fault-injection bench (issue 14): after a kill -9 of its worker the child lived on as
# an orphan, and after a restart of serve the lock came back with Redis's dump, held by a scheduler
# that no longer ran; the new workers try the lock again only every 10 minutes (RQ's maintenance
# interval), so webhook retries due in seconds waited for the lock's expiry or the outbound sweeper.
# A worker takes such a lock back at start and at each maintenance (``release_dead_scheduler_locks``).

_RELEASE_IF_HELD_BY = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
_forking_scheduler = False  # True while RQ forks the scheduler: its child is told to die with us


def _scheduler_dies_with_worker() -> None:
    if _forking_scheduler:
        from printgate.process_tree import die_with_parent

        die_with_parent()


# RQ's scheduler refreshes its locks to 61 s every second; a lock left this long without a refresh has
# no scheduler behind it, whatever its record says (none, a pid now reused, another host's).
_LOCK_TTL_S = 61
STALE_LOCK_S = 8


def release_dead_scheduler_locks(connection: Any, queue_names: list[str]) -> list[str]:
    """Free the scheduler locks of these queues whose holder no longer runs; return the queues freed.

    A holder no longer runs when its lock has gone ``STALE_LOCK_S`` without the refresh a running
    scheduler makes every second, or, sooner, when its record names a process of this host that is
    gone (or exited, unreaped). A lock refreshed within that time by a live process is left alone.
    (Found by bench/fault_injection.py, issue 14: after a kill -9 of serve the webhooks queue's lock was
    not taken back and retries waited for its own expiry, ~47 s after printgate was back. A pid check
    alone misses a holder whose pid is reused or not yet reaped, of another host (a container restarted
    under a new name), or with no record; the lock's refresh is what a running scheduler cannot fake.)"""
    import socket

    from printgate.process_tree import runs

    freed = []
    release = connection.register_script(_RELEASE_IF_HELD_BY)
    for name in queue_names:
        lock_key = f"rq:scheduler-lock:{name}"  # RQ's key names (rq.scheduler)
        holder = connection.get(lock_key)
        if not holder:
            continue
        holder_text = holder.decode() if isinstance(holder, bytes) else str(holder)
        ttl = connection.ttl(lock_key)
        stale = ttl is not None and 0 <= int(ttl) <= _LOCK_TTL_S - STALE_LOCK_S
        if not stale:
            info = {(k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
                    for k, v in (connection.hgetall(f"rq:scheduler:{holder_text}") or {}).items()}
            pid = int(info["pid"]) if str(info.get("pid", "")).isdigit() else 0
            if info.get("hostname") != socket.gethostname() or pid <= 0 or runs(pid):
                continue
        if release(keys=[lock_key], args=[holder_text]):
            freed.append(name)
    if freed:
        log.warning("took back the scheduler lock of %s from a scheduler that no longer runs", ", ".join(freed))
    return freed


class _OwnScheduler:
    """The worker's scheduler: it dies with the worker, and a lock left by a dead one is taken back."""

    queues: list[Any]
    connection: Any

    def _start_scheduler(self, *args: Any, **kwargs: Any) -> None:
        global _forking_scheduler
        try:
            release_dead_scheduler_locks(self.connection, [q.name for q in self.queues])
        except Exception as exc:  # Redis hiccup: RQ's own lock handling still applies
            log.warning("could not check the scheduler locks: %s", exc)
        _forking_scheduler = True
        try:
            super()._start_scheduler(*args, **kwargs)  # type: ignore[misc]
        finally:
            _forking_scheduler = False

    def run_maintenance_tasks(self) -> None:
        """RQ's maintenance is where a worker without a scheduler tries for the locks again: the lock
        of a scheduler killed with its worker is taken back first, and the scheduler RQ may fork here
        dies with this worker too. (A surviving worker used to wait out the dead one's lock, ~61 s, and
        its own 60 s maintenance: webhook retries came up to 85 s late after a kill -9.)"""
        global _forking_scheduler
        scheduler = getattr(self, "scheduler", None)
        process = getattr(scheduler, "_process", None)
        if scheduler is not None and (process is None or not process.is_alive()):
            try:
                release_dead_scheduler_locks(self.connection, [q.name for q in self.queues])
            except Exception as exc:  # Redis hiccup: the lock's own expiry still applies
                log.warning("could not check the scheduler locks: %s", exc)
        _forking_scheduler = True
        try:
            super().run_maintenance_tasks()  # type: ignore[misc]
        finally:
            _forking_scheduler = False


class _JobLimits:
    """For both worker kinds: each job runs under the per-job memory cap (in the forked work horse,
    or around the job in a no-fork worker)."""

    def perform_job(self, job: Any, queue: Any, execution: Any) -> bool:
        from printgate.core.config import get_settings

        with memory_cap(get_settings().job_memory_mb):
            return super().perform_job(job, queue, execution)  # type: ignore[misc, no-any-return]


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
    _preload_s3()


def _preload_s3() -> None:
    """botocore's import and S3 service model, loaded once here: each forked work horse makes its own
    client (a client's connection pool must not cross a fork), and without this each paid ~0.3 s of
    CPU for them (bench/scale_out.py). The client made here sends nothing and is dropped."""
    from printgate.core.config import get_settings

    settings = get_settings()
    if settings.storage != "s3":
        return
    import boto3

    boto3.client("s3", endpoint_url=settings.s3_endpoint_url, region_name=settings.s3_region or "us-east-1",
                 aws_access_key_id="preload", aws_secret_access_key="preload")


def _rq_log_level() -> str:
    """RQ's own log lines: ``PRINTGATE_LOG_LEVEL`` when the operator set it, else only warnings (RQ
    logs every job at INFO)."""
    from printgate.core.config import get_settings

    settings = get_settings()
    return settings.log_level if "log_level" in settings.model_fields_set else "WARNING"


def run(queues: list[str], *, name_prefix: str | None = None, no_fork: bool = False,
        max_jobs: int | None = None) -> int:
    from printgate import tasks
    from printgate.app import wire
    from printgate.core.config import get_settings
    from printgate.core.periodic import Scheduler
    from printgate.core.queue import ForkSafeWorker, InProcessWorker, get_redis

    wire()
    assert tasks.ENTRY_POINTS  # imported for its check: every entry point resolves
    _preload_engines()
    reaper = Scheduler()
    reaper.start()
    name = f"{name_prefix}-{os.getpid()}" if name_prefix else None
    # no_fork runs jobs in this process: no fork and no re-import per job, which is most of an
    # intake's latency. A crash then takes the worker down: `serve` restarts it and the recovery
    # sweep re-queues the task; max_jobs recycles the process before memory can creep.
    base = InProcessWorker if no_fork else ForkSafeWorker
    os.register_at_fork(after_in_child=_scheduler_dies_with_worker)
    worker_class = type(base.__name__, (_OwnScheduler, _JobLimits, base), {})
    ttl = get_settings().worker_ttl_s
    # maintenance_interval: how often RQ tries for a scheduler lock no one holds (10 min by default),
    # so how soon a surviving worker moves due webhook retries after the scheduler's worker died.
    worker = worker_class(queues, connection=get_redis(), name=name, worker_ttl=ttl,
                          job_monitoring_interval=max(1, ttl // 3), maintenance_interval=15)
    try:
        worker.work(with_scheduler=True, logging_level=_rq_log_level(),
                    max_jobs=max_jobs)
    finally:
        reaper.stop()
    return 0
