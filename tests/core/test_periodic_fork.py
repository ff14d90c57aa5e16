"""Forking workers fork only while the periodic thread is between tasks (see printgate.core.periodic.paused)."""

from __future__ import annotations

import threading

import pytest
from rq import Worker

from printgate.core import periodic
from printgate.core.queue import ForkSafeWorker
from tests.conftest import wait_for


class WatchedLock:
    """Stands in for ``periodic._busy``: a real lock that records who had to wait for it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.waiting = threading.Event()  # set when an acquire found the lock taken
        self.waits = 0
        self.acquired = 0

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if not self._lock.acquire(blocking=False):
            if not blocking:
                return False
            self.waits += 1
            self.waiting.set()
            if not self._lock.acquire(True, timeout):
                return False
        self.acquired += 1
        return True

    def release(self) -> None:
        self._lock.release()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *_exc: object) -> None:
        self.release()


def test_a_work_horse_is_forked_only_after_the_periodic_task_in_flight(monkeypatch: pytest.MonkeyPatch) -> None:
    started, release = threading.Event(), threading.Event()

    def slow_sweep() -> None:  # stands in for a sweep inside SQLite / redis-py
        started.set()
        release.wait(60)

    guard = WatchedLock()
    monkeypatch.setattr(periodic, "_busy", guard)
    monkeypatch.setattr(periodic, "_tasks", {"test.slow": periodic.PeriodicTask("test.slow", slow_sweep, 0.001)})
    monkeypatch.setattr(periodic, "_acquire", lambda name, every_s: True)
    forked: list[bool] = []  # whether the periodic task had finished at the moment of each fork
    monkeypatch.setattr(Worker, "fork_work_horse", lambda self, job, queue: forked.append(release.is_set()))

    sweeper = threading.Thread(target=periodic.run_due)
    sweeper.start()
    try:
        assert started.wait(30), "the periodic task did not start"
        assert guard.acquired == 1 and guard.waits == 0, "the periodic task runs holding the guard"
        worker = ForkSafeWorker.__new__(ForkSafeWorker)  # only fork_work_horse is exercised
        forking = threading.Thread(target=worker.fork_work_horse, args=(None, None))
        forking.start()
        # The observable condition: the forking thread reached the guard and found it taken.
        wait_for(lambda: guard.waiting.is_set() or forked, timeout=30)
        assert forked == [], "forked while the periodic task was still running"
        assert guard.waiting.is_set() and guard.waits == 1 and forking.is_alive()
    finally:
        release.set()
    forking.join(30)
    sweeper.join(30)
    assert not forking.is_alive() and not sweeper.is_alive()
    assert forked == [True], "the work horse is forked once, after the periodic task finished"
    assert guard.acquired == 2

    # Between tasks nothing waits: the guard is taken without contention, the fork happens at once.
    worker.fork_work_horse(None, None)
    assert forked == [True, True] and guard.waits == 1 and guard.acquired == 3


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
