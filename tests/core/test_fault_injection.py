"""A short run of the fault-injection harness (bench/fault_injection.py) in CI: a real ``printgate
serve`` with jobs and their outbound webhooks in flight, one kill -9 of each kind that loses work
differently (a worker mid-job, the whole serve tree, Redis with its queues), and the invariants
asserted: every job terminal, every ``job.completed`` received under one webhook-id only, every
original file intact, every event's first retry (the receiver refuses each first POST) on schedule
(not before its delay, and within the tolerance of the later of its due time and printgate being
back), and every store order posted during a fault captured once, its job attached, its files
written back. The 100-trial run is the bench itself. The retry judgement is tested on its own too."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]

def _harness() -> ModuleType:
    path = ROOT / "bench" / "fault_injection.py"
    spec = importlib.util.spec_from_file_location("bench_fault_injection", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _windows() -> ModuleType:
    sys.path.insert(0, str(ROOT / "bench"))
    import _fault_windows

    return _fault_windows


def test_a_retry_due_while_printgate_was_down_is_judged_from_its_back_up_time() -> None:
    w = _windows()
    # Refused at 100 s, due 104-104.4 s (4 s +-10%); printgate down from 102 s to 150 s.
    down = [(102.0, 150.0)]
    judged = w.judge_retries({"on-time": [100.0, 104.2], "early": [100.0, 102.5], "after-back-up": [100.0, 170.0],
                              "late": [100.0, 181.0], "never-retried": [100.0]},
                             down, delay_s=4.0, jitter=0.1, tolerance_s=30.0)
    assert {h: j["verdict"] for h, j in judged.items()} == {
        "on-time": "on_schedule", "early": "early", "after-back-up": "on_schedule", "late": "late"}
    assert judged["late"]["after_recovery_s"] == 31.0 and judged["late"]["delayed_by_fault"] is True
    # Without the window the retry 70 s after it was refused is late by its due time alone.
    assert w.judge_retries({"x": [100.0, 170.0]}, [], delay_s=4.0, jitter=0.1, tolerance_s=30.0)["x"]["verdict"] == "late"
    counts = w.tally(judged)
    assert counts == {"early": 1, "on_schedule": 2, "late": 1, "delayed_by_fault": 4,
                      "late_behind_backlog": 0, "max_late_after_recovery_s": 31.0}


def test_back_up_time_chains_faults_but_ignores_one_that_struck_after_the_retry_was_overdue() -> None:
    w = _windows()
    assert w.back_up_time(104.4, [(50.0, 60.0)], 30.0) == 104.4  # over before the retry was due
    assert w.back_up_time(104.4, [(102.0, 150.0), (170.0, 200.0)], 30.0) == 200.0  # the second came within 30 s
    assert w.back_up_time(104.4, [(102.0, 150.0), (190.0, 200.0)], 30.0) == 150.0  # 40 s after: already overdue
    assert w.back_up_time(104.4, [(140.0, 160.0)], 30.0) == 104.4  # struck once the retry was 35 s overdue


def test_a_late_retry_is_told_apart_when_a_webhooks_backlog_held_it_up() -> None:
    w = _windows()
    sampler = w.QueueSampler("http://127.0.0.1:9", every_s=3600)  # sampled by hand below
    sampler.stop()
    sampler.samples = [(100.0, 0), (120.0, 45), (160.0, 2), (300.0, 0)]
    arrivals = {"behind-backlog": [100.0, 150.0], "idle-queue": [250.0, 300.0], "on-time": [100.0, 104.5]}
    judged = w.judge_retries(arrivals, [], delay_s=4.0, jitter=0.1, tolerance_s=30.0)
    w.mark_backlog(judged, arrivals, sampler, 4.0, 0.1)
    assert judged["behind-backlog"]["queue_ahead"] == 45  # 45 messages queued between due (104.4) and 150
    assert judged["idle-queue"]["queue_ahead"] == 0
    assert "queue_ahead" not in judged["on-time"]
    counts = w.tally(judged)
    assert (counts["late"], counts["late_behind_backlog"], counts["on_schedule"]) == (2, 1, 1)


@pytest.mark.e2e
def test_kill_9_of_a_worker_serve_and_redis_loses_no_job_webhook_file_or_order(tmp_path: Path) -> None:
    harness = _harness()
    faults = ("kill_worker", "kill_serve", "kill_redis")
    # One store order per trial, posted while the fault strikes; a 20 s connectors' tick (300 s as
    # shipped) so an order whose handler was killed is taken up again within the test's time.
    result = harness.run(3, jobs=2, faults=faults, in_order=True, data_dir=tmp_path / "data",
                         webhook_wait_s=90, quiet=True, orders=1, connector_tick_s=20)
    assert result["faults"] == dict.fromkeys(faults, 1)
    assert result["jobs"] == 9, result  # 2 jobs and 1 order job per trial
    assert result["stuck"] == [], f"jobs not terminal: {result['stuck']}"
    assert result["lost_webhooks"] == [], f"job.completed never received: {result['lost_webhooks']} " \
                                          f"(pending: {result['pending_deliveries']})"
    assert result["applied_twice"] == [], f"job.completed under two webhook-ids: {result['applied_twice']}"
    assert result["lost_files"] == [], f"original files lost or changed: {result['lost_files']}"
    # Every event was refused once, so every event was retried, and none before its delay nor later
    # than the tolerance past the later of its due time and printgate being back.
    assert result["first_retries"] >= result["jobs"], result
    assert result["early_retries"] == {}, f"retried before the schedule allows: {result['early_retries']}"
    assert result["late_retries"] == {}, f"retried late after recovery: {result['late_retries']}"
    assert result["retries"]["on_schedule"] == result["first_retries"], result["retries"]
    assert len(result["down_windows"]) == 3 and all(0 < s < 300 for s in result["down_windows"]), result["down_windows"]
    # Every order captured once, with its job attached and its files written back to the store.
    orders = result["store_orders"]
    assert orders["orders"] == 3 and orders["accepted"] == 3, orders
    for invariant in ("refused", "lost", "twice", "unlinked", "open"):
        assert not orders[invariant], f"orders {invariant}: {orders[invariant]} ({orders['details']})"
    assert orders["statuses"] == {"written_back": 3}, orders
    assert harness.held(result)
    assert sum(row["jobs"] for row in result["per_fault"].values()) == 9
    assert sum(row["orders"] for row in result["per_fault"].values()) == 3
