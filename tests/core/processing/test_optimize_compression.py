"""Quality guard for ``compression.colorFilter: jpeg``: a lossless photo becomes JPEG, while text and
line art (which JPEG would store bigger, and blur) stay lossless byte for byte; the page stays within
an SSIM bound of the original at 150 dpi."""

from __future__ import annotations

import zlib
from pathlib import Path

import pikepdf
from PIL import Image, ImageDraw

from printgate.core.fixes import optimize_pdf
from printgate.core.processing.quality import pdf_ssim
from tests.core.processing.images import scene


def _flate_image(pdf: pikepdf.Pdf, img: Image.Image) -> pikepdf.Stream:
    stream = pikepdf.Stream(pdf, zlib.compress(img.tobytes(), 6))
    stream.Type, stream.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    stream.Width, stream.Height, stream.BitsPerComponent = img.width, img.height, 8
    stream.ColorSpace, stream.Filter = pikepdf.Name.DeviceRGB, pikepdf.Name.FlateDecode
    return stream


def line_art(w: int = 900, h: int = 600) -> Image.Image:
    img = Image.new("RGB", (w, h), "white")
    draw = ImageDraw.Draw(img)
    for i in range(0, w, 40):
        draw.line((i, 0, w - i, h), fill=(20, 40, 160), width=3)
    for y in range(30, h, 60):
        draw.text((30, y), "Price list 2027 - lossless text", fill="black")
    return img


def test_photos_become_jpeg_and_flat_artwork_stays_lossless(tmp_path: Path) -> None:
    src = tmp_path / "mixed.pdf"
    with pikepdf.new() as pdf:
        page = pdf.add_blank_page(page_size=(612, 792))
        photo, art = _flate_image(pdf, scene(900, 600)), _flate_image(pdf, line_art())
        page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(
            Photo=pdf.make_indirect(photo), Art=pdf.make_indirect(art)))
        page.obj.Contents = pikepdf.Stream(pdf, b"q 432 0 0 288 90 460 cm /Photo Do Q q 432 0 0 288 90 60 cm /Art Do Q")
        pdf.save(src)
    out = tmp_path / "out.pdf"
    result = optimize_pdf(src, out, {"compression": {"colorFilter": "jpeg", "jpegQuality": 85}})
    assert "compression.colorFilter" in result["appliedFixes"], result["skippedFixes"]
    with pikepdf.open(out) as pdf:
        xobjects = pdf.pages[0].obj.Resources.XObject
        assert xobjects["/Photo"].Filter == pikepdf.Name.DCTDecode
        assert xobjects["/Art"].Filter == pikepdf.Name.FlateDecode
        # The artwork is exactly what it was.
        assert pikepdf.PdfImage(xobjects["/Art"]).as_pil_image().tobytes() == line_art().tobytes()
    assert out.stat().st_size < src.stat().st_size
    assert pdf_ssim(src, out, dpi=150) > 0.95
