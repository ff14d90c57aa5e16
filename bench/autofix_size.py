"""Autofix output size and time, beside Ghostscript's own CMYK conversion of the same file (issue 11, hole 9).

For each PDF: ``run_preflight`` (not timed), then ``run_autofix`` with the report's scheduled fixes (the
autofix step of a job, the profile given with ``--profile``, documented defaults without one), in this
process; then the peer: ``gs -o out.pdf -sDEVICE=pdfwrite -sColorConversionStrategy=CMYK
-dProcessColorModel=/DeviceCMYK in.pdf``. Printed per file: input size, output size, output/input,
CPU seconds (this process plus the Ghostscript children it ran) and wall time, for printgate and for
gs, and the fixes applied with the size note the autofix report carries when the file grew past
1.5x. The fastest of ``--repeat`` runs is shown (a shared machine disturbs wall time; CPU moves less).

``--flyer`` adds a generated A4 flyer: a 2000x1400 RGB JPEG photo (smooth gradients plus noise,
quality 85) across the top, an RGB panel and a line of Helvetica (not embedded) -- the file of the
issue. Without PDF arguments a real multi-page file is also taken from Debian's
``texlive-latex-base-doc`` (``apt-get download`` + ``dpkg -x`` into ``bench/.cache/``, as
``preflight_speed.py`` does).

    .venv/bin/python bench/autofix_size.py --flyer                      # flyer + texlive's classes.pdf
    .venv/bin/python bench/autofix_size.py --flyer some.pdf other.pdf --profile prof_print_ready
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import load_average, machine, now_utc, save_results

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
GS_CMYK = ["gs", "-q", "-dSAFER", "-sDEVICE=pdfwrite", "-sColorConversionStrategy=CMYK",
           "-dProcessColorModel=/DeviceCMYK"]
DEFAULT_REAL = "usr/share/doc/texlive-doc/latex/base/classes.pdf"


@dataclass
class Run:
    wall_s: float
    cpu_s: float
    rc: int = 0


def run_tool(argv: Sequence[str], *, timeout_s: float = 1800.0) -> Run:
    """One external command: wall time and its own CPU (user+sys) from ``wait4``."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(list(argv), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    timer = threading.Timer(timeout_s, lambda: os.killpg(proc.pid, signal.SIGKILL))
    timer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
    return Run(time.perf_counter() - t0, usage.ru_utime + usage.ru_stime, os.waitstatus_to_exitcode(status))


def run_inprocess(fn: Callable[[], object]) -> tuple[Run, object]:
    """``fn()`` here: wall time, and CPU of this process plus the children (Ghostscript) it reaped."""
    c0 = time.process_time()
    k0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = fn()
    wall = time.perf_counter() - t0
    k1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = time.process_time() - c0 + (k1.ru_utime - k0.ru_utime) + (k1.ru_stime - k0.ru_stime)
    return Run(wall, cpu), out


# --- inputs --------------------------------------------------------------------------------------

def make_flyer(path: Path) -> Path:
    """An A4 flyer whose weight is one RGB JPEG photo (q=85), as in the issue."""
    import numpy as np
    import pymupdf
    from PIL import Image, ImageFilter

    w, h = 2000, 1400
    rng = np.random.default_rng(11)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    rgb = np.stack([128 + 100 * np.sin(x / 170) * np.cos(y / 130), 255 * x / w, 255 * y / h], -1)
    rgb += rng.normal(0, 18, (h, w, 3))
    photo = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.8))
    buf = io.BytesIO()
    photo.save(buf, "JPEG", quality=85)
    doc = pymupdf.open()
    page = doc.new_page(width=595.28, height=841.89)
    page.insert_image(pymupdf.Rect(0, 0, 595.28, 420), stream=buf.getvalue())
    page.draw_rect(pymupdf.Rect(40, 450, 555, 520), color=None, fill=(0.9, 0.2, 0.1))
    page.insert_text((50, 600), "Summer sale - everything must go", fontname="helv", fontsize=24,
                     color=(0.1, 0.3, 0.8))
    doc.save(path)
    return path


def texlive_file(rel: str = DEFAULT_REAL) -> Path:
    """A real multi-page PDF from Debian's texlive-latex-base-doc, fetched once into bench/.cache/."""
    root = CACHE / "texlive"
    target = root / rel
    if target.is_file():
        return target
    debdir = CACHE / "deb"
    debdir.mkdir(parents=True, exist_ok=True)
    if not list(debdir.glob("texlive-latex-base-doc*.deb")):
        print("setup: apt-get download texlive-latex-base-doc (~85 MB) ...", flush=True)
        subprocess.run(["apt-get", "download", "texlive-latex-base-doc"], cwd=debdir, check=True)
    root.mkdir(parents=True, exist_ok=True)
    for deb in sorted(debdir.glob("texlive-latex-base-doc*.deb")):
        subprocess.run(["dpkg", "-x", str(deb), str(root)], check=True)
    return target


