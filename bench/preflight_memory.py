"""Peak memory of a preflight: a ~300-page file against a 30-page one, beside Ghostscript (issue #3).

Each measurement is a fresh process (this script with ``--child``): it imports the engine, calls
``warm_up()``, records its resident set (the baseline: Python + pikepdf + PyMuPDF), runs
``run_preflight(path, None)`` and reports its peak RSS (``ru_maxrss``) and its worker children's
(the largest one; a forked worker's figure includes the pages it shares with its parent). With ``workers=1`` everything happens in that one process; with the default
(``None``: both cores from 48 pages) the parent and each forked worker are reported separately.

Files: the clean page of ``tests/preflight/pdfgen.make_pages`` x 30 and x 300 (every page holds an
image, so every page is rendered for ink coverage), and real text+graphics pages: texlive
documentation PDFs (set up by ``preflight_speed.py``) concatenated with pikepdf to 300 pages, and the
first 30 pages of that. Peers on the same files: ``gs -sDEVICE=nullpage`` and ``qpdf --check`` peak
RSS (``/usr/bin/time -f %M``). The aim: our peak does not grow with the page count.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import load_average, machine, now_utc, save_results
from preflight_speed import GS, QPDF, pick_files, run_tool


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def peer_peak_kb(argv: list[str]) -> int:
    """Peak RSS of a peer, measured by ``/usr/bin/time``: a child forked from this (large) Python
    process would report our RSS at fork time as its ``ru_maxrss``."""
    with tempfile.NamedTemporaryFile("r", suffix=".txt") as out:
        run_tool(["/usr/bin/time", "-f", "%M", "-o", out.name, *argv])
        return int(Path(out.name).read_text().split()[-1])


def child(path: Path, workers: int | None) -> None:
    from printgate.core.preflight import run_preflight, warm_up

    warm_up()
    baseline = _status_kb("VmRSS")
    report = run_preflight(path, None, source_name=path.name, workers=workers)
    print(json.dumps({
        "baseline_kb": baseline,
        # VmHWM: this process image's high-water mark (ru_maxrss would include the pre-exec parent's)
        "peak_kb": _status_kb("VmHWM"),
        "children_peak_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        "pages": len(report["pages"]), "outcome": report["outcome"],
    }))


def measure_ours(path: Path, workers: int | None) -> dict[str, object]:
    argv = [sys.executable, str(Path(__file__).resolve()), "--child", str(path)]
    if workers is not None:
        argv += ["--workers", str(workers)]
    out = subprocess.run(argv, capture_output=True, text=True, check=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def build_files(tmp: Path) -> list[tuple[str, Path]]:
    import pikepdf

    from tests.preflight.pdfgen import make_pages

    files = [("pdfgen clean x30", make_pages(tmp / "synthetic-30.pdf", 30)),
             ("pdfgen clean x300", make_pages(tmp / "synthetic-300.pdf", 300))]
    big = pikepdf.new()
    for _, src_path in pick_files(20):
        if len(big.pages) >= 300:
            break
        with pikepdf.open(src_path) as src:
            for page in src.pages:
                if len(big.pages) >= 300:
                    break
                big.pages.append(page)
    real300 = tmp / "texlive-300.pdf"
    big.save(real300)
    small = pikepdf.new()
    with pikepdf.open(real300) as src:
        for page in list(src.pages)[:30]:
            small.pages.append(page)
        small.save(tmp / "texlive-30.pdf")
    files += [("texlive concat x30", tmp / "texlive-30.pdf"), ("texlive concat x300", real300)]
    return files


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--workers", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.workers)
        return

    print(f"# preflight_memory  {now_utc()}  {machine()}  load {load_average()}")
    print("# peak RSS in MB (ru_maxrss); baseline = the child's RSS after imports + warm_up(), before the run\n")
    tmp = Path(tempfile.mkdtemp(prefix="printgate-memory-"))
    rows = []
    hdr = (f"{'file':<21} {'pages':>5} {'MB':>6} | {'ours w1':>7} {'(base)':>6} {'+run':>5} | "
           f"{'auto parent':>11} {'worker':>6} | {'gs':>6} {'qpdf':>6} | load")
    print(hdr)
    print("-" * len(hdr))
    for name, path in build_files(tmp):
        w1 = measure_ours(path, 1)
        auto = measure_ours(path, None)
        gs_kb = peer_peak_kb([*GS, str(path)])
        qpdf_kb = peer_peak_kb([*QPDF, str(path)])
        mb = 1 / 1024
        row = {"file": name, "pages": w1["pages"], "bytes": path.stat().st_size,
               "ours_w1_peak_mb": int(w1["peak_kb"]) * mb, "ours_w1_baseline_mb": int(w1["baseline_kb"]) * mb,  # type: ignore[call-overload]
               "ours_auto_parent_mb": int(auto["peak_kb"]) * mb,  # type: ignore[call-overload]
               "ours_auto_worker_mb": int(auto["children_peak_kb"]) * mb,  # type: ignore[call-overload]
               "gs_peak_mb": gs_kb * mb, "qpdf_peak_mb": qpdf_kb * mb, "load": load_average()}
        rows.append(row)
        print(f"{name:<21} {row['pages']:>5} {row['bytes'] / 1e6:>6.1f} | {row['ours_w1_peak_mb']:>7.0f} "
              f"{row['ours_w1_baseline_mb']:>6.0f} {row['ours_w1_peak_mb'] - row['ours_w1_baseline_mb']:>5.0f} | "
              f"{row['ours_auto_parent_mb']:>11.0f} {row['ours_auto_worker_mb'] or 0:>6.0f} | "
              f"{row['gs_peak_mb']:>6.0f} {row['qpdf_peak_mb']:>6.0f} | {row['load']}", flush=True)
    print("\ngrowth 30 -> 300 pages (peak ratio):")
    for small, big in ((rows[0], rows[1]), (rows[2], rows[3])):
        print(f"  {big['file'][:-5]:<16} ours w1 {big['ours_w1_peak_mb'] / small['ours_w1_peak_mb']:.2f}x "
              f"(+run {big['ours_w1_peak_mb'] - big['ours_w1_baseline_mb']:.0f} vs "
              f"{small['ours_w1_peak_mb'] - small['ours_w1_baseline_mb']:.0f} MB), "
              f"gs {big['gs_peak_mb'] / small['gs_peak_mb']:.2f}x, qpdf {big['qpdf_peak_mb'] / small['qpdf_peak_mb']:.2f}x")
    print(f"\nload average now: {Path('/proc/loadavg').read_text().split()[:3]}")
    print("results:", save_results("preflight_memory", {"rows": rows}))


if __name__ == "__main__":
    main()
