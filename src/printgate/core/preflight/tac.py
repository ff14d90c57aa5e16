"""Total area coverage: render a page to CMYK at low resolution and find the heaviest spot.

Only used when the ink-coverage check is enabled; everything else works from the content streams.
"""

from __future__ import annotations

import functools
import math
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .model import PageFacts

MAX_RENDER_PIXELS = 6_000_000  # per page, after choosing the resolution
MAX_SOURCE_IMAGE_PIXELS = 150_000_000  # don't let MuPDF decode bombs
# RGB ink is taken without rendering only this far (%) below the limit: pixels are bytes and images
# go through 8-bit colour transforms, so the render can land a little above a colour's conversion.
RGB_RENDER_MARGIN = 1.5
DEFAULT_COLOR_PARAMS = (1, 1)  # MuPDF's: relative colorimetric, black-point compensation on
# The most ink any DeviceRGB colour gets in the CMYK render at that intent: 297.21 % at (0, 0, 0.125),
# found on the 33-step grid of the RGB cube (lcms interpolates between grid points, so the maximum is
# on one); tests/preflight/test_engine_speed.py checks it against MuPDF. Gray lands on K alone.
RGB_INK_BOUND = 297.3
# PyMuPDF is not thread-safe: API servers may preflight on several threads, so MuPDF work is serialised.
MUPDF_LOCK = threading.RLock()


def _reset_lock_in_child() -> None:
    # A forked page-range worker must not inherit a lock some other thread was holding.
    global MUPDF_LOCK
    MUPDF_LOCK = threading.RLock()


os.register_at_fork(after_in_child=_reset_lock_in_child)


@dataclass(frozen=True)
class InkPlan:
    """What the ink-coverage check asks of a file: the pages it measures with their limit (%),
    the render resolution, and whether DeviceRGB colours print as the renderer's own conversion."""

    limits: dict[int, float]  # page index (0-based) -> limit
    dpi: float = 36.0
    rgb_exact: bool = True


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

    def measure(self, index: int, facts: PageFacts, limit: float | None = None, rgb_exact: bool = True) -> None:
        """Fill ``facts.tac_max``. ``limit``: the page's ink limit (%). A page whose colours are all
        known (DeviceCMYK, gray, RGB vectors) or bounded (RGB / gray images, shadings, opacity) is
        rendered only if it could exceed the limit. ``rgb_exact`` False (an RGB output intent becomes
        the renderer's default RGB): pages with RGB are rendered."""
        if not facts.tac_needs_render and not facts.content_error:
            peak, rect = facts.tac_vector, facts.tac_vector_rect
            if facts.tac_rgb:
                heaviest: tuple[float, Any] | None = None
                with MUPDF_LOCK:
                    for c, r in facts.tac_rgb.items():  # max() by ink (the first of the heaviest), no key calls
                        v = rgb_ink(c)
                        if heaviest is None or v > heaviest[0]:
                            heaviest = (v, r)
                assert heaviest is not None
                ink, rgb_rect = heaviest
                if ink > peak:
                    peak, rect = ink, rgb_rect
            # Anti-aliased edges, opacity and soft masks only mix colours, so no pixel carries more ink
            # than the heaviest colour, or than the RGB bound; near or over the limit, the render
            # gives the real figure. Opaque DeviceCMYK alone is exact, as it always was.
            bound = max(peak, RGB_INK_BOUND) if facts.tac_rgb_any else peak
            exact = not facts.tac_rgb_any and not facts.tac_mixed
            has_rgb = bool(facts.tac_rgb) or facts.tac_rgb_any
            if (has_rgb or not exact) and (
                (has_rgb and not rgb_exact) or limit is None or bound > limit - RGB_RENDER_MARGIN
            ):
                with MUPDF_LOCK:
                    self._render(index, facts)
                return
            facts.tac_max, facts.tac_rect = bound, (rect if bound == peak else None)
            facts.tac_bound = not exact
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


@functools.lru_cache(maxsize=4096)
def rgb_ink(color: tuple[float, ...]) -> float:
    """Ink (%) of a DeviceRGB colour in the CMYK render: MuPDF's own conversion at its default
    rendering intent (a page that asks for another one is rendered)."""
    import pymupdf

    mupdf = pymupdf.mupdf
    params = mupdf.FzColorParams()
    params.ri, params.bp = DEFAULT_COLOR_PARAMS
    vals = [min(max(float(v), 0.0), 1.0) if math.isfinite(v) else 0.0 for v in color[:3]]
    cmyk = mupdf.fz_convert_color(mupdf.fz_device_rgb(), vals, mupdf.fz_device_cmyk(), mupdf.FzColorspace(), params)
    return float(sum(cmyk)) * 100.0
