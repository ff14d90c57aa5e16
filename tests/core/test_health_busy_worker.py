"""A no-fork worker busy on a long job still heartbeats, so /health counts it live; killed mid-job
with -9, it drops out of /health within ``worker_ttl_s`` although Redis still lists it as busy."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Instance
from tests.core.workers import worker_process

TTL = 3  # PRINTGATE_WORKER_TTL_S: /health counts workers heard from within TTL + 5 s


def _workers(client: TestClient) -> list[dict]:
    return list(client.get("/health").json()["checks"]["workers"]["list"])


def _wait(predicate, timeout: float = 30.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError("condition not met in time")


@pytest.mark.parametrize("no_fork", [True, False], ids=["no-fork", "forking"])
def test_a_busy_worker_is_live_and_a_killed_one_is_not(client: TestClient, instance: Instance, tmp_path: Path,
                                                       no_fork: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    from printgate.core.config import reset_settings
    from printgate.core.queue import get_queue

    monkeypatch.setenv("PRINTGATE_WORKER_TTL_S", str(TTL))  # the API's /health and the worker agree
    reset_settings()

    with worker_process(tmp_path, env={"PRINTGATE_WORKER_TTL_S": str(TTL)}, no_fork=no_fork) as worker:
        _wait(lambda: _workers(client))
        # A job three times longer than the window /health looks at (time.sleep: any importable
        # function is a job to RQ; a real long PDF would only make the test slower).
        get_queue("intake").enqueue(time.sleep, 3 * (TTL + 5), job_timeout=120)
        _wait(lambda: any(w["state"] == "busy" for w in _workers(client)))
        time.sleep(TTL + 8)  # past the window: only a heartbeat sent during the job keeps it counted
        [busy] = _workers(client)
        assert busy["state"] == "busy" and busy["lastHeartbeatAgeS"] <= TTL + 5
        os.kill(worker.pid, signal.SIGKILL)
        start = time.monotonic()
        _wait(lambda: not _workers(client), timeout=TTL + 15)
        assert time.monotonic() - start <= TTL + 10
    from rq import Worker

    from printgate.core.queue import get_redis

    assert any(w.get_state() == "busy" for w in Worker.all(connection=get_redis()))  # Redis still says busy
