"""Private Use Area glyphs wherever content is painted (annotation appearances, Type 3 glyph procedures),
and PDF/UA-2 8.6: no PUA code point in the text strings a reader is shown."""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name

from printgate.core.validation import validate_file
from tests.core.validation.pdfs import Mutate, make_pdfa
from tests.core.validation.test_rules import failed
from tests.core.validation.test_tounicode import PUA_FONT

NO_TEXT = b"0 0 0 1 k 10 10 80 80 re f"
SHOW_A = b"BT /F1 12 Tf 5 5 Td (A) Tj ET"  # A maps to U+E001 through PUA_FONT's ToUnicode


def _check(tmp_path: Path, flavour: str, mutate: Mutate, content: bytes = NO_TEXT) -> set[str]:
    part = int(flavour[5]) if flavour.startswith("pdfa") else 1
    path = make_pdfa(tmp_path / "pua.pdf", part=part, conformance="A" if flavour == "pdfa-2a" else "B",
                     content=content, mutate=mutate, ua=True)
    return failed(validate_file(path, [flavour]))


def _annotation(appearance: bytes, *, tagged: bool = False, alt: str | None = None) -> Mutate:
    """A Stamp annotation whose normal appearance paints ``appearance`` with the PUA font; ``tagged``: an
    Annot structure element references it (OBJR), with Alt ``alt``."""
    def mutate(pdf: pikepdf.Pdf) -> None:
        PUA_FONT(pdf)
        page = pdf.pages[0].obj
        form = pdf.make_stream(appearance, Type=Name.XObject, Subtype=Name.Form, BBox=Array([0, 0, 50, 20]),
                               Resources=Dictionary(Font=Dictionary(F1=page.Resources.Font.F1)))
        annot = pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.Stamp, Rect=Array([10, 10, 60, 30]),
                                             F=4, Contents=pikepdf.String("stamp"), AP=Dictionary(N=form)))
        page.Annots = Array([annot])
        if tagged:
            doc = pdf.Root.StructTreeRoot.K
            elem = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Annot, P=doc, Pg=page,
                                                K=Dictionary(Type=Name.OBJR, Obj=annot, Pg=page)))
            if alt is not None:
                elem.Alt = pikepdf.String(alt)
            doc.K.append(elem)
            annot.StructParent = 1
            pdf.Root.StructTreeRoot.ParentTree.Nums.extend([1, elem])
    return mutate


@pytest.mark.parametrize(("appearance", "expected"), [
    (SHOW_A, True),
    (b"/Span <</ActualText (A)>> BDC " + SHOW_A + b" EMC", False),
    (b"BT /F1 12 Tf 5 5 Td ( ) Tj ET", False),  # space only
])
def test_pua_in_an_annotation_appearance_needs_actual_text_in_pdfa2a(
        tmp_path: Path, appearance: bytes, expected: bool) -> None:
    assert ("6.2.11.7.3-1" in _check(tmp_path, "pdfa-2a", _annotation(appearance))) is expected


def test_pua_in_a_tagged_annotation_needs_alt_or_actual_text_in_pdfua2(tmp_path: Path) -> None:
    assert "8.4.3-1" in _check(tmp_path, "pdfua-2", _annotation(SHOW_A, tagged=True))
    assert "8.4.3-1" not in _check(tmp_path, "pdfua-2", _annotation(SHOW_A, tagged=True, alt="approved"))
    # outside the structure tree the appearance is an artifact, which PDF/UA-2 exempts
    assert "8.4.3-1" not in _check(tmp_path, "pdfua-2", _annotation(SHOW_A))
    # an artifact inside the appearance is exempt too
    assert "8.4.3-1" not in _check(tmp_path, "pdfua-2", _annotation(b"/Artifact BMC " + SHOW_A + b" EMC", tagged=True))


