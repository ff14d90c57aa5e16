"""Type 0 fonts under a predefined CMap other than Identity (ISO 32000-1 Table 118): strings split into codes
by the CMap's codespace ranges, codes mapped to CIDs, and each code judged for a Unicode value (PDF/A-2u
6.2.11.7.2, PDF/A-1a 6.3.8, PDF/UA-1 7.21.7)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name

from printgate.core.validation import validate_file
from printgate.core.validation.cmaps import PREDEFINED, CodeSpace, predefined, ucs2
from tests.core.validation.pdfs import Mutate, make_pdfa, tiny_truetype

RKSJ = "90ms-RKSJ-H"  # Shift-JIS: one-byte codes <00>-<80> and <A0>-<DF>, two-byte <8140>-<9FFC>, <E040>-<FCFC>
GBK = "GBK-EUC-H"  # GBK: one-byte codes <00>-<80>, two-byte <8140>-<FEFE>
# Per CMap: a one-byte code, a two-byte code (both mapped to CIDs), a two-byte code in the codespace that the
# CMap maps to no CID, and bytes that fit no codespace range.
CASES = {RKSJ: (b"A", b"\x82\xa0", b"\x81\xad", b"\xfd"), GBK: (b"A", b"\xb0\xa1", b"\x81\x7f", b"\xff")}
CLAUSES = [("pdfa-2u", "6.2.11.7.2-1"), ("pdfa-1a", "6.3.8-1"), ("pdfua-1", "7.21.7-1")]


def test_every_predefined_cmap_of_table_118_is_shipped_with_its_codespace() -> None:
    assert len(PREDEFINED) == 61 and {"UniKS-UTF16-V", "ETenms-B5-H", "H", "V", "GBK2K-H"} <= set(PREDEFINED)
    for name, collection in PREDEFINED.items():
        if name.startswith("Identity"):
            continue
        cmap = predefined(name)
        assert cmap is not None and cmap.collection == collection, name
        assert cmap.code_space.ranges, name
    assert predefined("Adobe-Korea1-2") is None and predefined("Identity-H") is None


def test_codespace_ranges_bound_each_byte() -> None:
    """<8140> <9FFC> is first byte 81-9F and second byte 40-FC: <81FD> is between the two as a number but does
    not fit; it is read as one two-byte code (the shortest range whose first byte matches), not a crash."""
    space = predefined(RKSJ).code_space  # type: ignore[union-attr]
    assert list(space.split(b"A\x82\xa0\xb1")) == [(0x41, 1, True), (0x82A0, 2, True), (0xB1, 1, True)]
    assert list(space.split(b"\x81\xfdA")) == [(0x81FD, 2, False), (0x41, 1, True)]
    assert list(space.split(b"\xfd\x82")) == [(0xFD, 1, False), (0x82, 1, False)]  # a cut-off last code too
    assert list(space.split(b"")) == []
    # four-byte codes: GB 18030 in GBK2K-H, UTF-16 surrogate pairs in UniJIS-UTF16-H
    assert list(predefined("GBK2K-H").code_space.split(b"\x81\x30\x81\x30\x41")) == [  # type: ignore[union-attr]
        (0x81308130, 4, True), (0x41, 1, True)]
    utf16 = predefined("UniJIS-UTF16-H").code_space  # type: ignore[union-attr]
    assert list(utf16.split("\U00020b9fA".encode("utf-16-be"))) == [(0xD842DF9F, 4, True), (0x0041, 2, True)]
    assert list(CodeSpace([(2, b"\x00\x00", b"\xff\xff")]).split(b"\x00\x41\x00")) == [(0x41, 2, True),
                                                                                      (0, 1, False)]


def test_codes_map_to_cids_through_usecmap_and_notdef_ranges() -> None:
    vertical = predefined("90ms-RKSJ-V")
    assert vertical is not None and vertical.parent is not None and vertical.parent.name == RKSJ
    assert vertical.cid(0x8141, 2) == (7887, True)  # its own vertical form
    assert vertical.cid(0x82A0, 2) == predefined(RKSJ).cid(0x82A0, 2) == (843, True)  # type: ignore[union-attr]
    assert vertical.cid(0x81AD, 2) == (0, False)  # in the codespace, mapped by nothing: CID 0
    gbk = predefined(GBK)
    assert gbk is not None and gbk.cid(0x10, 1) == gbk.cid(0x1F, 1) == (7716, False)  # one notdef CID per range
    japan1 = ucs2("Adobe-Japan1")
    assert japan1 is not None and japan1.text(843) == "\u3042" and japan1.text(10**6) is None
    assert ucs2("Adobe-Identity") is None


def _type0(encoding: str, to_unicode: dict[bytes, str] | None, collection: str = "Japan1") -> Mutate:
    """F1: a Type 0 font with a predefined CMap over an embedded CIDFontType2 of the Adobe ``collection``
    whose CIDs up to 12,000 show the glyph A (600 wide, the default width), CID 0 the program's .notdef."""
    def mutate(pdf: pikepdf.Pdf) -> None:
        descriptor = pdf.make_indirect(Dictionary(
            Type=Name.FontDescriptor, FontName=Name("/ABCDEF+Tiny"), Flags=4, FontBBox=Array([0, -200, 600, 800]),
            ItalicAngle=0, Ascent=800, Descent=-200, CapHeight=700, StemV=80,
            FontFile2=pdf.make_stream(tiny_truetype())))
        cid_font = pdf.make_indirect(Dictionary(
            Type=Name.Font, Subtype=Name.CIDFontType2, BaseFont=Name("/ABCDEF+Tiny"), FontDescriptor=descriptor,
            CIDSystemInfo=Dictionary(Registry=pikepdf.String("Adobe"), Ordering=pikepdf.String(collection),
                                     Supplement=2),
            CIDToGIDMap=pdf.make_stream(b"\x00\x00" + b"\x00\x02" * 12000), DW=600))  # each CID but 0: A
        font = pdf.make_indirect(Dictionary(Type=Name.Font, Subtype=Name.Type0, BaseFont=Name("/ABCDEF+Tiny"),
                                            Encoding=Name("/" + encoding), DescendantFonts=Array([cid_font])))
        if to_unicode is not None:
            font.ToUnicode = pdf.make_stream(_to_unicode(to_unicode))
        pdf.pages[0].obj.Resources = Dictionary(Font=Dictionary(F1=font))
    return mutate


