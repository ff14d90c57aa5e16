"""Rules written from their clauses (composite fonts and CMaps, halftones, overprint, signatures, xref
syntax, PDF/UA-1 forms and media, PDF/UA-2 structure, links and annotations): each fails on a file
built to break it and passes on the same file built right."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name

from printgate.core.validation import validate_file
from tests.core.validation.pdfs import ICC, make_pdfa
from tests.core.validation.test_rules import failed

Mutate = Callable[[pikepdf.Pdf], None]
TEXT = b"BT /F1 12 Tf 20 20 Td <0001> Tj ET"


def _cmap_data(top_cid: int = 100) -> bytes:
    return (b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
            b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Japan1) /Supplement 2 >> def\n"
            b"/CMapName /Test-H def /CMapType 1 def\n1 begincodespacerange <0000> <ffff> endcodespacerange\n"
            b"1 begincidrange <0000> <0010> " + str(top_cid - 16).encode() + b" endcidrange\n"
            b"endcmap CMapName currentdict /CMap defineresource pop end end\n")


def _type0(cid_supplement: int = 2, use_cmap: str | None = None, top_cid: int = 100,
           cid_to_gid: Any = Name.Identity) -> Mutate:
    """Page 1 gets a Type 0 font F1 with an embedded CMap (Adobe-Japan1-2) and a CIDFontType2 descendant."""
    def mutate(pdf: pikepdf.Pdf) -> None:
        cmap = pdf.make_stream(_cmap_data(top_cid))
        cmap.Type = Name.CMap
        cmap.CMapName = Name("/Test-H")
        cmap.CIDSystemInfo = Dictionary(Registry=pikepdf.String("Adobe"), Ordering=pikepdf.String("Japan1"),
                                        Supplement=2)
        if use_cmap:
            cmap.UseCMap = Name("/" + use_cmap)
        descriptor = pdf.make_indirect(Dictionary(
            Type=Name.FontDescriptor, FontName=Name("/Tiny"), Flags=4, FontBBox=Array([0, -200, 600, 800]),
            ItalicAngle=0, Ascent=800, Descent=-200, CapHeight=700, StemV=80,
            FontFile2=pdf.make_stream(b"\x00\x01\x00\x00")))
        cid = pdf.make_indirect(Dictionary(
            Type=Name.Font, Subtype=Name.CIDFontType2, BaseFont=Name("/Tiny"), FontDescriptor=descriptor,
            CIDSystemInfo=Dictionary(Registry=pikepdf.String("Adobe"), Ordering=pikepdf.String("Japan1"),
                                     Supplement=cid_supplement), CIDToGIDMap=cid_to_gid))
        font = pdf.make_indirect(Dictionary(Type=Name.Font, Subtype=Name.Type0, BaseFont=Name("/Tiny"),
                                            Encoding=cmap, DescendantFonts=Array([cid])))
        pdf.pages[0].obj.Resources = Dictionary(Font=Dictionary(F1=font))
    return mutate


def _halftone(**ht: Any) -> Mutate:
    def mutate(pdf: pikepdf.Pdf) -> None:
        halftone = Dictionary(Type=Name.Halftone, HalftoneType=1, Frequency=120, Angle=45,
                              SpotFunction=Name.Round, **ht)
        pdf.pages[0].obj.Resources = Dictionary(ExtGState=Dictionary(G0=Dictionary(Type=Name.ExtGState, HT=halftone)))
    return mutate


def _icc_cmyk_overprint(**gs: Any) -> Mutate:
    def mutate(pdf: pikepdf.Pdf) -> None:
        icc = pdf.make_stream(ICC.read_bytes())
        icc.N = 4
        pdf.pages[0].obj.Resources = Dictionary(
            ColorSpace=Dictionary(CS0=Array([Name.ICCBased, icc])),
            ExtGState=Dictionary(G0=Dictionary(Type=Name.ExtGState, **gs)))
    return mutate


ICC_PAINT = b"/G0 gs /CS0 CS /CS0 cs 0 0 0 1 SCN 0 0 0 1 scn 10 10 80 80 re "


def _docmdp(**ref: Any) -> Mutate:
    def mutate(pdf: pikepdf.Pdf) -> None:
        sig_ref = Dictionary(Type=Name.SigRef, TransformMethod=Name.DocMDP,
                             TransformParams=Dictionary(Type=Name.TransformParams, P=2, V=Name("/1.2")), **ref)
        sig = pdf.make_indirect(Dictionary(Type=Name.Sig, Filter=Name("/Adobe.PPKLite"),
                                           SubFilter=Name("/adbe.pkcs7.detached"), Reference=Array([sig_ref])))
        pdf.Root.Perms = Dictionary(DocMDP=sig)
    return mutate


CASES: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    # (flavour, breaking kwargs, complying kwargs, clause-test)
    ("pdfa-2b", {"mutate": _type0(cid_supplement=3), "content": TEXT},
     {"mutate": _type0(cid_supplement=2), "content": TEXT}, "6.2.11.3.1-1"),
    ("pdfa-2b", {"mutate": _type0(cid_to_gid=Name("/NoIdentity")), "content": TEXT},
     {"mutate": _type0(cid_to_gid=Name.Identity), "content": TEXT}, "6.2.11.3.2-1"),
    ("pdfa-2b", {"mutate": _type0(use_cmap="MyOwn-H"), "content": TEXT},
     {"mutate": _type0(use_cmap="UniJIS-UCS2-H"), "content": TEXT}, "6.2.11.3.3-3"),
    ("pdfa-2b", {"mutate": _type0(top_cid=65600), "content": TEXT},
     {"mutate": _type0(top_cid=65535), "content": TEXT}, "6.1.13-10"),
    ("pdfa-1b", {"mutate": _type0(top_cid=65600), "content": TEXT},
     {"mutate": _type0(top_cid=65535), "content": TEXT}, "6.1.12-10"),
    ("pdfa-2b", {"mutate": _halftone(TransferFunction=Name.Identity), "content": b"/G0 gs 0 0 0 1 k 1 1 9 9 re f"},
     {"mutate": _halftone(), "content": b"/G0 gs 0 0 0 1 k 1 1 9 9 re f"}, "6.2.5-6"),
    ("pdfa-2b", {"mutate": _icc_cmyk_overprint(OP=True, OPM=1), "content": ICC_PAINT + b"S"},
     {"mutate": _icc_cmyk_overprint(OP=True, OPM=0), "content": ICC_PAINT + b"S"}, "6.2.4.2-2"),
    ("pdfa-2b", {"mutate": _icc_cmyk_overprint(OP=False, op=True, OPM=1), "content": ICC_PAINT + b"f"},
     {"mutate": _icc_cmyk_overprint(OP=True, op=False, OPM=1), "content": ICC_PAINT + b"f"}, "6.2.4.2-2"),
    ("pdfa-2b", {"mutate": _docmdp(DigestMethod=Name.MD5)}, {"mutate": _docmdp()}, "6.1.12-2"),
]


@pytest.mark.parametrize(("flavour", "bad", "good", "test"), CASES)
def test_rule_fails_the_breaking_file_only(tmp_path: Path, flavour: str, bad: dict[str, Any], good: dict[str, Any],
                                           test: str) -> None:
    part = 1 if flavour == "pdfa-1b" else 2
    assert test in failed(validate_file(make_pdfa(tmp_path / "bad.pdf", part=part, **bad), [flavour]))
    assert test not in failed(validate_file(make_pdfa(tmp_path / "good.pdf", part=part, **good), [flavour]))


def _sign_field(pdf: pikepdf.Pdf) -> None:
    sig = pdf.make_indirect(Dictionary(Type=Name.Sig, Filter=Name("/Adobe.PPKLite"),
                                       ByteRange=Array([0, 1111111111, 2222222222, 3333333333]),
                                       Contents=pikepdf.String(b"\x00" * 64)))
    field = pdf.make_indirect(Dictionary(FT=Name.Sig, T=pikepdf.String("sig"), V=sig, Type=Name.Annot,
                                         Subtype=Name.Widget, Rect=Array([0, 0, 0, 0]), F=132))
    pdf.Root.AcroForm = Dictionary(Fields=Array([field]), SigFlags=3)


def test_a_signature_byte_range_covers_the_whole_file(tmp_path: Path) -> None:
    path = make_pdfa(tmp_path / "signed.pdf", part=2, mutate=_sign_field)
    raw = path.read_bytes()
    assert "6.4.3-1" in failed(validate_file(path, ["pdfa-2b"]))  # the placeholder range covers nothing
    start = raw.index(b"/Contents <") + len(b"/Contents ")
    end = raw.index(b">", start) + 1
    old = re.search(rb"\[ *0 1111111111 2222222222 3333333333 *\]", raw)
    assert old is not None
    new = f"[0 {start} {end} {len(raw) - end}]".encode().ljust(len(old.group(0)))
    path.write_bytes(raw[:old.start()] + new + raw[old.end():])
    assert "6.4.3-1" not in failed(validate_file(path, ["pdfa-2b"]))


def test_a_blank_line_after_the_xref_keyword_fails(tmp_path: Path) -> None:
    path = make_pdfa(tmp_path / "x.pdf")
    assert "6.1.4-2" not in failed(validate_file(path, ["pdfa-1b"]))
    raw = path.read_bytes()
    at = raw.rindex(b"\nxref\n") + 1  # the table, not startxref
    path.write_bytes(raw[:at] + b"xref\n\n" + raw[at + 5:])
    assert "6.1.4-2" in failed(validate_file(path, ["pdfa-1b"]))


def _resources_on_the_page_tree(pdf: pikepdf.Pdf) -> None:
    gs = Dictionary(Type=Name.ExtGState, CA=1)
    pdf.Root.Pages.Resources = Dictionary(ExtGState=Dictionary(G0=gs))
    del pdf.pages[0].obj["/Resources"]


def _resources_on_the_page(pdf: pikepdf.Pdf) -> None:
    pdf.pages[0].obj.Resources = Dictionary(ExtGState=Dictionary(G0=Dictionary(Type=Name.ExtGState, CA=1)))


def test_inherited_page_attributes_are_judged_where_the_file_puts_them(tmp_path: Path) -> None:
    """Resources inherited from the page tree are named as such (PDF/A-4 6.2.2-2); an inherited MediaBox
    is still the page's box (PDF/A-2 6.1.13-11)."""
    paint = b"/G0 gs 0 0 0 1 k 1 1 9 9 re f"
    inherited = make_pdfa(tmp_path / "inh.pdf", part=4, content=paint, mutate=_resources_on_the_page_tree)
    own = make_pdfa(tmp_path / "own.pdf", part=4, content=paint, mutate=_resources_on_the_page)
    assert "6.2.2-2" in failed(validate_file(inherited, ["pdfa-4"]))
    assert "6.2.2-2" not in failed(validate_file(own, ["pdfa-4"]))

    def tiny_inherited_box(pdf: pikepdf.Pdf) -> None:
        pdf.Root.Pages.MediaBox = Array([0, 0, 2, 2])
        del pdf.pages[0].obj["/MediaBox"]

    assert "6.1.13-11" in failed(validate_file(make_pdfa(tmp_path / "box.pdf", part=2, mutate=tiny_inherited_box),
                                               ["pdfa-2b"]))


