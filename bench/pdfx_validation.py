"""PDF/X-1a, -3 and -4 conformance checking over a set of real PDFs, beside ``qpdf --check`` in the same run.

    .venv/bin/python bench/pdfx_validation.py [DIR] [--limit N] [--flavours pdfx-1a,pdfx-3,pdfx-4]

DIR (searched recursively for *.pdf) defaults to TeX Live documentation unpacked under /tmp; to make
such a set:

    cd /tmp && apt-get download texlive-latex-recommended-doc texlive-pictures-doc && \\
        for d in texlive-*-doc_*.deb; do dpkg -x "$d" /tmp/texdocs; done

Prints files/s for one process (every flavour asked, one ``validate_file`` call per file), CPU seconds
beside wall time, the verdicts (compliant / not / cannot validate / crash) and the clauses failed most,
then the same for ``qpdf --check`` on the same files (the timing peer: no PDF/X validator is installed;
qpdf only parses and checks structure, so it is a floor, not an equal). Benchmark, not test: nothing
asserts.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

DEFAULT_DIRS = (Path("/tmp/texdocs"), Path("/tmp/pdfa-texdocs"))


def _cpu(who: int) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def run_printgate(files: list[Path], flavours: list[str]) -> tuple[float, float, Counter[str], Counter[str]]:
    from printgate.core.validation import CannotValidate, validate_file

    verdicts: Counter[str] = Counter()
    clauses: Counter[str] = Counter()
    cpu0, t0 = _cpu(resource.RUSAGE_SELF), time.perf_counter()
    for path in files:
        try:
            report = validate_file(path, flavours)
        except CannotValidate:
            verdicts["cannot validate"] += 1
            continue
        except Exception as exc:  # a crash is a defect: count it and say which file
            verdicts["crash"] += 1
            print(f"  CRASH {path}: {type(exc).__name__}: {exc}", file=sys.stderr)
            continue
        for prof in report["profiles"]:
            verdicts[f"{prof['flavour']} {'compliant' if prof['compliant'] else 'not compliant'}"] += 1
            for f in prof["failures"]:
                clauses[f"{prof['flavour']} {f['clause']}-{f['testNumber']}"] += 1
    return time.perf_counter() - t0, _cpu(resource.RUSAGE_SELF) - cpu0, verdicts, clauses


def run_qpdf(files: list[Path]) -> tuple[float, float, int] | None:
    qpdf = shutil.which("qpdf")
    if qpdf is None:
        return None
    errors = 0
    cpu0, t0 = _cpu(resource.RUSAGE_CHILDREN), time.perf_counter()
    for path in files:
        done = subprocess.run([qpdf, "--check", str(path)], capture_output=True, check=False)
        errors += done.returncode not in (0, 3)  # 3: warnings only
    return time.perf_counter() - t0, _cpu(resource.RUSAGE_CHILDREN) - cpu0, errors


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir", nargs="?", type=Path)
    ap.add_argument("--limit", type=int, default=0, help="at most N files (0: all)")
    ap.add_argument("--flavours", default="pdfx-1a,pdfx-3,pdfx-4")
    args = ap.parse_args(argv)
    folder = args.dir or next((d for d in DEFAULT_DIRS if d.is_dir()), None)
    if folder is None or not folder.is_dir():
        print("no PDF folder: give DIR (see --help for making one from TeX Live docs)", file=sys.stderr)
        return 2
    files = sorted(folder.rglob("*.pdf"))[: args.limit or None]
    flavours = [f.strip() for f in args.flavours.split(",") if f.strip()]
    size = sum(p.stat().st_size for p in files)
    print(f"{len(files)} PDFs, {size / 1e6:.1f} MB, from {folder}; flavours {', '.join(flavours)}")

    wall, cpu, verdicts, clauses = run_printgate(files, flavours)
    print(f"printgate validate (1 process): {len(files) / wall:6.1f} files/s   wall {wall:6.2f} s   "
          f"CPU {cpu:6.2f} s   ({len(files) / cpu:.1f} files per CPU-second)")
    for verdict, n in sorted(verdicts.items()):
        print(f"    {verdict:32s} {n}")
    print("    clauses failed most: " + ", ".join(f"{c} ({n})" for c, n in clauses.most_common(8)))
    peer = run_qpdf(files)
    if peer is None:
        print("qpdf --check: qpdf is not installed (apt-get install qpdf)")
    else:
        q_wall, q_cpu, q_err = peer
        print(f"qpdf --check (peer):            {len(files) / q_wall:6.1f} files/s   wall {q_wall:6.2f} s   "
              f"CPU {q_cpu:6.2f} s   ({q_err} files with errors)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
