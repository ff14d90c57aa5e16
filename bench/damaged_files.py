"""Damaged and hostile PDFs: printgate's open + damage assessment beside ``qpdf --check`` and
Ghostscript on the same files (issue 11, hole 2).

For every PDF under the folder given (recursively), plus, with ``--damage N``, six damaged
variants of N of them written to a temp dir (cut to a third, xref/trailer cut off, /Root removed
from the trailer, 16 bytes overwritten in a page's Flate content stream, that stream's data cut in
half, that stream declared /BrotliDecode):

* printgate: ``run_preflight`` with a profile of the ``structure_integrity`` check alone (so the
  open, the reconstruction of a damaged file, the loss assessment and the content-stream pass run,
  the other checks and the ink rendering don't), in a forked child (a crash or hang is counted);
  verdict ``pass`` / ``repaired`` (lossless repair, warn) / ``damaged`` (parser warnings, warn) /
  ``lost`` (content lost, reject) / ``compression`` (unsupported filter, reject) / ``unreadable``;
* ``qpdf --check``: ``ok`` (exit 0), ``warnings`` (3), ``errors`` (2);
* ``gs -q -o /dev/null -dSAFER -sDEVICE=nullpage``: ``ok`` (silent), ``warn`` (exit 0 with notes,
  e.g. "ignoring zlib error"), ``errors`` (exit 0 but prints ``**** Error``), ``error`` (non-zero
  exit or no pages).

Prints per-tool verdict counts with wall and CPU seconds (user+system of the child), agreement on
"refuse" (printgate lost/compression/unreadable; qpdf errors; Ghostscript errors/error), and the
files they disagree on. A benchmark, not a test: nothing is asserted.

    .venv/bin/python bench/damaged_files.py FOLDER [--limit N] [--damage N] [--timeout S]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import load_average, machine, now_utc, save_results
from preflight_detection import in_child
from preflight_speed import run_tool

GS = ["gs", "-q", "-o", "/dev/null", "-dSAFER", "-sDEVICE=nullpage"]
QPDF = ["qpdf", "--check"]
STRUCTURE_ONLY = {"kind": "pdf", "checks": {"structure_integrity": {"action": "autofix"}}}
REFUSED = {"printgate": {"lost", "compression", "unreadable", "crash", "timeout"},
           "qpdf": {"errors"}, "gs": {"errors", "error"}}


# --- damaged variants ----------------------------------------------------------------------------

def _first_content(pdf: Any) -> Any:
    import pikepdf

    for page in pdf.pages:
        contents = page.obj.get("/Contents")
        stream = contents[0] if isinstance(contents, pikepdf.Array) and len(contents) else contents
        if isinstance(stream, pikepdf.Stream) and str(stream.get("/Filter")) == "/FlateDecode":
            return stream
    return None


def _rewrite_content(src: Path, dst: Path, change: Callable[[Any], None]) -> Path | None:
    import pikepdf

    with pikepdf.open(src) as pdf:
        stream = _first_content(pdf)
        if stream is None:
            return None
        change(stream)
        pdf.save(dst, stream_decode_level=pikepdf.StreamDecodeLevel.none, compress_streams=False)
    return dst


def _corrupt(stream: Any) -> None:
    import pikepdf

    raw = bytearray(stream.read_raw_bytes())
    mid = len(raw) // 2
    raw[mid: mid + 16] = bytes(b ^ 0xFF for b in raw[mid: mid + 16])
    stream.write(bytes(raw), filter=pikepdf.Name.FlateDecode)


def _cut(stream: Any) -> None:
    import pikepdf

    raw = stream.read_raw_bytes()
    stream.write(raw[: len(raw) // 2], filter=pikepdf.Name.FlateDecode)


def _brotli(stream: Any) -> None:
    import pikepdf

    stream.write(zlib.compress(stream.read_bytes())[:64], filter=pikepdf.Name("/BrotliDecode"))


def damaged_variants(src: Path, out: Path) -> list[Path]:
    """Six damaged copies of ``src`` (the ones that apply to it)."""
    data = src.read_bytes()
    made: list[Path] = []

    def write(kind: str, content: bytes) -> None:
        path = out / f"{src.stem}.{kind}.pdf"
        path.write_bytes(content)
        made.append(path)

    write("third", data[: len(data) // 3])
    xref = data.rfind(b"\nxref\n")
    if xref < 0:  # a cross-reference stream: cut from the line of its "N 0 obj" on
        at = data.rfind(b"/XRef")
        obj = data.rfind(b" obj", 0, at) if at > 0 else -1
        xref = data.rfind(b"\n", 0, obj) if obj > 0 else -1
    if xref > 0:
        write("notrailer", data[: xref + 1])
    roots = list(re.finditer(rb"/Root\s*\d+\s+\d+\s+R", data))
    if roots:
        m = roots[-1]
        write("noroot", data[: m.start()] + b" " * (m.end() - m.start()) + data[m.end():])
    for kind, change in (("badflate", _corrupt), ("cutflate", _cut), ("brotli", _brotli)):
        try:
            path = _rewrite_content(src, out / f"{src.stem}.{kind}.pdf", change)
        except Exception:
            path = None
        if path is not None:
            made.append(path)
    return made


# --- the tools -----------------------------------------------------------------------------------

def printgate_verdict(path: Path) -> tuple[str, str]:
    from printgate.core.errors import UnreadableFile
    from printgate.core.preflight import run_preflight

    try:
        report = run_preflight(path, STRUCTURE_ONLY, source_name=path.name, workers=1)
    except UnreadableFile as exc:
        return "unreadable", exc.reason[:120]
    rules = {f["ruleId"]: f for f in report["evaluation"]["findings"]}
    if "compression_unsupported" in rules:
        return "compression", ", ".join(rules["compression_unsupported"].get("measured_filters") or [])
    if "content_lost" in rules:
        return "lost", "; ".join(rules["content_lost"].get("lost") or [])[:160]
    if "structure_repaired" in rules:
        return "repaired", str((report["pdf"]["repair"] or {}).get("tool"))
    if "structure_damaged" in rules:
        return "damaged", "; ".join(rules["structure_damaged"].get("problems") or [])[:160]
    return "pass", ""


def gs_verdict(out: str, rc: int) -> str:
    """With ``-q`` Ghostscript prints nothing for a sound file; anything it says is a note."""
    if rc != 0 or "No pages will be processed" in out:
        return "error"
    if "**** Error" in out:
        return "errors"
    return "warn" if out.strip() else "ok"


def run_all(files: Sequence[Path], timeout_s: float) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for i, path in enumerate(files, 1):
        row: dict[str, Any] = {"file": str(path)}
        pg = in_child(lambda p=path: printgate_verdict(p), timeout_s=timeout_s)  # type: ignore[misc]
        if pg["status"] == "ok":
            row["printgate"], row["printgate_detail"] = pg["value"]
        else:
            row["printgate"] = pg["status"] if pg["status"] in ("crash", "timeout") else "crash"
            row["printgate_detail"] = str(pg["value"])[:160]
        row["printgate_s"] = (pg["wall_s"], pg["cpu_s"])
        q = run_tool([*QPDF, str(path)], timeout_s=timeout_s)
        row["qpdf"] = {0: "ok", 2: "errors", 3: "warnings"}.get(q.rc, f"rc {q.rc}")
        row["qpdf_s"] = (q.wall_s, q.cpu_s)
        g = run_tool([*GS, str(path)], timeout_s=timeout_s)
        row["gs"] = gs_verdict(g.stderr, g.rc)
        row["gs_s"] = (g.wall_s, g.cpu_s)
        rows.append(row)
        if i % 25 == 0:
            print(f"  {i}/{len(files)} files", flush=True)
    return rows


# --- the report ----------------------------------------------------------------------------------

def report(rows: list[dict[str, Any]], show: int) -> dict[str, Any]:
    out: dict[str, Any] = {"tools": {}, "agreement": {}}
    print(f"\n{'tool':10s} {'wall s':>8s} {'cpu s':>8s}  verdicts")
    for tool in ("printgate", "qpdf", "gs"):
        counts = Counter(r[tool] for r in rows)
        wall = sum(r[f"{tool}_s"][0] for r in rows)
        cpu = sum(r[f"{tool}_s"][1] for r in rows)
        out["tools"][tool] = {"counts": dict(counts), "wall_s": round(wall, 2), "cpu_s": round(cpu, 2)}
        print(f"{tool:10s} {wall:8.1f} {cpu:8.1f}  " + "  ".join(f"{k} {v}" for k, v in counts.most_common()))
    per = Counter[str]()
    cpu_by = Counter[str]()
    for r in rows:
        per[r["printgate"]] += 1
        cpu_by[r["printgate"]] += r["printgate_s"][1]
    print("printgate CPU per file by verdict: " + ", ".join(
        f"{k} {1000 * cpu_by[k] / per[k]:.0f} ms" for k, _ in per.most_common()))
    refuse = {t: [r[t] in REFUSED[t] for r in rows] for t in REFUSED}
    print("\nagreement on refuse (printgate lost/compression/unreadable; qpdf errors; gs errors/error):")
    pairs = (("printgate", "qpdf"), ("printgate", "gs"), ("qpdf", "gs"))
    for a, b in pairs:
        same = sum(x == y for x, y in zip(refuse[a], refuse[b], strict=True))
        both = sum(x and y for x, y in zip(refuse[a], refuse[b], strict=True))
        only_a = sum(x and not y for x, y in zip(refuse[a], refuse[b], strict=True))
        only_b = sum(y and not x for x, y in zip(refuse[a], refuse[b], strict=True))
        out["agreement"][f"{a}-{b}"] = {"agree": same, "both_refuse": both, f"only_{a}": only_a, f"only_{b}": only_b}
        print(f"  {a} vs {b}: {same}/{len(rows)} ({100 * same / max(len(rows), 1):.1f}%)  both refuse {both}, "
              f"only {a} {only_a}, only {b} {only_b}")
    both_tools = [r for r in rows if r["qpdf"] in REFUSED["qpdf"] and r["gs"] in REFUSED["gs"]]
    caught = sum(r["printgate"] in REFUSED["printgate"] for r in both_tools)
    print(f"  files both qpdf and gs refuse: {len(both_tools)}, printgate refuses {caught} of them")
    odd = [r for r in rows if (r["printgate"] in REFUSED["printgate"]) != (r["qpdf"] in REFUSED["qpdf"]
                                                                        or r["gs"] in REFUSED["gs"])]
    if odd:
        print(f"\nprintgate against qpdf-or-gs (first {show} of {len(odd)}):")
        for r in odd[:show]:
            print(f"  {Path(r['file']).name[:48]:48s} printgate {r['printgate']:11s} qpdf {r['qpdf']:8s} gs {r['gs']:6s} "
                  f"{r['printgate_detail'][:90]}")
    by_kind = Counter((Path(r["file"]).suffixes[-2][1:] if len(Path(r["file"]).suffixes) > 1 else "original",
                       r["printgate"]) for r in rows)
    print("\nprintgate verdict by variant: " + ", ".join(f"{k}/{v} {n}" for (k, v), n in sorted(by_kind.items())))
    return out


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", type=Path, help="PDFs to check (searched recursively)")
    ap.add_argument("--limit", type=int, default=0, help="at most this many PDFs from the folder (0: all)")
    ap.add_argument("--damage", type=int, default=0, help="add damaged variants of this many of them")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per file per tool")
    ap.add_argument("--show", type=int, default=20, help="disagreements to list")
    args = ap.parse_args(argv)

    from printgate.core.preflight import warm_up

    warm_up()  # children fork with PyMuPDF loaded, as a worker does
    files = sorted(args.folder.rglob("*.pdf"))
    if args.limit:
        step = max(1, len(files) // args.limit)
        files = files[::step][: args.limit]
    with tempfile.TemporaryDirectory(prefix="printgate-damaged-") as tmp:
        variants: list[Path] = []
        for src in files[: args.damage]:
            variants.extend(damaged_variants(src, Path(tmp)))
        all_files = files + variants
        print(f"damaged_files: {len(files)} PDFs from {args.folder} + {len(variants)} damaged variants; "
              f"{machine()}; load {load_average()}; {now_utc()}", flush=True)
        rows = run_all(all_files, args.timeout)
        summary = report(rows, args.show)
    print(f"load {load_average()}")
    path = save_results("damaged_files", {"folder": str(args.folder), "files": len(files),
                                          "variants": len(variants), **summary, "rows": rows})
    print(f"raw results: {path}")


if __name__ == "__main__":
    main()
