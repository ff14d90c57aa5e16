"""A short run of the fault-injection harness (bench/fault_injection.py) in CI: a real ``printgate
serve`` with jobs and their outbound webhooks in flight, one kill -9 of each kind that loses work
differently (a worker mid-job, the whole serve tree, Redis with its queues), and the invariants
asserted: every job terminal, every ``job.completed`` received under one webhook-id only, every
original file intact, and every event's first retry (the receiver refuses each first POST) no
earlier than the schedule allows. The 100-trial run is the bench itself."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.e2e


def _harness() -> ModuleType:
    path = ROOT / "bench" / "fault_injection.py"
    spec = importlib.util.spec_from_file_location("bench_fault_injection", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_kill_9_of_a_worker_serve_and_redis_loses_no_job_webhook_or_file(tmp_path: Path) -> None:
    harness = _harness()
    faults = ("kill_worker", "kill_serve", "kill_redis")
    result = harness.run(3, jobs=2, faults=faults, in_order=True, data_dir=tmp_path / "data",
                         webhook_wait_s=90, quiet=True)
    assert result["faults"] == dict.fromkeys(faults, 1)
    assert result["jobs"] == 6, result
    assert result["stuck"] == [], f"jobs not terminal: {result['stuck']}"
    assert result["lost_webhooks"] == [], f"job.completed never received: {result['lost_webhooks']} " \
                                          f"(pending: {result['pending_deliveries']})"
    assert result["applied_twice"] == [], f"job.completed under two webhook-ids: {result['applied_twice']}"
    assert result["lost_files"] == [], f"original files lost or changed: {result['lost_files']}"
    # Every event was refused once, so every event was retried, and none before its delay.
    assert result["first_retries"] >= result["jobs"], result
    assert result["early_retries"] == {}, f"retried before the schedule allows: {result['early_retries']}"
    assert harness.held(result)
    assert sum(row["jobs"] for row in result["per_fault"].values()) == 6
