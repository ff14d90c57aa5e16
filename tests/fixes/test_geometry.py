from __future__ import annotations

from pathlib import Path

import pikepdf
import pymupdf
import pytest
from PIL import Image, ImageChops

from printgate.core.fixes import run_autofix
from tests.fixes.fixkit import MM, finding, report


def _boxes(path: Path, index: int = 0) -> dict[str, list[float]]:
    with pikepdf.open(path) as pdf:
        page = pdf.pages[index].obj
        return {k: [float(v) for v in page[k]] for k in ("/MediaBox", "/TrimBox", "/BleedBox") if k in page}


def _render(path: Path, dpi: int = 72) -> Image.Image:
    with pymupdf.open(path) as doc:
        pix = doc[0].get_pixmap(dpi=dpi, alpha=False)
        return Image.frombytes("RGB", (pix.width, pix.height), pix.samples)


def test_add_bleed_mirror_grows_boxes_3mm_and_mirrors_edge_pixels(pdfs, tmp_path: Path) -> None:
    src = pdfs.art(w=200, h=100)
    before = src.read_bytes()
    out = tmp_path / "out.pdf"
    res = run_autofix(src, out, report(finding("bleed_missing", "add_bleed", {"bleed_mm": 3, "mode": "mirror"})), None)
    assert res["outcome"] == "fixed" and res["output"] == out
    assert res["applied"][0]["strategy"] == "add_bleed" and res["applied"][0]["pages"] == [1]
    assert src.read_bytes() == before
    b = _boxes(out)
    d = 3 * MM
    assert b["/TrimBox"] == pytest.approx([0, 0, 200, 100])
    assert b["/MediaBox"] == pytest.approx([-d, -d, 200 + d, 100 + d], abs=1e-3)
    assert b["/BleedBox"] == b["/MediaBox"]
    img = _render(out, dpi=144)
    scale = 2.0
    bleed_px = round(d * scale)
    h = img.height
    # Left band is the mirror image of the strip just inside the trim (red artwork + green top band).
    mid = h // 2
    assert img.getpixel((2, mid))[0] > 200 and img.getpixel((2, mid))[2] < 60  # red outside left edge
    assert img.getpixel((img.width - 3, mid))[2] > 200  # blue outside right edge
    assert img.getpixel((img.width // 4, 2))[1] > 150  # green continues above the top edge
    assert img.getpixel((img.width // 4, h - 3))[0] > 200  # red continues below the bottom
    inner = img.crop((bleed_px, 0, 2 * bleed_px, h))
    outer = img.crop((0, 0, bleed_px, h)).transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    diff = ImageChops.difference(inner, outer).convert("L")
    assert sum(diff.histogram()[40:]) < 0.02 * inner.width * inner.height


def test_add_bleed_stretch_and_sides(pdfs, tmp_path: Path) -> None:
    src = pdfs.art(w=200, h=100)
    out = tmp_path / "out.pdf"
    params = {"bleed_mm": 5, "mode": "stretch", "sides": ["left", "top"]}
    res = run_autofix(src, out, report(finding("bleed_missing", "add_bleed", params)), None)
    assert res["outcome"] == "fixed"
    d = 5 * MM
    assert _boxes(out)["/MediaBox"] == pytest.approx([-d, 0, 200, 100 + d], abs=1e-3)
    img = _render(out)
    assert img.getpixel((1, img.height // 2))[0] > 200  # red stretched to the left


def test_mirror_bleed_alias_from_sdk_fixture(pdfs, tmp_path: Path) -> None:
    src = pdfs.art()
    res = run_autofix(src, tmp_path / "o.pdf", report(finding("bleed_missing", "mirror_bleed", {"bleed_mm": 3})), None)
    assert res["applied"][0]["strategy"] == "add_bleed"


def test_add_bleed_scale_covers_bleed(pdfs, tmp_path: Path) -> None:
    src = pdfs.art(w=200, h=100)
    out = tmp_path / "out.pdf"
    run_autofix(src, out, report(finding("bleed_missing", "add_bleed", {"bleed_mm": 3, "mode": "scale"})), None)
    img = _render(out)
    assert img.getpixel((0, img.height // 2))[0] > 200
    assert img.getpixel((img.width - 1, img.height // 2))[2] > 200


def test_add_bleed_unchanged_when_bleed_present(pdfs, tmp_path: Path) -> None:
    src = pdfs.art()
    first = tmp_path / "first.pdf"
    run_autofix(src, first, report(finding("bleed_missing", "add_bleed", {"bleed_mm": 3})), None)
    res = run_autofix(first, tmp_path / "second.pdf", report(finding("bleed_missing", "add_bleed", {"bleed_mm": 3})), None)
    assert res["outcome"] == "unchanged" and res["output"] is None
    assert "already has the required bleed" in res["skipped"][0]["reason"]
    assert not (tmp_path / "second.pdf").exists()


def test_set_trimbox_inset_for_order_size_plus_bleed(pdfs, tmp_path: Path) -> None:
    src = pdfs.art(w=106 * MM, h=106 * MM)
    out = tmp_path / "out.pdf"
    res = run_autofix(src, out, report(finding("trimbox_missing", "set_trimbox", {"width_mm": 100, "height_mm": 100})), None)
    assert res["outcome"] == "fixed"
    b = _boxes(out)
    assert b["/TrimBox"] == pytest.approx([3 * MM, 3 * MM, 103 * MM, 103 * MM], abs=1e-3)
    assert b["/BleedBox"] == pytest.approx(b["/MediaBox"])


def test_set_trimbox_refuses_page_smaller_than_order(pdfs, tmp_path: Path) -> None:
    src = pdfs.art(w=50 * MM, h=50 * MM)
    res = run_autofix(src, tmp_path / "o.pdf", report(finding("trimbox_missing", "set_trimbox", {"width_mm": 100, "height_mm": 100})), None)
    assert res["outcome"] == "unchanged" and "smaller" in res["skipped"][0]["reason"]


def test_normalize_rotation_keeps_appearance(pdfs, tmp_path: Path) -> None:
    src = pdfs.art(w=200, h=100)
    rotated = tmp_path / "rot.pdf"
    with pikepdf.open(src) as pdf:
        pdf.pages[0].obj.Rotate = 90
        pdf.save(rotated)
    out = tmp_path / "out.pdf"
    res = run_autofix(rotated, out, report(finding("page_rotation", "normalize_rotation")), None)
    assert res["outcome"] == "fixed"
    with pikepdf.open(out) as pdf:
        assert int(pdf.pages[0].obj.get("/Rotate", 0)) == 0
    a, b = _render(rotated), _render(out)
    assert a.size == b.size == (100, 200)
    diff = ImageChops.difference(a, b).convert("L")
    assert diff.getextrema()[1] < 40


def test_trimbox_rect_measured_before_rotation_is_mapped(pdfs, tmp_path: Path) -> None:
    src = pdfs.art(w=200, h=100)
    rotated = tmp_path / "rot.pdf"
    with pikepdf.open(src) as pdf:
        pdf.pages[0].obj.Rotate = 90
        pdf.save(rotated)
    rep = report(finding("page_rotated", "normalize_rotation"),
                 finding("trimbox_missing", "set_trimbox", {"box": "trim", "rect": [10, 5, 190, 95]}))
    out = tmp_path / "out.pdf"
    assert run_autofix(rotated, out, rep, None)["outcome"] == "fixed"
    b = _boxes(out)
    assert b["/MediaBox"] == pytest.approx([0, 0, 100, 200])
    # user (x, y) -> (y, 200 - x): [10, 5, 190, 95] becomes [5, 10, 95, 190]
    assert b["/TrimBox"] == pytest.approx([5, 10, 95, 190])