# --- the bench -----------------------------------------------------------------------------------

def _mb(n: float) -> str:
    return f"{n / 1e6:.2f}"


def bench_file(path: Path, profile_id: str | None, repeat: int, items: list[str] | None) -> dict[str, object]:
    import pikepdf

    from printgate.core.fixes import run_autofix
    from printgate.core.preflight import run_preflight
    from printgate.core.preflight.profiles import get_builtin_profile

    profile = get_builtin_profile(profile_id) if profile_id else None
    if profile_id and profile is None:
        raise SystemExit(f"unknown built-in profile {profile_id}")
    with pikepdf.open(path) as pdf:
        pages = len(pdf.pages)
    size_in = path.stat().st_size
    report = run_preflight(path, profile, source_name=path.name)
    tmp = Path(tempfile.mkdtemp(prefix="printgate-autofix-size-"))
    ours: list[tuple[Run, dict]] = []
    for i in range(repeat):
        dst = tmp / f"ours-{i}.pdf"
        run, result = run_inprocess(lambda dst=dst: run_autofix(path, dst, report, profile, items=items))  # type: ignore[misc]
        ours.append((run, result if isinstance(result, dict) else {}))
    best_run, result = min(ours, key=lambda r: r[0].wall_s)
    out = result.get("output")
    size_out = Path(out).stat().st_size if out else size_in
    gs_runs = [run_tool([*GS_CMYK, "-o", str(tmp / f"gs-{i}.pdf"), str(path)]) for i in range(repeat)]
    gs = min(gs_runs, key=lambda r: r.wall_s)
    gs_out = (tmp / "gs-0.pdf").stat().st_size if (tmp / "gs-0.pdf").is_file() else 0
    size = result.get("size") or {}
    return {
        "file": path.name, "pages": pages, "profile": profile_id, "in_bytes": size_in,
        "ours": {"out_bytes": size_out, "ratio": size_out / size_in, "cpu_s": best_run.cpu_s, "wall_s": best_run.wall_s,
                 "walls": [r.wall_s for r, _ in ours], "applied": sorted({a["strategy"] for a in result.get("applied", [])}),
                 "skipped": result.get("skipped", []), "size": size},
        "gs": {"out_bytes": gs_out, "ratio": gs_out / size_in, "cpu_s": gs.cpu_s, "wall_s": gs.wall_s, "rc": gs.rc,
               "walls": [r.wall_s for r in gs_runs]},
        "load": load_average(),
    }


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pdfs", nargs="*", type=Path, help="PDFs to fix (default: texlive's classes.pdf)")
    ap.add_argument("--flyer", action="store_true", help="add the generated A4 flyer with a JPEG photo")
    ap.add_argument("--profile", default=None, help="a built-in profile id (default: documented defaults)")
    ap.add_argument("--items", default=None, help="comma-separated ruleIds/strategies to fix instead of the scheduled ones")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args(argv)
    files: list[Path] = []
    if args.flyer:
        files.append(make_flyer(Path(tempfile.mkdtemp(prefix="printgate-flyer-")) / "a4-flyer-jpeg.pdf"))
    files.extend(args.pdfs or [texlive_file()])
    items = [s.strip() for s in args.items.split(",")] if args.items else None
    print(f"{now_utc()}  {machine()}  profile={args.profile or 'defaults'}")
    hdr = (f"{'file':<24} {'pages':>5} {'in MB':>7} | {'ours MB':>8} {'ratio':>6} {'cpu s':>7} {'wall s':>7} | "
           f"{'gs MB':>8} {'ratio':>6} {'cpu s':>7} {'wall s':>7} | load")
    print(hdr)
    print("-" * len(hdr))
    rows = []
    for path in files:
        row = bench_file(path, args.profile, args.repeat, items)
        o, g = row["ours"], row["gs"]
        assert isinstance(o, dict) and isinstance(g, dict)
        print(f"{path.name[:24]:<24} {row['pages']:>5} {_mb(float(row['in_bytes'])):>7} | "  # type: ignore[arg-type]
              f"{_mb(o['out_bytes']):>8} {o['ratio']:>6.2f} {o['cpu_s']:>7.2f} {o['wall_s']:>7.2f} | "
              f"{_mb(g['out_bytes']):>8} {g['ratio']:>6.2f} {g['cpu_s']:>7.2f} {g['wall_s']:>7.2f} | {row['load']}",
              flush=True)
        print(f"    applied: {', '.join(o['applied']) or '-'}")
        reason = (o.get("size") or {}).get("reason")
        if reason:
            print(f"    size: {reason}")
        rows.append(row)
    saved = save_results("autofix_size", {"profile": args.profile, "items": items, "rows": rows})
    print(f"results: {saved}")


if __name__ == "__main__":
    main()
