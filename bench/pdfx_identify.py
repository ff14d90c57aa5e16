"""PDF/X identification (``identify_pdfx``) and conversion beside Ghostscript's PDF/X output and a qpdf rewrite, same files, same run.

    .venv/bin/python bench/pdfx_identify.py [--files N] [--level 3] [--real FILE...] [--real-level 1a]

Makes N CMYK business cards with our own raster path (``raster_to_pdf``: FOGRA39, TrimBox and BleedBox,
a GTS_PDFX intent; 85 x 55 mm at 300 dpi), then times, per file:

- printgate: ``identify_file`` (identification written, file saved, judged by the PDF/X rules, kept when
  compliant), and how many the validator confirms;
- Ghostscript: ``gs -dPDFX -sDEVICE=pdfwrite`` with the version key and the FOGRA39 output intent given by
  pdfmark (the usual way to make a PDF/X file from a finished one; it rewrites all content), and how many
  of its outputs our PDF/X validator confirms. Level 3 is the like-for-like default: Ghostscript 10.00's
  ``-dPDFX`` writes PDF/X-3 (no XMP identification), so with ``--level 4`` its outputs are not PDF/X-4;
- qpdf: a plain rewrite of the file (the floor for anything that opens and saves a PDF).

Then the converting path on real files (RGB art, live transparency, links, no intent, no TrimBox): by
default three files of Debian's ``texlive-pictures-doc`` under ``bench/.cache`` (``bench/preflight_speed.py``
fetches it; or ``apt-get download texlive-pictures-doc && dpkg -x`` it there), or ``--real FILE...``:
printgate ``convert_file`` at ``--real-level`` (default 1a: RGB to CMYK and transparency flattened) beside
the same Ghostscript -dPDFX command with ``-sColorConversionStrategy=CMYK`` (and, for 1a and 3,
``-dCompatibilityLevel=1.3 -r300``, where pdfwrite flattens transparency, at our 300 dpi), both judged by
our validator.

CPU seconds beside wall time (the machine is shared: CPU seconds are the steady figure). Benchmark, not
test: nothing asserts.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

VERSION_KEY = {"1a": "PDF/X-1a:2003", "3": "PDF/X-3:2003", "4": "PDF/X-4"}
REAL_DIR = ROOT / "bench" / ".cache" / "texlive-pictures" / "usr" / "share" / "doc" / "texlive-doc" / "latex"
REAL_FILES = ("blochsphere/example.pdf", "coffeestains/coffeestains-en.pdf",
              "genealogytree/genealogytree-example-1.pdf")


def _cpu(who: int) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def make_cards(folder: Path, count: int) -> list[Path]:
    from PIL import Image

    from printgate.core.processing.topdf import raster_to_pdf

    paths = []
    for i in range(count):
        image = Image.new("RGB", (1004, 650), (30 + 20 * i % 200, 120, 200))
        path = folder / f"card-{i:02d}.pdf"
        raster_to_pdf(image, path, trim_mm=(85, 55), bleed_mm=3, profile="fogra39")
        paths.append(path)
    return paths


def timed(label: str, files: list[Path], one: Callable[[Path], bool]) -> None:
    cpu0, child0, t0 = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN), time.perf_counter()
    confirmed = sum(1 for path in files if one(path))
    wall = time.perf_counter() - t0
    cpu = _cpu(resource.RUSAGE_SELF) - cpu0 + _cpu(resource.RUSAGE_CHILDREN) - child0
    print(f"{label:<44} {len(files)} files  wall {wall:6.2f} s ({wall / len(files) * 1000:6.1f} ms/file)  "
          f"CPU {cpu:6.2f} s ({cpu / len(files) * 1000:6.1f} ms/file)  PDF/X confirmed: {confirmed}/{len(files)}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=10)
    ap.add_argument("--level", default="3", choices=sorted(VERSION_KEY))
    ap.add_argument("--real", nargs="*", default=[], metavar="FILE", help="real files for the converting rows")
    ap.add_argument("--real-level", default="1a", choices=sorted(VERSION_KEY))
    args = ap.parse_args()

    from printgate.core.fixes.pdfx import identify_file, parse_level

    flavour = parse_level(args.level).flavour
    with tempfile.TemporaryDirectory(prefix="bench-pdfx-") as tmp_name:
        tmp = Path(tmp_name)
        files = make_cards(tmp, args.files)
        print(f"{args.files} CMYK cards from raster_to_pdf, identified as {flavour}")

        def ours(path: Path) -> bool:
            return bool(identify_file(path, tmp / f"pg-{path.name}", args.level, title=path.stem)["compliant"])

        timed("printgate identify_file (+ PDF/X validation)", files, ours)

        gs = shutil.which("gs")
        if gs:
            ghostscript = _ghostscript(gs, tmp, args.level, flavour)
            timed("Ghostscript -dPDFX pdfwrite (+ our validation)", files, ghostscript)
        else:
            print("Ghostscript not found: its row is left out")
        qpdf = shutil.which("qpdf")
        if qpdf:
            def rewrite(path: Path) -> bool:
                subprocess.run([qpdf, str(path), str(tmp / f"qpdf-{path.name}")], capture_output=True, check=False)
                return False

            timed("qpdf rewrite (floor; identifies nothing)", files, rewrite)
        _real_files(args, tmp, gs)
    return 0


def _ghostscript(gs: str, tmp: Path, level: str, flavour: str, options: tuple[str, ...] = ()) -> Callable[[Path], bool]:
    """``gs -dPDFX -sDEVICE=pdfwrite`` with the version key and a FOGRA39 intent by pdfmark; True when our
    validator confirms its output at ``flavour``."""
    from printgate.core.fixes import icc
    from printgate.core.validation import CannotValidate, validate_file

    icc_path = tmp / "fogra39.icc"
    icc_path.write_bytes(icc.resolve("fogra39").data())
    defs = tmp / f"pdfx-{level}.ps"
    defs.write_text(
        f"[ /GTS_PDFXVersion ({VERSION_KEY[level]}) /Title (Card) /Trapped /False /DOCINFO pdfmark\n"
        "[ /_objdef {icc} /type /stream /OBJ pdfmark\n[ {icc} << /N 4 >> /PUT pdfmark\n"
        f"[ {{icc}} ({icc_path}) (r) file /PUT pdfmark\n"
        "[ /_objdef {oi} /type /dict /OBJ pdfmark\n"
        "[ {oi} << /Type /OutputIntent /S /GTS_PDFX /OutputConditionIdentifier (FOGRA39)"
        " /RegistryName (http://www.color.org) /DestOutputProfile {icc} >> /PUT pdfmark\n"
        "[ {Catalog} << /OutputIntents [ {oi} ] >> /PUT pdfmark\n")

    def run(path: Path) -> bool:
        out = tmp / f"gs-{level}-{path.name}"
        done = subprocess.run([gs, "-q", "-dPDFX", "-dBATCH", "-dNOPAUSE", "-dNOSAFER", "-sDEVICE=pdfwrite",
                               "-sColorConversionStrategy=CMYK", *options, f"-sOutputFile={out}", str(defs),
                               str(path)], capture_output=True, timeout=300, check=False)
        if done.returncode != 0:
            return False
        try:
            return bool(validate_file(out, [flavour])["compliant"])
        except CannotValidate:
            return False

    return run


def _real_files(args: argparse.Namespace, tmp: Path, gs: str | None) -> None:
    from printgate.core.fixes.pdfx import parse_level
    from printgate.core.fixes.pdfx_convert import convert_file

    files = [Path(f) for f in args.real] if args.real else [REAL_DIR / f for f in REAL_FILES]
    missing = [f for f in files if not f.is_file()]
    if missing:
        print(f"real files not found ({missing[0]}): fetch texlive-pictures-doc into bench/.cache "
              "(bench/preflight_speed.py does) or pass --real FILE...; the converting rows are left out")
        return
    level = args.real_level
    flavour = parse_level(level).flavour
    print(f"\n{len(files)} real files ({', '.join(f.name for f in files)}), converted to {flavour}")

    def ours(path: Path) -> bool:
        return bool(convert_file(path, tmp / f"conv-{path.name}", level, title=path.stem)["compliant"])

    timed("printgate convert_file (+ PDF/X validation)", files, ours)
    if gs:
        flatten = ("-dCompatibilityLevel=1.3", "-r300") if level in ("1a", "3") else ()
        timed(f"Ghostscript -dPDFX pdfwrite CMYK{' 1.3' if flatten else ''} (+ our validation)", files,
              _ghostscript(gs, tmp, level, flavour, flatten))


if __name__ == "__main__":
    raise SystemExit(main())
