"""Conversion to PDF/X (issue 12): RGB vectors, an RGB image and its soft mask, constant alpha and text
become PDF/X-1a and PDF/X-3 (CMYK in the intent's condition, transparency flattened) or PDF/X-4 (CMYK,
transparency kept), each confirmed by our PDF/X validator; what conversion cannot do is reported and
nothing is written; unreadable and encrypted files are a clear error."""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pytest

from printgate.core.fixes.pdfx import PdfxIdentificationError
from printgate.core.fixes.pdfx_convert import PdfxConversionError, convert_file
from printgate.core.fixes.registry import FixRequest, FixResult, FixSkipped, resolve
from printgate.core.fixes.workdoc import WorkDoc
from printgate.core.validation import FLAVOURS, validate_file
from tests.fixes.pdfx_inputs import missing_font, rgb_transparent


def _colour_spaces_and_masks(path: Path) -> tuple[set[str], int, int]:
    """(image colour spaces, images with a soft mask, ExtGStates with alpha below 1) anywhere in the file."""
    spaces: set[str] = set()
    masked = alpha = 0
    with pikepdf.open(path) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == pikepdf.Name.Image:
                spaces.add(str(obj.get("/ColorSpace")))
                masked += "/SMask" in obj
        for page in pdf.pages:
            states = page.obj.get("/Resources", {}).get("/ExtGState", {})
            alpha += sum(1 for gs in states.values() if any(float(gs.get(k, 1)) < 1 for k in ("/ca", "/CA")))
    return spaces, masked, alpha


def _content(path: Path) -> bytes:
    with pikepdf.open(path) as pdf:
        page = pdf.pages[0]
        return b"".join(
            bytes(op.operator) + b" " for op in pikepdf.parse_content_stream(page))


@pytest.mark.parametrize(("level", "flavour", "header"), [("1a", "pdfx-1a", "1.4"), ("3", "pdfx-3", "1.4")])
def test_rgb_and_transparency_become_pdfx_1a_and_3(tmp_path: Path, level: str, flavour: str, header: str) -> None:
    src = rgb_transparent(tmp_path / "art.pdf")
    before = validate_file(src, [flavour])["profiles"][0]
    failing = {(f["clause"], f["testNumber"]) for f in before["failures"]}
    assert {("6.2.4", 2), ("6.2.4", 4), ("6.2.1", 1), ("6.2.2", 2)} <= failing  # alpha, soft mask, intent, boxes
    assert ("6.2.3", 1 if level == "1a" else 2) in failing  # the RGB colour
    out = tmp_path / f"x{level}.pdf"
    result = convert_file(src, out, level, title="Poster")
    assert result["compliant"] is True and result["written"] is True and result["remaining"] == [], result
    assert any("flattened transparency" in line for line in result["applied"])
    assert any("to CMYK (FOGRA39)" in line for line in result["applied"])
    report = validate_file(out, [flavour])
    assert report["compliant"] is True
    assert report["profiles"][0]["rules"]["passed"] == len(FLAVOURS[flavour].rule_ids)
    spaces, masked, alpha = _colour_spaces_and_masks(out)
    assert spaces <= {"/DeviceCMYK", "/DeviceGray"} and masked == 0 and alpha == 0
    assert out.read_bytes()[:8] == f"%PDF-{header}".encode()
    with pikepdf.open(out) as pdf:
        assert str(pdf.trailer.Info.GTS_PDFXVersion) == ("PDF/X-1a:2003" if level == "1a" else "PDF/X-3:2003")
        assert str(pdf.Root.OutputIntents[0].OutputConditionIdentifier) == "FOGRA39"
        assert "/TrimBox" in pdf.pages[0].obj


def test_pdfx_4_keeps_transparency_and_converts_the_colour(tmp_path: Path) -> None:
    """Also: a link on the page is inside the TrimBox the conversion sets, where PDF/X allows none."""
    src = rgb_transparent(tmp_path / "art.pdf")
    with pikepdf.open(src, allow_overwriting_input=True) as pdf:
        pdf.pages[0].obj.Annots = pdf.make_indirect(pikepdf.Array([pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[20, 20, 60, 40], Border=[0, 0, 0],
            A=pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("https://example.com/"))))]))
        pdf.save(src)
    out = tmp_path / "x4.pdf"
    result = convert_file(src, out, "4")
    assert result["compliant"] is True and result["written"] is True, result["remaining"]
    assert not any("flattened" in line for line in result["applied"])
    assert "removed 1 annotation(s)" in result["applied"]
    with pikepdf.open(out) as pdf:
        assert "/Annots" not in pdf.pages[0].obj
    assert validate_file(out, ["pdfx-4"])["compliant"] is True
    spaces, masked, alpha = _colour_spaces_and_masks(out)
    assert "/DeviceRGB" not in spaces and masked == 1 and alpha >= 1  # live transparency is PDF/X-4's own
    assert b"Tf" in _content(out) and b"rg" not in _content(out).split()  # text stays text, no RGB fill left
    assert out.read_bytes()[:8] in (b"%PDF-1.3", b"%PDF-1.4", b"%PDF-1.5", b"%PDF-1.6")  # PDF/X-4: at most 1.6


