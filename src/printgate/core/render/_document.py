"""Open a PDF for rendering, turning every way a file can be unusable into ``UnreadableFile``.

MuPDF repairs what it can silently; what it cannot (not a PDF, a password we do not have, no pages)
must become a customer-facing reason, never a worker crash.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import pymupdf
from PIL import Image

from printgate.core.errors import UnreadableFile

# A hostile file can declare a 200 x 200 inch page; rendering it at 300 dpi would need gigabytes.
MAX_RENDER_PIXELS = 40_000_000
MAX_RENDER_SIDE = 12_000


def open_pdf(path: Path) -> pymupdf.Document:
    """A PDF, or a raster upload (JPEG, PNG, TIFF, WebP) as a one-page PDF sized by its DPI."""
    path = Path(path)
    if not path.is_file():
        raise UnreadableFile(f"file not found: {path.name}")
    with open(path, "rb") as fh:
        head = fh.read(1024)
    if b"%PDF" not in head and _looks_raster(head):
        return _raster_as_pdf(path)
    try:
        doc = pymupdf.open(path, filetype="pdf")
    except Exception as exc:  # MuPDF raises several unrelated types for broken input
        raise UnreadableFile(f"not a readable PDF: {exc}") from exc
    if doc.needs_pass:
        doc.close()
        raise UnreadableFile("the PDF is password-protected; it cannot be opened without the password")
    if doc.page_count < 1:
        doc.close()
        raise UnreadableFile("the PDF has no pages")
    return doc


def _looks_raster(head: bytes) -> bool:
    return head[:3] == b"\xff\xd8\xff" or head[:4] in (b"\x89PNG", b"II*\x00", b"MM\x00*") or (
        head[:4] == b"RIFF" and head[8:12] == b"WEBP")


def _raster_as_pdf(path: Path) -> pymupdf.Document:
    # Pillow validates the file (and refuses decompression bombs) before MuPDF sees it; formats
    # MuPDF cannot read (WebP) are handed over as PNG with the same DPI.
    try:
        with Image.open(path) as im:
            fmt = (im.format or "").upper()
            w, h = im.size
            dpi = im.info.get("dpi") or (72, 72)
            factor = max(1, math.ceil(max(w / MAX_RENDER_SIDE, h / MAX_RENDER_SIDE, math.sqrt(w * h / MAX_RENDER_PIXELS))))
            if factor == 1 and fmt in ("JPEG", "PNG", "TIFF"):
                im.load()
                data, kind = path.read_bytes(), fmt.lower()
            else:
                # Too many pixels to preview at full size: shrink first, keeping the physical size.
                if fmt == "JPEG":
                    im.draft(im.mode, (w // factor, h // factor))
                frame = im.reduce(max(1, round(im.size[0] / max(1, w // factor)))) if factor > 1 else im
                if frame.mode not in ("RGB", "RGBA", "L", "LA"):
                    frame = frame.convert("RGBA" if "A" in frame.mode or "transparency" in im.info else "RGB")
                scale = frame.size[0] / w
                buf = io.BytesIO()
                frame.save(buf, "PNG", dpi=(float(dpi[0]) * scale, float(dpi[1]) * scale), compress_level=1)
                data, kind = buf.getvalue(), "png"
        with pymupdf.open(stream=data, filetype=kind) as img:
            return pymupdf.open("pdf", img.convert_to_pdf())
    except (OSError, ValueError, Image.DecompressionBombError, RuntimeError) as exc:
        raise UnreadableFile(f"not a readable image: {exc}") from exc


def safe_zoom(width_pt: float, height_pt: float, dpi: float) -> float:
    """The zoom for ``dpi``, reduced when the result would exceed the pixel budget."""
    zoom = dpi / 72.0
    w, h = max(width_pt, 1.0) * zoom, max(height_pt, 1.0) * zoom
    limit = min(1.0, MAX_RENDER_SIDE / max(w, h), (MAX_RENDER_PIXELS / (w * h)) ** 0.5)
    # MuPDF rounds the pixmap size up; stay a hair under the budget.
    return zoom * (limit if limit >= 1.0 else limit * 0.999)
