"""Total area coverage: render a page to CMYK at low resolution and find the heaviest spot.

Only used when the ink-coverage check is enabled; everything else works from the content streams.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from .model import PageFacts

MAX_RENDER_PIXELS = 6_000_000  # per page, after choosing the resolution
MAX_SOURCE_IMAGE_PIXELS = 150_000_000  # don't let MuPDF decode bombs
# PyMuPDF is not thread-safe: API servers may preflight on several threads, so MuPDF work is serialised.
MUPDF_LOCK = threading.RLock()


def _reset_lock_in_child() -> None:
    # A forked page-range worker must not inherit a lock some other thread was holding.
    global MUPDF_LOCK
    MUPDF_LOCK = threading.RLock()


os.register_at_fork(after_in_child=_reset_lock_in_child)


class TacRenderer:
    RECYCLE_EVERY = 16  # pages; MuPDF caches fonts/images per document, so memory would grow

    def __init__(self, path: Path, dpi: float = 36.0) -> None:
        self.path = path
        self.dpi = max(9.0, min(float(dpi), 150.0))
        self._doc: Any = None
        self._rendered = 0

    def _open(self) -> Any:
        if self._doc is None:
            import pymupdf

            class _Document(pymupdf.Document):  # type: ignore[misc]
                def _loadOutline(self) -> None:
                    return None  # bookmarks: not needed to render, and costly on every (re)open

            self._doc = _Document(str(self.path))
        return self._doc

    def close(self, shrink: bool = False) -> None:
        with MUPDF_LOCK:
            self._close(shrink)

    def _close(self, shrink: bool) -> None:
        if self._doc is not None:
            self._doc.close()
            self._doc = None
            if shrink:
                import pymupdf

                # Evict most cached fonts/images; recently used colour transforms tend to survive.
                pymupdf.TOOLS.store_shrink(90)

    def measure(self, index: int, facts: PageFacts) -> None:
        if not facts.tac_needs_render and not facts.content_error:
            # Only DeviceCMYK / gray vector colours: the heaviest colour is the answer.
            facts.tac_max = facts.tac_vector
            facts.tac_rect = facts.tac_vector_rect
            return
        if facts.content_error and "limit" in facts.content_error:
            facts.tac_note = "page content too large to render; ink coverage not measured"
            return
        if facts.max_image_pixels > MAX_SOURCE_IMAGE_PIXELS:
            facts.tac_note = "page holds an image too large to render safely; ink coverage not measured"
            return
        with MUPDF_LOCK:
            self._render(index, facts)

    def _render(self, index: int, facts: PageFacts) -> None:
        try:
            import numpy as np  # with MuPDF, only once a page needs rendering
            import pymupdf

            self._rendered += 1
            if self._rendered % self.RECYCLE_EVERY == 0:
                self._close(shrink=True)
            doc = self._open()
            page = doc[index]
            rect = page.rect
            zoom = self.dpi / 72.0
            area = max(rect.width * rect.height * zoom * zoom, 1.0)
            if area > MAX_RENDER_PIXELS:
                zoom *= (MAX_RENDER_PIXELS / area) ** 0.5
            pix = _render_contents(page, zoom)
            arr = np.frombuffer(pix.samples_mv, dtype=np.uint8).reshape(-1, pix.n).astype(np.uint16)
            total = arr[:, 0] + arr[:, 1] + arr[:, 2] + arr[:, 3]
            flat = int(total.argmax())
            peak = int(total[flat])
            facts.tac_max = peak * 100.0 / 255.0
            py, px = divmod(flat, pix.width)
            # pixel -> PDF user space (undo zoom, then MuPDF's page transformation incl. rotation)
            inv = ~(page.transformation_matrix * page.rotation_matrix * pymupdf.Matrix(zoom, zoom))
            r = pymupdf.Rect(px, py, px + 1, py + 1) * inv
            facts.tac_rect = (r.x0, r.y0, r.x1, r.y1)
        except Exception as exc:  # rendering is best effort; report why it did not happen
            facts.tac_note = f"ink coverage could not be measured ({type(exc).__name__})"


def _render_contents(page: Any, zoom: float) -> Any:
    """The page's contents (no annotations) in CMYK on white, drawn straight into the pixmap.

    ``page.get_pixmap`` records a display list first and then plays it back: for one render that
    doubles the work (half of a render's time was spent building the list).
    """
    import pymupdf

    mupdf = pymupdf.mupdf
    fz_page = page.this
    matrix = mupdf.FzMatrix(zoom, 0, 0, zoom, 0, 0)
    bbox = mupdf.fz_round_rect(mupdf.fz_transform_rect(mupdf.fz_bound_page(fz_page), matrix))
    pix = mupdf.fz_new_pixmap_with_bbox(pymupdf.csCMYK.this, bbox, mupdf.FzSeparations(), 0)
    mupdf.fz_clear_pixmap_with_value(pix, 0xFF)
    dev = mupdf.fz_new_draw_device(matrix, pix)
    mupdf.fz_run_page_contents(fz_page, dev, mupdf.FzMatrix(), mupdf.FzCookie())
    mupdf.fz_close_device(dev)
    return pymupdf.Pixmap("raw", pix)
