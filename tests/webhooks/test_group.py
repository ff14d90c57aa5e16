"""The group-commit helper: batches concurrent callers, hands results and errors back to each."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from webhooks._group import GroupRunner


def test_alone_a_caller_flushes_its_own_item() -> None:
    batches: list[list[int]] = []

    def flush(items: list[int]) -> list[int]:
        batches.append(items)
        return [i * 2 for i in items]

    runner: GroupRunner[int, int] = GroupRunner(flush)
    assert runner.submit(21) == 42
    assert batches == [[21]]


def test_concurrent_callers_share_flushes_and_get_their_own_results() -> None:
    batches: list[list[int]] = []

    def flush(items: list[int]) -> list[int]:
        batches.append(list(items))
        time.sleep(0.01)  # a slow commit: others queue up behind it
        return [i * 10 for i in items]

    runner: GroupRunner[int, int] = GroupRunner(flush)
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(runner.submit, range(200)))
    assert results == [i * 10 for i in range(200)]
    assert sorted(i for batch in batches for i in batch) == list(range(200))
    assert len(batches) < 200, "callers were grouped"


def test_a_failed_flush_raises_in_every_caller_of_that_batch() -> None:
    gate = threading.Event()
    batches: list[list[str]] = []

    def flush(items: list[str]) -> list[str]:
        batches.append(list(items))
        if items == ["a"]:
            gate.wait(1)  # the leader is busy while b, c, d queue up behind it
            return items
        if "b" in items:
            raise ConnectionError("redis is down")
        return items

    runner: GroupRunner[str, str] = GroupRunner(flush)
    with ThreadPoolExecutor(max_workers=4) as pool:
        first = pool.submit(runner.submit, "a")
        time.sleep(0.05)
        later = [pool.submit(runner.submit, x) for x in "bcd"]
        time.sleep(0.05)
        gate.set()
        assert first.result() == "a"
        for future in later:
            with pytest.raises(ConnectionError):
                future.result()
    assert sorted(batches[1]) == ["b", "c", "d"], "the three waited for one shared flush"
    assert runner.submit("e") == "e", "the runner recovers after a failed flush"
