"""Many-page PDFs for measuring how validation memory grows with the page count (tests and
``bench/validation_memory.py --generate``). Pure pikepdf, no pytest."""

from __future__ import annotations

import itertools
import zlib
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name


def many_page_pdf(path: Path, pages: int, *, object_streams: bool = True, shared: bool = False,
                  outline: bool = False) -> Path:
    """``pages`` pages, each with resources of its own, as a real document's chapters have: a font with
    its Widths, an image, a form XObject, an ExtGState, a link annotation to the previous page and a
    content stream of 40 lines of text (a literal string, then 20 glyphs in hexadecimal strings: 800 hex
    strings a page). ``object_streams`` packs the objects into object streams as pdfTeX and most producers
    do (libqpdf then resolves a whole stream at once). ``shared``: the pages share one font, image, form and
    ExtGState, as a book's do, and each page has 20 links instead of one (a manual's cross-references):
    what grows with pages is then only the page objects themselves. ``outline``: a bookmark per page, written
    after the pages as pdfTeX writes them (the actions rules read it after their walk of the pages)."""
    pdf = pikepdf.new()
    # A line of text as LuaTeX and most office exporters write it: glyph by glyph in hexadecimal strings.
    glyphs = b" -15 ".join(b"<%02x>" % (0x41 + k % 26) for k in range(20))
    widths = Array([500 + (c % 7) * 10 for c in range(32, 127)])
    resources: Dictionary | None = None
    for i in range(pages):
        pdf.add_blank_page(page_size=(300, 400))
        page = pdf.pages[i].obj
        if shared and resources is not None:
            page.Resources = resources
            page.Contents = pdf.make_stream(pdf.pages[i - 1].obj.Contents.read_bytes())
            page.Annots = Array([pdf.make_indirect(Dictionary(
                Type=Name.Annot, Subtype=Name.Link, Rect=Array([20, 20 + k, 80, 40 + k]), F=4,
                Border=Array([0, 0, 0]), Dest=Array([pdf.pages[(i * 7 + k) % i].obj, Name.Fit]))) for k in range(20)])
            continue
        font = pdf.make_indirect(Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name(f"/Font{i}"),
                                            FirstChar=32, LastChar=126, Widths=widths,
                                            Encoding=Name.WinAnsiEncoding))
        image = pdf.make_stream(zlib.compress(bytes((i + k) % 256 for k in range(64))), Type=Name.XObject,
                                Subtype=Name.Image, Width=8, Height=8, ColorSpace=Name.DeviceGray,
                                BitsPerComponent=8, Filter=Name.FlateDecode)
        form = pdf.make_stream(b"0 0 1 rg 0 0 10 10 re f", Type=Name.XObject, Subtype=Name.Form,
                               BBox=Array([0, 0, 10, 10]))
        gstate = pdf.make_indirect(Dictionary(Type=Name.ExtGState, LW=1 + i % 3))
        page.Resources = Dictionary(Font=Dictionary(F1=font), XObject=Dictionary(Im1=image, Fm1=form),
                                    ExtGState=Dictionary(GS1=gstate))
        resources = pdf.make_indirect(page.Resources) if shared else None
        if resources is not None:
            page.Resources = resources
        lines = b"".join(b"0 -12 Td (Line %d of page %d) Tj [%s] TJ " % (n, i + 1, glyphs) for n in range(40))
        page.Contents = pdf.make_stream(
            b"/GS1 gs BT /F1 10 Tf 20 380 Td " + lines + b"ET q 40 0 0 40 50 200 cm /Im1 Do Q q 100 100 cm /Fm1 Do Q")
        target = pdf.pages[i - 1].obj if i else page
        link = pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=Array([20, 20, 80, 40]),
                                            F=4, Border=Array([0, 0, 0]), Dest=Array([target, Name.Fit])))
        page.Annots = Array([link])
    if outline:
        _outline(pdf)
    mode = pikepdf.ObjectStreamMode.generate if object_streams else pikepdf.ObjectStreamMode.disable
    pdf.save(path, object_stream_mode=mode)
    return path


def _outline(pdf: pikepdf.Pdf) -> None:
    """A bookmark per page, each to its page, siblings under one root."""
    root = pdf.make_indirect(Dictionary(Type=Name.Outlines))
    items = [pdf.make_indirect(Dictionary(Title=pikepdf.String(f"Section {n + 1}: page {n + 1}"), Parent=root,
                                          Dest=Array([page.obj, Name.XYZ, 0, 400, 0])))
             for n, page in enumerate(pdf.pages)]
    for before, after in itertools.pairwise(items):
        before.Next, after.Prev = after, before
    root.First, root.Last, root.Count = items[0], items[-1], len(items)
    pdf.Root.Outlines = root