def _to_unicode(pairs: dict[bytes, str]) -> bytes:
    """A ToUnicode CMap with one- and two-byte codes (bfchar: code bytes -> text)."""
    body = b"".join(b"<%s> <%s>\n" % (code.hex().encode(), text.encode("utf-16-be").hex().encode())
                    for code, text in pairs.items())
    return (b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n/CMapName /Test-UCS def\n"
            b"2 begincodespacerange <00> <80> <8140> <FFFF> endcodespacerange\n"
            + b"%d beginbfchar\n" % len(pairs) + body + b"endbfchar\nendcmap CMapName currentdict /CMap "
            b"defineresource pop end end")


def _report(tmp_path: Path, flavour: str, mutate: Mutate, shown: bytes) -> dict[str, Any]:
    part = int(flavour[5]) if flavour.startswith("pdfa") else 1
    level = {"pdfa-2u": "U", "pdfa-1a": "A"}.get(flavour, "B")
    content = b"BT /F1 12 Tf 20 20 Td <" + shown.hex().encode() + b"> Tj ET"
    path = make_pdfa(tmp_path / f"{flavour}.pdf", part=part, conformance=level, content=content, mutate=mutate,
                     ua=flavour.startswith("pdfua") or level == "A")
    return validate_file(path, [flavour])


def _failures(report: dict[str, Any], clause: str) -> list[str]:
    """The locations of the failures of one clause-test."""
    return [loc for f in report["profiles"][0]["failures"] if f"{f['clause']}-{f['testNumber']}" == clause
            for loc in f["locations"]]


@pytest.mark.parametrize("encoding", [RKSJ, GBK])
@pytest.mark.parametrize(("flavour", "clause"), CLAUSES)
def test_tounicode_covering_every_code_of_a_mixed_string_passes(tmp_path: Path, flavour: str, clause: str,
                                                                 encoding: str) -> None:
    one, two, _, _ = CASES[encoding]
    report = _report(tmp_path, flavour, _type0(encoding, {one: "A", two: "\u3042"}), one + two + one)
    assert _failures(report, clause) == []
    failed = {f"{f['clause']}-{f['testNumber']}" for f in report["profiles"][0]["failures"]}
    # PDF/A-1 wants every CMap but Identity embedded (6.3.3.3) and a CIDSet (6.3.5); nothing else fails
    assert failed == ({"6.3.3.3-1", "6.3.5-3"} if flavour == "pdfa-1a" else set())


