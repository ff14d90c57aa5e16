"""The group-commit helpers: batch concurrent callers (threads, or coroutines on one event loop) and hand
results and errors back to each."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from printgate.webhooks._group import GroupRunner, LoopBatcher


def doubling_flush() -> tuple[list[list[int]], Callable[[list[int]], list[int]]]:
    """A flush that doubles each item, and the batches it was called with."""
    batches: list[list[int]] = []

    def flush(items: list[int]) -> list[int]:
        batches.append(items)
        return [i * 2 for i in items]

    return batches, flush


def test_alone_a_caller_flushes_its_own_item() -> None:
    batches, flush = doubling_flush()
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


# --- LoopBatcher: the same for coroutines on an event loop (the HTTP receiver) ---------------------

def test_loop_batcher_alone_flushes_its_own_item() -> None:
    batches, flush = doubling_flush()
    batcher: LoopBatcher[int, int] = LoopBatcher(flush)
    assert asyncio.run(batcher.submit(21)) == 42
    assert batches == [[21]]


def test_loop_batcher_groups_concurrent_coroutines_in_one_thread_hand_off_per_batch() -> None:
    batches: list[list[int]] = []
    threads: set[int] = set()
    loop_thread: list[int] = []

    def flush(items: list[int]) -> list[int]:
        batches.append(list(items))
        threads.add(threading.get_ident())
        time.sleep(0.01)  # a slow commit: the others queue up behind it
        return [i * 10 for i in items]

    batcher: LoopBatcher[int, int] = LoopBatcher(flush)

    async def main() -> list[int]:
        loop_thread.append(threading.get_ident())
        return list(await asyncio.gather(*(batcher.submit(i) for i in range(100))))

    assert asyncio.run(main()) == [i * 10 for i in range(100)]
    assert sorted(i for batch in batches for i in batch) == list(range(100))
    assert len(batches) < 5, "callers that arrive together share a flush"
    assert loop_thread[0] not in threads, "flushes run off the event loop"


def test_loop_batcher_hands_each_caller_its_own_error_and_a_failed_flush_to_all() -> None:
    def flush(items: list[str]) -> list[str | BaseException]:
        if "boom" in items:
            raise ConnectionError("database is down")
        return [ValueError(f"bad {i}") if i.startswith("bad") else i.upper() for i in items]

    batcher: LoopBatcher[str, str] = LoopBatcher(flush)

    async def main() -> list[object]:
        mixed = await asyncio.gather(*(batcher.submit(x) for x in ("a", "bad1", "b")), return_exceptions=True)
        failed = await asyncio.gather(batcher.submit("boom"), return_exceptions=True)
        after = await batcher.submit("c")
        return [*mixed, *failed, after]

    a, bad, b, boom, c = asyncio.run(main())
    assert (a, b, c) == ("A", "B", "C")
    assert isinstance(bad, ValueError) and str(bad) == "bad bad1"
    assert isinstance(boom, ConnectionError), "the whole batch sees a failed flush; the batcher recovers"


def test_loop_batcher_survives_a_caller_that_went_away() -> None:
    """A client that disconnects cancels its request: its item is still flushed, the rest answered."""
    gate = threading.Event()
    flushed: list[str] = []

    def flush(items: list[str]) -> list[str]:
        gate.wait(1)
        flushed.extend(items)
        return items

    batcher: LoopBatcher[str, str] = LoopBatcher(flush)

    async def main() -> str:
        first = asyncio.ensure_future(batcher.submit("first"))
        await asyncio.sleep(0.02)  # "first" is being flushed; the next two wait for the next batch
        gone = asyncio.ensure_future(batcher.submit("gone"))
        kept = asyncio.ensure_future(batcher.submit("kept"))
        await asyncio.sleep(0.02)
        gone.cancel()
        gate.set()
        await first
        return await kept

    assert asyncio.run(main()) == "kept"
    assert flushed == ["first", "gone", "kept"]


def test_loop_batcher_serves_several_event_loops() -> None:
    """Test clients start an event loop per request: each loop gets its own queue."""
    batcher: LoopBatcher[int, int] = LoopBatcher(lambda items: [i + 1 for i in items])
    assert [asyncio.run(batcher.submit(n)) for n in range(3)] == [1, 2, 3]
