"""Text maps to Unicode (PDF/A-1a 6.3.8, PDF/A-2u 6.2.11.7.2, PDF/UA-1 7.21.7) and Private Use Area
values are explained by ActualText (PDF/A-2a 6.2.11.7.3, PDF/A-4 6.2.10.8, PDF/UA-2 8.4.3)."""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name

from printgate.core.validation import validate_file
from printgate.core.validation.rules.unicode import is_pua
from tests.core.validation.pdfs import Mutate, make_pdfa, tiny_truetype
from tests.core.validation.test_rules import failed
from tests.core.validation.type1_pdfs import embed_type1, type1_program

TEXT = b"BT /F1 12 Tf 20 20 Td (A A) Tj ET"


def cmap(pairs: dict[int, str], width: int = 1) -> bytes:
    """A ToUnicode CMap of bfchar entries (code -> text)."""
    body = b"".join(b"<%s> <%s>\n" % (code.to_bytes(width, "big").hex().encode(), text.encode("utf-16-be").hex().encode())
                    for code, text in pairs.items())
    return (b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n/CMapName /Test-UCS def\n"
            b"1 begincodespacerange <" + b"00" * width + b"> <" + b"FF" * width + b"> endcodespacerange\n"
            + b"%d beginbfchar\n" % len(pairs) + body + b"endbfchar\nendcmap CMapName currentdict /CMap defineresource pop end end")


def _odd_names(to_unicode: bytes | None = None) -> Mutate:
    """Code 65 is the glyph /g17 (not in the Adobe Glyph List), space is space."""
    program = type1_program({"space": 250, "g17": 600})
    enc = Dictionary(Type=Name.Encoding, BaseEncoding=Name.WinAnsiEncoding, Differences=Array([65, Name("/g17")]))
    return embed_type1(program, encoding=enc, charset="/g17/space", to_unicode=to_unicode)


def _type0(to_unicode: bytes | None) -> Mutate:
    """F1 is a Type 0 font (Identity-H) over an embedded CIDFontType2, without or with a ToUnicode CMap."""
    def mutate(pdf: pikepdf.Pdf) -> None:
        descriptor = pdf.make_indirect(Dictionary(
            Type=Name.FontDescriptor, FontName=Name("/ABCDEF+Tiny"), Flags=4, FontBBox=Array([0, -200, 600, 800]),
            ItalicAngle=0, Ascent=800, Descent=-200, CapHeight=700, StemV=80,
            FontFile2=pdf.make_stream(tiny_truetype())))
        cid_font = pdf.make_indirect(Dictionary(
            Type=Name.Font, Subtype=Name.CIDFontType2, BaseFont=Name("/ABCDEF+Tiny"), FontDescriptor=descriptor,
            CIDSystemInfo=Dictionary(Registry=pikepdf.String("Adobe"), Ordering=pikepdf.String("Identity"),
                                     Supplement=0),
            CIDToGIDMap=Name.Identity, DW=1000, W=Array([1, Array([250, 600])])))
        font = pdf.make_indirect(Dictionary(Type=Name.Font, Subtype=Name.Type0, BaseFont=Name("/ABCDEF+Tiny"),
                                            Encoding=Name("/Identity-H"), DescendantFonts=Array([cid_font])))
        if to_unicode is not None:
            font.ToUnicode = pdf.make_stream(to_unicode)
        pdf.pages[0].obj.Resources = Dictionary(Font=Dictionary(F1=font))
    return mutate


TYPE0_TEXT = b"BT /F1 12 Tf 20 20 Td <00020001> Tj ET"  # CID 2 is A, CID 1 space


def _check(tmp_path: Path, flavour: str, mutate: Mutate, content: bytes = TEXT, ua: bool = False) -> set[str]:
    part = int(flavour[5]) if flavour.startswith("pdfa") else 1
    level = {"pdfa-2u": "U", "pdfa-2a": "A", "pdfa-1a": "A"}.get(flavour, "B")
    path = make_pdfa(tmp_path / "u.pdf", part=part, conformance=level, content=content, mutate=mutate,
                     ua=ua or flavour.startswith("pdfua") or level == "A")
    return failed(validate_file(path, [flavour]))


@pytest.mark.parametrize(("flavour", "clause"), [("pdfa-2u", "6.2.11.7.2-1"), ("pdfa-1a", "6.3.8-1"),
                                                 ("pdfua-1", "7.21.7-1")])
def test_a_glyph_name_outside_the_glyph_list_needs_tounicode(tmp_path: Path, flavour: str, clause: str) -> None:
    assert clause in _check(tmp_path, flavour, _odd_names())
    assert clause not in _check(tmp_path, flavour, _odd_names(cmap({65: "A"})))