@pytest.mark.parametrize("encoding", [RKSJ, GBK])
@pytest.mark.parametrize(("flavour", "clause"), CLAUSES)
def test_a_code_tounicode_misses_fails_and_is_named(tmp_path: Path, flavour: str, clause: str,
                                                    encoding: str) -> None:
    """The CMap maps the missed code to no CID (it shows the notdef glyph), so no collection map gives it a
    value either; the codes around it are judged one by one and pass."""
    one, two, unmapped, _ = CASES[encoding]
    report = _report(tmp_path, flavour, _type0(encoding, {one: "A", two: "\u3042"}), one + unmapped + two)
    missed = _failures(report, clause)
    assert len(missed) == 1 and f"<{unmapped.hex().upper()}> in {encoding}, no CID" in missed[0], missed
    assert report["compliant"] is False


@pytest.mark.parametrize("encoding", [RKSJ, GBK])
def test_without_tounicode_a_cid_of_the_collection_maps_through_its_ucs2_cmap(tmp_path: Path, encoding: str) -> None:
    one, two, unmapped, _ = CASES[encoding]
    ordering = "Japan1" if encoding == RKSJ else "GB1"
    assert _failures(_report(tmp_path, "pdfua-1", _type0(encoding, None, ordering), one + two), "7.21.7-1") == []
    missed = _failures(_report(tmp_path, "pdfua-1", _type0(encoding, None, ordering), two + unmapped), "7.21.7-1")
    assert len(missed) == 1 and f"<{unmapped.hex().upper()}>" in missed[0]


@pytest.mark.parametrize("encoding", [RKSJ, GBK])
@pytest.mark.parametrize(("flavour", "clause"), CLAUSES)
def test_bytes_outside_the_codespace_are_a_finding(tmp_path: Path, flavour: str, clause: str, encoding: str) -> None:
    one, two, _, outside = CASES[encoding]
    # ToUnicode maps even the stray byte: it still fits no codespace range, so it shows no character
    report = _report(tmp_path, flavour, _type0(encoding, {one: "A", two: "\u3042", outside: "?"}),
                     one + outside + two)
    found = _failures(report, clause)
    assert len(found) == 1 and f"bytes <{outside.hex().upper()}> fit no codespace range of {encoding}" in found[0]


@pytest.mark.parametrize(("flavour", "clause"), CLAUSES)
def test_a_cmap_neither_predefined_nor_embedded_is_a_finding_not_a_pass(tmp_path: Path, flavour: str,
                                                                       clause: str) -> None:
    report = _report(tmp_path, flavour, _type0("Adobe-Japan1-2", {b"A": "A"}), b"A")
    found = _failures(report, clause)
    assert len(found) == 1 and "CMap Adobe-Japan1-2 is neither predefined nor embedded" in found[0]


@pytest.mark.parametrize("encoding", [RKSJ, GBK])
@pytest.mark.parametrize(("flavour", "clause", "notdef"), [("pdfa-2u", "6.2.11.7.2-1", "6.2.11.8-1"),
                                                           ("pdfua-1", "7.21.7-1", "7.21.8-1")])
def test_a_code_mapped_to_no_cid_shows_notdef_even_with_a_unicode_value(tmp_path: Path, flavour: str, clause: str,
                                                                         notdef: str, encoding: str) -> None:
    one, two, unmapped, _ = CASES[encoding]
    report = _report(tmp_path, flavour, _type0(encoding, {one: "A", two: "\u3042", unmapped: "\u2015"}),
                     one + unmapped + two)
    assert _failures(report, clause) == []  # ToUnicode gives it a value
    assert [loc for loc in _failures(report, notdef) if loc.endswith(" code 0")]  # but it shows CID 0, .notdef
    clean = _report(tmp_path, flavour, _type0(encoding, {one: "A", two: "\u3042"}), one + two)
    assert _failures(clean, notdef) == [] and clean["compliant"] is True
