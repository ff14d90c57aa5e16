"""Page previews and thumbnails (the ``previews`` step and the Element's gallery)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pymupdf
from PIL import Image

from printgate.core.errors import UnreadableFile
from printgate.core.render._document import open_pdf, safe_zoom

ImageFormat = Literal["png", "webp", "jpeg"]
_MIME = {"png": "image/png", "webp": "image/webp", "jpeg": "image/jpeg"}


def render_previews(
    src: Path,
    out_dir: Path,
    *,
    dpi: int = 72,
    fmt: ImageFormat = "png",
    max_pages: int | None = None,
    thumbnail_px: int = 256,
) -> list[dict]:
    """Render one preview (at ``dpi``) and one thumbnail (longest side ``thumbnail_px``) per page.

    Pages are rendered as the trimmed product is seen in a viewer: the CropBox, with /Rotate applied,
    on white. Returns one entry per image, thumbnail first for each page.
    """
    fmt = "jpeg" if fmt == "jpg" else fmt  # type: ignore[comparison-overlap]
    if fmt not in _MIME:
        raise ValueError(f"unsupported preview format {fmt!r}; use 'png', 'webp' or 'jpeg'")
    if dpi < 1 or dpi > 1200:
        raise ValueError("dpi must be between 1 and 1200")
    if thumbnail_px < 16:
        raise ValueError("thumbnail_px must be at least 16")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    doc = open_pdf(src)
    try:
        count = doc.page_count if max_pages is None else min(doc.page_count, max(0, max_pages))
        results: list[dict] = []
        for index in range(count):
            try:
                page = doc.load_page(index)
            except Exception as exc:  # e.g. a cycle in the page tree
                raise UnreadableFile(f"page {index + 1} cannot be read: {exc}") from exc
            image = _render(page, dpi)
            ext = "jpg" if fmt == "jpeg" else fmt
            preview = out_dir / f"page-{index + 1}.{ext}"
            thumb_path = out_dir / f"page-{index + 1}-thumb.{ext}"
            thumb = image.copy()
            thumb.thumbnail((thumbnail_px, thumbnail_px), Image.Resampling.LANCZOS)
            results.append(_save(thumb, thumb_path, fmt, index + 1, "thumbnail"))
            results.append(_save(image, preview, fmt, index + 1, "preview"))
        return results
    finally:
        doc.close()


def _render(page: pymupdf.Page, dpi: float) -> Image.Image:
    rect = page.rect
    zoom = safe_zoom(rect.width, rect.height, dpi)
    try:
        pix = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), alpha=False, colorspace=pymupdf.csRGB)
    except Exception as exc:
        raise UnreadableFile(f"page {page.number + 1} cannot be rendered: {exc}") from exc
    return Image.frombytes("RGB", (pix.width, pix.height), pix.samples)


def _save(image: Image.Image, path: Path, fmt: ImageFormat, page: int, kind: str) -> dict:
    if fmt == "webp":
        image.save(path, "WEBP", quality=85, method=4)
    elif fmt == "jpeg":
        image.save(path, "JPEG", quality=85, optimize=True)
    else:
        image.save(path, "PNG", optimize=False, compress_level=6)
    return {
        "page": page,
        "kind": kind,
        "path": path,
        "width": image.width,
        "height": image.height,
        "mimeType": _MIME[fmt],
        "bytes": path.stat().st_size,
    }
