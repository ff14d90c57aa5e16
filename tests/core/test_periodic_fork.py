"""Forking workers fork only while the periodic thread is between tasks (see core.periodic.paused)."""

from __future__ import annotations

import threading
import time

import pytest
from rq import Worker

from core import periodic
from core.queue import ForkSafeWorker


def test_a_work_horse_is_forked_only_after_the_periodic_task_in_flight(monkeypatch: pytest.MonkeyPatch) -> None:
    started, release = threading.Event(), threading.Event()

    def slow_sweep() -> None:  # stands in for a sweep inside SQLite / redis-py
        started.set()
        release.wait(10)

    monkeypatch.setattr(periodic, "_tasks", {"test.slow": periodic.PeriodicTask("test.slow", slow_sweep, 0.001)})
    monkeypatch.setattr(periodic, "_acquire", lambda name, every_s: True)
    forked: list[float] = []
    monkeypatch.setattr(Worker, "fork_work_horse", lambda self, job, queue: forked.append(time.monotonic()))

    sweeper = threading.Thread(target=periodic.run_due)
    sweeper.start()
    assert started.wait(10)
    worker = ForkSafeWorker.__new__(ForkSafeWorker)  # only fork_work_horse is exercised
    forking = threading.Thread(target=worker.fork_work_horse, args=(None, None))
    forking.start()
    time.sleep(0.3)
    assert forked == [], "forked while the periodic task was still running"
    released_at = time.monotonic()
    release.set()
    forking.join(10)
    sweeper.join(10)
    assert len(forked) == 1 and forked[0] >= released_at

    # Between tasks nothing waits.
    start = time.monotonic()
    worker.fork_work_horse(None, None)
    assert len(forked) == 2 and forked[1] - start < 0.5


def test_the_guard_is_free_in_a_forked_child() -> None:
    """A child forked by someone else while the guard was held must not inherit it taken."""
    import os

    with periodic.paused():
        pid = os.fork()
        if pid == 0:  # child: the guard must be free
            ok = periodic._busy.acquire(timeout=2)
            os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
