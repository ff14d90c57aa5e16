"""Conversion to PDF/A on real PDFs, beside Ghostscript's PDF/A output, both judged by printgate's validator.

    .venv/bin/python bench/pdfa_convert.py DIR_OR_FILES... [--limit N] [--level 2b] [--keep OUT_DIR]

Real-world files: the TeX Live documentation, e.g.
    mkdir -p /tmp/pdfa-texdocs && cd /tmp/pdfa-texdocs && apt-get download texlive-fonts-recommended-doc \\
        texlive-latex-recommended-doc && for d in *.deb; do dpkg -x "$d" root; done

For each file (sorted by path, the first N): ``convert_file`` (printgate: conversion + the re-validation
it always does), then Ghostscript ``-dPDFA=2 -dPDFACompatibilityPolicy=1 -sColorConversionStrategy=RGB``
on the same file, as briefed and with Ghostscript's own PDFA_def.ps (its documented way to add the
output intent), whose outputs are validated with printgate's validator too (not timed). Prints the
share of files each one makes compliant, the rules that most often remain, how much page 1 changed
(rendered before and after), and seconds per file:
CPU (this process and its children, e.g. Ghostscript for font embedding) beside wall time. A
benchmark, not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))


def _cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _files(args: list[str], limit: int) -> list[Path]:
    found: list[Path] = []
    for arg in args:
        path = Path(arg)
        found += sorted(path.rglob("*.pdf")) if path.is_dir() else [path]
    return found[:limit] if limit else found


def _verdict(path: Path, flavour: str) -> tuple[str, list[str]]:
    from printgate.core.validation import CannotValidate, validate_file

    try:
        report = validate_file(path, [flavour])
    except CannotValidate as exc:
        return "error", [exc.reason]
    failures = report["profiles"][0]["failures"]
    return ("pass" if report["compliant"] else "fail"), [f"{f['clause']}-{f['testNumber']}" for f in failures]


def _pdfa_def(folder: Path) -> list[str]:
    """Ghostscript's own PDFA_def.ps pointed at its sRGB profile (its documented way to add the output
    intent), without the placeholder title it would write; [] when this Ghostscript lacks either."""
    found = sorted(Path("/usr/share/ghostscript").glob("*/lib/PDFA_def.ps"))
    from printgate.core.fixes import icc

    try:
        profile = icc.resolve("srgb").path
    except icc.UnknownProfile:
        return []
    if not found:
        return []
    text = found[-1].read_text()
    text = re.sub(r"\[\s*/Title \(Title\)[^\n]*\n\s*/DOCINFO pdfmark", "", text)
    text = text.replace("(srgb.icc)", f"({profile})")
    out = folder / "PDFA_def.ps"
    out.write_text(text)
    return [f"--permit-file-read={profile}", str(out)]


def _ghostscript(src: Path, dst: Path, part: int, extra: list[str]) -> str | None:
    gs = shutil.which("gs")
    if gs is None:
        return "Ghostscript is not installed"
    cmd = [gs, "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=pdfwrite", f"-dPDFA={part}",
           "-dPDFACompatibilityPolicy=1", "-sColorConversionStrategy=RGB", f"-sOutputFile={dst}",
           *extra, str(src)]
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=180, check=False)
    except subprocess.TimeoutExpired:
        return "timeout"
    return None if done.returncode == 0 and dst.exists() else f"exit {done.returncode}"


def _page_difference(a: Path, b: Path) -> float | None:
    """Mean absolute difference (0-255) of page 1 rendered at 50 dpi in RGB: a conversion should not
    change what prints. None when either file cannot be rendered."""
    import pymupdf

    try:
        with pymupdf.open(a) as one, pymupdf.open(b) as two:
            pa = one[0].get_pixmap(dpi=50, colorspace=pymupdf.csRGB, alpha=False)
            pb = two[0].get_pixmap(dpi=50, colorspace=pymupdf.csRGB, alpha=False)
    except Exception:
        return None
    if (pa.width, pa.height) != (pb.width, pb.height):
        return 255.0
    sa, sb = pa.samples, pb.samples
    return sum(abs(x - y) for x, y in zip(sa, sb, strict=True)) / max(len(sa), 1)


def _tally(tally: dict, left_count: Counter[str], verdict: str, left: list[str], cpu: float, wall: float) -> None:
    tally[verdict] += 1
    tally["cpu"] += cpu
    tally["wall"] += wall
    left_count.update(left)


def main() -> int:
    from printgate.core.fixes.pdfa import PdfaConversionError, convert_file, parse_level

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--level", default="2b")
    parser.add_argument("--keep", help="keep the converted files in this folder")
    args = parser.parse_args()
    level = parse_level(args.level)
    files = _files(args.paths, args.limit)
    if not files:
        print("no PDF files found", file=sys.stderr)
        return 2
    out_dir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="pdfa-bench-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    peers = {"Ghostscript -dPDFA": [], "Ghostscript + PDFA_def.ps": _pdfa_def(out_dir)}
    if not peers["Ghostscript + PDFA_def.ps"]:
        del peers["Ghostscript + PDFA_def.ps"]
    tallies = {name: {"pass": 0, "fail": 0, "error": 0, "cpu": 0.0, "wall": 0.0} for name in ["printgate", *peers]}
    left_by = {name: Counter[str]() for name in tallies}
    diffs: list[float] = []
    print(f"{len(files)} file(s), target {level.name}; times are per file: CPU s / wall s")
    for n, src in enumerate(files):
        dst = out_dir / f"{n:03d}-printgate.pdf"
        c0, t0 = _cpu(), time.perf_counter()
        try:
            result = convert_file(src, dst, level.code)
            verdict = "pass" if result["compliant"] else "fail"
            left = sorted({f"{f['clause']}-{f['testNumber']}" for f in result["remaining"]})
        except PdfaConversionError as exc:
            verdict, left = "error", [exc.reason[:60]]
        _tally(tallies["printgate"], left_by["printgate"], verdict, left, _cpu() - c0, time.perf_counter() - t0)
        diff = _page_difference(src, dst) if dst.exists() else None
        if diff is not None:
            diffs.append(diff)
        line = (f"  {src.name[:36]:36s} printgate {verdict:5s} {', '.join(left[:3]) or '-'} "
                f"(page 1 diff {'-' if diff is None else f'{diff:.2f}'})")
        for k, (name, extra) in enumerate(peers.items()):
            gs_dst = out_dir / f"{n:03d}-gs{k}.pdf"
            c1, t1 = _cpu(), time.perf_counter()
            why = _ghostscript(src, gs_dst, level.part, extra)
            cpu, wall = _cpu() - c1, time.perf_counter() - t1
            gs_verdict, gs_left = ("error", [why or ""]) if why else _verdict(gs_dst, level.flavour)
            _tally(tallies[name], left_by[name], gs_verdict, sorted(set(gs_left)), cpu, wall)
            line += f" | gs{k} {gs_verdict}"
        print(line)
    count = len(files)
    for name, tally in tallies.items():
        print(f"{name:26s}: {100 * tally['pass'] / count:5.1f}% compliant ({tally['pass']}/{count}; "
              f"{tally['fail']} not, {tally['error']} errors), {tally['cpu'] / count:.2f} CPU s / "
              f"{tally['wall'] / count:.2f} wall s per file")
        if left_by[name]:
            print("    most frequent remaining rules: " + ", ".join(f"{k} x{v}" for k, v in left_by[name].most_common(8)))
    if diffs:
        print(f"page 1 before/after printgate's conversion, mean |difference| (0-255) at 50 dpi: "
              f"median {sorted(diffs)[len(diffs) // 2]:.2f}, worst {max(diffs):.2f}")
    print("(every output judged by printgate's validator; printgate's time includes its own re-validation; "
          "CPU s include child processes such as Ghostscript)")
    if not args.keep:
        shutil.rmtree(out_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
