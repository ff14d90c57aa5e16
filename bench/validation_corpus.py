"""PDF/A and PDF/UA validation against a corpus with expected verdicts (veraPDF's test corpus layout).

    .venv/bin/python bench/validation_corpus.py CORPUS_DIR [--processes 1,2] [--limit N] [--show-disagreements]
        [--memory SMALL.pdf LARGE.pdf]

CORPUS_DIR holds MANIFEST.tsv (path, standard, clause, test_id, expected pass/fail, bytes). Prints the
agreement overall, per flavour and per clause; files/s with 1 and 2 processes, CPU seconds beside wall
time; and, as the timing peer (veraPDF is not installed), ``qpdf --check`` over the same files in the
same run. ``--memory`` prints the peak RSS of validating a small and a large real file in a fresh
process each. Benchmarks, not tests: nothing here asserts.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

FLAVOUR = {"PDFA-1B": "pdfa-1b", "PDFA-2B": "pdfa-2b", "PDFA-4": "pdfa-4", "PDFUA-1": "pdfua-1",
           "PDFUA-2": "pdfua-2", "PDFA-1A": "pdfa-1a", "PDFA-2A": "pdfa-2a", "PDFA-2U": "pdfa-2u",
           "PDFA-3B": "pdfa-3b", "PDFA-4F": "pdfa-4f", "PDFA-4E": "pdfa-4e"}


def _one(args: tuple[str, str]) -> tuple[str, str, str]:
    from printgate.core.validation import CannotValidate, validate_file

    path, flavour = args
    try:
        report = validate_file(path, [flavour])
    except CannotValidate as exc:
        return path, "fail", exc.reason
    except Exception as exc:
        return path, "crash", f"{type(exc).__name__}: {exc}"
    prof = report["profiles"][0]
    why = "; ".join(f"{f['clause']}-{f['testNumber']} x{f['count']} @ {f['location']}" for f in prof["failures"][:4])
    return path, "pass" if report["compliant"] else "fail", why


def _run(jobs: list[tuple[str, str]], processes: int) -> tuple[list[tuple[str, str, str]], float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN if processes > 1 else resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    if processes == 1:
        results = [_one(j) for j in jobs]
    else:
        with ProcessPoolExecutor(processes) as pool:
            results = list(pool.map(_one, jobs, chunksize=8))
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN if processes > 1 else resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return results, wall, cpu


def _qpdf(paths: list[str]) -> tuple[float, float] | None:
    if not shutil.which("qpdf"):
        return None
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    for p in paths:
        subprocess.run(["qpdf", "--check", p], capture_output=True, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _peak(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of a command, measured by /usr/bin/time in its own process: a child
    forked from this (large) bench process would inherit its high-water mark."""
    t0 = time.perf_counter()
    out = subprocess.run(["/usr/bin/time", "-f", "PEAK %M", *cmd], capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    peak = next((int(line.split()[1]) for line in out.stderr.splitlines() if line.startswith("PEAK ")), 0)
    return wall, peak / 1024


def _memory(path: str) -> tuple[float, float]:
    code = ("import sys; sys.path.insert(0, {!r})\n"
            "from printgate.core.validation import validate_file\n"
            "validate_file(sys.argv[1], ['pdfa-2b'])").format(str(ROOT / "src"))
    return _peak([sys.executable, "-c", code, path])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--processes", default="1,2")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--show-disagreements", action="store_true")
    ap.add_argument("--memory", nargs=2, metavar=("SMALL", "LARGE"))
    args = ap.parse_args()

    rows = list(csv.DictReader((args.corpus / "MANIFEST.tsv").open(), delimiter="\t"))
    if args.limit:
        rows = rows[:args.limit]
    jobs = [(str(args.corpus / r["path"]), FLAVOUR[r["standard"]]) for r in rows]
    expected = {str(args.corpus / r["path"]): r for r in rows}
    print(f"corpus: {args.corpus} ({len(rows)} files), cpus: {os.cpu_count()}")

    results: list[tuple[str, str, str]] = []
    for n in [int(p) for p in args.processes.split(",")]:
        results, wall, cpu = _run(jobs, n)
        print(f"printgate validate, {n} process(es): {len(jobs)} files in {wall:.2f} s wall, {cpu:.2f} s CPU "
              f"-> {len(jobs) / wall:.1f} files/s")
    peer = _qpdf([j[0] for j in jobs])
    if peer:
        print(f"peer qpdf --check (structure only), 1 process: {peer[0]:.2f} s wall, {peer[1]:.2f} s CPU "
              f"-> {len(jobs) / peer[0]:.1f} files/s")

    per_std: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    per_clause: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    agree = 0
    bad = []
    for path, verdict, why in results:
        row = expected[path]
        ok = verdict == row["expected"]
        agree += ok
        for bucket in (per_std[row["standard"]], per_clause[(row["standard"], row["clause"])]):
            bucket[0] += ok
            bucket[1] += 1
        if not ok:
            bad.append((row["test_id"], row["standard"], row["expected"], verdict, why))
    print(f"\nagreement: {agree}/{len(results)} = {100 * agree / max(len(results), 1):.2f}%")
    for std, (a, n) in sorted(per_std.items()):
        print(f"  {std:8} {a:4}/{n:<4} {100 * a / n:6.2f}%")
    print("per clause (only those below 100%):")
    for (std, clause), (a, n) in sorted(per_clause.items()):
        if a < n:
            print(f"  {std:8} {clause:12} {a:3}/{n:<3} {100 * a / n:6.2f}%")
    if args.show_disagreements:
        for b in bad:
            print("  DISAGREE", *b)
    if args.memory and shutil.which("/usr/bin/time"):
        base = _peak([sys.executable, "-c", "import sys; sys.path.insert(0, {!r}); "
                      "import printgate.core.validation, lxml.etree, fontTools.ttLib, fontTools.cffLib".format(str(ROOT / "src"))])[1]
        print(f"memory: the interpreter with the validator imported peaks at {base:.0f} MB")
        for label, p in zip(("small", "large"), args.memory, strict=True):
            secs, rss = _memory(p)
            line = f"memory {label}: {p}: {secs:.2f} s wall, peak RSS {rss:.0f} MB"
            if shutil.which("qpdf"):
                qsecs, qrss = _peak(["qpdf", "--check", p])
                line += f" | peer qpdf --check {qsecs:.2f} s, {qrss:.0f} MB"
            print(line)


if __name__ == "__main__":
    main()
