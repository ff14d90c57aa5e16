"""Issue 11, hole 9: autofix must keep files usable for the press.

A JPEG photo stays a JPEG through CMYK conversion (and resampling); a file that grows past 1.5x
says which fix grew it and why; text is outlined only when the profile asks, with each glyph's
shape stored once; ``font_not_embedded`` runs when offered, or says why it cannot.
"""

from __future__ import annotations

import io
import time
from pathlib import Path

import numpy as np
import pikepdf
import pymupdf
import pytest
from PIL import Image

from printgate.core.fixes import _jpeg, run_autofix
from printgate.core.fixes.autofix import size_report
from printgate.core.fixes.fonts import fonts_in
from printgate.core.fixes.server_fonts import embeddable
from printgate.core.preflight import run_preflight
from tests.fixes.fixkit import finding, report

A4 = (595.28, 841.89)


def _photo_jpeg(w: int = 2000, h: int = 1400, quality: int = 85, seed: int = 11) -> bytes:
    """Smooth gradients plus noise: compresses like a photo, not like a flat fill."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    rgb = np.stack([128 + 127 * np.sin(x / 170) * np.cos(y / 130), 255 * x / w, 255 * y / h], -1)
    rgb += rng.normal(0, 20, (h, w, 3))
    buf = io.BytesIO()
    Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)).save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def _flyer(path: Path, jpeg: bytes) -> Path:
    doc = pymupdf.open()
    page = doc.new_page(width=A4[0], height=A4[1])
    page.insert_image(pymupdf.Rect(0, 0, A4[0], 420), stream=jpeg)
    page.draw_rect(pymupdf.Rect(40, 450, 555, 520), color=None, fill=(0.9, 0.2, 0.1))
    doc.save(path)
    return path


def _images(pdf: pikepdf.Pdf) -> list[pikepdf.Stream]:
    return [o for o in pdf.objects if isinstance(o, pikepdf.Stream) and o.get("/Subtype") == pikepdf.Name.Image]


def _gray(path: Path, page: int = 0, dpi: int = 40) -> np.ndarray:
    with pymupdf.open(path) as doc:
        pix = doc[page].get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY)
        return np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.width).astype(int)


# --- 1. JPEG stays JPEG ------------------------------------------------------------------------

@pytest.mark.parametrize("quality", [50, 75, 85, 95])
def test_quality_is_estimated_from_the_luminance_table(quality: int) -> None:
    info = _jpeg.inspect(_photo_jpeg(320, 240, quality))
    assert info.quality == quality
    assert (info.h_samples, info.v_samples) == (2, 2)  # Pillow's default 4:2:0


def test_cmyk_conversion_keeps_a_jpeg_photo_jpeg_at_its_quality(tmp_path: Path) -> None:
    jpeg = _photo_jpeg()
    src = _flyer(tmp_path / "flyer.pdf", jpeg)
    # The pipeline's entry point with the real report, fixing the colour finding.
    rep = run_preflight(src, None, source_name=src.name)
    rule = next(f["ruleId"] for f in rep["evaluation"]["findings"] if f["autofix"].get("strategy") == "convert_colors")
    out = tmp_path / "out.pdf"
    res = run_autofix(src, out, rep, None, items=[rule])
    assert [a["strategy"] for a in res["applied"]] == ["convert_to_cmyk"], res
    with pikepdf.open(out) as pdf:
        (image,) = _images(pdf)
        assert image.Filter == pikepdf.Name.DCTDecode
        assert image.ColorSpace == pikepdf.Name.DeviceCMYK
        data = bytes(image.read_raw_bytes())
        icc = sum(len(i.DestOutputProfile.read_raw_bytes()) for i in pdf.Root.OutputIntents)
    info = _jpeg.inspect(data)
    assert info.quality == 85 and info.subsampled  # re-encoded at the source's quality and chroma sampling
    # CMYK has a fourth full-resolution channel (K): ~1.35x the RGB photo, never Flate's ~11x.
    assert len(data) <= 1.5 * len(jpeg)
    # The file: 1.5x, plus the print condition's ICC profile the fix embeds by design (~130 kB).
    assert out.stat().st_size <= 1.5 * src.stat().st_size + icc, (out.stat().st_size, src.stat().st_size, icc)
    assert res["size"]["ratio"] == round(out.stat().st_size / src.stat().st_size, 2)
    # Colours, not their negative: the page looks the same (within the gamut change).
    assert np.abs(_gray(src) - _gray(out)).mean() < 12


def _one_image_pdf(path: Path, data: bytes, size: tuple[int, int], space: pikepdf.Name,
                   decode: list[int] | None = None) -> Path:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=size)
    image = pikepdf.Stream(pdf, data)
    image.Type, image.Subtype, image.Width, image.Height = pikepdf.Name.XObject, pikepdf.Name.Image, *size
    image.ColorSpace, image.BitsPerComponent, image.Filter = space, 8, pikepdf.Name.DCTDecode
    if decode:
        image.Decode = pikepdf.Array(decode)
    pdf.pages[0].obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
    pdf.pages[0].obj.Contents = pikepdf.Stream(pdf, f"q {size[0]} 0 0 {size[1]} 0 0 cm /Im0 Do Q".encode())
    pdf.save(path)
    return path


def test_cmyk_jpeg_falls_back_to_pillow_when_ghostscript_fails(tmp_path: Path, monkeypatch) -> None:
    broken = tmp_path / "gs"
    broken.write_text("#!/bin/sh\nexit 1\n")
    broken.chmod(0o755)
    monkeypatch.setenv("PRINTGATE_GHOSTSCRIPT", str(broken))
    jpeg = _photo_jpeg(200, 140)
    (enc,) = _jpeg.encode_cmyk([Image.open(io.BytesIO(jpeg)).convert("CMYK")], [_jpeg.JpegInfo(80)], tmp_path)
    assert enc.decode == [1, 0, 1, 0, 1, 0, 1, 0]  # Pillow stores CMYK inverted (Adobe style)
    cmyk = _one_image_pdf(tmp_path / "cmyk.pdf", enc.data, (200, 140), pikepdf.Name.DeviceCMYK, enc.decode)
    rgb = _one_image_pdf(tmp_path / "rgb.pdf", jpeg, (200, 140), pikepdf.Name.DeviceRGB)
    assert np.abs(_gray(cmyk, dpi=72) - _gray(rgb, dpi=72)).mean() < 20  # a negative would be ~100 off


def _cmyk_jpeg_pdf(path: Path, px: int) -> Path:
    """A 1-inch square CMYK JPEG stored Adobe style (inverted, with /Decode [1 0 ...])."""
    buf = io.BytesIO()
    Image.open(io.BytesIO(_photo_jpeg(px, px, 80))).convert("CMYK").save(buf, "JPEG", quality=80)
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(144, 144))
    image = pikepdf.Stream(pdf, buf.getvalue())
    image.Type, image.Subtype, image.Width, image.Height = pikepdf.Name.XObject, pikepdf.Name.Image, px, px
    image.ColorSpace, image.BitsPerComponent = pikepdf.Name.DeviceCMYK, 8
    image.Filter, image.Decode = pikepdf.Name.DCTDecode, pikepdf.Array([1, 0, 1, 0, 1, 0, 1, 0])
    pdf.pages[0].obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
    pdf.pages[0].obj.Contents = pikepdf.Stream(pdf, b"q 72 0 0 72 36 36 cm /Im0 Do Q")
    pdf.save(path)
    return path


def test_downsampling_a_cmyk_jpeg_keeps_it_jpeg_and_its_colours(tmp_path: Path) -> None:
    src = _cmyk_jpeg_pdf(tmp_path / "cmyk.pdf", 1200)
    out = tmp_path / "out.pdf"
    res = run_autofix(src, out, report(finding("image_max_resolution", "downsample_images",
                                                {"max_dpi": 600, "target_dpi": 300})), None)
    assert res["outcome"] == "fixed", res
    with pikepdf.open(out) as pdf:
        (image,) = _images(pdf)
        assert image.Filter == pikepdf.Name.DCTDecode and int(image.Width) == 300
        assert _jpeg.inspect(bytes(image.read_raw_bytes())).quality == 80
    assert np.abs(_gray(src, dpi=72) - _gray(out, dpi=72)).mean() < 6  # not inverted


# --- 2. the size guard -------------------------------------------------------------------------

def test_size_report_names_the_fix_that_grew_the_file() -> None:
    applied: list[dict] = [
        {"ruleId": "a", "strategy": "set_trimbox", "bytesAfter": 1000, "_why": None},
        {"ruleId": "b", "strategy": "outline_text", "bytesAfter": 9000, "_why": "text became outlines"},
        {"ruleId": "c", "strategy": "convert_to_cmyk", "bytesAfter": 9500, "_why": None},
    ]
    size = size_report(1000, 9500, applied, bleed_images=False)
    assert size["ratio"] == 9.5 and not size["withinLimit"]
    assert [s["growthBytes"] for s in size["steps"]] == [0, 8000, 500]
    assert size["reason"].index("outline_text +8 kB (text became outlines)") < size["reason"].index("convert_to_cmyk")
    assert applied[1]["sizeNote"].startswith("grew the file by 8 kB")
    assert "sizeNote" not in applied[0]
    ok = size_report(1000, 1400, [{"strategy": "x", "bytesAfter": 1400}], bleed_images=False)
    assert ok["withinLimit"] and ok["reason"] is None


def _text_pages(path: Path, pages: int, *, embed: bool, lines: int = 40) -> Path:
    doc = pymupdf.open()
    words = ["The", "quick", "brown", "fox", "jumps", "over", "the", "lazy", "dog", "while", "printers", "hum",
             "along", "quietly"]
    for p in range(pages):
        page = doc.new_page(width=A4[0], height=A4[1])
        if embed:
            page.insert_font(fontname="emb", fontbuffer=pymupdf.Font("tiro").buffer)
        for i in range(lines):
            text = " ".join(words[(p + i + k) % len(words)] for k in range(9))
            page.insert_text((50, 60 + i * 18), text, fontname="emb" if embed else "helv", fontsize=11)
    doc.save(path, garbage=3, deflate=True)
    if embed:  # subset, as every real book's fonts are
        doc = pymupdf.open(path)
        doc.subset_fonts()
        doc.save(path.with_suffix(".sub.pdf"), garbage=3, deflate=True)
        return path.with_suffix(".sub.pdf")
    return path


def test_growth_past_the_limit_is_reported_with_the_fix_and_kept(tmp_path: Path) -> None:
    # Non-embedded Helvetica: Ghostscript's outliner (one path per occurrence) grows it a lot.
    src = _text_pages(tmp_path / "text.pdf", 2, embed=False)
    out = tmp_path / "out.pdf"
    rep = report(finding("trimbox_missing", "set_trimbox", {"rect": [0, 0, A4[0], A4[1]]}, page=None),
                 finding("text_not_outlined", "outline_text", page=None))
    res = run_autofix(src, out, rep, None)
    assert res["outcome"] == "fixed" and out.exists()  # the fix is kept, not silently dropped
    size = res["size"]
    assert size["outputBytes"] == out.stat().st_size and size["ratio"] > 1.5
    assert not size["withinLimit"] and not size["bleedImagesAdded"]
    assert "outline_text +" in size["reason"] and "vector outlines" in size["reason"]
    outline = next(a for a in res["applied"] if a["strategy"] == "outline_text")
    assert outline["sizeNote"].startswith("grew the file by")
    assert "sizeNote" not in next(a for a in res["applied"] if a["strategy"] == "set_trimbox")


def test_bleed_images_are_the_allowed_growth(tmp_path: Path) -> None:
    src = _flyer(tmp_path / "flyer.pdf", _photo_jpeg(1000, 700))
    res = run_autofix(src, tmp_path / "out.pdf", report(finding("bleed_missing", "mirror_bleed", page=None)), None)
    assert res["size"]["bleedImagesAdded"] is True
    if not res["size"]["withinLimit"]:
        assert "allowed because bleed had to be generated as images" in res["size"]["reason"]


# --- 3. outlining: only when asked, glyph shapes shared -----------------------------------------

def test_outlining_runs_only_when_the_profile_asks(tmp_path: Path) -> None:
    src = _text_pages(tmp_path / "t.pdf", 1, embed=True, lines=3)
    defaults = run_preflight(src, None, source_name=src.name)
    assert any(f["ruleId"] == "text_not_outlined" and f["autofix"]["scheduled"] for f in defaults["evaluation"]["findings"])
    res = run_autofix(src, tmp_path / "a.pdf", defaults, None, items=None)
    assert "outline_text" not in {a["strategy"] for a in res["applied"]}
    reason = next(s["reason"] for s in res["skipped"] if s["strategy"] == "outline_text")
    assert "only when the profile sets text_outlines to autofix" in reason

    asks = {"id": "prof_outlines", "kind": "pdf", "checks": {"text_outlines": {"action": "autofix"}}}
    rep = run_preflight(src, asks, source_name=src.name)
    res = run_autofix(src, tmp_path / "b.pdf", rep, asks)
    assert [a["strategy"] for a in res["applied"]] == ["outline_text"], res
    with pikepdf.open(tmp_path / "b.pdf") as pdf:
        assert fonts_in(pdf) == []


def test_outlines_share_one_shape_per_glyph_on_a_multipage_book(tmp_path: Path) -> None:
    src = _text_pages(tmp_path / "book.pdf", 30, embed=True)
    out = tmp_path / "out.pdf"
    t0 = time.perf_counter()
    res = run_autofix(src, out, report(finding("text_not_outlined", "outline_text", page=None)), None)
    elapsed = time.perf_counter() - t0
    assert res["outcome"] == "fixed", res
    detail = res["applied"][0]["detail"]
    assert "stored once" in detail, detail
    with pikepdf.open(out) as pdf:
        assert fonts_in(pdf) == []
        shapes = [o for o in pdf.objects if isinstance(o, pikepdf.Stream) and o.get("/Subtype") == pikepdf.Name.Form
                  and [float(v) for v in o.get("/Matrix", [])] == [0.001, 0, 0, 0.001, 0, 0]]
    with pymupdf.open(src) as doc:
        distinct = {c for page in doc for c in page.get_text() if not c.isspace()}
    assert len(shapes) == len(distinct)  # one shape per glyph, however often it is used
    ratio = out.stat().st_size / src.stat().st_size
    assert ratio <= 1.5, (ratio, src.stat().st_size, out.stat().st_size)  # Ghostscript's outlines: ~20x
    assert elapsed < 60, elapsed
    for page in (0, 17, 29):
        with pymupdf.open(out) as doc:
            assert doc[page].get_text().strip() == ""
        assert np.abs(_gray(src, page, 72) - _gray(out, page, 72)).mean() < 2  # same marks, same places


def test_reused_form_and_rotated_offset_page_outline_in_place(tmp_path: Path) -> None:
    base = _text_pages(tmp_path / "one.pdf", 1, embed=True, lines=2)
    src = tmp_path / "form.pdf"
    with pikepdf.open(base) as pdf:
        page = pdf.pages[0]
        form = pikepdf.Stream(pdf, page.obj.Contents.read_bytes() if isinstance(page.obj.Contents, pikepdf.Stream)
                              else b"\n".join(c.read_bytes() for c in page.obj.Contents))
        form.Type, form.Subtype, form.BBox = pikepdf.Name.XObject, pikepdf.Name.Form, [0, 0, A4[0], A4[1]]
        form.Resources = page.obj.Resources
        page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Fm=pdf.make_indirect(form)))
        page.obj.Contents = pikepdf.Stream(pdf, b"q /Fm Do Q q .5 0 0 .5 100 -50 cm /Fm Do Q")
        page.obj.MediaBox = [-20, -30, A4[0], A4[1]]
        page.obj.Rotate = 90
        pdf.save(src)
    out = tmp_path / "out.pdf"
    res = run_autofix(src, out, report(finding("text_not_outlined", "outline_text", page=None)), None)
    assert "stored once" in res["applied"][0]["detail"], res
    with pikepdf.open(out) as pdf:
        assert fonts_in(pdf) == []
    assert np.abs(_gray(src, 0, 72) - _gray(out, 0, 72)).mean() < 2


def test_stroked_text_falls_back_to_ghostscript(tmp_path: Path) -> None:
    base = _text_pages(tmp_path / "one.pdf", 1, embed=True, lines=2)
    src = tmp_path / "stroked.pdf"
    with pikepdf.open(base) as pdf:
        page = pdf.pages[0]
        page.contents_add(pikepdf.Stream(pdf, b"1 Tr"), prepend=True)
        pdf.save(src)
    out = tmp_path / "out.pdf"
    res = run_autofix(src, out, report(finding("text_not_outlined", "outline_text", page=None)), None)
    assert res["outcome"] == "fixed"
    assert "one path per glyph occurrence" in res["applied"][0]["detail"]
    with pikepdf.open(out) as pdf:
        assert fonts_in(pdf) == []


# --- 4. font_not_embedded: what is offered is what runs ----------------------------------------

def _offered(rep: dict, strategy: str) -> list[dict]:
    return [f for f in rep["evaluation"]["findings"] if f["autofix"].get("available") and f["autofix"]["strategy"] == strategy]


def test_offered_font_embedding_runs_without_being_asked(pdfs, tmp_path: Path) -> None:
    src = pdfs.text()  # Helvetica, not embedded; the check's default action is reject
    rep = run_preflight(src, None, source_name=src.name)
    offered = _offered(rep, "embed_fonts")
    assert offered and offered[0]["autofix"]["scheduled"] is False
    out = tmp_path / "out.pdf"
    res = run_autofix(src, out, rep, None)
    assert "embed_fonts" in {a["strategy"] for a in res["applied"]}, res
    with pikepdf.open(out) as pdf:
        assert all(f.embedded for f in fonts_in(pdf))
    assert not _offered(run_preflight(out, None, source_name="out.pdf"), "embed_fonts")


def test_font_not_on_this_server_is_not_embedded_and_says_why(pdfs, tmp_path: Path) -> None:
    font = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                              BaseFont=pikepdf.Name("/AcmeCorporateSans-Bold"))
    src = pdfs.raw("acme.pdf", b"BT /F1 12 Tf 10 100 Td (Acme) Tj ET", {"/Font": pikepdf.Dictionary(F1=font)})
    rep = run_preflight(src, None, source_name=src.name)
    # Preflight does not offer a fix it cannot run (the finding tells the customer to embed it).
    [finding] = [f for f in rep["evaluation"]["findings"] if f["ruleId"] == "font_not_embedded"]
    assert finding["autofix"] == {"available": False} and not _offered(rep, "embed_fonts")
    # A report that offers it anyway (an older one) still gets an honest skip, naming the font.
    finding["autofix"] = {"available": True, "runner": "optimize", "strategy": "embed_fonts",
                          "params": {"fonts": ["AcmeCorporateSans-Bold"]}, "scheduled": False}
    res = run_autofix(src, tmp_path / "o.pdf", rep, None)
    assert "embed_fonts" not in {a["strategy"] for a in res["applied"]}
    reason = next(s["reason"] for s in res["skipped"] if s["strategy"] == "embed_fonts")
    assert "AcmeCorporateSans-Bold" in reason and "not available on this server" in reason
    assert "not scheduled" not in reason


def test_embeddable_is_what_preflight_should_offer() -> None:
    assert embeddable("Helvetica") and embeddable("Arial,Bold")  # the URW metric twins
    assert embeddable("URWBookman-Light")  # installed with Ghostscript, found by fontconfig
    assert not embeddable("AcmeCorporateSans-Bold")
