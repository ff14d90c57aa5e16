from __future__ import annotations

from pathlib import Path

import pikepdf
import pymupdf

from printgate.core.fixes import run_autofix
from printgate.core.fixes.fonts import fonts_in
from tests.fixes.fixkit import finding, report


def _fonts(path: Path):
    with pikepdf.open(path) as pdf:
        return fonts_in(pdf)


def test_embed_standard_font_with_metric_compatible_twin(pdfs, tmp_path: Path) -> None:
    src = pdfs.text()
    assert [f.embedded for f in _fonts(src)] == [False]
    out = tmp_path / "out.pdf"
    res = run_autofix(src, out, report(finding("font_not_embedded", "embed_fonts", page=None)), None)
    assert res["outcome"] == "fixed", res
    assert "Helvetica (Nimbus Sans)" in res["applied"][0]["detail"]
    assert all(f.embedded for f in _fonts(out))
    with pymupdf.open(out) as doc:
        assert "Hello printgate" in doc[0].get_text()


def test_embed_unavailable_font_is_unchanged_with_reason(pdfs, tmp_path: Path) -> None:
    font = {"/F1": pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                      BaseFont=pikepdf.Name("/AcmeCorporateSans-Bold"))}
    src = pdfs.raw("acme.pdf", b"BT /F1 12 Tf 10 100 Td (Acme) Tj ET", {"/Font": pikepdf.Dictionary(font)})
    res = run_autofix(src, tmp_path / "o.pdf", report(finding("font_not_embedded", "embed_fonts", page=None)), None)
    assert res["outcome"] == "unchanged"
    assert "AcmeCorporateSans-Bold" in res["skipped"][0]["reason"]
    assert "not available on this server" in res["skipped"][0]["reason"]


def test_outline_text_removes_all_fonts(pdfs, tmp_path: Path) -> None:
    src = pdfs.text()
    out = tmp_path / "out.pdf"
    res = run_autofix(src, out, report(finding("text_outlined_required", "outline_text", page=None)), None)
    assert res["outcome"] == "fixed"
    assert _fonts(out) == []
    with pymupdf.open(out) as doc:
        assert doc[0].get_text().strip() == ""
        assert doc[0].get_drawings()  # the glyphs are now paths


def test_subset_fully_embedded_font(tmp_path: Path) -> None:
    doc = pymupdf.open()
    page = doc.new_page(width=300, height=200)
    # MuPDF's built-in Times twin, embedded in full: no dependency on the machine's fonts.
    page.insert_font(fontname="dv", fontbuffer=pymupdf.Font("tiro").buffer)
    page.insert_text((20, 50), "Hello", fontname="dv", fontsize=20)
    src = tmp_path / "full.pdf"
    doc.save(src)
    assert [f.subset for f in _fonts(src)] == [False]
    out = tmp_path / "out.pdf"
    res = run_autofix(src, out, report(finding("font_subsetting", "subset_fonts", page=None)), None)
    assert res["outcome"] == "fixed"
    assert all(f.subset for f in _fonts(out))
    assert out.stat().st_size < src.stat().st_size


def test_embed_installed_non_standard_font_from_its_file(pdfs, tmp_path: Path) -> None:
    # URW Bookman ships with Ghostscript (fonts-urw-base35), so it is on every machine that runs this.
    font = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                              BaseFont=pikepdf.Name("/URWBookman-Light"))
    src = pdfs.raw("bookman.pdf", b"BT /F1 14 Tf 10 100 Td (Bookman) Tj ET", {"/Font": pikepdf.Dictionary(F1=font)})
    out = tmp_path / "o.pdf"
    res = run_autofix(src, out, report(finding("font_not_embedded", "embed_fonts", page=None)), None)
    assert res["outcome"] == "fixed", res
    embedded = _fonts(out)
    assert [f.name for f in embedded] == ["URWBookman-Light"] and embedded[0].embedded
