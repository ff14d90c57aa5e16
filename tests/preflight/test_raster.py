"""Raster uploads (JPEG, PNG, TIFF, WebP) against raster profiles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from printgate.core.errors import UnreadableFile
from printgate.core.preflight import get_builtin_profile, run_preflight

from . import pdfgen
from .conftest import findings


def photo(**overrides: dict[str, Any]) -> dict[str, Any]:
    prof = get_builtin_profile("prof_photo_raster")
    assert prof is not None
    for cid, ov in overrides.items():
        prof["checks"].setdefault(cid, {}).update(ov)
    return prof


def _run(path: Path, profile: dict[str, Any] | None = None, context: dict[str, Any] | None = None) -> dict[str, Any]:
    return run_preflight(path, profile, source_name=path.name, context=context)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "TIFF", "WEBP"])
def test_formats_are_detected_by_content(tmp_path: Path, fmt: str) -> None:
    path = pdfgen.make_raster(tmp_path / "upload.bin", fmt=fmt, icc=fmt != "WEBP")
    report = _run(path)
    assert report["kind"] == "raster" and report["pdf"] is None
    assert report["raster"]["format"] == fmt.lower()
    assert report["raster"]["width_px"] == 1800 and report["raster"]["color_mode"] == "RGB"


def test_clean_photo_passes(tmp_path: Path) -> None:
    path = pdfgen.make_raster(tmp_path / "p.jpg")
    report = _run(path, photo(), {"artworkSize": {"width_mm": 152.4, "height_mm": 101.6}})
    assert report["outcome"] == "pass", report["evaluation"]["findings"]
    assert report["raster"]["dpi"] == [300.0, 300.0] and report["raster"]["icc"]
    assert report["facts"]["width"] == 152.4 and report["facts"]["orientation"] == "landscape"


def test_low_effective_resolution_at_print_size(tmp_path: Path) -> None:
    path = pdfgen.make_raster(tmp_path / "p.jpg", size=(600, 400))
    report = _run(path, photo(), {"artworkSize": {"width_mm": 152.4, "height_mm": 101.6}})
    hit = findings(report, "raster_low_resolution")[0]
    assert hit["severity"] == "reject" and hit["measured_dpi"] == 100 and hit["required_dpi"] == 300
    assert hit["issue"].startswith("Your image won't be sharp at the required print size. It works out to 100 DPI")
    assert hit["autofix"]["strategy"] == "upscale_image"  # 3x: within the 4x upscaler
    assert report["evaluation"]["recommendedAutofix"]["params"]["raster"]["upscale"]["minDpi"] == 300


def test_too_low_to_upscale_is_not_autofixable(tmp_path: Path) -> None:
    path = pdfgen.make_raster(tmp_path / "p.jpg", size=(150, 100))
    report = _run(path, photo(), {"artworkSize": {"width_mm": 152.4, "height_mm": 101.6}})
    assert findings(report, "raster_low_resolution")[0]["autofix"] == {"available": False}


def test_the_photo_profile_judges_resolution_at_its_print_size(tmp_path: Path) -> None:
    """Issue 11, hole 8: a 600x400 px photo passed the built-in photo profile unjudged (no print size).
    The profile carries the product's print size (10 x 15 cm unless the job says otherwise)."""
    report = _run(pdfgen.make_raster(tmp_path / "p.jpg", size=(600, 400)), photo())
    hit = findings(report, "raster_low_resolution")[0]
    assert hit["severity"] == "reject" and hit["measured_dpi"] == 100 and hit["print_size_mm"] == [102, 152]
    assert report["outcome"] == "fail"


def test_resolution_without_any_print_size_is_a_warning_not_a_silent_pass(tmp_path: Path) -> None:
    sizeless = photo(raster_resolution={"print_width_mm": None, "print_height_mm": None})
    report = _run(pdfgen.make_raster(tmp_path / "p.jpg", size=(600, 400)), sizeless)
    assert "raster_resolution" not in report["evaluation"]["skipped"]
    hit = findings(report, "raster_print_size_unknown")[0]
    assert hit["severity"] == "warn" and hit["autofix"] == {"available": False}
    assert "600 × 400" in hit["issue"] and "print size" in hit["issue"]
    assert report["outcome"] == "warn"


def test_alpha_is_flagged_only_when_used(tmp_path: Path) -> None:
    used = _run(pdfgen.make_raster(tmp_path / "a.png", mode="RGBA", fmt="PNG"), photo())
    hit = findings(used, "raster_has_transparency")[0]
    assert hit["severity"] == "warn" and hit["autofix"]["params"] == {"background": "#FFFFFF"}
    opaque = _run(pdfgen.make_raster(tmp_path / "b.png", mode="RGBA", fmt="PNG", fill=(1, 2, 3, 255)), photo())
    assert not findings(opaque, "raster_has_transparency")
    allowed = _run(tmp_path / "a.png", photo(raster_transparency={"allow": True}))
    assert not findings(allowed, "raster_has_transparency")


