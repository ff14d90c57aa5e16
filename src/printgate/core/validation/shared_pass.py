"""A large file's rules run side by side over one shared reading of its page chunks.

A large file's pages are read in chunks, each from a fresh handle (``chunks``). Run one rule after another,
every rule that walks the pages (annotations, actions, page boxes, groups, Tabs, ...) reopened every chunk
itself: some fifteen passes, about twice the CPU of reading the file on one handle. Here each rule runs in a
greenlet of its own; a rule's ``Document.iter_pages`` asks for the chunk it needs and waits until that chunk
is open, so every rule waiting for a chunk reads it from the one handle before it is closed and the next one
opened. A rule's verdicts are collected as ``run_flavour`` counts them, so the report is the one the rules
give run in turn. A rule that starts walking the pages after the sweep has passed its first chunk waits for
the next sweep; a walk nested in another walk of the same rule reads its own chunks (``chunks``).

Greenlets switch only inside ``iter_pages``: a rule's other code runs uninterrupted, as in turn. A rule whose
walk has ended goes on once the last chunk is closed (every rule reading it has moved on), not beside it: what
it reads next (the actions rules: the outline, the form fields) is resolved on the document's handle, and with
the chunk's handle still open that set the peak (interface3.pdf: 44.9 -> 44.1 MB).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import greenlet
import pikepdf

from printgate.core.validation import chunks
from printgate.core.validation.chunks import ObjId

Verdicts = Callable[[], Iterable[tuple[bool, str]]]


@dataclass
class Tally:
    """One rule's verdicts as ``engine.run_flavour`` counts them."""

    passed: int = 0
    failed: int = 0
    locations: list[str] = field(default_factory=list)  # the first ``limit`` failures' locations
    error: Exception | None = None  # what ended the rule early (its verdicts until then still count)


def tally(check: Verdicts, limit: int) -> Tally:
    """The verdicts of one rule, counted; an exception ends the rule and is kept for the report."""
    out = Tally()
    try:
        for ok, where in check():
            if ok:
                out.passed += 1
            else:
                out.failed += 1
                if len(out.locations) < limit:
                    out.locations.append(where)
    except Exception as exc:
        out.error = exc.with_traceback(None)  # not its frames: they hold objects of closed chunks
    return out


class SharedChunks:
    """The page chunks of one sweep schedule: (sweep, chunk) keys are served in order, one handle open."""

    def __init__(self, path: Path, ids: list[ObjId]) -> None:
        self.path, self.ids = path, ids
        self.bounds = chunks.chunk_bounds(ids)
        self.now = (0, -1)  # the (sweep, chunk) being read; none yet
        self.handle: pikepdf.Pdf | None = None
        self.waiting: dict[tuple[int, int], list[greenlet.greenlet]] = {}
        self.walking: dict[greenlet.greenlet, int] = {}  # a rule's shared walks in progress (0 or 1)
        self.scheduler: greenlet.greenlet | None = None

    def _open(self, key: tuple[int, int]) -> None:
        self.close()
        self.now = key
        self.handle = chunks.reopen(self.path)

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None

    def _chunk(self, k: int) -> pikepdf.Pdf:
        """Chunk ``k``'s handle for the current greenlet, waiting (switching to the scheduler) until it is open."""
        sweep, now = self.now
        if k != now or self.handle is None:
            self._wait((sweep, k) if k > now else (sweep + 1, k))
        assert self.handle is not None and self.now[1] == k
        return self.handle

    def _wait(self, key: tuple[int, int]) -> None:
        """Switch to the scheduler until it serves ``key``."""
        self.waiting.setdefault(key, []).append(greenlet.getcurrent())
        assert self.scheduler is not None
        self.scheduler.switch()

    def pages(self) -> Iterator[tuple[int, pikepdf.Page]]:
        """(page number, page) for every page, from the shared chunks when the current greenlet is a rule run
        here and not already walking them (else from chunks of its own)."""
        me = greenlet.getcurrent()
        if me not in self.walking or self.walking[me]:
            yield from chunks.pages_in_chunks(self.path, self.ids)
            return
        self.walking[me] = 1
        try:
            for k, (start, end) in enumerate(self.bounds):
                handle = self._chunk(k)
                for n, i in enumerate(self.ids[start:end], start + 1):
                    # the same handle all through the chunk: this greenlet does not switch while it walks
                    yield n, pikepdf.Page(handle.get_object(i))
        finally:
            self.walking[me] = 0
        # the walk is done: the rule goes on once the last chunk is closed, not beside it (what it reads next,
        # e.g. the outline after the pages, is resolved on the document's handle and stays there)
        self._wait((self.now[0], len(self.bounds)))

    def run(self, tasks: Sequence[Verdicts], limit: int) -> list[Tally]:
        """Every task's tally, keeping the first ``limit`` failure locations of each."""
        out: list[Tally] = [Tally() for _ in tasks]

        def runner(n: int, task: Verdicts) -> Callable[[], None]:
            def run() -> None:
                out[n] = tally(task, limit)
            return run

        self.scheduler = greenlet.getcurrent()
        rules: list[greenlet.greenlet] = []
        try:
            self.now = (0, -1)  # the rules that read no pages run first, no chunk open
            for n, task in enumerate(tasks):
                g = greenlet.greenlet(runner(n, task))
                rules.append(g)
                self.walking[g] = 0
                g.switch()
            while self.waiting:
                key = min(self.waiting)
                if key[1] < len(self.bounds):
                    self._open(key)
                else:  # past a sweep's last chunk: the rules whose walks ended there go on with none open
                    self.close()
                    self.now = key
                for g in self.waiting.pop(key):
                    g.switch()
            for n, g in enumerate(rules):
                if not g.dead:  # a rule that never finished never passes
                    out[n].error = RuntimeError("the rule did not finish its walk of the pages")
        finally:
            self.close()
            self.waiting.clear()
            self.walking.clear()
            self.scheduler = None
        return out
