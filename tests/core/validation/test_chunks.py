"""A large file's pages and objects are read in chunks from fresh handles (``chunks``): the reports must be
those of the one-handle reading, and nothing read from a closed chunk may be left in the facts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name, String

from printgate.core.validation import chunks, model, validate_file
from printgate.core.validation.engine import open_document
from tests.core.validation.memory_pdfs import many_page_pdf


def _chunking(monkeypatch: pytest.MonkeyPatch, on: bool) -> None:
    limit = 0 if on else 10**9
    monkeypatch.setattr(chunks, "LARGE_OBJECTS", limit)
    monkeypatch.setattr(chunks, "LARGE_PAGES", limit)


def _with_direct_icc_colour_space(path: Path) -> Path:
    """Page 3 paints in a colour space given as a direct array that names an indirect ICC profile stream:
    the content facts keep that array after page 3's chunk handle is closed."""
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        profile = pdf.make_stream(b"\x00" * 128, N=3)
        page = pdf.pages[2].obj
        page.Resources.ColorSpace = Dictionary(CS0=Array([Name.ICCBased, profile]))
        page.Contents = pdf.make_stream(page.Contents.read_bytes() + b" /CS0 cs 0.2 0.3 0.4 sc 0 0 5 5 re f")
        pdf.save(path, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return path


def test_a_file_read_in_chunks_reports_what_one_handle_reports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _with_direct_icc_colour_space(many_page_pdf(tmp_path / "pages.pdf", 24))
    flavours = ["pdfa-2b", "pdfa-1b", "pdfa-2a", "pdfua-1", "pdfua-2", "pdfa-4", "pdfx-4", "pdfx-1a"]
    _chunking(monkeypatch, False)
    doc = open_document(path)
    assert doc.page_ids is None
    doc.close()
    doc.pdf.close()
    one_handle = validate_file(path, flavours)
    _chunking(monkeypatch, True)
    doc = open_document(path)
    assert doc.page_ids is not None and len(doc.page_ids) == 24  # more than two chunks of pages
    doc.close()
    doc.pdf.close()
    in_chunks = validate_file(path, flavours)
    assert in_chunks == one_handle
    failures = [f for p in in_chunks["profiles"] for f in p["failures"]]
    assert failures and not any("could not be evaluated" in loc for f in failures for loc in f["locations"])


def _nested_tree(path: Path, shape: list[int]) -> Path:
    """Pages under intermediate Pages nodes of ``shape`` sizes, under a root whose Count is not its kids'."""
    pdf = pikepdf.new()
    root = pdf.Root.Pages
    nodes = []
    n = 0
    for size in shape:
        node = pdf.make_indirect(Dictionary(Type=Name.Pages, Parent=root, Kids=Array(), Count=size))
        for _ in range(size):
            n += 1
            page = pdf.make_indirect(Dictionary(Type=Name.Page, Parent=node, MediaBox=Array([0, 0, 100 + n, 100]),
                                                Resources=Dictionary()))
            node.Kids.append(page)
        nodes.append(node)
    root.Kids = Array(nodes)
    root.Count = n
    pdf.save(path, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return path


def test_page_ids_follow_a_nested_page_tree_in_order(tmp_path: Path) -> None:
    path = _nested_tree(tmp_path / "nested.pdf", [3, 1, 4, 2])
    with pikepdf.open(path, inherit_page_attributes=False) as pdf:
        expected = [p.obj.objgen for p in pdf.pages]
        ids = chunks.page_ids(path, pdf)
    assert ids == expected and len(ids) == 10
    pages = [(n, float(p.obj.MediaBox[2])) for n, p in chunks.pages_in_chunks(path, ids)]
    assert pages == [(n, 100.0 + n) for n in range(1, 11)]


def test_a_page_met_twice_leaves_the_tree_to_libqpdf(tmp_path: Path) -> None:
    path = _nested_tree(tmp_path / "twice.pdf", [2, 2])
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        first = pdf.Root.Pages.Kids[0]
        first.Kids.append(first.Kids[0])  # the same page object listed twice
        first.Count = 3
        pdf.Root.Pages.Count = 5
        pdf.save(path)
    with pikepdf.open(path, inherit_page_attributes=False) as pdf:
        assert chunks.page_ids(path, pdf) is None


def test_reference_positions_read_the_array_text() -> None:
    pdf = pikepdf.new()
    ref = pdf.make_indirect(Dictionary(A=1))
    arr = Array([String("a(b]c"), Name("/X"), Array([1, ref, Dictionary(B=String("]"))]), ref, 3.5, 1, 0, ref,
                 String(b"\x00)"), True])
    assert chunks.reference_positions(arr) == {3, 7}
    assert chunks.reference_positions(Array([1, 2, 3])) == set()


def test_an_adopted_direct_object_outlives_its_chunk_handle(tmp_path: Path) -> None:
    path = _with_direct_icc_colour_space(many_page_pdf(tmp_path / "adopt.pdf", 3))
    with pikepdf.open(path) as main:
        with pikepdf.open(path) as chunk:
            cs = chunk.pages[2].obj.Resources.ColorSpace.CS0
            adopted = chunks.adopt(cs, main)
        assert not adopted.is_indirect and adopted[0] == Name.ICCBased
        assert adopted[1].is_indirect and int(adopted[1].N) == 3


def test_the_lazy_cos_walk_finds_what_the_eager_one_finds(tmp_path: Path) -> None:
    """The walk that does not resolve references (a large file's) measures the same limits."""
    pdf = pikepdf.new()
    target = pdf.make_indirect(Dictionary(Big=2**40, Long=String(b"x" * 40000)))
    holder = pdf.make_indirect(Array([target, Array([2**33, target, -1e-40]), Dictionary(N=Name("/" + "n" * 130)),
                                      String(b"y" * 33000), target]))
    pdf.Root.Holder = holder
    path = tmp_path / "limits.pdf"
    pdf.save(path)

    def walk(lazy: bool) -> Any:
        facts = model.CosFacts()
        with pikepdf.open(path) as opened:
            for obj in opened.objects:
                model._walk_cos(obj, f"obj {obj.objgen[0]} {obj.objgen[1]}", facts, 0, lazy)
        return facts

    eager = walk(False)
    assert eager.big_ints and eager.long_strings and eager.long_names
    assert walk(True) == eager
