"""Image similarity for the quality guard and the bench: SSIM (Wang et al. 2004) with numpy.

Gaussian window (sigma 1.5), constants K1 = 0.01, K2 = 0.03, on 8-bit luminance; the mean SSIM map
over the image. Pages are rendered with PyMuPDF (the renderer previews use).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def _gauss_kernel(sigma: float = 1.5, radius: int = 5) -> np.ndarray:
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    k = np.exp(-(x * x) / (2 * sigma * sigma))
    return k / k.sum()


def _blur(a: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Separable 'valid' convolution (no padding artefacts at the borders)."""
    n = len(k)
    w = a.shape[1] - n + 1
    rows = sum(k[i] * a[:, i:i + w] for i in range(n))
    h = a.shape[0] - n + 1
    return np.asarray(sum(k[i] * rows[i:i + h, :] for i in range(n)))


def ssim(a: Image.Image, b: Image.Image) -> float:
    """Mean SSIM of two images' luminance; ``b`` is resized to ``a`` when their sizes differ."""
    x = np.asarray(a.convert("L"), dtype=np.float64)
    if b.size != a.size:
        b = b.resize(a.size, Image.Resampling.LANCZOS)
    y = np.asarray(b.convert("L"), dtype=np.float64)
    if min(x.shape) < 11:
        raise ValueError("images must be at least 11 px on each side")
    k = _gauss_kernel()
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mx, my = _blur(x, k), _blur(y, k)
    sxx = _blur(x * x, k) - mx * mx
    syy = _blur(y * y, k) - my * my
    sxy = _blur(x * y, k) - mx * my
    num = (2 * mx * my + c1) * (2 * sxy + c2)
    den = (mx * mx + my * my + c1) * (sxx + syy + c2)
    return float(np.mean(num / den))


MAX_SIDE = 4000  # px: a poster page at 150 dpi is compared on its top-left 4000 x 4000 px (26.7 in)


def render_page(pdf: Path, page: int = 0, dpi: int = 150) -> Image.Image:
    import pymupdf

    with pymupdf.open(pdf) as doc:
        rect = doc[page].rect
        side = MAX_SIDE * 72 / dpi
        clip = pymupdf.Rect(rect.x0, rect.y0, min(rect.x1, rect.x0 + side), min(rect.y1, rect.y0 + side))
        pix = doc[page].get_pixmap(dpi=dpi, colorspace=pymupdf.csRGB, alpha=False, clip=clip)
        return Image.frombytes("RGB", (pix.width, pix.height), pix.samples)


def image_pages(pdf: Path, count: int = 3) -> list[int]:
    """The ``count`` pages (0-based, in page order) that carry the most images: where optimizing shows."""
    import pymupdf

    with pymupdf.open(pdf) as doc:
        ranked = sorted(range(len(doc)), key=lambda i: -len(doc[i].get_images(full=True)))
        chosen = [i for i in ranked[:count] if doc[i].get_images(full=True)] or list(range(min(count, len(doc))))
    return sorted(chosen)


def pdf_ssim(a: Path, b: Path, dpi: int = 150, max_pages: int = 5, pages: list[int] | None = None) -> float:
    """The lowest page SSIM of ``b`` against ``a`` at ``dpi``: over ``pages``, or the first ``max_pages``."""
    import pymupdf

    if pages is None:
        with pymupdf.open(a) as doc:
            pages = list(range(min(len(doc), max_pages)))
    return min(ssim(render_page(a, i, dpi), render_page(b, i, dpi)) for i in pages)
