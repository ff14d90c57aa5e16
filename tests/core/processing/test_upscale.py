"""Upscale: the spec's resolution order, its skip reasons, the 4x cap, and what the classical engine does."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageFilter

from printgate.core.processing import upscale
from tests.core.processing.images import scene


def test_resolution_order_explicit_scale_first() -> None:
    plan = upscale.plan({"scale": 2, "target_width_px": 4000, "minDpi": 300}, (1000, 500), (72, 72))
    assert (plan.scale, plan.basis) == (2.0, "scale")


def test_pixel_targets_then_print_size_then_embedded_dpi() -> None:
    assert upscale.plan({"target_width_px": 1500, "target_height_px": 600}, (1000, 500), None).scale == 1.5
    # 300 dpi at 100 x 50 mm needs 1181 x 591 px: from 590 px across that is 2.0x.
    plan = upscale.plan({"minDpi": 300, "target_width_mm": 100, "target_height_mm": 50}, (590, 295), None)
    assert plan.basis == "print size" and plan.scale == pytest.approx(300 * 100 / 25.4 / 590)
    plan = upscale.plan({"minDpi": 300}, (1000, 500), (150, 150))
    assert (plan.basis, plan.scale) == ("embedded dpi", 2.0)


@pytest.mark.parametrize(("params", "dpi", "reason"), [
    ({}, (300, 300), "no_dpi_basis"),
    ({"minDpi": 300}, None, "no_dpi_basis"),
    ({"minDpi": 300}, (300, 300), "already_at_dpi"),
    ({"minDpi": 150, "target_width_mm": 50, "target_height_mm": 50}, None, "already_at_dpi"),
])
def test_skip_reasons(params: dict, dpi: tuple[float, float] | None, reason: str) -> None:
    with pytest.raises(upscale.UpscaleSkipped) as caught:
        upscale.plan(params, (1000, 1000), dpi)
    assert caught.value.reason == reason


def test_capped_at_four_times() -> None:
    plan = upscale.plan({"minDpi": 300}, (100, 100), (30, 30))
    assert plan.scale == 4.0 and plan.capped is True


def _edge_contrast(img: Image.Image) -> float:
    g = np.asarray(img.convert("L"), dtype=np.float64)
    return float(np.abs(np.diff(g, axis=1)).max())


def test_enlarge_sharpens_edges_not_flat_areas() -> None:
    src = scene(200, 140)
    out = upscale.enlarge(src, 3.0)
    assert out.size == (600, 420) and out.mode == "RGB"
    plain = src.resize(out.size, Image.Resampling.LANCZOS)
    # The disc's edge is steeper than plain Lanczos gives ...
    assert _edge_contrast(out) > _edge_contrast(plain)
    # ... while the smooth sky (top-right corner, no edge) is left as Lanczos made it.
    box = (450, 10, 590, 60)
    flat_out = np.asarray(out.crop(box), dtype=np.int16)
    flat_plain = np.asarray(plain.crop(box), dtype=np.int16)
    assert np.abs(flat_out - flat_plain).mean() < 1.0


def test_enlarge_keeps_alpha_and_cmyk() -> None:
    rgba = scene(80, 60).convert("RGBA")
    rgba.putalpha(Image.new("L", rgba.size, 128))
    out = upscale.enlarge(rgba, 2.0)
    assert out.mode == "RGBA" and out.getpixel((5, 5))[3] == 128
    cmyk = upscale.enlarge(scene(80, 60).convert("CMYK"), 1.5)
    assert cmyk.mode == "CMYK" and cmyk.size == (120, 90)


def test_blurred_input_is_not_made_noisy() -> None:
    soft = scene(160, 120).filter(ImageFilter.GaussianBlur(3))
    out = upscale.enlarge(soft, 2.0)
    assert np.asarray(out).std() == pytest.approx(np.asarray(soft.resize(out.size)).std(), rel=0.05)


def test_huge_outputs_are_capped_by_pixels() -> None:
    plan = upscale.plan({"scale": 4}, (10_000, 10_000), None)  # 1.6 gigapixels asked
    assert plan.capped and 10_000**2 * plan.scale**2 <= upscale.MAX_OUTPUT_PIXELS * 1.0001
    with pytest.raises(upscale.UpscaleSkipped) as caught:
        upscale.plan({"scale": 2}, (15_000, 14_000), None)
    assert caught.value.reason == "pixel_limit"


def test_pixel_counts_round_up_but_ignore_dpi_read_back_noise() -> None:
    assert upscale.pixels(240.0014) == 240      # 120 px x 200 / 99.9994 dpi
    assert upscale.pixels(4000 * 300 / 299.9994) == 4000
    assert upscale.pixels(240.3) == 241 and upscale.pixels(0.2) == 1
