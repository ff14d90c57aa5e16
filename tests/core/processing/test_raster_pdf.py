"""A raster as a print-ready PDF: trim size, bleed from the image's own edges, CMYK with an intent."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pikepdf
import pytest
from PIL import Image

from printgate.core.processing.quality import render_page, ssim
from printgate.core.processing.topdf import MM, add_bleed, raster_to_pdf
from tests.core.processing.images import scene


def test_mirror_and_stretch_bleed_come_from_the_edge_pixels() -> None:
    img = Image.fromarray(np.arange(25, dtype=np.uint8).reshape(5, 5) * 10, "L")
    mirrored = np.asarray(add_bleed(img, 2, "mirror"))
    stretched = np.asarray(add_bleed(img, 2, "stretch"))
    assert mirrored.shape == stretched.shape == (9, 9)
    row = np.asarray(img)[0]
    assert list(mirrored[2, :4]) == [row[1], row[0], row[0], row[1]]  # reflected at the edge
    assert list(stretched[2, :3]) == [row[0], row[0], row[0]]  # the edge pixel repeated
    with pytest.raises(ValueError):
        add_bleed(img, 2, "smear")


def test_print_size_with_bleed_and_boxes(tmp_path: Path) -> None:
    out = tmp_path / "card.pdf"
    # 1004 x 650 px on an 85 x 55 mm card: 300 dpi across; the aspect differs a little, so it is cropped.
    res = raster_to_pdf(scene(1004, 680), out, trim_mm=(85, 55), bleed_mm=3, profile="fogra39")
    assert res.colorspace == "cmyk" and res.effective_dpi == pytest.approx(300, abs=0.5)
    assert res.cropped_px[1] > 0 and res.notes
    with pikepdf.open(out) as pdf:
        page = pdf.pages[0]
        trim = [float(v) for v in page.obj.TrimBox]
        media = [float(v) for v in page.obj.MediaBox]
        assert trim[2] - trim[0] == pytest.approx(85 * MM, abs=0.3)
        assert trim[3] - trim[1] == pytest.approx(55 * MM, abs=0.3)
        assert trim[0] - media[0] == pytest.approx(3 * MM, abs=0.3)
        image = page.obj.Resources.XObject["/Im0"]
        assert image.ColorSpace == pikepdf.Name.DeviceCMYK
        assert "FOGRA39" in str(pdf.Root.OutputIntents[0].OutputConditionIdentifier)


def test_the_page_looks_like_the_photo(tmp_path: Path) -> None:
    """Quality guard: the converted page at 150 dpi, trim area, within SSIM 0.9 of the photo."""
    photo = scene(900, 600)
    out = tmp_path / "p.pdf"
    raster_to_pdf(photo, out, trim_mm=(150, 100), bleed_mm=3, profile="fogra39")
    page = render_page(out, dpi=150)
    b = round(3 * 150 / 25.4)
    trim = page.crop((b, b, page.width - b, page.height - b))
    assert ssim(photo.resize(trim.size, Image.Resampling.LANCZOS), trim) > 0.9


def test_no_print_size_places_the_image_at_its_dpi(tmp_path: Path) -> None:
    out = tmp_path / "p.pdf"
    res = raster_to_pdf(scene(600, 300), out, dpi=(200, 200), profile=None)
    assert res.width_mm == pytest.approx(600 / 200 * 25.4) and res.colorspace == "rgb"
    with pikepdf.open(out) as pdf:
        assert "/OutputIntents" not in pdf.Root
        assert pdf.pages[0].obj.Resources.XObject["/Im0"].ColorSpace == pikepdf.Name.DeviceRGB
