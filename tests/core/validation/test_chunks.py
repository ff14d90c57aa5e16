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


def _with_kept_resources(path: Path) -> Path:
    """Pages whose resources the content facts keep as ``KeptFont``/``KeptStream`` in a large file, each with
    something a rule judges: JPEG 2000 images (one after FlateDecode: its data is read through the kept stream),
    an image with an SMask, Interpolate and an unknown Intent, a Type 3 font, a form with StructParents painted
    twice, and an ExtGState with a blend mode array, a soft mask and a transfer function."""
    import zlib

    from tests.core.validation.test_jpx import jp2

    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        def paint(n: int, resources: Dictionary, ops: bytes) -> None:
            page = pdf.pages[n].obj
            page.Resources = resources
            page.Contents = pdf.make_stream(page.Contents.read_bytes() + b" " + ops)

        def jpx(data: bytes, flate: bool) -> pikepdf.Stream:
            image = pdf.make_stream(zlib.compress(data) if flate else data, Type=Name.XObject, Subtype=Name.Image,
                                    Width=16, Height=16)
            image.Filter = Array([Name.FlateDecode, Name.JPXDecode]) if flate else Name.JPXDecode
            return image

        paint(4, Dictionary(XObject=Dictionary(J1=jpx(jp2(nc=3, bpc=7), False), J2=jpx(jp2(nc=2, bpc=20), True))),
              b"q 10 0 0 10 0 0 cm /J1 Do /J2 Do Q")
        smask = pdf.make_stream(b"\x00" * 4, Type=Name.XObject, Subtype=Name.Image, Width=2, Height=2,
                                ColorSpace=Name.DeviceGray, BitsPerComponent=8)
        image = pdf.make_stream(b"\x00" * 12, Type=Name.XObject, Subtype=Name.Image, Width=2, Height=2,
                                ColorSpace=Name.DeviceRGB, BitsPerComponent=8, SMask=smask, Interpolate=True,
                                Intent=Name("/Vivid"))
        proc = pdf.make_stream(b"500 0 d0 0 0 100 100 re f")
        type3 = pdf.make_indirect(Dictionary(
            Type=Name.Font, Subtype=Name.Type3, FontBBox=Array([0, 0, 100, 100]), FontMatrix=Array([0.01, 0, 0, 0.01, 0, 0]),
            CharProcs=Dictionary(a=proc), Encoding=Dictionary(Differences=Array([97, Name("/a")])), FirstChar=97,
            LastChar=97, Widths=Array([500])))
        paint(6, Dictionary(XObject=Dictionary(Im9=image), Font=Dictionary(T3=type3)),
              b"q 10 0 0 10 0 0 cm /Im9 Do Q BT /T3 12 Tf (aa) Tj ET")
        form = pdf.make_stream(b"0 0 5 5 re f", Type=Name.XObject, Subtype=Name.Form, BBox=Array([0, 0, 5, 5]),
                               StructParents=7, Group=Dictionary(S=Name.Transparency, CS=Name.DeviceRGB))
        gstate = pdf.make_indirect(Dictionary(Type=Name.ExtGState, BM=Array([Name.Multiply, Name.Normal]),
                                              SMask=Dictionary(S=Name.Luminosity, G=form), TR=Name.Identity, ca=0.5))
        for n in (8, 9, 20):
            paint(n, Dictionary(XObject=Dictionary(Fx=form), ExtGState=Dictionary(G1=gstate)), b"/G1 gs /Fx Do")
        pdf.save(path, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return path


def test_kept_fonts_images_and_forms_report_what_one_handle_reports(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A large file's content facts keep fonts, images and forms without resolving them on the document's
    handle (``kept``): every rule that reads them, JPEG 2000 data included, reports as on one handle."""
    from printgate.core.validation.flavours import FLAVOURS
    from printgate.core.validation.kept import KeptFont, KeptStream
    from printgate.core.validation.rules.base import Context

    path = _with_kept_resources(many_page_pdf(tmp_path / "kept.pdf", 24))
    flavours = ["pdfa-2b", "pdfa-1b", "pdfa-4", "pdfua-1", "pdfua-2", "pdfx-4", "pdfx-1a", "pdfx-3"]
    _chunking(monkeypatch, False)
    one_handle = validate_file(path, flavours)
    _chunking(monkeypatch, True)
    in_chunks = validate_file(path, flavours)
    assert in_chunks == one_handle
    failures = {f["ruleId"]: f for p in in_chunks["profiles"] for f in p["failures"]}
    assert not any("could not be evaluated" in loc for f in failures.values() for loc in f["locations"])
    located = " ".join(loc for f in failures.values() for loc in f["locations"])
    for shown in ("page 5 JPX image", "page 7 image", "page 9 ExtGState", "page 9 form"):
        assert shown in located, shown
    doc = open_document(path)
    try:
        facts = Context(doc, 2, "b").content
        assert {type(use._font) for use in facts.fonts.values()} == {KeptFont}
        assert facts.images and all(type(img) is KeptStream for img, _ in facts.images)
        assert facts.forms and all(type(form) is KeptStream for form, _ in facts.forms)
        assert FLAVOURS["pdfa-2b"].part == 2
    finally:
        doc.close()
        doc.pdf.close()
