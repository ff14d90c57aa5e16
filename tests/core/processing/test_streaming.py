"""Large images stream through libvips: an image bigger than Pillow will open is processed with a
peak memory far below its decoded size; a bleed above a streamed image's top rows is still the
mirror of those rows; a file damaged halfway is a clear error, not a crash or a half-written output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pikepdf
import pytest
from PIL import Image

from printgate.core.errors import UnreadableFile
from printgate.core.processing.raster import run_raster
from printgate.core.processing.streaming import VipsDoc
from printgate.core.processing.topdf import raster_to_pdf
from tests.core.processing.images import save, scene

ROOT = Path(__file__).resolve().parents[3]

CHILD = r"""
import json, sys
from pathlib import Path

def hwm_mb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024

import pyvips
from printgate.core.processing.raster import run_raster

src, out = Path(sys.argv[1]), Path(sys.argv[2])
w, h = int(sys.argv[3]), int(sys.argv[4])
xy = pyvips.Image.xyz(w, h)
rgb = (xy[0] * (255 / w)).bandjoin([xy[1] * (255 / h), (xy[0] + xy[1]) * (127 / (w + h))])
rgb.cast("uchar").copy(interpretation="srgb", xres=300 / 25.4, yres=300 / 25.4).jpegsave(str(src), Q=85)
pyvips.cache_set_max(0)
before = hwm_mb()
run = run_raster(src, out, {"resize": {"maxWidth": 2000}, "colorspace": {"target": "cmyk"},
                            "convert": {"format": "tiff"}})
print(json.dumps({"before": before, "after": hwm_mb(), "applied": run.applied, "path": str(run.path),
                  "output": run.details["output"]}))
"""


def test_an_image_larger_than_pillow_opens_streams_in_little_memory(tmp_path: Path) -> None:
    # 14,000 x 13,000 px: 182 megapixels, over Pillow's decompression-bomb refusal (2 x 89.5 MP),
    # 546 MB as decoded RGB. Generated and processed in a child process, so its peak is its own.
    w, h = 14_000, 13_000
    assert w * h > 2 * Image.MAX_IMAGE_PIXELS  # type: ignore[operator]
    done = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path / "huge.jpg"), str(tmp_path / "o"), str(w), str(h)],
                          capture_output=True, text=True, timeout=600, cwd=ROOT,
                          env={"PYTHONPATH": f"{ROOT / 'src'}:{ROOT}", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["applied"] == ["colorspace", "resize", "convert"]
    assert result["output"] == {"format": "tiff", "width": 2000, "height": 1857, "mode": "CMYK"}
    decoded_mb = w * h * 3 / 2**20
    grew = result["after"] - result["before"]
    print(f"peak RSS grew {grew:.0f} MB for {decoded_mb:.0f} MB decoded")
    assert grew < decoded_mb / 4, (grew, decoded_mb)
    with Image.open(result["path"]) as out:
        assert out.mode == "CMYK" and out.size == (2000, 1857)
        assert round(out.info["dpi"][0]) == round(300 * 2000 / w)  # same print size


def test_bleed_above_a_streamed_image_mirrors_its_top_rows(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    stripes = np.repeat(rng.integers(0, 255, (400, 1, 3), dtype=np.uint8), 600, axis=1)  # each row its colour
    src = save(Image.fromarray(stripes, "RGB"), tmp_path / "rows.png", dpi=300)
    out = tmp_path / "p.pdf"
    doc = VipsDoc(src)
    result = raster_to_pdf(doc.image, out, dpi=doc.dpi, bleed_mm=1.0, profile=None,
                           reread=lambda: VipsDoc(src).image)
    px = round(1.0 / 25.4 * 300)
    assert result.bleed_mm == pytest.approx(px / 300 * 25.4, abs=0.01)
    with pikepdf.open(out) as pdf:
        image = pikepdf.PdfImage(pdf.pages[0].obj.Resources.XObject["/Im0"]).as_pil_image()
    page = np.asarray(image.convert("RGB"), dtype=np.int16)
    assert page.shape == (400 + 2 * px, 600 + 2 * px, 3)
    middle = page[:, px + 300]
    # Row k of the bleed above is row px-1-k of the image; below, the last rows reflected.
    assert np.abs(middle[:px] - stripes[px - 1::-1, 0]).mean() < 6
    assert np.abs(middle[px:px + 400] - stripes[:, 0]).mean() < 6
    assert np.abs(middle[-px:] - stripes[:-px - 1:-1, 0]).mean() < 6


def test_a_jpeg_cut_off_halfway_is_a_clear_error(tmp_path: Path) -> None:
    whole = save(scene(1200, 800), tmp_path / "whole.jpg", quality=90)
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(UnreadableFile, match="could not be read to the end"):
        run_raster(cut, tmp_path / "o", {"convert": {"format": "png"}})
    assert not list((tmp_path / "o").glob("*"))  # no half-written output left behind


def test_sixteen_bit_png_is_read_as_eight_bits(tmp_path: Path) -> None:
    deep = (np.linspace(0, 65535, 300 * 200, dtype=np.uint16).reshape(200, 300))
    src = tmp_path / "deep.png"
    Image.fromarray(deep).save(src)  # a 16-bit grayscale PNG
    run = run_raster(src, tmp_path / "o", {"resize": {"maxWidth": 150}})
    with Image.open(run.path) as out:
        values = np.asarray(out)
    assert out.mode == "L" and out.size == (150, 100)
    assert values.min() < 10 and values.max() > 245  # the full range, scaled to 8 bits, not clipped
