from __future__ import annotations

from pathlib import Path

import pikepdf
import pymupdf
import pytest

from printgate.core.errors import UnreadableFile
from printgate.core.fixes import optimize_pdf
from printgate.core.fixes._content import image_placements
from tests.fixes.fixkit import MM


def _names(result: dict) -> tuple[list[str], dict[str, str]]:
    return result["appliedFixes"], {s["name"]: s["reason"] for s in result["skippedFixes"]}


def test_empty_params_is_a_stream_rebuild(pdfs, tmp_path: Path) -> None:
    src = pdfs.art()
    out = tmp_path / "o.pdf"
    res = optimize_pdf(src, out, {})
    size = res.pop("size")
    assert res == {"appliedFixes": [], "skippedFixes": [], "sizeBytes": out.stat().st_size}
    # A rebuild never hands back more bytes than it was given.
    assert size["inputBytes"] == src.stat().st_size and size["outputBytes"] == out.stat().st_size
    assert size["outputBytes"] <= size["inputBytes"]
    assert size["bytesSaved"]["total"] == size["inputBytes"] - size["outputBytes"]
    with pikepdf.open(out) as pdf:
        assert len(pdf.pages) == 1


def test_unknown_and_unsupported_keys_are_reported(pdfs, tmp_path: Path) -> None:
    res = optimize_pdf(pdfs.art(), tmp_path / "o.pdf", {
        "teleport": True,
        "strip": {"invisiblePaths": True, "wormholes": True},
        "compression": {"bwFilter": "jbig2"},
        "colorConversion": {"target": "purple"},
    })
    applied, skipped = _names(res)
    assert applied == []
    assert skipped["teleport"] == "unknown optimize option"
    assert skipped["strip.invisiblePaths"] == "no invisible paths"
    assert skipped["strip.wormholes"] == "unknown strip option"
    assert "Flate and JPEG" in skipped["compression.bwFilter"]
    assert "target must be" in skipped["colorConversion"]


def test_scale_images_and_jpeg_compression(pdfs, tmp_path: Path) -> None:
    src = pdfs.image(px=1200, inches=1.0)
    out = tmp_path / "o.pdf"
    res = optimize_pdf(src, out, {"scaleImages": {"targetRes": {"bw": 600, "gray": 150, "color": 150}},
                                  "compression": {"colorFilter": "jpeg", "jpegQuality": 70}})
    applied, skipped = _names(res)
    assert "scaleImages" in applied and "compression.colorFilter" in applied, skipped
    with pikepdf.open(out) as pdf:
        placement = next(image_placements(pdf, [0]))
        assert int(placement.image.Width) == 150
        assert placement.image.Filter == pikepdf.Name.DCTDecode
    assert res["sizeBytes"] < src.stat().st_size / 10


def test_color_conversion_gray_and_output_intent_alias(pdfs, tmp_path: Path) -> None:
    out = tmp_path / "o.pdf"
    res = optimize_pdf(pdfs.art(), out, {"colorConversion": {"target": "gray"}, "outputIntent": {"profile": "swop"}})
    applied, _ = _names(res)
    assert applied == ["colorConversion", "outputIntent"]
    with pikepdf.open(out) as pdf:
        ops = {str(op) for _, op in pikepdf.parse_content_stream(pdf.pages[0])}
        assert not ops & {"rg", "RG", "k", "K"}
        assert "TR 003" in str(pdf.Root.OutputIntents[0].OutputConditionIdentifier)


def test_cmyk_snap_rich_black_threshold(pdfs, tmp_path: Path) -> None:
    src = pdfs.raw("rb.pdf", b"0.9 0.9 0.9 1 k 0 0 50 50 re f 0.6 0.4 0.4 1 k 60 60 50 50 re f")
    out = tmp_path / "o.pdf"
    res = optimize_pdf(src, out, {"snapRichBlack": {"enabled": True, "threshold": 0.85}})
    assert res["appliedFixes"] == ["snapRichBlack"]
    with pikepdf.open(out) as pdf:
        colours = [[float(v) for v in o] for o, op in pikepdf.parse_content_stream(pdf.pages[0]) if str(op) == "k"]
    assert colours == [[0, 0, 0, 1], [0.6, 0.4, 0.4, 1]]


def test_hairlines_strip_and_layers(pdfs, tmp_path: Path) -> None:
    src = pdfs.raw("h.pdf", b"0.01 w 0 0 m 100 0 l S")
    with pikepdf.open(src) as pdf:
        pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("x"))
        pdf.Root.Outlines = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Outlines, Count=0))
        pdf.save(tmp_path / "h2.pdf")
    out = tmp_path / "o.pdf"
    res = optimize_pdf(tmp_path / "h2.pdf", out, {"hairlines": {"minWidth": 0.5}, "flattenLayers": True,
                                                  "strip": {"javascript": True, "bookmarks": True, "thumbnails": True}})
    applied, skipped = _names(res)
    assert {"hairlines", "strip.javascript", "strip.bookmarks"} <= set(applied)
    assert "no layers" in skipped["flattenLayers"] and "no page thumbnails" in skipped["strip.thumbnails"]
    with pikepdf.open(out) as pdf:
        assert "/OpenAction" not in pdf.Root and "/Outlines" not in pdf.Root
        widths = [float(o[0]) for o, op in pikepdf.parse_content_stream(pdf.pages[0]) if str(op) == "w"]
        assert 0.5 in widths


