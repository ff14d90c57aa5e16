"""Group commit: concurrent callers in one process share one flush (one transaction, one pipeline).

``GroupRunner`` serves threads: the first caller becomes the leader and flushes everything queued up meanwhile, its own item
included, for a bounded number of rounds; the others wait for the flush that carried theirs and
take over if the leader retired first. Alone, a caller flushes just its own item, so to the caller
``submit`` behaves like doing the work itself: when it returns, the item is committed.

``LoopBatcher`` serves coroutines on an event loop (the HTTP receiver): the same contract, with one
thread hand-off per batch instead of one per caller.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class _Slot(Generic[T, R]):
    __slots__ = ("error", "event", "item", "result")

    def __init__(self, item: T) -> None:
        self.item = item
        self.event = threading.Event()
        self.result: R | None = None
        self.error: BaseException | None = None


class GroupRunner(Generic[T, R]):
    def __init__(self, flush: Callable[[list[T]], Sequence[R]], *, max_batch: int = 500, max_rounds: int = 3,
                 wait_s: float = 30.0) -> None:
        self._flush = flush
        self._lock = threading.Lock()
        self._pending: list[_Slot[T, R]] = []
        self._flushing = False
        self._max_batch = max_batch
        self._max_rounds = max_rounds
        self._wait_s = wait_s

    def submit(self, item: T) -> R:
        slot: _Slot[T, R] = _Slot(item)
        with self._lock:
            self._pending.append(slot)
            leader = not self._flushing
            self._flushing = True
        waited = 0.0
        while not leader and not slot.event.wait(timeout=0.05):
            waited += 0.05
            if waited >= self._wait_s:
                raise TimeoutError("group flush did not complete")
            with self._lock:  # the last leader retired with our item still waiting: take over
                leader = not self._flushing and not slot.event.is_set()
                self._flushing = self._flushing or leader
        if leader:
            self._lead()
        if slot.error is not None:
            raise slot.error
        return slot.result  # type: ignore[return-value]

    def _lead(self) -> None:
        try:
            for _round in range(self._max_rounds):
                with self._lock:
                    batch, self._pending = self._pending[:self._max_batch], self._pending[self._max_batch:]
                if not batch:
                    break
                try:
                    results = list(self._flush([slot.item for slot in batch]))
                    for slot, result in zip(batch, results, strict=True):
                        slot.result = result
                except BaseException as exc:  # handed to every caller of the batch
                    for slot in batch:
                        slot.error = exc
                for slot in batch:
                    slot.event.set()
        finally:
            with self._lock:
                self._flushing = False


class LoopBatcher(Generic[T, R]):
    """Group commit for coroutines: callers on an event loop share one ``flush`` run in a thread.

    ``await submit(item)`` returns that item's result once the flush that carried it has finished
    (or raises its error). While one flush runs, new items wait and go together into the next, so a
    burst costs one thread hand-off per batch, not one per request. ``flush`` returns one result per
    item; a result that is an exception is raised in that item's caller only. Each event loop has
    its own queue (test clients start a loop per request).
    """

    def __init__(self, flush: Callable[[list[T]], Sequence[R | BaseException]], *, max_batch: int = 200) -> None:
        self._flush = flush
        self._max_batch = max_batch
        self._state: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopState[T, R]] = \
            weakref.WeakKeyDictionary()

    async def submit(self, item: T) -> R:
        loop = asyncio.get_running_loop()
        state = self._state.get(loop)
        if state is None:
            state = self._state[loop] = _LoopState()
        future: asyncio.Future[R] = loop.create_future()
        state.pending.append((item, future))
        if not state.running:
            state.running = True
            state.task = loop.create_task(self._drain(state))
        return await future

    async def _drain(self, state: _LoopState[T, R]) -> None:
        from anyio import to_thread

        batch: list[tuple[T, asyncio.Future[R]]] = []
        try:
            while state.pending:
                batch, state.pending = state.pending[:self._max_batch], state.pending[self._max_batch:]
                try:
                    results: Sequence[R | BaseException] = await to_thread.run_sync(
                        self._flush, [item for item, _ in batch])
                    if len(results) != len(batch):
                        raise RuntimeError(f"flush returned {len(results)} results for {len(batch)} items")
                except Exception as exc:  # handed to every caller of the batch
                    results = [exc] * len(batch)
                for (_, future), result in zip(batch, results, strict=True):
                    if future.done():  # the caller went away (client disconnected): nothing to tell
                        continue
                    if isinstance(result, BaseException):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
                batch = []
        finally:
            state.running = False
            state.task = None
            # Leaving early (the loop is shutting down): nobody may wait forever for an answer.
            for _, future in [*batch, *state.pending]:
                if not future.done():
                    future.set_exception(RuntimeError("the receiver stopped before this item was flushed"))
            state.pending = []


class _LoopState(Generic[T, R]):
    __slots__ = ("__weakref__", "pending", "running", "task")

    def __init__(self) -> None:
        self.pending: list[tuple[T, asyncio.Future[R]]] = []
        self.running = False
        self.task: asyncio.Task[None] | None = None  # held here: the loop keeps only a weak reference
