"""Pages done / total during a long preflight, told to a caller's callback at most about once a second."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

PageProgress = Callable[[int, int], None]  # (pages done, pages in the file)
INTERVAL_S = 1.0


class ProgressTicker:
    """Throttles a :data:`PageProgress` callback: the first and the last count always reach it, the
    ones between at most every ``interval_s``. A failing callback never costs the preflight."""

    def __init__(self, callback: PageProgress | None, total: int, interval_s: float | None = None) -> None:
        self.callback = callback
        self.total = total
        self.interval_s = INTERVAL_S if interval_s is None else interval_s
        self.done = 0
        self._last = -float("inf")

    def advance(self, pages: int = 1) -> None:
        self.done = min(self.done + pages, self.total)
        self._tell(force=self.done >= self.total)

    def start(self) -> None:
        self._tell(force=True)

    def finish(self) -> None:
        if self.done < self.total:  # pages not extracted one by one (a worker's serial fallback)
            self.done = self.total
            self._tell(force=True)

    def _tell(self, force: bool) -> None:
        if self.callback is None:
            return
        now = time.monotonic()
        if not force and now - self._last < self.interval_s:
            return
        self._last = now
        try:
            self.callback(self.done, self.total)
        except Exception:  # a progress display must never cost the check
            log.debug("preflight progress callback failed", exc_info=True)
