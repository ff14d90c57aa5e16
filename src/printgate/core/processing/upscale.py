"""Upscale a raster to a target effective DPI at its print size, capped at 4x.

The scale follows Filecheck's resolution order: an explicit ``scale``, then pixel targets, then
``minDpi`` x the print size in mm / 25.4, then ``minDpi`` / the image's own DPI. Without any basis the
step is skipped with ``no_dpi_basis``; with enough pixels already, ``already_at_dpi``.

The default engine is classical: Lanczos resampling, then unsharp masking applied only along edges
(an edge mask from the enlarged image), so flat areas and noise are not sharpened. A learned
super-resolution network (RDN, ``superres.py``) runs when asked (``engine: "model"``) and installed;
``engine`` in the result says what ran.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageFilter

MAX_SCALE = 4.0
MAX_OUTPUT_PIXELS = 200_000_000  # about 2.4 GB of RGB while sharpening: the most one worker may take
ENGINE = "lanczos+edge-sharpen"


class UpscaleSkipped(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass
class Plan:
    scale: float
    basis: str
    capped: bool
    target_dpi: float | None


def plan(params: dict[str, Any], size: tuple[int, int], dpi: tuple[float, float] | None) -> Plan:
    """The scale to apply, or :class:`UpscaleSkipped` with the spec's reason."""
    w, h = size
    min_dpi = float(params["minDpi"]) if params.get("minDpi") else None
    if params.get("scale"):
        scale, basis = float(params["scale"]), "scale"
    elif params.get("target_width_px") or params.get("target_height_px"):
        scale = max(float(params.get("target_width_px") or 0) / w, float(params.get("target_height_px") or 0) / h)
        basis = "pixels"
    elif min_dpi and (params.get("target_width_mm") or params.get("target_height_mm")):
        need_w = min_dpi * float(params.get("target_width_mm") or 0) / 25.4
        need_h = min_dpi * float(params.get("target_height_mm") or 0) / 25.4
        scale, basis = max(need_w / w, need_h / h), "print size"
    elif min_dpi and dpi and min(dpi) > 1:
        scale, basis = min_dpi / min(dpi), "embedded dpi"
    else:
        raise UpscaleSkipped("no_dpi_basis", "neither a scale, a pixel target, a print size nor the image's DPI is known")
    if scale <= 1.01:  # within 1 %: PNG stores DPI as pixels per metre, 300 dpi reads back as 299.9994
        raise UpscaleSkipped("already_at_dpi", f"the image already has enough pixels ({w} x {h} px)")
    capped = scale > MAX_SCALE
    scale = min(scale, MAX_SCALE)
    if w * h * scale * scale > MAX_OUTPUT_PIXELS:  # a hostile or huge upload: never allocate gigapixels
        scale = (MAX_OUTPUT_PIXELS / (w * h)) ** 0.5
        capped = True
        if scale <= 1.01:
            raise UpscaleSkipped("pixel_limit", f"the image ({w} x {h} px) is at the {MAX_OUTPUT_PIXELS // 10**6} "
                                 "megapixel limit already")
    return Plan(scale=scale, basis=basis, capped=capped, target_dpi=min_dpi)


def pixels(value: float) -> int:
    """Pixels for a scaled length: rounded up, but a DPI read back from PNG (299.9994) is no extra pixel."""
    nearest = round(value)
    return max(1, nearest if abs(value - nearest) <= max(0.01, value * 1e-4) else math.ceil(value))


def enlarge_with(image: Image.Image, scale: float, engine: str = "classical") -> tuple[Image.Image, str, str | None]:
    """``(image, engine that ran, why the asked one did not)``: ``engine`` is ``classical`` or ``model``.

    ``model`` runs the learned network (``superres.py``) on RGB images when it is installed; measured
    on photos it does not beat the classical engine (bench/processing.py), so it is asked for, not
    the default. Without the model, or for CMYK and gray images, the classical engine runs and says why.
    """
    if engine not in ("classical", "model"):
        raise ValueError(f"engine must be classical or model, not {engine!r}")
    if engine == "model":
        from printgate.core.processing import superres

        if image.mode not in ("RGB", "RGBA"):
            return enlarge(image, scale), ENGINE, f"the model takes RGB images; this one is {image.mode}"
        try:
            rgb, name = superres.enlarge(image.convert("RGB"), scale)
        except LookupError as exc:
            return enlarge(image, scale), ENGINE, str(exc)
        if image.mode == "RGBA":
            rgb = rgb.convert("RGBA")
            rgb.putalpha(image.getchannel("A").resize(rgb.size, Image.Resampling.LANCZOS))
        return rgb, name, None
    return enlarge(image, scale), ENGINE, None


def enlarge(image: Image.Image, scale: float) -> Image.Image:
    """Lanczos to ``scale``, then sharpen the edges only (strength grows with the scale)."""
    size = (pixels(image.width * scale), pixels(image.height * scale))
    alpha = image.getchannel("A") if image.mode in ("RGBA", "LA") else None
    base_mode = {"RGBA": "RGB", "LA": "L", "P": "RGB", "1": "L"}.get(image.mode, image.mode)
    work = image.convert(base_mode) if base_mode != image.mode else image
    big = work.resize(size, Image.Resampling.LANCZOS)
    radius = max(1.0, 0.6 * scale)
    sharp = big.filter(ImageFilter.UnsharpMask(radius=radius, percent=int(60 + 20 * scale), threshold=2))
    luma = big if big.mode == "L" else big.convert("L")
    edges = luma.filter(ImageFilter.FIND_EDGES).filter(ImageFilter.GaussianBlur(radius))
    mask = edges.point(lambda v: min(255, v * 6))
    out = Image.composite(sharp, big, mask)
    if alpha is not None:
        out = out.convert("RGBA" if image.mode == "RGBA" else "LA")
        out.putalpha(alpha.resize(size, Image.Resampling.LANCZOS))
    return out
