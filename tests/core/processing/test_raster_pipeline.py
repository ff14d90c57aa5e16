"""``params.raster``: every key applied or reported, in the spec's fixed order, and real pixels out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from printgate.core.errors import UnreadableFile
from printgate.core.processing import removebg
from printgate.core.processing.quality import ssim
from printgate.core.processing.raster import run_raster
from tests.core.processing.images import save, scene


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    return save(scene(), tmp_path / "photo.jpg", dpi=100, quality=92)


def test_empty_params_is_a_transcode_of_the_same_format(photo: Path, tmp_path: Path) -> None:
    run = run_raster(photo, tmp_path / "o", {})
    assert (run.applied, run.skipped, run.format) == ([], [], "JPEG")
    # Nothing to change: the upload itself, not a lossy re-encode of it.
    assert run.path.read_bytes() == photo.read_bytes() and "keptInput" in run.details
    skipped_only = run_raster(photo, tmp_path / "o2", {"upscale": {}})
    assert skipped_only.path.read_bytes() == photo.read_bytes()


def test_convert_to_the_same_format_keeps_the_upload(photo: Path, tmp_path: Path) -> None:
    run = run_raster(photo, tmp_path / "o", {"convert": {"format": "jpg"}})
    assert run.skipped == [{"name": "convert", "reason": "the image is already jpeg"}]
    assert run.path.read_bytes() == photo.read_bytes()


@pytest.mark.parametrize(("fmt", "pil"), [("png", "PNG"), ("tiff", "TIFF"), ("webp", "WEBP")])
def test_convert_to_each_format(photo: Path, tmp_path: Path, fmt: str, pil: str) -> None:
    run = run_raster(photo, tmp_path / "o", {"convert": {"format": fmt}})
    assert run.applied == ["convert"]
    with Image.open(run.path) as out, Image.open(photo) as src:
        assert out.format == pil
        # The print resolution survives the conversion (WebP keeps it in EXIF).
        dpi = out.getexif()[282] if pil == "WEBP" else out.info["dpi"][0]
        assert round(float(dpi)) == 100
        assert ssim(src, out) > 0.95


def test_fixed_order_and_unknown_keys(photo: Path, tmp_path: Path) -> None:
    # Given in reverse order, run in the spec's: crop before grayscale before resize before convert.
    run = run_raster(photo, tmp_path / "o", {
        "convert": {"format": "png"}, "resize": {"maxWidth": 200}, "grayscale": {"enabled": True},
        "crop": {"ratios": ["1:1"]}, "sparkle": True, "bitDepth": {"min": 16},
    })
    assert run.applied == ["crop", "grayscale", "resize", "convert"]
    skipped = {s["name"]: s["reason"] for s in run.skipped}
    assert skipped["sparkle"] == "unknown raster option"
    assert "16-bit output is not produced" in skipped["bitDepth"]
    with Image.open(run.path) as out:
        assert out.size == (200, 200) and out.mode == "L"
        assert round(out.info["dpi"][0]) == 50  # 400 px at 100 dpi are 200 px at 50 dpi: same print size


def test_cmyk_into_png_is_refused_with_the_reason_but_tiff_takes_it(photo: Path, tmp_path: Path) -> None:
    run = run_raster(photo, tmp_path / "p", {"colorspace": {"target": "cmyk"}, "convert": {"format": "png"}})
    assert "cannot hold CMYK" in {s["name"]: s["reason"] for s in run.skipped}["colorspace"]
    run = run_raster(photo, tmp_path / "t", {"colorspace": {"target": "cmyk", "iccAlias": "swop"},
                                             "convert": {"format": "tiff"}})
    assert run.applied == ["colorspace", "convert"]
    with Image.open(run.path) as out:
        assert out.mode == "CMYK" and out.info.get("icc_profile")


@pytest.mark.parametrize(("resize", "size"), [
    ({"maxWidth": 300, "maxHeight": 300}, (300, 200)),             # inside
    ({"maxWidth": 300, "maxHeight": 300, "fit": "cover"}, (300, 300)),
    ({"maxWidth": 300, "maxHeight": 100, "fit": "fill"}, (300, 100)),
    ({"minWidth": 900}, (900, 600)),
])
def test_resize_fits(photo: Path, tmp_path: Path, resize: dict, size: tuple[int, int]) -> None:
    run = run_raster(photo, tmp_path / "o", {"resize": resize})
    assert run.applied == ["resize"], run.skipped
    with Image.open(run.path) as out:
        assert out.size == size


def test_upscale_reports_its_engine_and_tags_min_dpi(photo: Path, tmp_path: Path) -> None:
    run = run_raster(photo, tmp_path / "o", {"upscale": {"minDpi": 300}})
    assert run.applied == ["upscale"]
    detail = run.details["upscale"]
    assert detail["engine"] == "lanczos+edge-sharpen" and detail["scale"] == 3.0 and detail["basis"] == "embedded dpi"
    with Image.open(run.path) as out:
        assert out.size == (1800, 1200) and round(out.info["dpi"][0]) == 300
    skipped = run_raster(run.path, tmp_path / "again", {"upscale": {"minDpi": 300}})
    assert skipped.skipped == [{"name": "upscale", "reason": "already_at_dpi"}]


def test_flatten_and_embed_icc(tmp_path: Path) -> None:
    rgba = scene(120, 80).convert("RGBA")
    rgba.putalpha(Image.new("L", rgba.size, 0))
    src = save(rgba, tmp_path / "a.png")
    run = run_raster(src, tmp_path / "o", {"flatten": {"background": "#00FF00"}, "embedIcc": {"alias": "srgb"}})
    assert run.applied == ["flatten", "embedIcc"]
    with Image.open(run.path) as out:
        assert out.mode == "RGB" and out.getpixel((3, 3)) == (0, 255, 0) and out.info.get("icc_profile")


def test_unreadable_image_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 50)
    with pytest.raises(UnreadableFile):
        run_raster(bad, tmp_path / "o", {})


def test_remove_bg_without_a_model_is_skipped_with_the_reason(photo: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRINTGATE_MODELS_DIR", str(tmp_path / "no-models"))
    run = run_raster(photo, tmp_path / "o", {"removeBg": {"enabled": True}, "convert": {"format": "png"}})
    assert run.applied == ["convert"]
    reason = {s["name"]: s["reason"] for s in run.skipped}["removeBg"]
    assert "no background removal model is installed" in reason
    with Image.open(run.path) as out:
        assert out.mode == "RGB"  # nothing was cut out


def test_remove_bg_with_a_truncated_model_is_skipped_not_crashed(photo: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    models = tmp_path / "models"
    models.mkdir()
    (models / "isnet-imgly-small.onnx").write_bytes(b"\x08\x01garbage")
    monkeypatch.setenv("PRINTGATE_MODELS_DIR", str(models))
    run = run_raster(photo, tmp_path / "o", {"removeBg": {"enabled": True}, "convert": {"format": "png"}})
    assert "cannot be loaded" in {s["name"]: s["reason"] for s in run.skipped}["removeBg"]


def test_remove_bg_cuts_out_the_subject(tmp_path: Path) -> None:
    """The real model (installed by scripts/setup): the red disc stays, the sky goes."""
    assert removebg.model_status() is None, removebg.model_status()
    src = save(scene(480, 320), tmp_path / "p.png")
    run = run_raster(src, tmp_path / "o", {"removeBg": {"enabled": True}})
    assert run.applied == ["removeBg"] and run.details["removeBg"]["mode"] == "RGBA"
    with Image.open(run.path) as out:
        alpha = np.asarray(out.getchannel("A"))
    assert out.mode == "RGBA" and out.size == (480, 320)
    assert alpha[160, 240] > 200          # the disc's centre is kept
    assert alpha[5, 470] < 30 and alpha[315, 5] < 30  # the sky's corners are cut away


def test_remove_bg_refuses_jpeg_output(photo: Path, tmp_path: Path) -> None:
    run = run_raster(photo, tmp_path / "o", {"removeBg": {"enabled": True}})
    assert "JPEG cannot hold transparency" in {s["name"]: s["reason"] for s in run.skipped}["removeBg"]
