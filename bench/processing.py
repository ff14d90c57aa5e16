"""The processing phase's figures (issue 19): optimize beside Ghostscript and qpdf; upscale and
background removal per 12-megapixel photo.

Optimize: each PDF through printgate's built-in presets ``opt_print`` and ``opt_screen``
(``optimize_pdf``, in a child process), and ``opt_print+jpeg92``: the print preset with lossy images
allowed (``compression`` jpeg at quality 92; ``opt_print`` itself keeps lossless images lossless),
beside ``gs -dPDFSETTINGS=/printer`` and ``/ebook`` and ``qpdf --object-streams=generate
--recompress-flate``, in the same run. Printed per file and tool: output size and output/input, CPU
seconds (user+sys of the child) and wall time, peak memory, and the lowest SSIM of the first pages
rendered at 150 dpi against the input's (``core/processing/quality.py``).

The inputs are real image-heavy PDFs: the documentation of Debian's ``texlive-pictures-doc``
(``apt-get download`` + ``dpkg -x`` into ``bench/.cache/``), the ``--count`` files with the most
image bytes among those over 1 MB. PDF arguments replace them.

Photos: a 12-megapixel (4000 x 3000) photo-like JPEG made here (gradients, grain, hard-edged
subjects), upscaled 2x by printgate's classical engine (Lanczos + edge-aware sharpening) and by the
learned RDN network (ONNX Runtime, tiled), beside a plain Pillow Lanczos resize, and its background
removed by the installed ISNet model (ONNX Runtime, 2 threads).
Each runs in its own process: CPU, wall and peak RSS are that process's own.

Large image (``--large``, on by default; ``--no-large``): a 20,000 x 15,000 px (300 MP, 900 MB as
decoded RGB) JPEG generated strip by strip by libvips, through printgate's raster pipeline (libvips,
streaming) twice: ``params.raster`` resize to 4000 px + CMYK (FOGRA39) + TIFF, and ``convert`` to a
print-ready PDF (A3 + 3 mm mirrored bleed, CMYK). The peer is Pillow doing the first on the whole
decoded image (``MAX_IMAGE_PIXELS`` lifted: printgate's Pillow path refused it); ImageMagick's
``convert -limit memory`` is used instead when a real ImageMagick is installed.

    .venv/bin/python bench/processing.py                 # texlive files + photos
    .venv/bin/python bench/processing.py a.pdf b.pdf     # your files + photos
    .venv/bin/python bench/processing.py --no-photos --count 2
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _common import load_average, machine, now_utc, save_results  # noqa: E402

CACHE = ROOT / "bench" / ".cache"
PACKAGE = "texlive-pictures-doc"
PY = sys.executable


@dataclass
class Run:
    tool: str
    wall_s: float
    cpu_s: float
    peak_mb: float
    out_bytes: int | None = None
    ssim: float | None = None
    rc: int = 0
    note: str = ""




def measured(argv: Sequence[str], timeout_s: float = 1800) -> tuple[float, float, float, int, str]:
    """One child process: wall, its own CPU (user+sys, ``wait4``), peak RSS in MB (the most ``VmHWM``
    of ``/proc/PID/status`` showed; ``ru_maxrss`` would count this script's own size at the fork),
    exit code, stdout."""
    t0 = time.perf_counter()
    peak_kb = 0
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen(list(argv), stdout=out, stderr=subprocess.DEVNULL, text=True)
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            try:
                for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peak_kb = max(peak_kb, int(line.split()[1]))
            except (OSError, ValueError):
                pass
            if time.perf_counter() - t0 > timeout_s:
                proc.kill()
            time.sleep(0.02)
        wall = time.perf_counter() - t0
        out.seek(0)
        text = out.read()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, peak_kb / 1024, proc.returncode, text


# --- inputs --------------------------------------------------------------------------------------

def texlive_pdfs(count: int) -> list[Path]:
    root = CACHE / "texlive-pictures"
    if not root.is_dir():
        debdir = CACHE / "deb"
        debdir.mkdir(parents=True, exist_ok=True)
        if not list(debdir.glob(f"{PACKAGE}_*.deb")):
            print(f"setup: apt-get download {PACKAGE} (~230 MB) ...", flush=True)
            subprocess.run(["apt-get", "download", PACKAGE], cwd=debdir, check=True)
        root.mkdir(parents=True)
        for deb in sorted(debdir.glob(f"{PACKAGE}_*.deb")):
            subprocess.run(["dpkg", "-x", str(deb), str(root)], check=True)
    ranked = []
    import pikepdf

    for path in root.rglob("*.pdf"):
        if path.stat().st_size < 1_000_000:
            continue
        try:
            with pikepdf.open(path) as pdf:
                image_bytes = sum(len(o.read_raw_bytes()) for o in pdf.objects
                                  if isinstance(o, pikepdf.Stream) and o.get("/Subtype") == "/Image")
        except Exception:
            continue
        ranked.append((image_bytes, path))
    ranked.sort(reverse=True)
    return [p for _, p in ranked[:count]]


def make_photo(path: Path, w: int = 4000, h: int = 3000) -> Path:
    import numpy as np
    from PIL import Image, ImageDraw, ImageFilter

    rng = np.random.default_rng(19)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    rgb = np.stack([90 + 60 * np.sin(x / 300), 140 + 80 * y / h, 200 + 40 * np.cos(y / 400)], -1)
    rgb += rng.normal(0, 6, (h, w, 3))
    img = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    draw.ellipse((w * 0.3, h * 0.25, w * 0.7, h * 0.85), fill=(210, 50, 35))
    draw.rectangle((w * 0.05, h * 0.55, w * 0.25, h * 0.95), fill=(240, 230, 200))
    img.filter(ImageFilter.GaussianBlur(1.2)).save(path, "JPEG", quality=90, dpi=(150, 150))
    return path


# --- children (this script runs itself for each measured operation) -----------------------------

def child(argv: list[str]) -> None:
    op = argv[0]
    if op == "optimize":
        from printgate.core import library
        from printgate.core.fixes import optimize_pdf

        preset_id, _, lossy = argv[3].partition("+jpeg")
        preset = next(p for p in library.builtins("preset") if p["id"] == preset_id)
        params = dict(preset["params"]["pdf"])
        if lossy:  # the preset with lossy images allowed: photos as JPEG at this quality
            params["compression"] = {"colorFilter": "jpeg", "grayFilter": "jpeg", "jpegQuality": int(lossy)}
        res = optimize_pdf(Path(argv[1]), Path(argv[2]), params)
        print(json.dumps({"keptInput": res["size"]["keptInput"], "bytesSaved": res["size"]["bytesSaved"]}))
    elif op == "upscale":
        from PIL import Image

        from printgate.core.processing.upscale import enlarge

        with Image.open(argv[1]) as im:
            im.load()
            out = enlarge(im, 2.0)
        out.save(argv[2], "JPEG", quality=92)
    elif op == "upscale-model":
        from PIL import Image

        from printgate.core.processing.upscale import enlarge_with

        with Image.open(argv[1]) as im:
            im.load()
            out, ran, why = enlarge_with(im, 2.0, "model")
        out.save(argv[2], "JPEG", quality=92)
        print(json.dumps({"skipped": why} if why else {"engine": ran}))
    elif op == "lanczos":
        from PIL import Image

        with Image.open(argv[1]) as im:
            out = im.resize((im.width * 2, im.height * 2), Image.Resampling.LANCZOS)
        out.save(argv[2], "JPEG", quality=92)
    elif op == "large-raster":
        from printgate.core.processing.raster import run_raster

        run = run_raster(Path(argv[1]), Path(argv[2]), LARGE_PARAMS)
        print(json.dumps({"applied": run.applied, "skipped": run.skipped, "out": str(run.path)}))
    elif op == "large-pdf":
        from printgate.core.processing.streaming import VipsDoc
        from printgate.core.processing.topdf import raster_to_pdf

        doc = VipsDoc(Path(argv[1]))
        raster_to_pdf(doc.image, Path(argv[2]), trim_mm=(420, 297), bleed_mm=3, profile="fogra39",
                      source_icc=doc.icc_profile, reread=lambda: VipsDoc(Path(argv[1])).image)
    elif op == "large-pillow":
        from PIL import Image, ImageCms

        from printgate.core.fixes import icc

        Image.MAX_IMAGE_PIXELS = None
        with Image.open(argv[1]) as im:  # the spec's order, as printgate runs it: colour, then resize
            cmyk = ImageCms.profileToProfile(im, ImageCms.createProfile("sRGB"), str(icc.resolve("fogra39").path),
                                             outputMode="CMYK")
        assert cmyk is not None
        cmyk.resize((4000, 3000), Image.Resampling.LANCZOS).save(argv[2], "TIFF", compression="tiff_lzw")
    elif op == "removebg":
        from PIL import Image

        from printgate.core.processing.removebg import model_status, remove_background

        if model_status():
            print(json.dumps({"skipped": model_status()}))
            return
        with Image.open(argv[1]) as im:
            im.load()
            out = remove_background(im)
        out.save(argv[2], "PNG", compress_level=1)


# --- the bench -----------------------------------------------------------------------------------

def bench_pdf(src: Path, tmp: Path, pages: int) -> list[Run]:
    from printgate.core.processing.quality import image_pages, pdf_ssim

    compared = image_pages(src, pages)

    tools: list[tuple[str, list[str]]] = []
    for preset in ("opt_print", "opt_print+jpeg92", "opt_screen"):
        tools.append((f"printgate {preset}", [PY, __file__, "--child", "optimize", str(src), "{out}", preset]))
    for setting in ("printer", "ebook"):
        tools.append((f"gs /{setting}", ["gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=pdfwrite",
                                         f"-dPDFSETTINGS=/{setting}", "-o", "{out}", str(src)]))
    tools.append(("qpdf recompress", ["qpdf", "--object-streams=generate", "--recompress-flate", str(src), "{out}"]))
    runs = []
    for name, argv in tools:
        out = tmp / f"{src.stem}-{name.replace(' ', '_').replace('/', '')}.pdf"
        wall, cpu, peak, rc, text = measured([a.replace("{out}", str(out)) for a in argv])
        run = Run(name, wall, cpu, peak, rc=rc)
        if rc == 0 and out.exists():
            run.out_bytes = out.stat().st_size
            try:
                run.ssim = pdf_ssim(src, out, dpi=150, pages=compared)
            except Exception as exc:  # a page the renderer cannot draw: say so, keep the size
                run.note = f"ssim: {exc}"
            if text.strip().startswith("{") and json.loads(text).get("keptInput"):
                run.note = "kept the input (the result was bigger)"
        runs.append(run)
    return runs


def bench_photo(tmp: Path) -> list[Run]:
    photo = make_photo(tmp / "photo-12mp.jpg")
    runs = []
    for name, op, ext in (("printgate upscale 2x (lanczos+edge-sharpen)", "upscale", ".jpg"),
                          ("printgate upscale 2x (rdn-slim, ONNX Runtime)", "upscale-model", ".jpg"),
                          ("Pillow Lanczos 2x (peer)", "lanczos", ".jpg"),
                          ("printgate removebg (ISNet, ONNX Runtime)", "removebg", ".png")):
        out = tmp / f"{op}{ext}"
        wall, cpu, peak, rc, text = measured([PY, __file__, "--child", op, str(photo), str(out)])
        note = json.loads(text).get("skipped", "") if text.strip().startswith("{") else ""
        runs.append(Run(name, wall, cpu, peak, out.stat().st_size if out.exists() else None, rc=rc, note=note))
        print(_row(runs[-1], None), flush=True)
    return runs


LARGE_PARAMS = {"resize": {"maxWidth": 4000}, "colorspace": {"target": "cmyk"}, "convert": {"format": "tiff"}}


def make_large(path: Path, w: int = 20000, h: int = 15000) -> Path:
    """A photo-like JPEG made by libvips a strip at a time (gradients, grain): never whole in memory."""
    import pyvips

    xy = pyvips.Image.xyz(w, h)
    x, y = xy[0], xy[1]
    r = (x / 80).sin() * 60 + 100
    g = y * (120 / h) + 70
    b = (y / 120).cos() * 40 + 190
    noise = pyvips.Image.gaussnoise(w, h, sigma=6)
    rgb = (r.bandjoin([g, b]) + noise).cast("uchar").copy(interpretation="srgb", xres=300 / 25.4, yres=300 / 25.4)
    rgb.jpegsave(str(path), Q=90)
    return path


def _imagemagick() -> str | None:
    """A real ImageMagick's ``convert``, not a stand-in."""
    try:
        out = subprocess.run(["convert", "-version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return "convert" if out.returncode == 0 and "ImageMagick" in out.stdout.splitlines()[0] else None


def bench_large(tmp: Path) -> list[Run]:
    src = make_large(tmp / "large-300mp.jpg")
    print(f"  input: {src.stat().st_size / 1e6:.1f} MB JPEG, 20000 x 15000 px (decoded RGB 900 MB)")
    tools: list[tuple[str, list[str], str]] = [
        ("printgate raster: resize+cmyk+tiff (libvips)", [PY, __file__, "--child", "large-raster", str(src),
                                                         str(tmp / "large-out")], "large-out/raster.tif"),
        ("printgate convert: A3 pdf+bleed, cmyk (libvips)", [PY, __file__, "--child", "large-pdf", str(src),
                                                            str(tmp / "large.pdf")], "large.pdf"),
    ]
    magick = _imagemagick()
    if magick:
        tools.append(("ImageMagick resize+cmyk+tiff (peer)", [
            magick, "-limit", "memory", "256MiB", str(src), "-resize", "4000x", "-profile",
            str(ROOT / "src/printgate/core/fixes/icc"), "-compress", "lzw", str(tmp / "large-im.tif")], "large-im.tif"))
    tools.append(("Pillow resize+cmyk+tiff, whole image (peer)", [PY, __file__, "--child", "large-pillow", str(src),
                                                                 str(tmp / "large-pil.tif")], "large-pil.tif"))
    runs = []
    for name, argv, out in tools:
        wall, cpu, peak, rc, _text = measured(argv)
        path = tmp / out
        runs.append(Run(name, wall, cpu, peak, path.stat().st_size if path.exists() else None, rc=rc))
        print(_row(runs[-1], None), flush=True)
    return runs


def _row(run: Run, in_bytes: int | None) -> str:
    size = f"{run.out_bytes / 1e6:8.2f} MB" if run.out_bytes is not None else "       - MB"
    ratio = f"{run.out_bytes / in_bytes:6.2f}" if run.out_bytes and in_bytes else "     -"
    ssim = f"{run.ssim:.4f}" if run.ssim is not None else "     -"
    return (f"  {run.tool:44s} {size} {ratio}  cpu {run.cpu_s:7.2f} s  wall {run.wall_s:7.2f} s  "
            f"peak {run.peak_mb:7.0f} MB  ssim {ssim}{'  rc=' + str(run.rc) if run.rc else ''}"
            f"{'  ' + run.note if run.note else ''}")


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--child"]:
        child(args[1:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pdfs", nargs="*", type=Path)
    parser.add_argument("--count", type=int, default=3, help="texlive files to take (default 3)")
    parser.add_argument("--pages", type=int, default=3, help="pages compared by SSIM: those with the most images "
                        "(default 3)")
    parser.add_argument("--no-photos", action="store_true")
    parser.add_argument("--no-pdfs", action="store_true")
    parser.add_argument("--no-large", action="store_true", help="skip the 300-megapixel streaming run")
    opts = parser.parse_args(args)
    print(f"# processing bench, {now_utc()}; {machine()}; load {load_average()}")
    results: dict[str, object] = {"machine": machine(), "files": {}, "photos": [], "large": []}
    with tempfile.TemporaryDirectory(prefix="printgate-bench-processing-") as tmpdir:
        tmp = Path(tmpdir)
        pdfs = [] if opts.no_pdfs else (opts.pdfs or texlive_pdfs(opts.count))
        for src in pdfs:
            in_bytes = src.stat().st_size
            from printgate.core.processing.quality import image_pages

            print(f"\n{src.name}: {in_bytes / 1e6:.2f} MB   (size, out/in, CPU, wall, peak RSS, lowest SSIM at 150 dpi "
                  f"of pages {[p + 1 for p in image_pages(src, opts.pages)]}, those with the most images)")
            runs = bench_pdf(src, tmp, opts.pages)
            for run in runs:
                print(_row(run, in_bytes), flush=True)
            results["files"][src.name] = {"inBytes": in_bytes, "runs": [asdict(r) for r in runs]}  # type: ignore[index]
        if not opts.no_photos:
            print("\nphoto: 4000 x 3000 px (12 MP) JPEG; 2 cores")
            runs = bench_photo(tmp)
            results["photos"] = [asdict(r) for r in runs]
        if not opts.no_large:
            print("\nlarge image: streaming (peak RSS against 900 MB decoded)")
            results["large"] = [asdict(r) for r in bench_large(tmp)]
    print(f"\nresults: {save_results('processing', results)}")


if __name__ == "__main__":
    main()
