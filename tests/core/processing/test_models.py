"""The locally installed models: the installer checks what it joins, the learned upscaler's graph is
the network it was shipped as (same output tiled or whole), and each step says which engine ran."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from printgate.core.processing import models, superres, upscale
from printgate.core.processing.quality import ssim
from tests.core.processing.images import scene


def _package(tmp_path: Path, chunks: list[bytes], size: int) -> Path:
    dist = tmp_path / "package" / "dist"
    dist.mkdir(parents=True)
    entries = []
    for data in chunks:
        digest = hashlib.sha256(data).hexdigest()
        (dist / digest).write_bytes(data)
        entries.append({"hash": digest})
    (dist / "resources.json").write_text(json.dumps({models.BG_RESOURCE: {"chunks": entries, "size": size}}))
    return tmp_path / "package"


def test_assemble_joins_verified_chunks(tmp_path: Path) -> None:
    pkg = _package(tmp_path, [b"abc", b"defg"], 7)
    out = models.assemble(pkg, models.BG_RESOURCE, tmp_path / "m" / "model.onnx")
    assert out.read_bytes() == b"abcdefg"


def test_assemble_refuses_a_corrupt_chunk_and_a_short_file(tmp_path: Path) -> None:
    pkg = _package(tmp_path, [b"abc", b"defg"], 7)
    first = next(p for p in (pkg / "dist").iterdir() if p.name != "resources.json" and p.read_bytes() == b"abc")
    first.write_bytes(b"abX")
    with pytest.raises(models.InstallError, match="corrupt"):
        models.assemble(pkg, models.BG_RESOURCE, tmp_path / "m" / "model.onnx")
    assert not (tmp_path / "m" / "model.onnx").exists()
    short = _package(tmp_path / "b", [b"abc"], 9)
    with pytest.raises(models.InstallError, match="expected"):
        models.assemble(short, models.BG_RESOURCE, tmp_path / "m2" / "model.onnx")
    assert models.main(["bg", str(tmp_path / "nothing")]) == 1
    assert models.main(["nope"]) == 2


def test_the_installed_upscaling_networks() -> None:
    """scripts/setup installed them; x2, x3 and x4 each answer with the scale they were trained for."""
    for scale in models.SR_SCALES:
        assert models.sr_model_path(scale) is not None, scale
    assert [superres.model_scale(s) for s in (1.5, 2.0, 2.5, 3.0, 3.7, 4.0)] == [2, 2, 3, 3, 4, 4]


def test_tiles_give_the_same_picture_as_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    small = scene(150, 100)
    tiled, name = superres.enlarge(small, 2)
    monkeypatch.setattr(superres, "TILE", 4096)
    whole, _ = superres.enlarge(small, 2)
    assert name == "rdn-slim-x2 (ONNX Runtime)" and tiled.size == (300, 200)
    diff = np.abs(np.asarray(tiled, np.int16) - np.asarray(whole, np.int16))
    assert diff.max() <= 2  # no seams: the margin covers the network's receptive field


def test_the_network_restores_a_downscaled_photo() -> None:
    """Half-size and back: close to the original (a wrong weight layout gives noise, SSIM < 0.3)."""
    big = scene(400, 300)
    small = big.resize((200, 150), Image.Resampling.BICUBIC)
    out, _ = superres.enlarge(small, 2)
    assert ssim(big, out) > 0.85
    assert abs(ssim(big, out) - ssim(big, small.resize(big.size, Image.Resampling.LANCZOS))) < 0.05


def test_engine_choice_and_fallbacks(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    rgb = scene(60, 40)
    out, ran, why = upscale.enlarge_with(rgb, 2.5, "model")
    assert (ran, why, out.size) == ("rdn-slim-x3 (ONNX Runtime)", None, (150, 100))
    out, ran, why = upscale.enlarge_with(rgb.convert("CMYK"), 2.0, "model")
    assert ran == upscale.ENGINE and why and "RGB" in why and out.mode == "CMYK"
    monkeypatch.setenv("PRINTGATE_MODELS_DIR", str(tmp_path / "none"))
    out, ran, why = upscale.enlarge_with(rgb, 2.0, "model")
    assert ran == upscale.ENGINE and why == "no super-resolution model is installed"
    with pytest.raises(ValueError):
        upscale.enlarge_with(rgb, 2.0, "magic")


def test_the_pipeline_reports_the_model_that_ran(tmp_path: Path) -> None:
    from printgate.core.processing.raster import run_raster

    src = tmp_path / "p.png"
    scene(120, 80).save(src, dpi=(100, 100))
    run = run_raster(src, tmp_path / "o", {"upscale": {"minDpi": 200, "engine": "model"}})
    assert run.details["upscale"]["engine"] == "rdn-slim-x2 (ONNX Runtime)"
    assert "engineFallback" not in run.details["upscale"]
    with Image.open(run.path) as out:
        assert out.size == (240, 160)