def test_bounding_boxes_and_page_resize(pdfs, tmp_path: Path) -> None:
    src = pdfs.art(w=595.28, h=841.89)
    out = tmp_path / "o.pdf"
    res = optimize_pdf(src, out, {
        "pageResize": {"format": "A5"},
        "boundingBoxes": [{"box": "trim", "source": "media", "expand": -3 * MM},
                          {"box": "bleed", "source": "media"}],
    })
    assert res["appliedFixes"] == ["boundingBoxes", "pageResize"], res
    with pymupdf.open(out) as doc:
        assert doc[0].rect.width == pytest.approx(419.53, abs=0.1)
    with pikepdf.open(out) as pdf:
        trim = [float(v) for v in pdf.pages[0].obj.TrimBox]
        media = [float(v) for v in pdf.pages[0].obj.MediaBox]
    scale = 419.53 / 595.28
    assert trim[0] - media[0] == pytest.approx(3 * MM * scale, abs=0.05)


def test_bounding_box_missing_source_is_reported(pdfs, tmp_path: Path) -> None:
    res = optimize_pdf(pdfs.art(), tmp_path / "o.pdf", {"boundingBoxes": [{"box": "bleed", "source": "art"}]})
    assert "no art box" in _names(res)[1]["boundingBoxes"]


def test_gray_to_1bit_with_otsu(tmp_path: Path) -> None:
    from PIL import Image

    img = Image.linear_gradient("L").resize((64, 64))
    doc = pymupdf.open()
    page = doc.new_page(width=100, height=100)
    import io

    buf = io.BytesIO()
    img.save(buf, "PNG")
    page.insert_image(pymupdf.Rect(0, 0, 100, 100), stream=buf.getvalue())
    src = tmp_path / "g.pdf"
    doc.save(src)
    out = tmp_path / "o.pdf"
    res = optimize_pdf(src, out, {"grayTo1Bit": {"enabled": True, "useOtsuFilter": True}})
    assert res["appliedFixes"] == ["grayTo1Bit"]
    with pikepdf.open(out) as pdf:
        image = next(image_placements(pdf, [0])).image
        assert int(image.BitsPerComponent) == 1


def test_text_to_outlines(pdfs, tmp_path: Path) -> None:
    out = tmp_path / "o.pdf"
    res = optimize_pdf(pdfs.text(), out, {"textToOutlines": {"enabled": True}})
    assert res["appliedFixes"] == ["textToOutlines"]
    with pymupdf.open(out) as doc:
        assert doc[0].get_text().strip() == ""


def test_optimize_broken_file(tmp_path: Path) -> None:
    bad = tmp_path / "b.pdf"
    bad.write_bytes(b"%PDF-1.4 garbage")
    with pytest.raises(UnreadableFile):
        optimize_pdf(bad, tmp_path / "o.pdf", {})


def test_cmyk_conversion_targets_the_requested_output_intent(pdfs, tmp_path: Path) -> None:
    out = tmp_path / "o.pdf"
    res = optimize_pdf(pdfs.art(), out, {"colorConversion": {"target": "cmyk"}, "outputIntent": {"profile": "swop"}})
    assert res["appliedFixes"] == ["colorConversion", "outputIntent"]
    with pikepdf.open(out) as pdf:
        ops = {str(op) for _, op in pikepdf.parse_content_stream(pdf.pages[0])}
        assert "k" in ops and not ops & {"rg", "RG"}
        intents = pdf.Root.OutputIntents
        assert len(intents) == 1 and "TR 003" in str(intents[0].OutputConditionIdentifier)


def test_strip_invisible_paths_header_footer_and_bates(pdfs, tmp_path: Path) -> None:
    content = (b"10 10 m 50 50 l n "  # invisible: constructed, never painted
               b"0 0 100 100 re W n 1 0 0 rg 0 0 200 200 re f "  # a clip: kept
               b"/Artifact <</Subtype /Header /Type /Pagination>> BDC BT /F1 9 Tf 10 190 Td (Header) Tj ET EMC "
               b"/Artifact <</Subtype /BatesN /Type /Pagination>> BDC BT /F1 9 Tf 10 5 Td (ABC000123) Tj ET EMC")
    src = pdfs.raw("hf.pdf", content)
    out = tmp_path / "o.pdf"
    res = optimize_pdf(src, out, {"strip": {"invisiblePaths": True, "headerFooter": True, "batesNumbers": True}})
    assert res["appliedFixes"] == ["strip.invisiblePaths", "strip.headerFooter", "strip.batesNumbers"]
    with pikepdf.open(out) as pdf:
        ops = [str(op) for _, op in pikepdf.parse_content_stream(pdf.pages[0])]
    assert ops == ["re", "W", "n", "rg", "re", "f"]


