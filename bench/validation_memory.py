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

``--generate 30,300`` adds made-up files of those page counts (``tests/core/validation/memory_pdfs.py``:
every page with a font, image, form, ExtGState and link of its own, packed in object streams), so the
figure can be rerun without the TeX Live documentation; with ``--shared`` the pages share one font, image
and form and hold 20 links each, as a book's do (a large file is read in chunks: ``chunks.py``). ``--phases`` then shows, for each file, where the
peak grows (a fresh interpreter: open, content walk, cos walk, then each rule of the flavour in turn, the
steps that raised the peak by 0.5 MB or more): what a rule reads stays in libqpdf's object cache until the
file is closed, so the first step that reads an object pays for it. (The rules run one after another here, to
tell them apart; ``validate_file`` runs a large file's rules side by side over shared page chunks, ``shared_pass.py``.)
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

VALIDATE = ("import sys; sys.path.insert(0, {src!r})\n"
            "from printgate.core.validation import validate_file\n"
            "validate_file(sys.argv[1], [sys.argv[2]])")
# The peak (VmHWM: this process's own high-water mark, not one inherited from the bench) after each step.
PHASES = """import json, sys
sys.path.insert(0, {src!r})
from pathlib import Path
from printgate.core.validation.engine import claimed_flavours, open_document
from printgate.core.validation.flavours import FLAVOURS, RULES, normalise_flavour
from printgate.core.validation.rules.base import Context

def peak_kb():
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))

steps = [("validator imported", peak_kb())]
doc = open_document(Path(sys.argv[1]))
steps.append(("open (page tree)", peak_kb()))
key = normalise_flavour(sys.argv[2])
flavour = FLAVOURS[(claimed_flavours(doc) or ["pdfa-1b"])[0] if key == "auto" else key]
ctx = Context(doc, flavour.part, flavour.level)
ctx.content
steps.append(("content walk", peak_kb()))
doc.cos
steps.append(("cos walk", peak_kb()))
for rule_id in flavour.rule_ids:
    try:
        for _ in RULES[rule_id].check(ctx):
            pass
    except Exception:
        pass
    steps.append(("rule " + rule_id, peak_kb()))
print(json.dumps(steps))
"""
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


def phases(path: Path, flavour: str, src: str) -> list[tuple[str, float]]:
    """The steps of one validation that raised its peak by 0.5 MB or more: (step, MB added)."""
    out = subprocess.run([sys.executable, "-c", PHASES.format(src=src), str(path), flavour], capture_output=True,
                         text=True, check=False)
    if out.returncode:
        return [(f"failed: {out.stderr.strip().splitlines()[-1:]}", 0.0)]
    steps = json.loads(out.stdout)
    grown = [(name, (kb - steps[i - 1][1]) / 1024) for i, (name, kb) in enumerate(steps) if i]
    return [(name, mb) for name, mb in grown if mb >= 0.5]


def generate(counts: str, folder: Path, shared: bool = False) -> list[Path]:
    from tests.core.validation.memory_pdfs import many_page_pdf

    kind = "shared" if shared else "generated"
    return [many_page_pdf(folder / f"{kind}-{n}-pages.pdf", int(n), shared=shared)
            for n in counts.split(",") if n.strip()]


def shape(path: Path) -> tuple[int, int, int]:
    """Pages, indirect objects, and how many of those sit in object streams (libqpdf resolves such a stream
    whole: touching every page then loads nearly every object packed with them)."""
    import pikepdf

    with pikepdf.open(path) as pdf:
        packed = sum(1 for entry in pdf.get_xref_table().values() if entry.type == 2)
        return len(pdf.pages), len(pdf.get_xref_table()), packed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--flavour", default="pdfa-2b")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--generate", metavar="N,M", help="also made-up files of these page counts, e.g. 30,300")
    ap.add_argument("--shared", action="store_true",
                    help="with --generate: pages that share their resources and hold 20 links each, as a book's do")
    ap.add_argument("--phases", action="store_true", help="show which steps raise each file's peak")
    args = ap.parse_args()
    if not shutil.which("/usr/bin/time"):
        sys.exit("needs /usr/bin/time (apt-get install time)")
    with tempfile.TemporaryDirectory() as tmp:
        made = generate(args.generate, Path(tmp), args.shared) if args.generate else []
        if not args.files and not made:
            sys.exit("no files: name some, or --generate 30,300")
        floor = best([sys.executable, "-c", IMPORT_ONLY.format(src=str(ROOT / "src"))], args.repeat)[0]
        print(f"floor: the interpreter with the validator imported peaks at {floor:.1f} MB")
        for group in (args.files, made):
            if group:
                run(group, args, floor)


def run(files: list[Path], args: argparse.Namespace, floor: float) -> None:
    """Measure each file; with two files or more, the ratio of the largest one's peak to the smallest's."""
    src = str(ROOT / "src")
    rows = []
    for path in files:
        pages, objects, packed = shape(path)
        rss, cpu, wall = best([sys.executable, "-c", VALIDATE.format(src=src), str(path), args.flavour], args.repeat)
        line = (f"{path.name}: {pages} pages, {objects} objects ({packed} in object streams) | printgate validate {args.flavour}: "
                f"peak {rss:.1f} MB, {cpu:.2f} CPU s, {wall:.2f} s wall, {1 / max(cpu, 1e-6):.2f} files/CPU-s")
        if shutil.which("qpdf"):
            qrss, qcpu, qwall = best(["qpdf", "--check", str(path)], args.repeat)
            line += f" | peer qpdf --check: peak {qrss:.1f} MB, {qcpu:.2f} CPU s, {qwall:.2f} s wall"
        print(line)
        if args.phases:
            for step, mb in phases(path, args.flavour, src):
                print(f"    +{mb:5.1f} MB  {step}")
        rows.append((pages, rss))
    if len(rows) > 1:
        (small_pages, small), (large_pages, large) = min(rows), max(rows)
        print(f"peak RSS {large_pages} pages / {small_pages} pages: {large / small:.2f}x "
              f"({large - floor:+.1f} MB and {small - floor:+.1f} MB over the floor)")


if __name__ == "__main__":
    main()
