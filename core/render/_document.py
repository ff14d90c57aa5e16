"""Open a PDF for rendering, turning every way a file can be unusable into ``UnreadableFile``.

MuPDF repairs what it can silently; what it cannot (not a PDF, a password we do not have, no pages)
must become a customer-facing reason, never a worker crash.
"""

from __future__ import annotations

from pathlib import Path

import pymupdf

from core.errors import UnreadableFile

# A hostile file can declare a 200 x 200 inch page; rendering it at 300 dpi would need gigabytes.
MAX_RENDER_PIXELS = 40_000_000
MAX_RENDER_SIDE = 12_000


def open_pdf(path: Path) -> pymupdf.Document:
    path = Path(path)
    if not path.is_file():
        raise UnreadableFile(f"file not found: {path.name}")
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


def safe_zoom(width_pt: float, height_pt: float, dpi: float) -> float:
    """The zoom for ``dpi``, reduced when the result would exceed the pixel budget."""
    zoom = dpi / 72.0
    w, h = max(width_pt, 1.0) * zoom, max(height_pt, 1.0) * zoom
    limit = min(1.0, MAX_RENDER_SIDE / max(w, h), (MAX_RENDER_PIXELS / (w * h)) ** 0.5)
    # MuPDF rounds the pixmap size up; stay a hair under the budget.
    return zoom * (limit if limit >= 1.0 else limit * 0.999)
