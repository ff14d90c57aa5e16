"""A raster as a print-ready PDF: one page at the product's trim size plus bleed, CMYK through the
project's ICC profiles, with TrimBox/BleedBox and a PDF/X output intent.

The image covers the trim size (centre-cropped to its aspect ratio, never distorted); the bleed is
made from the image's own edge pixels, mirrored (default) or stretched, as the bleed glossary says.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pikepdf
import pyvips
from PIL import Image

from printgate.core.errors import UnreadableFile
from printgate.core.fixes import _jpeg, icc
from printgate.core.processing.streaming import flatten, jpeg_options, mode_of

MM = 72 / 25.4
AnyImage = TypeVar("AnyImage", Image.Image, pyvips.Image)


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


def _to_profile(image: pyvips.Image, source_icc: bytes | None, profile: icc.Profile) -> pyvips.Image:
    """Pixels into ``profile`` (relative colorimetric, LittleCMS); alpha flattened onto white."""
    image = flatten(image, (255, 255, 255))
    mode = mode_of(image)
    source = source_icc or icc.resolve({"CMYK": "fogra39", "L": "gray"}.get(mode, "srgb")).data()
    tagged = image.copy()
    tagged.set_type(pyvips.GValue.blob_type, "icc-profile-data", source)
    out = tagged.icc_transform(str(profile.path), embedded=True, intent="relative", depth=8)
    return out.copy(interpretation={4: "cmyk", 1: "b-w"}.get(profile.components, "srgb"))


def _as_vips(image: Image.Image | pyvips.Image) -> pyvips.Image:
    if isinstance(image, pyvips.Image):
        return image
    if image.mode not in ("L", "LA", "RGB", "RGBA", "CMYK"):
        image = image.convert("RGBA" if "A" in image.mode or "transparency" in image.info else "RGB")
    out = pyvips.Image.new_from_array(np.ascontiguousarray(np.asarray(image)))
    return out.copy(interpretation={"L": "b-w", "LA": "b-w", "CMYK": "cmyk"}.get(image.mode, "srgb"))


def add_bleed(image: AnyImage, px: int, mode: str = "mirror", *,
              top_source: pyvips.Image | None = None) -> AnyImage:
    """``image`` grown by ``px`` on every side from its edge pixels (``mirror`` or ``stretch``); a
    Pillow image in gives a Pillow image out.

    A streamed image has passed its top rows by the time the bleed above them is written (libvips
    reads it once, top to bottom): ``top_source``, a second reading of the same pixels, gives them
    (only its first ``px`` rows are decoded)."""
    if px <= 0:
        return image
    if mode not in ("mirror", "stretch"):
        raise ValueError(f"bleed mode must be mirror or stretch, not {mode!r}")
    extend = "mirror" if mode == "mirror" else "copy"
    vips = _as_vips(image)
    w, h = vips.width, vips.height
    if top_source is None:
        grown = vips.embed(px, px, w + 2 * px, h + 2 * px, extend=extend)
    else:
        edge = top_source.crop(0, 0, w, 1 if mode == "stretch" else min(px, h))
        strip = edge.embed(0, 0, w, px, extend=extend).flip("vertical").copy_memory()
        top = strip.embed(px, 0, w + 2 * px, px, extend=extend)
        grown = top.join(vips.embed(px, 0, w + 2 * px, h + px, extend=extend), "vertical")
    if isinstance(image, Image.Image):
        return Image.fromarray(np.asarray(grown.numpy()), image.mode)
    return grown


def cover_crop(image: pyvips.Image, aspect: float) -> tuple[pyvips.Image, tuple[int, int]]:
    """Centre-crop ``image`` to ``aspect`` (w/h); the pixels removed across and down."""
    w, h = image.width, image.height
    if abs(w / h - aspect) / aspect < 0.002:
        return image, (0, 0)
    if w / h > aspect:
        nw, nh = round(h * aspect), h
    else:
        nw, nh = w, round(w / aspect)
    left, top = (w - nw) // 2, (h - nh) // 2
    return image.crop(left, top, nw, nh), (w - nw, h - nh)


def raster_to_pdf(image: Image.Image | pyvips.Image, dst: Path, *, trim_mm: tuple[float, float] | None = None,
                  dpi: tuple[float, float] | None = None, bleed_mm: float = 0.0, bleed_mode: str = "mirror",
                  profile: str | None = "fogra39", source_icc: bytes | None = None,
                  jpeg_quality: int = 92, reread: Callable[[], pyvips.Image] | None = None) -> PdfResult:
    """Write ``image`` as a one-page PDF. Without ``trim_mm`` the page is the image at ``dpi`` (300).

    A libvips image streams (crop, colour, bleed and the JPEG encoder run strip by strip); only the
    compressed JPEG is held in memory. ``reread`` opens the same image again, for the bleed above a
    streamed image's top rows (see :func:`add_bleed`)."""
    notes: list[str] = []
    image = _as_vips(image)
    cropped = (0, 0)
    if trim_mm is None:
        res = dpi[0] if dpi and dpi[0] > 1 else 300.0
        if not (dpi and dpi[0] > 1):
            notes.append("the image carries no DPI: placed at 300 dpi")
        trim_mm = (image.width / res * 25.4, image.height / res * 25.4)
    else:
        _, cropped = cover_crop(image, trim_mm[0] / trim_mm[1])
        if any(cropped):
            notes.append(f"centre-cropped {cropped[0]} x {cropped[1]} px to the print size's aspect ratio")
    target = icc.resolve(profile) if profile else None
    aspect = trim_mm[0] / trim_mm[1]

    def prepared(source: pyvips.Image) -> pyvips.Image:
        """Cropped to the print size and in the output's colours: the page's pixels, before bleed."""
        if any(cropped):
            source = cover_crop(source, aspect)[0]
        if target is not None:
            return _to_profile(source, source_icc, target)
        return _to_profile(source, source_icc, icc.resolve("srgb")) if mode_of(source) not in ("RGB", "L") else source

    image = prepared(image)
    colorspace = {"CMYK": "cmyk", "RGB": "rgb", "L": "gray"}[mode_of(image)]
    px_per_mm = image.width / trim_mm[0]
    effective_dpi = px_per_mm * 25.4
    bleed_px = round(bleed_mm * px_per_mm)
    image = add_bleed(image, bleed_px, bleed_mode, top_source=prepared(reread()) if reread and bleed_px else None)
    bleed_pt = bleed_px / px_per_mm * MM
    page_w, page_h = trim_mm[0] * MM + 2 * bleed_pt, trim_mm[1] * MM + 2 * bleed_pt

    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(page_w, page_h))
    page = pdf.pages[0]
    xobj = pikepdf.Stream(pdf, b"")
    xobj.Type, xobj.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    xobj.Width, xobj.Height, xobj.BitsPerComponent = image.width, image.height, 8
    xobj.ColorSpace = {"CMYK": pikepdf.Name.DeviceCMYK, "L": pikepdf.Name.DeviceGray}.get(
        mode_of(image), pikepdf.Name.DeviceRGB)
    dst.parent.mkdir(parents=True, exist_ok=True)
    _jpeg.store(xobj, _encode(image, jpeg_quality, dst.parent))
    page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=pdf.make_indirect(xobj)))
    page.obj.Contents = pikepdf.Stream(pdf, f"q {page_w:.4f} 0 0 {page_h:.4f} 0 0 cm /Im0 Do Q".encode())
    page.obj.BleedBox = pikepdf.Array([0, 0, page_w, page_h])
    page.obj.TrimBox = pikepdf.Array([bleed_pt, bleed_pt, page_w - bleed_pt, page_h - bleed_pt])
    if target is not None and target.components == 4:
        from printgate.core.fixes.color import add_output_intent

        add_output_intent(pdf, target)
    pdf.save(dst)
    return PdfResult(trim_mm[0], trim_mm[1], round(bleed_px / px_per_mm, 3), effective_dpi, colorspace, cropped, notes)


def _encode(image: pyvips.Image, quality: int, workdir: Path) -> _jpeg.Encoded:
    """The page's JPEG, no chroma subsampling (print). Written to a file by libvips strip by strip
    (a growing memory buffer would hold up to twice the JPEG); libvips stores CMYK inverted, Adobe style."""
    path = workdir / f".{workdir.name}-page.jpg"
    try:
        image.jpegsave(str(path), **jpeg_options(image, quality, subsample=False), keep="none")
        data = path.read_bytes()
    except pyvips.Error as exc:
        raise UnreadableFile(f"the image could not be read to the end: {exc}") from exc
    finally:
        path.unlink(missing_ok=True)
    return _jpeg.Encoded(data, [1, 0, 1, 0, 1, 0, 1, 0] if mode_of(image) == "CMYK" else None)
