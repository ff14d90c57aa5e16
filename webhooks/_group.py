"""Group commit: concurrent callers in one process share one flush (one transaction, one pipeline).

The first caller becomes the leader and flushes everything queued up meanwhile, its own item
included, for a bounded number of rounds; the others wait for the flush that carried theirs and
take over if the leader retired first. Alone, a caller flushes just its own item, so to the caller
``submit`` behaves like doing the work itself: when it returns, the item is committed.
"""

from __future__ import annotations

import threading
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
