"""Periodic housekeeping, registered by each room and run by every worker's background thread.

A Redis lock per task and interval makes one worker in the fleet run each task per interval, so
many ``printgate worker`` hosts do not repeat each other's sweeps.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

log = logging.getLogger("printgate.periodic")


@dataclass
class PeriodicTask:
    name: str
    fn: Callable[[], object]
    every_s: float
    on_startup: Callable[[], object] | None = None
    last_run: float = 0.0


_tasks: dict[str, PeriodicTask] = {}

# Held while this process's periodic thread is inside a task (SQLite, redis-py calls). A forking
# worker forks only while it is free: a child forked mid-call inherits those libraries' internal
# locks taken, with no thread left to release them, and can hang on its first query.
_busy = threading.Lock()


def _fresh_lock_in_child() -> None:
    global _busy
    _busy = threading.Lock()


os.register_at_fork(after_in_child=_fresh_lock_in_child)


@contextmanager
def paused() -> Iterator[None]:
    """No periodic task runs in this process inside the block (wrap ``os.fork`` in it)."""
    with _busy:
        yield


def register(name: str, fn: Callable[[], object], every_s: float,
             on_startup: Callable[[], object] | None = None) -> None:
    """``on_startup`` runs once when ``printgate serve`` starts (e.g. resume everything unfinished)."""
    _tasks[name] = PeriodicTask(name, fn, every_s, on_startup)


def run_startup() -> dict[str, object]:
    results: dict[str, object] = {}
    for task in list(_tasks.values()):
        if task.on_startup is None:
            continue
        try:
            results[task.name] = task.on_startup()
        except Exception:
            log.exception("start-up task %s failed", task.name)
    return results


def registered() -> list[str]:
    return sorted(_tasks)


def _acquire(name: str, every_s: float) -> bool:
    try:
        from printgate.core.queue import get_redis

        return bool(get_redis().set(f"printgate:periodic:{name}", "1", nx=True, ex=max(1, int(every_s))))
    except Exception:  # no Redis (inline use): run locally
        return True


def run_due(now: float | None = None) -> list[str]:
    """Run every task whose interval has passed; return the names that ran here."""
    current = time.monotonic() if now is None else now
    ran = []
    for task in list(_tasks.values()):
        if current - task.last_run < task.every_s:
            continue
        task.last_run = current
        with _busy:
            if not _acquire(task.name, task.every_s):
                continue
            try:
                task.fn()
                ran.append(task.name)
            except Exception:
                log.exception("periodic task %s failed", task.name)
    return ran


class Scheduler(threading.Thread):
    """The background thread of a worker process."""

    def __init__(self, tick_s: float = 5.0) -> None:
        super().__init__(daemon=True, name="printgate-periodic")
        self.tick_s = tick_s
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self.tick_s):
            run_due()

    def stop(self) -> None:
        self._stop_event.set()
