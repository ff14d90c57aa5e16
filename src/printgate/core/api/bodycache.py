"""Serialized job bodies, reused while the job is unchanged.

A job read costs several queries and file reads to shape; clients poll the same job many times
while nothing changes. Every visible change to a job touches ``job.modified_at``, and download URLs
are stable within a time bucket (``printgate.core.storage.url_bucket``), so ``(modified_at, bucket)`` is a
sound validity stamp: one indexed lookup decides whether the cached bytes are still the answer.
Each API process keeps its own cache; the stamp comes from the shared database.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable


class BodyCache:
    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, tuple[Hashable, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, stamp: Hashable) -> bytes | None:
        with self._lock:
            item = self._items.get(key)
            if item is None or item[0] != stamp:
                return None
            self._items.move_to_end(key)
            return item[1]

    def put(self, key: Hashable, stamp: Hashable, body: bytes) -> None:
        with self._lock:
            self._items[key] = (stamp, body)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


job_bodies = BodyCache()