def test_only_postscript_xobjects_the_resources_name_count(tmp_path: Path) -> None:
    def private(pdf: pikepdf.Pdf) -> None:  # a PostScript stream kept as private data, named by no resource
        ps = pdf.make_stream(b"newpath 0 0 moveto showpage")
        ps.Subtype = Name.PS
        pdf.Root.PrivateData = pdf.make_indirect(ps)

    def named(pdf: pikepdf.Pdf) -> None:
        ps = pdf.make_stream(b"newpath 0 0 moveto showpage")
        ps.Type, ps.Subtype = Name.XObject, Name.PS
        pdf.pages[0].obj.Resources = Dictionary(XObject=Dictionary(PS0=ps))

    assert "6.2.7-1" not in failed(validate_file(make_pdfa(tmp_path / "private.pdf", mutate=private), ["pdfa-1b"]))
    assert "6.2.7-1" in failed(validate_file(make_pdfa(tmp_path / "named.pdf", mutate=named), ["pdfa-1b"]))


def test_filled_text_does_not_use_a_stroke_colour_never_set(tmp_path: Path) -> None:
    """Without an output intent DeviceGray is not allowed; text that only fills in a CMYK colour does not
    use the initial DeviceGray stroke colour, text that strokes does."""
    def no_intent_with_font(pdf: pikepdf.Pdf) -> None:
        del pdf.Root["/OutputIntents"]
        pdf.pages[0].obj.Resources = Dictionary(Font=Dictionary(F1=Dictionary(
            Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica, Encoding=Name.WinAnsiEncoding)))

    filled = make_pdfa(tmp_path / "fill.pdf", mutate=no_intent_with_font, content=b"BT 0 0 0 1 k /F1 9 Tf (A) Tj ET")
    stroked = make_pdfa(tmp_path / "stroke.pdf", mutate=no_intent_with_font,
                        content=b"BT 0 0 0 1 k 1 Tr /F1 9 Tf (A) Tj ET")
    assert "6.2.3.3-3" not in failed(validate_file(filled, ["pdfa-1b"]))
    assert "6.2.3.3-3" in failed(validate_file(stroked, ["pdfa-1b"]))


