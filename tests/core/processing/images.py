"""Test images made here: a photo-like scene (smooth gradients, a sharp-edged subject, fine texture)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw


def scene(w: int = 600, h: int = 400, *, seed: int = 7) -> Image.Image:
    """A blue-to-cyan sky, a red disc with a hard edge in the middle, a little noise (a real photo's grain)."""
    rng = np.random.default_rng(seed)
    y = np.linspace(0, 1, h)[:, None]
    x = np.linspace(0, 1, w)[None, :]
    sky = np.stack([40 + 30 * x + 0 * y, 110 + 90 * y + 0 * x, 210 + 30 * x * y], axis=-1)
    sky = np.clip(sky + rng.normal(0, 3, sky.shape), 0, 255).astype(np.uint8)
    img = Image.fromarray(sky, "RGB")
    draw = ImageDraw.Draw(img)
    r = min(w, h) // 4
    draw.ellipse((w // 2 - r, h // 2 - r, w // 2 + r, h // 2 + r), fill=(220, 40, 30))
    draw.rectangle((w // 8, h // 8, w // 8 + r // 2, h // 8 + r // 2), fill=(250, 250, 250))
    return img


def save(img: Image.Image, path: Path, dpi: float | None = None, **options: object) -> Path:
    if dpi:
        options["dpi"] = (dpi, dpi)
    img.save(path, **options)  # type: ignore[arg-type]
    return path