def test_a_pdfx_file_is_only_identified(tmp_path: Path) -> None:
    """CMYK art under a FOGRA39 intent needs no rewrite: its content is kept byte for byte."""
    from tests.fixes.test_pdfx_identify import cmyk_card

    src = cmyk_card(tmp_path / "card.pdf")
    out = tmp_path / "card-x1a.pdf"
    result = convert_file(src, out, "x1a")
    assert result["compliant"] is True and result["summary"] == "identified as PDF/X-1a; the validator confirms it"
    with pikepdf.open(out) as pdf, pikepdf.open(src) as original:
        assert pdf.pages[0].obj.Contents.read_bytes() == original.pages[0].obj.Contents.read_bytes()


def test_what_conversion_cannot_do_is_reported_and_nothing_is_written(tmp_path: Path) -> None:
    out = tmp_path / "out.pdf"
    result = convert_file(missing_font(tmp_path / "font.pdf"), out, "1a")
    assert result["compliant"] is False and result["written"] is False and not out.exists()
    assert [(f["clause"], f["testNumber"]) for f in result["remaining"]] == [("6.3", 1)]
    assert "Printgate-Nowhere" in result["remaining"][0]["location"]
    assert any("Printgate-Nowhere" in note for note in result["notes"])  # the fonts fix said why
    assert result["summary"].startswith("not converted to PDF/X-1a: the file does not meet 6.3-1")


def test_bad_input_is_a_clear_error(tmp_path: Path) -> None:
    locked = tmp_path / "locked.pdf"
    with pikepdf.open(rgb_transparent(tmp_path / "plain.pdf")) as pdf:
        pdf.save(locked, encryption=pikepdf.Encryption(owner="owner", user=""))
    with pytest.raises(PdfxConversionError, match="encrypted"):
        convert_file(locked, tmp_path / "out.pdf", "1a")
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF")
    with pytest.raises(PdfxConversionError, match="cannot convert"):
        convert_file(junk, tmp_path / "out.pdf", "3")
    with pytest.raises(PdfxIdentificationError, match="unknown PDF/X level"):
        convert_file(junk, tmp_path / "out.pdf", "2")
    assert not (tmp_path / "out.pdf").exists()


def test_the_registered_fix_converts_when_asked(tmp_path: Path) -> None:
    spec, _ = resolve("identify_pdfx") or (None, None)
    assert spec is not None
    doc = WorkDoc(rgb_transparent(tmp_path / "art.pdf"), tmp_path)
    try:
        with pytest.raises(FixSkipped, match=r"6\.2\.3"):  # identification alone never claims RGB art is PDF/X
            spec.fn(doc, FixRequest("identify_pdfx", {"level": "x1a"}))
        result = spec.fn(doc, FixRequest("identify_pdfx", {"level": "x1a", "convert": True}))
        assert isinstance(result, FixResult) and result.detail.startswith("converted and identified as PDF/X-1a; the validator confirms it")
        doc.save(tmp_path / "fixed.pdf")
    finally:
        doc.close()
    assert validate_file(tmp_path / "fixed.pdf", ["pdfx-1a"])["compliant"] is True


def test_a_ghostscript_fix_keeps_a_pdfx_file_pdfx(tmp_path: Path) -> None:
    """Ghostscript writes its own XMP (without the PDF/X-4 identification) and a PDF 1.7 header: the work
    document keeps the file's XMP, its dates and the part's version cap."""
    from tests.preflight.pdfgen import DEFECTS

    src = DEFECTS["font_not_subset"](tmp_path / "x4.pdf")  # the PDF/X-4 control with a whole font embedded
    assert validate_file(src, ["pdfx-4"])["compliant"] is True
    spec, _ = resolve("subset_fonts") or (None, None)
    assert spec is not None
    doc = WorkDoc(src, tmp_path)
    try:
        spec.fn(doc, FixRequest("subset_fonts"))
        assert "Ghostscript" in str(doc.pdf.trailer.Info.get("/Producer", ""))  # the rewrite happened
        doc.save(tmp_path / "subset.pdf")
    finally:
        doc.close()
    report = validate_file(tmp_path / "subset.pdf", ["pdfx-4"])
    assert report["compliant"] is True, report["profiles"][0]["failures"]
    assert (tmp_path / "subset.pdf").read_bytes()[:8] == b"%PDF-1.6"
