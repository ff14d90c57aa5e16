"""Vector colours are converted with the profile the merchant chose, the same way as the images beside them.

Ghostscript's pdfwrite ignores the chosen CMYK profile for vector colours: before this, FOGRA39 and
GRACoL gave the same numbers, and an RGB blue drawn as a vector and the same blue as pixels (a photo,
or the bleed strips ``add_bleed`` cuts from the page) printed as two different blues.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pikepdf
import pymupdf
import pytest
from PIL import Image, ImageCms

from printgate.core.fixes import icc, run_autofix
from printgate.core.fixes.color import convert_colors
from printgate.core.fixes.vector_color import RgbToCmyk, convert_rgb_vectors
from printgate.core.fixes.workdoc import WorkDoc
from tests.fixes.fixkit import finding, report

BLUE = (26, 77, 217)
DARK_GREY = (40, 40, 40)  # where FOGRA39 and GRACoL part most (their black generation differs)


def _blue_vector_and_pixels(path: Path, rgb: tuple[int, int, int] = BLUE) -> Path:
    doc = pymupdf.open()
    page = doc.new_page(width=200, height=200)
    page.draw_rect(pymupdf.Rect(0, 0, 100, 200), color=None, fill=tuple(v / 255 for v in rgb))
    photo = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 8, 8), False)
    photo.set_rect(photo.irect, rgb)
    page.insert_image(pymupdf.Rect(100, 0, 200, 200), pixmap=photo)
    doc.save(path)
    return path


def _littlecms(profile: str, rgb: tuple[int, int, int]) -> list[int]:
    transform = ImageCms.buildTransform(
        ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")), ImageCms.ImageCmsProfile(str(icc.resolve(profile).path)),
        "RGB", "CMYK", renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC, flags=ImageCms.Flags.BLACKPOINTCOMPENSATION)
    return list(ImageCms.applyTransform(Image.new("RGB", (1, 1), rgb), transform).getpixel((0, 0)))  # type: ignore[union-attr]


def _converted(src: Path, tmp_path: Path, profile: str) -> tuple[list[int], list[int]]:
    work = tmp_path / profile
    work.mkdir()
    doc = WorkDoc(src, work)
    convert_colors(doc, "cmyk", icc.resolve(profile))
    out = work / "out.pdf"
    doc.save(out)
    with pymupdf.open(out) as done:
        pix = done[0].get_pixmap(colorspace=pymupdf.csCMYK, dpi=20)
        return list(pix.pixel(pix.width // 4, pix.height // 2)), list(pix.pixel(3 * pix.width // 4, pix.height // 2))


@pytest.mark.parametrize("profile", ["fogra39", "gracol"])
def test_vector_and_pixels_of_one_colour_print_the_same(tmp_path: Path, profile: str) -> None:
    vector, pixels = _converted(_blue_vector_and_pixels(tmp_path / "blue.pdf"), tmp_path, profile)
    expected = _littlecms(profile, BLUE)
    assert all(abs(a - b) <= 2 for a, b in zip(vector, pixels, strict=True)), (vector, pixels)
    assert all(abs(a - b) <= 2 for a, b in zip(vector, expected, strict=True)), (vector, expected)


def test_the_chosen_profile_changes_the_vector_numbers(tmp_path: Path) -> None:
    src = _blue_vector_and_pixels(tmp_path / "grey.pdf", DARK_GREY)
    fogra, _ = _converted(src, tmp_path, "fogra39")
    gracol, _ = _converted(src, tmp_path, "gracol")
    assert max(abs(a - b) for a, b in zip(fogra, gracol, strict=True)) > 20, (fogra, gracol)
    assert all(abs(a - b) <= 2 for a, b in zip(gracol, _littlecms("gracol", DARK_GREY), strict=True)), gracol


def test_colour_spaces_graphics_state_and_nested_content(tmp_path: Path) -> None:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(100, 100))
    page = pdf.pages[0]
    form = pdf.make_stream(b"0 1 0 RG 0 0 5 5 re S")
    form.Type, form.Subtype, form.BBox = pikepdf.Name.XObject, pikepdf.Name.Form, [0, 0, 10, 10]
    tile = pdf.make_stream(b"1 0 0 rg 0 0 2 2 re f")
    tile.update({"/PatternType": 1, "/PaintType": 1, "/TilingType": 1, "/BBox": [0, 0, 4, 4], "/XStep": 4,
                 "/YStep": 4, "/Resources": pikepdf.Dictionary()})
    srgb = pdf.make_stream(icc.resolve("srgb").data())
    srgb.N = 3
    page.obj.Resources = pikepdf.Dictionary(
        XObject=pikepdf.Dictionary(Fm0=form), Pattern=pikepdf.Dictionary(P0=tile),
        ColorSpace=pikepdf.Dictionary(CS0=pikepdf.Array([pikepdf.Name.ICCBased, srgb]),
                                      CS1=pikepdf.Name.DeviceGray))
    page.obj.Contents = pdf.make_stream(
        b"q /CS0 cs 0 0 1 scn Q 0.5 sc /CS1 cs 0.5 sc /Pattern cs /P0 scn 0 0 9 9 re f /Fm0 Do 0.2 g")
    path = tmp_path / "in.pdf"
    pdf.save(path)
    doc = WorkDoc(path, tmp_path)
    assert convert_rgb_vectors(doc, RgbToCmyk(icc.resolve("fogra39"))) == 3
    ops = [(str(op), [float(v) if not isinstance(v, pikepdf.Name) else str(v) for v in args])
           for args, op in pikepdf.parse_content_stream(doc.pdf.pages[0])]
    names = [o for o, _ in ops]
    # The ICC-based blue became k; after Q the fill space is DeviceGray again, so "0.5 sc" is gray and stays.
    assert names[:5] == ["q", "cs", "k", "Q", "sc"]
    assert ops[2][1] == pytest.approx([v / 255 for v in _littlecms("fogra39", (0, 0, 255))], abs=0.005)
    assert ("scn", ["/P0"]) in ops and ops[-1] == ("g", [0.2])
    assert str(doc.pdf.pages[0].Resources.XObject.Fm0.read_bytes()).count(" K") == 1
    assert b" k" in doc.pdf.pages[0].Resources.Pattern.P0.read_bytes()


def test_bleed_strips_print_the_blue_of_the_artwork(pdfs: Any, tmp_path: Path) -> None:
    """The defect seen in the proofs: mirrored bleed in one blue, the artwork beside it in another."""
    src = pdfs.art("art.pdf", w=200, h=100)
    out = tmp_path / "out.pdf"
    res = run_autofix(src, out, report(finding("bleed_missing", "add_bleed", {"bleed_mm": 3, "mode": "mirror"}),
                                       finding("rgb_used", "convert_to_cmyk", {"icc": "fogra39"})), None)
    assert [a["strategy"] for a in res["applied"]] == ["add_bleed", "convert_to_cmyk"], res
    with pymupdf.open(out) as done:
        page = done[0]
        zoom = 2.0
        pix = page.get_pixmap(colorspace=pymupdf.csCMYK, matrix=pymupdf.Matrix(zoom, zoom))
        trim = page.trimbox
        y = int((trim.y0 + trim.height * 0.6) * zoom)
        inside_blue = pix.pixel(int((trim.x1 - 10) * zoom), y)
        bleed_blue = pix.pixel(int((trim.x1 + 4) * zoom), y)  # in the 3 mm (8.5 pt) right bleed
    assert all(abs(a - b) <= 2 for a, b in zip(inside_blue, bleed_blue, strict=True)), (inside_blue, bleed_blue)
    assert inside_blue[0] > 200 and inside_blue[1] > 150, inside_blue  # the converted blue, not white paper