# --- never bigger, bytes saved per category, and the quality guard ------------------------------------

def _photo_pdf(path: Path, *, px: int = 1800, inches: float = 3.0, text: str | None = "Price list 2026") -> Path:
    """A page with a real JPEG photo placed at px/inches dpi, and (optionally) live text beside it."""
    import io

    from tests.core.processing.images import scene

    buf = io.BytesIO()
    scene(px, px * 2 // 3).save(buf, "JPEG", quality=90)
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    page.insert_image(pymupdf.Rect(36, 36, 36 + 72 * inches, 36 + 48 * inches), stream=buf.getvalue())
    if text:
        page.insert_text((36, 600), text, fontname="helv", fontsize=24)
    doc.save(path)
    return path


def test_a_bigger_result_of_a_size_only_request_keeps_the_input(tmp_path: Path) -> None:
    src = _photo_pdf(tmp_path / "photo.pdf")
    out = tmp_path / "o.pdf"
    # Re-storing a JPEG photo with Flate makes it several times bigger.
    res = optimize_pdf(src, out, {"compression": {"colorFilter": "flate"}})
    size = res["size"]
    assert size["keptInput"] is True and "the input is kept" in size["reason"]
    assert out.read_bytes() == src.read_bytes()
    assert res["sizeBytes"] == src.stat().st_size and size["bytesSaved"]["total"] == 0
    applied, skipped = _names(res)
    assert applied == [] and skipped["compression.colorFilter"].startswith("not applied: the result was")


def test_a_demanded_transform_is_kept_without_the_size_option_that_grew_the_file(tmp_path: Path) -> None:
    src = _photo_pdf(tmp_path / "photo.pdf")
    out = tmp_path / "o.pdf"
    res = optimize_pdf(src, out, {"compression": {"colorFilter": "flate"}, "outputIntent": {"profile": "fogra39"}})
    applied, skipped = _names(res)
    assert applied == ["outputIntent"]
    assert "made the file bigger" in skipped["compression.colorFilter"]
    with pikepdf.open(out) as pdf:
        assert "FOGRA39" in str(pdf.Root.OutputIntents[0].OutputConditionIdentifier)
        assert next(image_placements(pdf, [0])).image.Filter == pikepdf.Name.DCTDecode
    # The intent's ICC profile (FOGRA39, 130 kB) is the growth, and it is named, not hidden.
    size = res["size"]
    assert size["grewBecause"] == ["outputIntent"] and size["keptInput"] is False
    assert size["bytesSaved"]["images"] == 0 and -140_000 < size["bytesSaved"]["color"] < -120_000


def test_bytes_saved_per_category_add_up(tmp_path: Path) -> None:
    from printgate.core import library

    src = _photo_pdf(tmp_path / "photo.pdf", px=2400, inches=3.0)  # 800 dpi: above the print preset's 450
    out = tmp_path / "o.pdf"
    params = next(p for p in library.builtins("preset") if p["id"] == "opt_print")["params"]["pdf"]
    res = optimize_pdf(src, out, params)
    size = res["size"]
    assert "scaleImages" in res["appliedFixes"]
    assert size["keptInput"] is False and size["outputBytes"] == out.stat().st_size < src.stat().st_size
    saved = size["bytesSaved"]
    assert saved["images"] > 0.5 * saved["total"] > 0
    assert set(saved) == {"images", "fonts", "content", "color", "metadata", "structure", "total"}
    assert sum(v for k, v in saved.items() if k != "total") == saved["total"]


@pytest.mark.parametrize(("preset", "floor"), [("opt_print", 0.97), ("opt_screen", 0.9)])
def test_quality_guard_built_in_presets(tmp_path: Path, preset: str, floor: float) -> None:
    """At 150 dpi the optimized page stays within an SSIM bound of the original; text stays text;
    no page or image is dropped."""
    from printgate.core import library
    from printgate.core.processing.quality import pdf_ssim

    src = _photo_pdf(tmp_path / "photo.pdf", px=2400, inches=3.0)
    out = tmp_path / "o.pdf"
    params = next(p for p in library.builtins("preset") if p["id"] == preset)["params"]["pdf"]
    res = optimize_pdf(src, out, params)
    assert res["sizeBytes"] < src.stat().st_size
    assert pdf_ssim(src, out, dpi=150) > floor
    with pymupdf.open(src) as a, pymupdf.open(out) as b:
        assert len(a) == len(b)
        assert b[0].get_text().strip() == a[0].get_text().strip() == "Price list 2026"
        assert len(b[0].get_images()) == len(a[0].get_images()) == 1
