"""A webhook retry scheduled when its workers are killed -9 goes out on time once a worker is back
(issue 14, bench/fault_injection.py): after a kill -9 of serve, retries went out in one burst ~47 s
after printgate was back, up to ~75 s after due, when the dead scheduler's lock expired. Real worker
processes on the test's Redis; the outbound sweeper's 30 s backstop cannot be what delivers it here."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from printgate.core.queue import WEBHOOKS, get_queue, get_redis
from printgate.webhooks import outbound
from printgate.worker import STALE_LOCK_S
from tests.conftest import Instance
from tests.core.workers import worker_process
from tests.webhooks.conftest import Receiver
from tests.webhooks.test_outbound import create_endpoint, emit_test_event
from tests.webhooks.test_outbound_due import row, set_due

LOCK = f"rq:scheduler-lock:{WEBHOOKS}"


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _wait(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


@pytest.mark.e2e
def test_a_scheduled_retry_goes_out_on_time_after_its_workers_were_killed(
        client: TestClient, auth: dict[str, str], instance: Instance, receiver: Receiver, tmp_path: Path) -> None:
    redis = get_redis()
    ep = create_endpoint(client, auth, receiver.url)
    [delivery_id] = emit_test_event(ep["id"])
    queue = get_queue(WEBHOOKS)
    queue.empty()  # as after a first attempt that failed: the row waits for its retry, scheduled in RQ
    set_due(delivery_id, 3600)
    retry_id = f"{delivery_id}-2"
    assert outbound._queue.schedule(outbound.deliver, delivery_id, job_id=retry_id, delay_s=3600)

    with worker_process(tmp_path, queues=WEBHOOKS) as first:
        _wait(lambda: redis.get(LOCK) and _children(first.pid), 120, "the first worker's scheduler never took the lock")
        holder = redis.get(LOCK)
        assert isinstance(holder, bytes)
        for pid in (*_children(first.pid), first.pid):  # the whole tree at once, as a kill -9 of serve's group
            os.kill(pid, signal.SIGKILL)
        first.wait()
    killed = time.monotonic()
    # What the record of the dead scheduler says cannot be trusted after a restart: here its pid is
    # another live process's (pids are reused; pid_max is 32768 on the CI machine).
    redis.hset(f"rq:scheduler:{holder.decode()}", "pid", str(os.getpid()))
    assert redis.get(LOCK) == holder and redis.ttl(LOCK) > 61 - STALE_LOCK_S

    # printgate comes back: every restart the harness timed took longer than the lock's staleness
    time.sleep(max(0.0, killed + STALE_LOCK_S + 1 - time.monotonic()))
    with worker_process(tmp_path, queues=WEBHOOKS) as second:
        _wait(lambda: any(str(second.pid) in (k.decode() if isinstance(k, bytes) else k)
                          for k in redis.smembers(f"rq:workers:{WEBHOOKS}")), 120, "the second worker never started")
        time.sleep(1.0)  # its start-up (the scheduler's lock, the first maintenance) is behind it
        set_due(delivery_id, 2)  # the retry comes due now: its row, and its message in RQ's registry
        due = time.monotonic() + 2
        redis.zadd(queue.scheduled_job_registry.key, {retry_id: time.time() + 2})
        _wait(lambda: receiver.requests, 40, "the retry never went out")
        late = time.monotonic() - due
        assert late < 8, f"the retry went out {late:.1f} s after it was due"
        assert second.poll() is None
        assert redis.get(LOCK) not in (None, holder)  # the second worker's scheduler holds it now
    _wait(lambda: row(delivery_id).status == "succeeded", 10, "the delivery was not recorded as succeeded")
    assert len(receiver.requests) == 1