def _type3(widths: list[int]) -> Mutate:
    def mutate(pdf: pikepdf.Pdf) -> None:
        square = pdf.make_stream(b"1000 0 0 0 750 750 d1 0 0 750 750 re f")
        font = Dictionary(Type=Name.Font, Subtype=Name.Type3, FontBBox=Array([0, 0, 750, 750]),
                          FontMatrix=Array([0.001, 0, 0, 0.001, 0, 0]), CharProcs=Dictionary(square=square),
                          Encoding=Dictionary(Type=Name.Encoding, Differences=Array([97, Name.square])),
                          FirstChar=97, LastChar=97, Widths=Array(widths))
        pdf.pages[0].obj.Resources = Dictionary(Font=Dictionary(F1=font))
    return mutate


def test_type3_widths_agree_with_the_glyph_procedures(tmp_path: Path) -> None:
    text = b"0 0 0 1 k BT /F1 12 Tf 20 20 Td (a) Tj ET"
    assert "6.3.6-1" in failed(validate_file(make_pdfa(tmp_path / "w0.pdf", content=text, mutate=_type3([0])),
                                             ["pdfa-1b"]))
    assert "6.3.6-1" not in failed(validate_file(make_pdfa(tmp_path / "w1.pdf", content=text,
                                                           mutate=_type3([1000])), ["pdfa-1b"]))


