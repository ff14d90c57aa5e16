"""The worker's RQ scheduler (it moves delayed messages, such as webhook retries, onto their queue)
dies with its worker, and a scheduler lock left in Redis by a scheduler that no longer runs is taken
back when a worker starts, instead of stalling delayed messages until RQ's next try (10 minutes).
Both were found by bench/fault_injection.py: after a kill -9 of a worker and a restart, webhook
retries due in 4 s came after ~50 s."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from printgate.worker import release_dead_scheduler_locks
from tests.conftest import Instance
from tests.core.workers import worker_process


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _scheduler(redis, name: str, queue: str, pid: int, host: str) -> None:  # type: ignore[no-untyped-def]
    redis.set(f"rq:scheduler-lock:{queue}", name, ex=60)
    redis.hset(f"rq:scheduler:{name}", mapping={"name": name, "hostname": host, "pid": str(pid)})
    redis.expire(f"rq:scheduler:{name}", 60)


def test_only_a_lock_of_a_dead_scheduler_of_this_host_is_taken_back(instance: Instance) -> None:
    from printgate.core.queue import get_redis

    redis = get_redis()
    host = socket.gethostname()
    _scheduler(redis, "dead", "q_dead", _dead_pid(), host)
    _scheduler(redis, "alive", "q_alive", os.getpid(), host)
    _scheduler(redis, "elsewhere", "q_elsewhere", _dead_pid(), host + "-other")
    redis.set("rq:scheduler-lock:q_unknown", "nobody-knows", ex=60)  # no scheduler record: leave it
    freed = release_dead_scheduler_locks(redis, ["q_dead", "q_alive", "q_elsewhere", "q_unknown", "q_free"])
    assert freed == ["q_dead"]
    assert redis.get("rq:scheduler-lock:q_dead") is None
    assert redis.get("rq:scheduler-lock:q_alive") == b"alive"
    assert redis.get("rq:scheduler-lock:q_elsewhere") == b"elsewhere"
    assert redis.get("rq:scheduler-lock:q_unknown") == b"nobody-knows"


def test_a_lock_no_scheduler_refreshes_is_taken_back_whatever_its_record_says(instance: Instance) -> None:
    """Issue 14, after a kill -9 of serve: the webhooks queue's lock came back with Redis's dump under a
    record that did not prove its scheduler dead, and retries waited ~47 s for the lock's expiry. A
    running scheduler refreshes its lock to 61 s every second: one left ``STALE_LOCK_S`` without that
    refresh is taken back, whether the record names a live pid (reused), another host, or nothing; and
    a pid that exited but is not reaped yet (a zombie) does not count as running."""
    from printgate.core.queue import get_redis
    from printgate.worker import STALE_LOCK_S

    redis = get_redis()
    host = socket.gethostname()
    stale = 61 - STALE_LOCK_S - 1
    _scheduler(redis, "reused", "q_reused", os.getpid(), host)  # its pid now someone else's
    _scheduler(redis, "moved", "q_moved", _dead_pid(), host + "-restarted")  # a container's new name
    redis.set("rq:scheduler-lock:q_norecord", "no-record", ex=60)
    for queue in ("q_reused", "q_moved", "q_norecord"):
        redis.expire(f"rq:scheduler-lock:{queue}", stale)
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])  # exits; not reaped until wait()
    try:
        deadline = time.monotonic() + 30
        while Path(f"/proc/{zombie.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
            assert time.monotonic() < deadline, "the child never exited"
            time.sleep(0.05)
        _scheduler(redis, "zombie", "q_zombie", zombie.pid, host)  # refreshed a moment ago, then killed
        _scheduler(redis, "live", "q_live", os.getpid(), host)  # running and refreshing: keep it
        freed = release_dead_scheduler_locks(redis, ["q_reused", "q_moved", "q_norecord", "q_zombie", "q_live"])
    finally:
        zombie.wait()
    assert sorted(freed) == ["q_moved", "q_norecord", "q_reused", "q_zombie"]
    assert redis.get("rq:scheduler-lock:q_live") == b"live"


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


@pytest.mark.e2e
def test_the_scheduler_dies_with_its_worker_and_the_next_worker_takes_its_lock(
        instance: Instance, tmp_path: Path) -> None:
    from printgate.core.queue import get_redis

    redis = get_redis()
    redis.delete("rq:scheduler-lock:t14q")
    with worker_process(tmp_path, queues="t14q") as first:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (redis.get("rq:scheduler-lock:t14q") and _children(first.pid)):
            time.sleep(0.2)
        holder = redis.get("rq:scheduler-lock:t14q")
        assert holder, "the worker's scheduler never took its queue's lock"
        [scheduler] = _children(first.pid)
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and Path(f"/proc/{scheduler}").exists() \
                and "Z" not in Path(f"/proc/{scheduler}/stat").read_text().rsplit(")", 1)[1].split()[0]:
            time.sleep(0.2)
        alive = Path(f"/proc/{scheduler}").exists() and \
            "Z" not in Path(f"/proc/{scheduler}/stat").read_text().rsplit(")", 1)[1].split()[0]
        if alive:
            os.kill(scheduler, signal.SIGKILL)
        assert not alive, "the scheduler outlived its worker (an orphan holding the lock)"
    # What the orphan's SIGTERM handler did not release (a kill -9 of both, a Redis dump restored
    # after a restart), the next worker takes back at start, and schedules again at once.
    redis.set("rq:scheduler-lock:t14q", holder, ex=60)
    with worker_process(tmp_path, queues="t14q") as second:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and redis.get("rq:scheduler-lock:t14q") in (None, holder):
            time.sleep(0.2)
        taken = redis.get("rq:scheduler-lock:t14q")
        assert taken not in (None, holder), "the next worker left the dead scheduler's lock in place"
        assert second.poll() is None


@pytest.mark.e2e
def test_a_running_worker_takes_over_the_scheduler_of_a_worker_killed_beside_it(
        instance: Instance, tmp_path: Path) -> None:
    """With two workers on a queue, one holds the scheduler lock. After a kill -9 of that one, the other
    takes the lock at its next maintenance (15 s), not after the dead lock's expiry (~61 s) plus RQ's
    next try: webhook retries came up to 85 s late in the fault-injection bench."""
    from printgate.core.queue import get_redis

    redis = get_redis()
    redis.delete("rq:scheduler-lock:t14r")
    with worker_process(tmp_path, queues="t14r") as first:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not redis.get("rq:scheduler-lock:t14r"):
            time.sleep(0.2)
        holder = redis.get("rq:scheduler-lock:t14r")
        assert holder, "the first worker's scheduler never took the lock"
        with worker_process(tmp_path, queues="t14r") as second:
            deadline = time.monotonic() + 120  # the second worker is up (registered) and has no lock
            while time.monotonic() < deadline and not any(
                    str(second.pid) in (k.decode() if isinstance(k, bytes) else k)
                    for k in redis.smembers("rq:workers:t14r")):
                time.sleep(0.2)
            assert redis.get("rq:scheduler-lock:t14r") == holder
            os.kill(first.pid, signal.SIGKILL)
            first.wait()
            killed = time.monotonic()
            while time.monotonic() - killed < 55 and redis.get("rq:scheduler-lock:t14r") in (None, holder):
                time.sleep(0.2)
            taken = redis.get("rq:scheduler-lock:t14r")
            assert taken not in (None, holder), "the surviving worker did not take the dead scheduler's lock"
            assert second.poll() is None