def test_tounicode_missing_a_code_falls_back_to_the_glyph_name(tmp_path: Path) -> None:
    # the CMap maps only space: A (named g17) has no Unicode value; a glyph-list name would have one
    assert _check(tmp_path, "pdfa-2u", _odd_names(cmap({32: " "}))) == {"6.2.11.7.2-1"}
    assert _check(tmp_path, "pdfa-2u", embed_type1(to_unicode=cmap({32: " "}))) == set()


def test_type0_identity_font_needs_tounicode(tmp_path: Path) -> None:
    assert "6.2.11.7.2-1" in _check(tmp_path, "pdfa-2u", _type0(None), TYPE0_TEXT)
    assert "6.2.11.7.2-1" not in _check(tmp_path, "pdfa-2u", _type0(cmap({1: " ", 2: "A"}, 2)), TYPE0_TEXT)
    # a ToUnicode that leaves CID 2 out
    assert "6.2.11.7.2-1" in _check(tmp_path, "pdfa-2u", _type0(cmap({1: " "}, 2)), TYPE0_TEXT)


def test_tounicode_values_are_not_zero_or_byte_order_marks(tmp_path: Path) -> None:
    assert "6.2.11.7.2-2" in _check(tmp_path, "pdfa-2u", embed_type1(to_unicode=cmap({65: "\ufeff"})))
    assert "6.2.11.7.2-2" not in _check(tmp_path, "pdfa-2u", embed_type1(to_unicode=cmap({65: "A"})))


def test_private_use_area_code_points() -> None:
    assert is_pua("a\ue000") and is_pua("\U000F0001") and is_pua("\U0010FFFD")
    assert not is_pua("A\uf900") and not is_pua("\ud7ff")


PUA_FONT = embed_type1(to_unicode=cmap({65: "\ue001"}))


@pytest.mark.parametrize(("content", "expected"), [
    (TEXT, True),  # A maps to U+E001 and nothing replaces it (the P element has no ActualText)
    (b"/Span <</ActualText (A)>> BDC " + TEXT + b" EMC", False),  # marked-content ActualText
    (b"BT /F1 12 Tf 20 20 Td ( ) Tj ET", False),  # only space is shown
])
def test_pua_glyphs_need_actual_text(tmp_path: Path, content: bytes, expected: bool) -> None:
    assert ("6.2.11.7.3-1" in _check(tmp_path, "pdfa-2a", PUA_FONT, content)) is expected


def test_pua_glyphs_covered_by_the_structure_elements_actual_text(tmp_path: Path) -> None:
    def mutate(pdf: pikepdf.Pdf) -> None:
        PUA_FONT(pdf)
        para = pdf.Root.StructTreeRoot.K.K[0]  # the P element holding MCID 0
        para.ActualText = pikepdf.String("A")
    assert "6.2.11.7.3-1" not in _check(tmp_path, "pdfa-2a", mutate)
    assert "6.2.11.7.3-1" in _check(tmp_path, "pdfa-2a", PUA_FONT)


def _actual_text_elem(value: str, key: str = "ActualText") -> Mutate:
    def mutate(pdf: pikepdf.Pdf) -> None:
        pdf.Root.StructTreeRoot.K.K[0][Name("/" + key)] = pikepdf.String(value)
    return mutate


@pytest.mark.parametrize(("flavour", "clause"), [("pdfa-4", "6.2.10.8-1"), ("pdfua-2", "8.4.3-2")])
def test_actual_text_holds_no_pua(tmp_path: Path, flavour: str, clause: str) -> None:
    assert clause in _check(tmp_path, flavour, _actual_text_elem("x\ue000"), ua=True)
    assert clause not in _check(tmp_path, flavour, _actual_text_elem("x"), ua=True)
    span = b"/Span <</ActualText <FEFFE000>>> BDC " + TEXT + b" EMC"
    assert clause in _check(tmp_path, flavour, embed_type1(), span, ua=True)


def test_alt_holds_no_pua_and_pua_content_needs_a_replacement_in_pdfua2(tmp_path: Path) -> None:
    assert "8.4.3-3" in _check(tmp_path, "pdfua-2", _actual_text_elem("\ue000", "Alt"))
    assert "8.4.3-3" not in _check(tmp_path, "pdfua-2", _actual_text_elem("a figure", "Alt"))
    assert "8.4.3-1" in _check(tmp_path, "pdfua-2", PUA_FONT)
    artifact = b"/Artifact BMC " + TEXT + b" EMC"  # not real content: no replacement needed
    assert "8.4.3-1" not in _check(tmp_path, "pdfua-2", PUA_FONT, artifact)
