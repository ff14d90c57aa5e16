"""A large file's rules run side by side over one reading of its page chunks (``shared_pass``): each rule's
verdicts are those it gives run alone, and the page chunks are read once per sweep, not once per rule."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name

from printgate.core.validation import chunks, shared_pass
from printgate.core.validation.engine import open_document, run_flavour
from printgate.core.validation.flavours import FLAVOURS
from printgate.core.validation.model import Document
from printgate.core.validation.shared_pass import SharedChunks
from tests.core.validation.memory_pdfs import many_page_pdf

PAGES = 24


@pytest.fixture
def chunked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chunks, "LARGE_OBJECTS", 0)
    monkeypatch.setattr(chunks, "LARGE_PAGES", 0)


def _opened(path: Path) -> Document:
    doc = open_document(path)
    assert doc.page_ids is not None and len(doc.page_ids) == PAGES
    return doc


def _close(doc: Document) -> None:
    doc.close()
    doc.pdf.close()


def _count_opens(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    opened = [0]
    reopen = chunks.reopen

    def counting(path: Path) -> pikepdf.Pdf:
        opened[0] += 1
        return reopen(path)

    monkeypatch.setattr(chunks, "reopen", counting)
    return opened


def test_the_rules_share_one_reading_of_each_chunk(tmp_path: Path, chunked: None,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """PDF/A-2b's rules that walk the pages (boxes, groups, annotations, actions, PresSteps, AA, ...) read the
    chunks side by side: besides the content walk's and the cos walk's own passes, at most two sweeps, where
    each rule reading its chunks itself took a pass per rule."""
    doc = _opened(many_page_pdf(tmp_path / "pages.pdf", PAGES, shared=True))
    try:
        walks = [0]
        pages_in_chunks = chunks.pages_in_chunks

        def counting(path: Path, ids: list[chunks.ObjId]) -> Iterator[tuple[int, pikepdf.Page]]:
            walks[0] += 1
            return pages_in_chunks(path, ids)

        monkeypatch.setattr(chunks, "pages_in_chunks", counting)
        sweeps = []
        run = SharedChunks.run

        def recording(self: SharedChunks, *args: object) -> list[shared_pass.Tally]:
            out = run(self, *args)  # type: ignore[arg-type]
            sweeps.append(self.now[0] + 1)
            return out

        monkeypatch.setattr(SharedChunks, "run", recording)
        report = run_flavour(doc, FLAVOURS["pdfa-2b"], "pdfa-2b")
    finally:
        _close(doc)
    assert report["checks"]["passed"] > PAGES * 5
    assert walks == [1]  # the content walk, before the rules
    assert sweeps and sweeps[0] <= 2


def _numbers(doc: Document) -> Iterator[tuple[bool, str]]:
    """A verdict per page: pass on odd pages, each page's MediaBox read from the chunk it came from."""
    for n, page in doc.iter_pages():
        yield n % 2 == 1 and float(page.obj.MediaBox[2]) > 0, f"page {n}"


def _twice(doc: Document) -> Iterator[tuple[bool, str]]:
    """Two walks one after the other: the second starts after the sweep has passed its first chunk."""
    for walk in ("first", "second"):
        for n, _page in doc.iter_pages():
            yield True, f"{walk} {n}"
    yield False, "end of both walks"


def _nested(doc: Document) -> Iterator[tuple[bool, str]]:
    """A walk inside a walk of the same rule: the inner one reads chunks of its own."""
    for n, page in doc.iter_pages():
        inner = sum(1 for _ in doc.iter_pages())
        yield inner == PAGES and page.obj.get("/Type") == Name.Page, f"page {n}"


def _broken(doc: Document) -> Iterator[tuple[bool, str]]:
    for n, _page in doc.iter_pages():
        if n == 13:
            raise ValueError("page 13 cannot be judged")
        yield True, f"page {n}"


def _no_pages(doc: Document) -> Iterator[tuple[bool, str]]:
    yield doc.catalog.get("/Type") == Name.Catalog, "catalog"