def test_color_mode_and_bit_depth(tmp_path: Path) -> None:
    report = _run(pdfgen.make_raster(tmp_path / "p.png", mode="P", fmt="PNG", icc=False), photo())
    assert findings(report, "raster_color_mode_not_allowed")[0]["measured_colorspace"] == "Indexed"
    bw = _run(pdfgen.make_raster(tmp_path / "bw.png", mode="1", fmt="PNG", icc=False), photo())
    hit = findings(bw, "raster_low_bit_depth")[0]
    assert hit["measured_bits"] == 1 and hit["required_bits"] == 8


def test_sixteen_bit_png_is_read_from_the_header(tmp_path: Path) -> None:
    from PIL import Image

    path = tmp_path / "g16.png"
    Image.new("I;16", (64, 64), 30000).save(path)
    report = _run(path, photo())
    assert report["raster"]["bit_depth"] == 16
    assert not findings(report, "raster_low_bit_depth")


def test_icc_required(tmp_path: Path) -> None:
    report = _run(pdfgen.make_raster(tmp_path / "p.jpg", icc=False), photo())
    hit = findings(report, "raster_icc_missing")[0]
    assert hit["autofix"]["params"] == {"alias": "srgb"}
    assert "embedded ICC" in hit["issue"]
    specific = _run(pdfgen.make_raster(tmp_path / "q.jpg"), photo(raster_icc={"expected_profile": "FOGRA39"}))
    assert findings(specific, "raster_icc_mismatch")[0]["measured_profile"] == "Artifex Software sRGB ICC Profile"


def test_cmyk_ink_coverage(tmp_path: Path) -> None:
    path = pdfgen.make_raster(tmp_path / "c.tif", mode="CMYK", fmt="TIFF")
    report = _run(path, photo(raster_tac={"action": "warn", "max_percent": 300}))
    assert report["raster"]["color_mode"] == "CMYK"
    hit = findings(report, "raster_ink_coverage_exceeded")[0]
    assert hit["measured_percent"] == pytest.approx(380, abs=1)
    assert "(380%)" in hit["issue"]


def test_aspect_ratio(tmp_path: Path) -> None:
    path = pdfgen.make_raster(tmp_path / "sq.jpg", size=(1000, 1000))
    hit = findings(_run(path, photo(raster_aspect_ratio={"ratio": "3:2"})), "raster_aspect_ratio_mismatch")[0]
    assert hit["measured_ratio"] == 1.0 and "(3:2)" in hit["issue"]
    ok = _run(pdfgen.make_raster(tmp_path / "l.jpg", size=(1000, 1500)), photo(raster_aspect_ratio={"ratio": "3:2"}))
    assert not findings(ok, "raster_aspect_ratio_mismatch")  # portrait 2:3 is the same shape turned


def test_pixel_size_limits(tmp_path: Path) -> None:
    path = pdfgen.make_raster(tmp_path / "p.jpg", size=(800, 600))
    report = _run(path, photo(raster_min_pixels={"min_width": 1600, "min_height": 1200},
                              raster_max_pixels={"action": "warn", "max_width": 700}))
    small = findings(report, "raster_too_small")[0]
    assert small["measured_px"] == [800, 600]
    assert small["issue"] == ("Your image is smaller than required. You uploaded 800 × 600 pixels, "
                              "but we need at least 1600 × 1200 pixels.")
    assert findings(report, "raster_too_large")


def test_file_size_limit(tmp_path: Path) -> None:
    path = pdfgen.make_raster(tmp_path / "p.jpg")
    hit = findings(_run(path, photo(raster_file_size={"max_mb": 0.001})), "raster_file_too_large")[0]
    assert hit["severity"] == "reject" and hit["required_mb"] == 0.001


def test_truncated_jpeg_is_unreadable(tmp_path: Path) -> None:
    path = pdfgen.make_raster(tmp_path / "p.jpg")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(UnreadableFile):
        _run(path, photo())


def test_pdf_profile_without_kind_on_a_raster_uses_raster_defaults(tmp_path: Path) -> None:
    report = _run(pdfgen.make_raster(tmp_path / "p.png", mode="RGBA", fmt="PNG"), {"checks": {"bleed": "reject"}})
    assert any(e["code"] == "profile_kind_mismatch" for e in report["errors"])
    assert findings(report, "raster_has_transparency")
