"""The preflight's content-stream tokenizer alone, on every content stream of the preflight bench's
real files: the compiled one (``_scan.c``) beside the pure-Python one and qpdf's own tokenizer
(``pikepdf.parse_content_stream``, the peer: what the walker would parse with otherwise), issue 17.

The streams are each page's content (as the walker reads it) and every form and tiling pattern
stream of ``preflight_speed.py``'s files (``--files``, the same pick; ``--dir`` for another
folder). Each tokenizer reads all of them ``--repeat`` times; the table shows the fastest wall
time and the CPU seconds of that run (this process's user+sys), which move far less with load.

``--findings`` also runs the whole preflight on each file with the compiled tokenizer and with the
pure-Python one and says whether the two reports' findings are byte-identical.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import load_average, machine, now_utc, save_results
from preflight_speed import pick_files


def content_streams(path: Path) -> Iterator[bytes]:
    """Each page's content and every form and tiling pattern stream of ``path``."""
    import pikepdf

    from printgate.core.preflight.pdf.streams import page_content_bytes

    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            yield page_content_bytes(page.obj)
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Stream) and (obj.get("/Subtype") == "/Form" or obj.get("/PatternType") == 1):
                yield obj.read_bytes()


def measure(fn: Callable[[bytes], Any], streams: list[bytes], repeat: int) -> dict[str, float]:
    """The fastest of ``repeat`` passes over all streams (wall s) and that pass's CPU s."""
    best: tuple[float, float] | None = None
    for _ in range(repeat):
        gc.collect()
        w0, c0 = time.perf_counter(), time.process_time()
        for data in streams:
            fn(data)
        run = (time.perf_counter() - w0, time.process_time() - c0)
        if best is None or run[0] < best[0]:
            best = run
    assert best is not None
    return {"wall_s": best[0], "cpu_s": best[1]}


def qpdf_tokenizer() -> Callable[[bytes], Any]:
    import pikepdf

    pdf = pikepdf.new()
    return lambda data: pikepdf.parse_content_stream(pikepdf.Stream(pdf, data))


def findings_identical(paths: list[Path]) -> list[tuple[str, bool]]:
    """Whether each file's findings are the same bytes with either tokenizer."""
    from printgate.core.preflight import content, run_preflight

    compiled = content.compiled()
    out = []
    for path in paths:
        reports = []
        for module in (compiled, None):
            content.COMPILED = module
            report = run_preflight(path, None, source_name=path.name, workers=1)
            reports.append(json.dumps(report["evaluation"]["findings"], sort_keys=True).encode())
        content.COMPILED = compiled
        out.append((path.name, reports[0] == reports[1]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=10, help="how many texlive PDFs (preflight_speed.py's pick)")
    ap.add_argument("--repeat", type=int, default=3, help="passes per tokenizer (fastest wall kept)")
    ap.add_argument("--dir", type=Path, help="pick the PDFs from this folder instead of the texlive download")
    ap.add_argument("--findings", action="store_true", help="also compare whole-preflight findings")
    args = ap.parse_args()

    from printgate.core.preflight import content

    compiled = content.load_compiled()
    if compiled is None:
        sys.exit("the compiled tokenizer is not built (pip install -e . needs a C compiler)")
    print(f"# preflight_tokenizer  {now_utc()}  {machine()}  load {load_average()}")
    files = pick_files(args.files, root=args.dir)
    streams = [data for _, path in files for data in content_streams(path)]
    size = sum(map(len, streams))
    print(f"# {len(files)} PDFs, {sum(c for c, _ in files)} pages, {len(streams)} content streams, "
          f"{size / 1e6:.1f} MB; best of {args.repeat} (wall s), CPU s of that pass\n")
    rows: dict[str, dict[str, float]] = {}
    for label, fn in (
        ("compiled scan_ops (walker)", lambda d: compiled.scan_ops(d, True)),
        ("python scan_ops (walker)", lambda d: content.pure_scan_ops(d, True)),
        ("compiled fast_parse", compiled.fast_parse),
        ("python fast_parse", content.pure_fast_parse),
        ("qpdf parse_content_stream", qpdf_tokenizer()),
    ):
        rows[label] = row = measure(fn, streams, args.repeat)
        print(f"{label:<28} wall {row['wall_s']:>7.3f} s  CPU {row['cpu_s']:>7.3f} s  "
              f"{size / 1e6 / row['cpu_s']:>6.1f} MB/CPU-s", flush=True)
    ours, py, qpdf = (rows[k]["cpu_s"] for k in ("compiled scan_ops (walker)", "python scan_ops (walker)",
                                                 "qpdf parse_content_stream"))
    print(f"\ncompiled scan_ops: {py / ours:.1f}x the pure-Python one, {qpdf / ours:.1f}x qpdf's tokenizer (CPU s)")
    same: list[tuple[str, bool]] = []
    if args.findings:
        same = findings_identical([p for _, p in files])
        print("\nfindings byte-identical (compiled vs pure Python):")
        for name, ok in same:
            print(f"  {name:<32} {'yes' if ok else 'NO'}")
    print(f"\nload average now: {Path('/proc/loadavg').read_text().split()[:3]}")
    print("results:", save_results("preflight_tokenizer", {"streams": len(streams), "bytes": size, "rows": rows,
                                                           "findings_identical": dict(same)}))


if __name__ == "__main__":
    main()