def _type3_showing_pua(pdf: pikepdf.Pdf) -> None:
    """F3 is a Type 3 font whose glyph g (code 103) paints text with the PUA font F1."""
    PUA_FONT(pdf)
    f1 = pdf.pages[0].obj.Resources.Font.F1
    proc = pdf.make_stream(b"600 0 d0 BT /F1 1 Tf (A) Tj ET")
    f3 = pdf.make_indirect(Dictionary(
        Type=Name.Font, Subtype=Name.Type3, FontBBox=Array([0, 0, 600, 700]),
        FontMatrix=Array([0.001, 0, 0, 0.001, 0, 0]), CharProcs=Dictionary(g=proc),
        Encoding=Dictionary(Type=Name.Encoding, Differences=Array([103, Name.g])), FirstChar=103, LastChar=103,
        Widths=Array([600]), Resources=Dictionary(Font=Dictionary(F1=f1)),
        ToUnicode=pdf.make_stream(b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
                                  b"1 begincodespacerange <00> <FF> endcodespacerange\n"
                                  b"1 beginbfchar\n<67> <0067>\nendbfchar\nendcmap end end")))
    pdf.pages[0].obj.Resources.Font.F3 = f3


def test_pua_in_a_type3_glyph_procedure_needs_actual_text(tmp_path: Path) -> None:
    shown = b"BT /F3 12 Tf 20 20 Td (g) Tj ET"
    assert "6.2.11.7.3-1" in _check(tmp_path, "pdfa-2a", _type3_showing_pua, shown)
    covered = b"/Span <</ActualText (g)>> BDC " + shown + b" EMC"
    assert "6.2.11.7.3-1" not in _check(tmp_path, "pdfa-2a", _type3_showing_pua, covered)


def _utf16(text: str) -> pikepdf.String:
    return pikepdf.String(b"\xfe\xff" + text.encode("utf-16-be"))


def _info_title(value: pikepdf.String) -> Mutate:
    def mutate(pdf: pikepdf.Pdf) -> None:
        pdf.trailer.Info.Title = value
    return mutate


def _outline(title: str) -> Mutate:
    def mutate(pdf: pikepdf.Pdf) -> None:
        outlines = pdf.make_indirect(Dictionary(Type=Name.Outlines, Count=1))
        item = pdf.make_indirect(Dictionary(Title=_utf16(title), Parent=outlines,
                                            Dest=Array([pdf.pages[0].obj, Name.Fit])))
        outlines.First = outlines.Last = item
        pdf.Root.Outlines = outlines
    return mutate


def _element_title(title: str) -> Mutate:
    def mutate(pdf: pikepdf.Pdf) -> None:
        pdf.Root.StructTreeRoot.K.K[0].T = _utf16(title)
    return mutate


def _annotation_contents(text: str) -> Mutate:
    def mutate(pdf: pikepdf.Pdf) -> None:
        pdf.pages[0].obj.Annots = Array([pdf.make_indirect(Dictionary(
            Type=Name.Annot, Subtype=Name.Text, Rect=Array([10, 10, 30, 30]), F=4, Contents=_utf16(text)))])
    return mutate


@pytest.mark.parametrize(("bad", "good"), [
    (_info_title(_utf16("Card \ue000")), _info_title(_utf16("Card \u00e9"))),
    (_info_title(pikepdf.String("\ufeffCard \ue000".encode())), _info_title(pikepdf.String("\ufeffCard".encode()))),
    (_outline("Chapter \U000f0001"), _outline("Chapter 1")),
    (_element_title("Para \uf8ff"), _element_title("Para")),
    (_annotation_contents("note \ue123"), _annotation_contents("note")),
], ids=["info UTF-16", "info UTF-8", "outline", "structure element T", "annotation Contents"])
def test_human_readable_text_strings_hold_no_pua_in_pdfua2(tmp_path: Path, bad: Mutate, good: Mutate) -> None:
    assert "8.6-1" in _check(tmp_path, "pdfua-2", bad)
    assert "8.6-1" not in _check(tmp_path, "pdfua-2", good)