def test_each_rule_counts_what_it_gives_alone(tmp_path: Path, chunked: None,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    doc = _opened(many_page_pdf(tmp_path / "pages.pdf", PAGES))
    try:
        tasks = [_numbers, _twice, _nested, _broken, _no_pages]
        alone = [shared_pass.tally(lambda task=task: task(doc), 3) for task in tasks]  # type: ignore[misc]
        opened = _count_opens(monkeypatch)
        shared = SharedChunks(doc.path, doc.page_ids or [])
        doc.shared_pages = shared
        together = shared.run([lambda task=task: task(doc) for task in tasks], 3)  # type: ignore[misc]
        doc.shared_pages = None
    finally:
        _close(doc)
    chunk_count = len(chunks.chunk_bounds(shared.ids))
    assert chunk_count >= 3
    for a, b in zip(alone, together, strict=True):
        assert (a.passed, a.failed, a.locations, repr(a.error)) == (b.passed, b.failed, b.locations, repr(b.error))
    numbers, twice, nested, broken, no_pages = together
    assert (numbers.passed, numbers.failed, numbers.locations) == (PAGES // 2, PAGES // 2, ["page 2", "page 4", "page 6"])
    assert (twice.passed, twice.failed, twice.locations) == (2 * PAGES, 1, ["end of both walks"])
    assert (nested.passed, nested.failed) == (PAGES, 0)
    assert broken.passed == 12 and isinstance(broken.error, ValueError)
    assert (no_pages.passed, no_pages.failed, no_pages.error) == (1, 0, None)
    # two sweeps of shared chunks; the nested walks read their own (a walk of every chunk per outer page)
    assert opened[0] == 2 * chunk_count + PAGES * chunk_count
    assert shared.handle is None and not shared.waiting


def test_chunks_hold_fewer_pages_where_the_pages_hold_many_annotations() -> None:
    ids = [(n, 0) for n in range(1, 31)]
    annots = [0] * 12 + [150, 30, 60, 20, 300, 0, 0] + [1] * 11
    bounds = chunks.PageIds(ids, annots).bounds
    assert bounds == [(0, 10), (10, 14), (14, 16), (16, 17), (17, 27), (27, 30)]
    assert chunks.chunk_bounds(ids) == [(0, 10), (10, 20), (20, 30)]  # a plain list: CHUNK_PAGES each
    assert chunks.PageIds([], []).bounds == []


def test_the_page_list_counts_each_page_annotations(tmp_path: Path) -> None:
    path = many_page_pdf(tmp_path / "pages.pdf", PAGES, shared=True)  # 20 links a page, one on the first
    with pikepdf.open(path) as pdf:
        pdf.pages[5].obj.Annots = Array([pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.Text,
                                                                      Rect=Array([0, 0, 1, 1])))] * 250)
        pdf.save(tmp_path / "heavy.pdf")
    with pikepdf.open(tmp_path / "heavy.pdf", inherit_page_attributes=False) as pdf:
        ids = chunks.page_ids(tmp_path / "heavy.pdf", pdf)
    assert isinstance(ids, chunks.PageIds) and len(ids) == PAGES
    assert ids.bounds == [(0, 5), (5, 6), (6, 16), (16, 24)]


def test_a_rule_left_unfinished_does_not_pass(tmp_path: Path) -> None:
    """A rule whose greenlet was never resumed to its end gives no verdicts: it must not count as passed."""
    import greenlet

    def stalls() -> Iterator[tuple[bool, str]]:
        yield True, "before"
        greenlet.getcurrent().parent.switch()  # back to the scheduler without waiting for a chunk
        yield True, "never"

    def finishes() -> Iterator[tuple[bool, str]]:
        yield True, "done"

    shared = SharedChunks(tmp_path / "unused.pdf", [])
    stalled, finished = shared.run([stalls, finishes], 3)
    assert isinstance(stalled.error, RuntimeError) and stalled.passed == 0  # its tally was never handed back
    assert (finished.passed, finished.failed, finished.error) == (1, 0, None)


def test_a_rule_goes_on_after_its_walk_with_no_chunk_open(tmp_path: Path, chunked: None) -> None:
    """What a rule reads after its walk of the pages (the actions rules: the outline, then the form fields) is
    resolved on the document's handle and stays there: read beside the last chunk's handle, it added to the
    peak what closing that handle first saves (interface3.pdf: 44.9 -> 44.1 MB). A rule still reading the last
    chunk keeps it: the chunk is closed once every rule on it has moved on."""
    doc = _opened(many_page_pdf(tmp_path / "pages.pdf", PAGES))
    open_after: list[bool] = []

    def walks_then_reads_on() -> Iterator[tuple[bool, str]]:
        for n, _page in doc.iter_pages():
            yield True, f"page {n}"
        assert doc.shared_pages is not None
        open_after.append(doc.shared_pages.handle is not None)
        yield doc.catalog.get("/Type") == Name.Catalog, "catalog after the walk"

    try:
        shared = SharedChunks(doc.path, doc.page_ids or [])
        doc.shared_pages = shared
        after, numbers, twice = shared.run([walks_then_reads_on, lambda: _numbers(doc), lambda: _twice(doc)], 3)
        doc.shared_pages = None
    finally:
        _close(doc)
    assert open_after == [False]
    assert (after.passed, after.failed, after.error) == (PAGES + 1, 0, None)
    assert (numbers.passed, numbers.failed, numbers.error) == (PAGES // 2, PAGES // 2, None)  # its last chunk read whole
    assert (twice.passed, twice.failed, twice.error) == (2 * PAGES, 1, None)
    assert shared.handle is None and not shared.waiting
