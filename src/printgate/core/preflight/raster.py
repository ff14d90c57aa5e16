"""Facts about a raster upload (JPEG, PNG, TIFF, WebP), read from the header wherever possible.

Pixel data is decoded only for what needs it (alpha actually used, truncation, CMYK ink
coverage) and only after the declared size has been checked, at reduced size where the codec
allows it (JPEG draft mode), so decompression bombs and 20,000 x 20,000 px images stay cheap.
"""

from __future__ import annotations

import threading
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from printgate.core.errors import UnreadableFile

from .model import DocFacts, r1
from .pdf.colorspaces import icc_description

HARD_PIXEL_LIMIT = 1_000_000_000  # declared pixels we agree to look at at all
DECODE_PIXEL_LIMIT = 40_000_000  # above this we read headers only
_LOCK = threading.Lock()

MODES = {
    "1": "Grayscale",
    "L": "Grayscale",
    "LA": "Grayscale",
    "La": "Grayscale",
    "I": "Grayscale",
    "I;16": "Grayscale",
    "I;16B": "Grayscale",
    "I;16L": "Grayscale",
    "I;16N": "Grayscale",
    "F": "Grayscale",
    "RGB": "RGB",
    "RGBA": "RGB",
    "RGBa": "RGB",
    "RGBX": "RGB",
    "YCbCr": "RGB",
    "CMYK": "CMYK",
    "P": "Indexed",
    "PA": "Indexed",
    "LAB": "Lab",
    "HSV": "RGB",
}


def _open(path: Path) -> Image.Image:
    with _LOCK:
        old = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = HARD_PIXEL_LIMIT // 2  # Pillow raises above 2x this
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                return Image.open(path)
        except Image.DecompressionBombError as exc:
            megapixels = HARD_PIXEL_LIMIT // 1_000_000
            raise UnreadableFile(
                f"The image is too large to process: it has more than about {megapixels} megapixels. "
                "Upload a smaller image."
            ) from exc
        except (OSError, ValueError, SyntaxError) as exc:
            raise UnreadableFile("The image is damaged or in an unsupported format and can't be read.") from exc
        finally:
            Image.MAX_IMAGE_PIXELS = old


def _bits(path: Path, im: Image.Image) -> int:
    fmt = im.format or ""
    if fmt == "PNG":
        with path.open("rb") as fh:
            head = fh.read(26)
        if len(head) >= 25:
            return int(head[24])
    if fmt == "TIFF":
        try:
            bps = im.tag_v2.get(258)  # type: ignore[attr-defined]
            if isinstance(bps, tuple | list):
                return int(bps[0])
            if bps:
                return int(bps)
        except Exception:
            pass
    mode = im.mode
    if mode == "1":
        return 1
    if mode.startswith("I;16"):
        return 16
    if mode in ("I", "F"):
        return 32
    if mode in ("P", "PA"):
        return 8
    return 8


def _dpi(im: Image.Image) -> tuple[float, float] | None:
    dpi = im.info.get("dpi")
    if isinstance(dpi, tuple | list) and len(dpi) >= 2:
        try:
            x, y = float(dpi[0]), float(dpi[1])
        except (TypeError, ValueError):
            return None
        if x > 1 and y > 1:
            return (x, y)
    return None


def raster_facts(path: Path) -> DocFacts:
    size = path.stat().st_size
    im = _open(path)
    with im:
        w, h = im.size
        if w <= 0 or h <= 0:
            raise UnreadableFile("The image has no pixels.")
        mode = im.mode
        has_alpha = mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in im.info
        icc_raw = im.info.get("icc_profile")
        icc = icc_description(icc_raw) if icc_raw else None
        dpi = _dpi(im)
        info: dict[str, Any] = {
            "format": (im.format or "").lower(),
            "width_px": w,
            "height_px": h,
            "dpi": [r1(dpi[0]), r1(dpi[1])] if dpi else None,
            "width_mm": r1(w / dpi[0] * 25.4) if dpi else None,
            "height_mm": r1(h / dpi[1] * 25.4) if dpi else None,
            "color_mode": MODES.get(mode, mode),
            "pil_mode": mode,
            "bit_depth": _bits(path, im),
            "has_alpha": has_alpha,
            "alpha_used": None,
            "icc": (icc or "(unnamed ICC profile)") if icc_raw else None,
            "frames": int(getattr(im, "n_frames", 1) or 1),
            "decoded": False,
            "tac_max": None,
        }
        if w * h <= DECODE_PIXEL_LIMIT or (im.format == "JPEG" and w * h <= HARD_PIXEL_LIMIT):
            _decode(im, info)
    return DocFacts(kind="raster", size_bytes=size, page_count=1, raster=info)


def _decode(im: Image.Image, info: dict[str, Any]) -> None:
    w, h = im.size
    if im.format == "JPEG":
        scale = 1
        while (w // scale) * (h // scale) > 4_000_000 and scale < 8:
            scale *= 2
        if scale > 1:
            im.draft(im.mode, (w // scale, h // scale))
    try:
        im.load()
    except (OSError, SyntaxError, ValueError) as exc:
        raise UnreadableFile("The image is damaged or truncated and can't be read completely.") from exc
    info["decoded"] = True
    small = im
    if small.size[0] * small.size[1] > 4_000_000:
        small = small.reduce(max(1, int((small.size[0] * small.size[1] / 4_000_000) ** 0.5) + 1))
    if info["has_alpha"]:
        rgba = small if small.mode in ("RGBA", "LA", "PA") else small.convert("RGBA")
        alpha = rgba.getchannel("A")
        ext = alpha.getextrema()
        lo = ext[0] if isinstance(ext, tuple) else ext
        info["alpha_used"] = bool(float(lo) < 255)  # type: ignore[arg-type]
    if small.mode == "CMYK":
        arr = np.asarray(small, dtype=np.uint8)
        total = arr.sum(axis=2, dtype=np.uint16)
        info["tac_max"] = r1(int(total.max()) * 100.0 / 255.0)
