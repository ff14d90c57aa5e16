"""``printgate check`` from the command line, beside Ghostscript and qpdf in the same run (issue 17).

Two figures, each printed with wall and CPU seconds (the machine is shared; CPU moves less):

* a 1-page PDF: ``printgate check one.pdf`` as a whole process (imports included), p50 over
  ``--repeat`` runs, beside ``gs -sDEVICE=nullpage`` and ``qpdf --check`` on the same file;
* a folder of real files (TeX Live manuals picked by ``bench/preflight_speed.py``, 10 by default):
  ``printgate check -j 2 FILES...`` once, beside Ghostscript and qpdf looping over the same files.

Aims: a 1-page check under 0.3 s; a folder within reach of the peers' loops.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import CLI, make_pdf
from preflight_speed import Run, pick_files, run_tool


def _gs(path: Path) -> list[str]:
    return ["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=nullpage", str(path)]


def _row(name: str, runs: list[Run]) -> str:
    wall = statistics.median(r.wall_s for r in runs)
    cpu = statistics.median(r.cpu_s for r in runs)
    return f"{name:34} {wall:8.3f} s wall {cpu:8.3f} s CPU"


def one_page(repeat: int, data_dir: Path) -> None:
    pdf = make_pdf(data_dir / "one.pdf", pages=1)
    print(f"1-page PDF ({pdf.stat().st_size} bytes), median of {repeat} whole-process runs:")
    cases = {
        "printgate check": [*CLI, "check", str(pdf), "--data-dir", str(data_dir / "d")],
        "gs nullpage": _gs(pdf),
        "qpdf --check": ["qpdf", "--check", str(pdf)],
    }
    for name, argv in cases.items():
        run_tool(argv)  # warm the page cache
        print("  " + _row(name, [run_tool(argv) for _ in range(repeat)]))


def folder(count: int, jobs: int, data_dir: Path) -> None:
    picked = pick_files(count)
    files = [path for _, path in picked]
    print(f"\n{len(files)} real files (TeX Live docs), one run each:")
    ours = run_tool([*CLI, "check", "-j", str(jobs), *map(str, files), "--data-dir", str(data_dir / "d")],
                    timeout_s=3600)
    gs = [run_tool(_gs(f), timeout_s=600) for f in files]
    qpdf = [run_tool(["qpdf", "--check", str(f)], timeout_s=600) for f in files]
    print(f"  ({sum(n for n, _ in picked)} pages)")
    print(f"  {'printgate check -j ' + str(jobs):34} {ours.wall_s:8.2f} s wall {ours.cpu_s:8.2f} s CPU")
    print(f"  {'gs nullpage, looped':34} {sum(r.wall_s for r in gs):8.2f} s wall {sum(r.cpu_s for r in gs):8.2f} s CPU")
    print(f"  {'qpdf --check, looped':34} {sum(r.wall_s for r in qpdf):8.2f} s wall "
          f"{sum(r.cpu_s for r in qpdf):8.2f} s CPU")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--skip-folder", action="store_true", help="only the 1-page figure")
    args = parser.parse_args()
    for tool in ("gs", "qpdf"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed (scripts/setup installs it)")
    with tempfile.TemporaryDirectory(prefix="pg-cli-bench-") as tmp:
        one_page(args.repeat, Path(tmp))
        if not args.skip_folder:
            folder(args.files, args.jobs, Path(tmp))


if __name__ == "__main__":
    main()
