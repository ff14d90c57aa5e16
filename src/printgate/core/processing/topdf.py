"""A raster as a print-ready PDF: one page at the product's trim size plus bleed, CMYK through the
project's ICC profiles, with TrimBox/BleedBox and a PDF/X output intent.

The image covers the trim size (centre-cropped to its aspect ratio, never distorted); the bleed is
made from the image's own edge pixels, mirrored (default) or stretched, as the bleed glossary says.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pikepdf
from PIL import Image, ImageCms

from printgate.core.fixes import _jpeg, icc

MM = 72 / 25.4


@dataclass
class PdfResult:
    width_mm: float
    height_mm: float
    bleed_mm: float
    effective_dpi: float
    colorspace: str
    cropped_px: tuple[int, int] = (0, 0)
    notes: list[str] = field(default_factory=list)

    def wire(self) -> dict[str, Any]:
        return {"trimMm": [round(self.width_mm, 2), round(self.height_mm, 2)], "bleedMm": self.bleed_mm,
                "effectiveDpi": round(self.effective_dpi, 1), "colorspace": self.colorspace,
                "croppedPx": list(self.cropped_px), "notes": self.notes}


def _to_profile(image: Image.Image, source_icc: bytes | None, profile: icc.Profile) -> Image.Image:
    mode = {4: "CMYK", 3: "RGB", 1: "L"}[profile.components]
    if image.mode not in ("RGB", "L", "CMYK"):
        if image.mode in ("RGBA", "LA", "PA", "P"):
            rgba = image.convert("RGBA")
            base = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            base.alpha_composite(rgba)
            image = base.convert("RGB")
        else:
            image = image.convert("RGB")
    try:
        src = ImageCms.ImageCmsProfile(io.BytesIO(source_icc)) if source_icc else None
    except (OSError, ImageCms.PyCMSError):
        src = None
    if src is None:
        src = {"CMYK": ImageCms.ImageCmsProfile(str(icc.resolve("fogra39").path)),
               "L": ImageCms.ImageCmsProfile(str(icc.resolve("gray").path))}.get(
            image.mode, ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")))
    out = ImageCms.profileToProfile(image, src, ImageCms.ImageCmsProfile(str(profile.path)),
                                    renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC, outputMode=mode)
    assert out is not None
    return out


def add_bleed(image: Image.Image, px: int, mode: str = "mirror") -> Image.Image:
    """``image`` grown by ``px`` on every side from its edge pixels (``mirror`` or ``stretch``)."""
    if px <= 0:
        return image
    if mode not in ("mirror", "stretch"):
        raise ValueError(f"bleed mode must be mirror or stretch, not {mode!r}")
    arr = np.asarray(image)
    pad = [(px, px), (px, px)] + ([(0, 0)] if arr.ndim == 3 else [])
    padded = np.pad(arr, pad, mode="symmetric" if mode == "mirror" else "edge")
    return Image.fromarray(padded, image.mode)


def cover_crop(image: Image.Image, aspect: float) -> tuple[Image.Image, tuple[int, int]]:
    """Centre-crop ``image`` to ``aspect`` (w/h); the pixels removed across and down."""
    w, h = image.size
    if abs(w / h - aspect) / aspect < 0.002:
        return image, (0, 0)
    if w / h > aspect:
        nw, nh = round(h * aspect), h
    else:
        nw, nh = w, round(w / aspect)
    left, top = (w - nw) // 2, (h - nh) // 2
    return image.crop((left, top, left + nw, top + nh)), (w - nw, h - nh)


def raster_to_pdf(image: Image.Image, dst: Path, *, trim_mm: tuple[float, float] | None = None,
                  dpi: tuple[float, float] | None = None, bleed_mm: float = 0.0, bleed_mode: str = "mirror",
                  profile: str | None = "fogra39", source_icc: bytes | None = None,
                  jpeg_quality: int = 92) -> PdfResult:
    """Write ``image`` as a one-page PDF. Without ``trim_mm`` the page is the image at ``dpi`` (300)."""
    notes: list[str] = []
    cropped = (0, 0)
    if trim_mm is None:
        res = dpi[0] if dpi and dpi[0] > 1 else 300.0
        if not (dpi and dpi[0] > 1):
            notes.append("the image carries no DPI: placed at 300 dpi")
        trim_mm = (image.width / res * 25.4, image.height / res * 25.4)
    else:
        image, cropped = cover_crop(image, trim_mm[0] / trim_mm[1])
        if any(cropped):
            notes.append(f"centre-cropped {cropped[0]} x {cropped[1]} px to the print size's aspect ratio")
    px_per_mm = image.width / trim_mm[0]
    effective_dpi = px_per_mm * 25.4
    target = icc.resolve(profile) if profile else None
    if target is not None:
        image = _to_profile(image, source_icc, target)
        colorspace = {4: "cmyk", 3: "rgb", 1: "gray"}[target.components]
    else:
        image = _to_profile(image, source_icc, icc.resolve("srgb")) if image.mode not in ("RGB", "L") else image
        colorspace = "rgb" if image.mode == "RGB" else "gray"
    bleed_px = round(bleed_mm * px_per_mm)
    image = add_bleed(image, bleed_px, bleed_mode)
    bleed_pt = bleed_px / px_per_mm * MM
    page_w, page_h = trim_mm[0] * MM + 2 * bleed_pt, trim_mm[1] * MM + 2 * bleed_pt

    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(page_w, page_h))
    page = pdf.pages[0]
    xobj = pikepdf.Stream(pdf, b"")
    xobj.Type, xobj.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    xobj.Width, xobj.Height, xobj.BitsPerComponent = image.width, image.height, 8
    xobj.ColorSpace = {"CMYK": pikepdf.Name.DeviceCMYK, "L": pikepdf.Name.DeviceGray}.get(
        image.mode, pikepdf.Name.DeviceRGB)
    _jpeg.store(xobj, _jpeg.encode(image, _jpeg.JpegInfo(jpeg_quality, 1, 1)))
    page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=pdf.make_indirect(xobj)))
    page.obj.Contents = pikepdf.Stream(pdf, f"q {page_w:.4f} 0 0 {page_h:.4f} 0 0 cm /Im0 Do Q".encode())
    page.obj.BleedBox = pikepdf.Array([0, 0, page_w, page_h])
    page.obj.TrimBox = pikepdf.Array([bleed_pt, bleed_pt, page_w - bleed_pt, page_h - bleed_pt])
    if target is not None and target.components == 4:
        from printgate.core.fixes.color import add_output_intent

        add_output_intent(pdf, target)
    dst.parent.mkdir(parents=True, exist_ok=True)
    pdf.save(dst)
    return PdfResult(trim_mm[0], trim_mm[1], round(bleed_px / px_per_mm, 3), effective_dpi, colorspace, cropped, notes)