def _cid_truetype(cmap_ranges: bytes | None) -> Mutate:
    """A Type 0 font over the tiny TrueType program (GIDs: 0 .notdef, 1 space, 2 A), Identity-H or an
    embedded CMap with the given cidrange lines."""
    from tests.core.validation.pdfs import tiny_truetype

    def mutate(pdf: pikepdf.Pdf) -> None:
        descriptor = pdf.make_indirect(Dictionary(
            Type=Name.FontDescriptor, FontName=Name("/ABCDEF+Tiny"), Flags=4, FontBBox=Array([0, -200, 600, 800]),
            ItalicAngle=0, Ascent=800, Descent=-200, CapHeight=700, StemV=80,
            FontFile2=pdf.make_stream(tiny_truetype())))
        cid = pdf.make_indirect(Dictionary(
            Type=Name.Font, Subtype=Name.CIDFontType2, BaseFont=Name("/ABCDEF+Tiny"), FontDescriptor=descriptor,
            CIDSystemInfo=Dictionary(Registry=pikepdf.String("Adobe"), Ordering=pikepdf.String("Identity"),
                                     Supplement=0), CIDToGIDMap=Name.Identity, W=Array([0, Array([500, 250, 600])])))
        encoding: Any = Name("/Identity-H")
        if cmap_ranges is not None:
            encoding = pdf.make_stream(
                b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /T-H def\n"
                b"1 begincodespacerange <0000> <ffff> endcodespacerange\n"
                b"1 begincidrange " + cmap_ranges + b" endcidrange endcmap end end")
            encoding.Type, encoding.CMapName = Name.CMap, Name("/T-H")
            encoding.CIDSystemInfo = Dictionary(Registry=pikepdf.String("Adobe"), Ordering=pikepdf.String("Identity"),
                                                Supplement=0)
        pdf.pages[0].obj.Resources = Dictionary(Font=Dictionary(F1=pdf.make_indirect(Dictionary(
            Type=Name.Font, Subtype=Name.Type0, BaseFont=Name("/ABCDEF+Tiny"), Encoding=encoding,
            DescendantFonts=Array([cid])))))
    return mutate


@pytest.mark.parametrize(("cmap", "shown", "notdef"), [
    (None, b"<0000>", True), (None, b"<0002>", False),
    (b"<0040> <0042> 0", b"<0040>", True), (b"<0040> <0042> 0", b"<0042>", False),  # 0x42 -> CID 2
])
def test_notdef_is_found_in_invisible_text_through_the_cmap(tmp_path: Path, cmap: bytes | None, shown: bytes,
                                                           notdef: bool) -> None:
    content = b"0 0 0 1 k BT /F1 12 Tf 3 Tr 20 20 Td " + shown + b" Tj ET"
    path = make_pdfa(tmp_path / "n.pdf", part=2, content=content, mutate=_cid_truetype(cmap))
    assert ("6.2.11.8-1" in failed(validate_file(path, ["pdfa-2b"]))) is notdef
