"""Peak memory and time of validating real files of different page counts, beside ``qpdf --check``.

    .venv/bin/python bench/validation_memory.py FILE.pdf [FILE.pdf ...] [--flavour pdfa-2b] [--repeat 3]

Real-world files, e.g. the TeX Live documentation::

    apt-get download texlive-latex-base-doc && dpkg -x texlive-latex-base-doc_*.deb /tmp/texdocs
    .venv/bin/python bench/validation_memory.py \\
        /tmp/texdocs/usr/share/doc/texlive-doc/latex/base/clsguide.pdf \\
        /tmp/texdocs/usr/share/doc/texlive-doc/latex/l3kernel/interface3.pdf

Each validation runs in a fresh interpreter under ``/usr/bin/time`` (a child of this process would
inherit its high-water mark), so the peak RSS is that of validating one file. Printed per file:
pages, indirect objects, peak RSS, CPU seconds (user + system) and wall seconds, and the same for
``qpdf --check`` in the same run; then the peak of the interpreter with the validator merely imported
(the floor every file pays) and the ratio of the largest file's peak to the smallest's. The machine is
shared: CPU seconds are the steady figure, wall time moves with the load. Nothing here asserts.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

VALIDATE = ("import sys; sys.path.insert(0, {src!r})\n"
            "from printgate.core.validation import validate_file\n"
            "validate_file(sys.argv[1], [sys.argv[2]])")
IMPORT_ONLY = ("import sys; sys.path.insert(0, {src!r})\n"
               "import printgate.core.validation, lxml.etree, fontTools.ttLib, fontTools.cffLib")


def measure(cmd: list[str]) -> tuple[float, float, float]:
    """(peak RSS MB, CPU s, wall s) of one command in its own process."""
    out = subprocess.run(["/usr/bin/time", "-f", "PEAK %M %U %S %e", *cmd], capture_output=True, text=True,
                         check=False)
    line = next((ln for ln in out.stderr.splitlines() if ln.startswith("PEAK ")), "PEAK 0 0 0 0")
    kb, user, system, wall = line.split()[1:]
    return int(kb) / 1024, float(user) + float(system), float(wall)


def best(cmd: list[str], repeat: int) -> tuple[float, float, float]:
    """The run with the least CPU of ``repeat`` (peak RSS does not move between runs; CPU and wall do)."""
    return min((measure(cmd) for _ in range(repeat)), key=lambda r: r[1])


def shape(path: Path) -> tuple[int, int]:
    import pikepdf

    with pikepdf.open(path) as pdf:
        return len(pdf.pages), len(pdf.objects)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--flavour", default="pdfa-2b")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    if not shutil.which("/usr/bin/time"):
        sys.exit("needs /usr/bin/time (apt-get install time)")
    src = str(ROOT / "src")
    floor = best([sys.executable, "-c", IMPORT_ONLY.format(src=src)], args.repeat)[0]
    print(f"floor: the interpreter with the validator imported peaks at {floor:.1f} MB")
    rows = []
    for path in args.files:
        pages, objects = shape(path)
        rss, cpu, wall = best([sys.executable, "-c", VALIDATE.format(src=src), str(path), args.flavour], args.repeat)
        line = (f"{path.name}: {pages} pages, {objects} objects | printgate validate {args.flavour}: "
                f"peak {rss:.1f} MB, {cpu:.2f} CPU s, {wall:.2f} s wall, {1 / max(cpu, 1e-6):.2f} files/CPU-s")
        if shutil.which("qpdf"):
            qrss, qcpu, qwall = best(["qpdf", "--check", str(path)], args.repeat)
            line += f" | peer qpdf --check: peak {qrss:.1f} MB, {qcpu:.2f} CPU s, {qwall:.2f} s wall"
        print(line)
        rows.append((pages, rss))
    if len(rows) > 1:
        (small_pages, small), (large_pages, large) = min(rows), max(rows)
        print(f"peak RSS {large_pages} pages / {small_pages} pages: {large / small:.2f}x "
              f"({large - floor:+.1f} MB and {small - floor:+.1f} MB over the floor)")


if __name__ == "__main__":
    main()
