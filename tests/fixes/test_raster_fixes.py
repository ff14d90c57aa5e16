from __future__ import annotations

import copy
from pathlib import Path

import pytest
from PIL import Image, ImageCms

from printgate.core.errors import UnreadableFile
from printgate.core.fixes import run_autofix
from printgate.core.preflight import get_builtin_profile, run_preflight


def _rep(rule: str, strategy: str, params: dict | None = None) -> dict:
    return {"evaluation": {"findings": [{"ruleId": rule, "autofix": {"available": True, "strategy": strategy,
                                                                        "params": params or {}}}]}}


def _photo(path: Path, mode: str = "RGB", size=(400, 300), dpi=(72, 72)) -> Path:
    img = Image.new("RGB", size)
    img.putdata([(x % 256, y % 256, (x + y) % 256) for y in range(size[1]) for x in range(size[0])])
    if mode == "RGBA":
        img = img.convert("RGBA")
        img.putalpha(Image.linear_gradient("L").resize(size))
    elif mode != "RGB":
        img = img.convert(mode)
    img.save(path, dpi=dpi)
    return path


def test_flatten_alpha_to_white(tmp_path: Path) -> None:
    src = _photo(tmp_path / "a.png", "RGBA")
    out = tmp_path / "o.png"
    res = run_autofix(src, out, _rep("raster_has_transparency", "flatten_alpha", {"background": "#FFFFFF"}), None)
    assert res["outcome"] == "fixed"
    with Image.open(out) as im:
        assert im.mode == "RGB"
        assert im.getpixel((0, 0)) == (255, 255, 255)  # fully transparent corner became white


def test_convert_to_cmyk_tiff_embeds_fogra39(tmp_path: Path) -> None:
    src = _photo(tmp_path / "a.tif")
    out = tmp_path / "o.tif"
    res = run_autofix(src, out, _rep("raster_color_mode_not_allowed", "convert_colorspace", {"target": "cmyk"}), None)
    assert res["outcome"] == "fixed", res
    with Image.open(out) as im:
        assert im.mode == "CMYK"
        profile = ImageCms.ImageCmsProfile(__import__("io").BytesIO(im.info["icc_profile"]))
        assert "FOGRA39" in ImageCms.getProfileDescription(profile)


def test_cmyk_into_png_is_refused_with_reason(tmp_path: Path) -> None:
    src = _photo(tmp_path / "a.png")
    res = run_autofix(src, tmp_path / "o.png", _rep("raster_color_mode_not_allowed", "convert_colorspace", {"target": "cmyk"}), None)
    assert res["outcome"] == "unchanged" and "cannot hold CMYK" in res["skipped"][0]["reason"]


def test_upscale_to_min_dpi_and_refuse_beyond_4x(tmp_path: Path) -> None:
    src = _photo(tmp_path / "a.jpg", size=(300, 200))
    out = tmp_path / "o.jpg"
    params = {"minDpi": 300, "target_width_mm": 50.8, "target_height_mm": 33.9}
    res = run_autofix(src, out, _rep("raster_low_resolution", "upscale_image", params), None)
    assert res["outcome"] == "fixed" and "Lanczos" in res["applied"][0]["detail"]
    with Image.open(out) as im:
        assert im.width >= 600 and im.info["dpi"][0] == pytest.approx(300)
    far = {"minDpi": 300, "target_width_mm": 500, "target_height_mm": 400}
    res = run_autofix(src, tmp_path / "o2.jpg", _rep("raster_low_resolution", "upscale_image", far), None)
    assert res["outcome"] == "unchanged" and "limit is 4x" in res["skipped"][0]["reason"]


def test_background_removal_is_honestly_unavailable(tmp_path: Path) -> None:
    res = run_autofix(_photo(tmp_path / "a.png"), tmp_path / "o.png", _rep("raster_background_present", "remove_background"), None)
    assert res["outcome"] == "unchanged" and "model" in res["skipped"][0]["reason"]


def test_raster_repreflight_transparency_and_icc(tmp_path: Path) -> None:
    profile = copy.deepcopy(get_builtin_profile("prof_photo_raster"))
    src = _photo(tmp_path / "a.png", "RGBA")
    report = run_preflight(src, profile, source_name="a.png")
    rules = {f["ruleId"] for f in report["evaluation"]["findings"]}
    assert "raster_has_transparency" in rules
    out = tmp_path / "o.png"
    res = run_autofix(src, out, report, profile, items=sorted(rules))
    assert res["outcome"] == "fixed", res
    after = {f["ruleId"] for f in run_preflight(out, profile, source_name="o.png")["evaluation"]["findings"]}
    assert "raster_has_transparency" not in after
    fixed = {a["ruleId"] for a in res["applied"]}
    assert not (fixed & after), (fixed, after)


def test_broken_image_is_unreadable(tmp_path: Path) -> None:
    bad = tmp_path / "b.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    with pytest.raises(UnreadableFile):
        run_autofix(bad, tmp_path / "o.png", _rep("raster_has_transparency", "flatten_alpha"), None)
