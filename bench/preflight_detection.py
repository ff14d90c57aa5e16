"""Preflight detection on a labelled defect set, false positives on clean controls, the autofix round
trip, and what Ghostscript and qpdf say about the same files (issue #3).

* Defects: one file per ``tests/preflight/pdfgen.DEFECTS`` ruleId, checked with the documented
  default profile (``prof_print_ready``) plus that defect's ``DEFECT_SETUP`` (checks merged over it,
  SDK context). Recall per check = was the expected ruleId found.
* Clean controls: ``make_clean`` (1 page), clean 8 pages, clean 60 pages (the parallel path, >= 48
  pages) and a clean CMYK JPEG (``make_raster``, raster defaults). Reject-level findings on them are
  false positives (aim: zero); warn-level ones are listed.
* Autofix round trip: for each found defect whose finding has an autofix strategy, ``run_autofix``
  with ``items=[ruleId]``, then ``run_preflight`` again with the same profile: fixed = ruleId gone.
  New reject findings the fix introduced are listed.
* Hostile inputs (``HOSTILE`` + ``HOSTILE_EXTRA``): each preflight runs in a forked child with a
  timeout, so a crash or hang is counted, not fatal.
* Peers on every file, same run: ``gs -sDEVICE=nullpage`` (exit code; ``warn`` when it exits 0 but
  prints repair messages) and ``qpdf --check`` (0 ok, 3 warnings, 2 errors): what a parser-level
  check catches, beside ours.
* ``--corpus /work/shared/corpus``: every file of veraPDF's corpus (``MANIFEST.tsv``): crashes,
  time per file, and whether our ``pdfa`` / ``pdfua`` detection names the part the corpus declares.
  Detection reads the declaration (XMP ``pdfaid`` / ``pdfuaid``); validating PDF/A or PDF/UA
  conformance is not implemented, so the corpus's pass/fail labels are not ours to predict.
"""

from __future__ import annotations

import argparse
import copy
import csv
import os
import pickle
import select
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import load_average, machine, now_utc, percentile, save_results
from preflight_speed import GS, QPDF, run_tool

# --- running things ------------------------------------------------------------------------------

def in_child(fn: Callable[[], Any], timeout_s: float = 180.0) -> dict[str, Any]:
    """``fn()`` in a forked child: {status: ok|error|crash|timeout, value, wall_s, cpu_s}."""
    r, w = os.pipe()
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # child
        os.close(r)
        try:
            try:
                payload: tuple[str, Any] = ("ok", fn())
            except BaseException as exc:
                payload = ("error", (type(exc).__name__, str(exc)[:300], traceback.format_exc()[-1500:]))
            data = pickle.dumps(payload)
        except BaseException as exc:
            data = pickle.dumps(("error", (type(exc).__name__, f"unpicklable result: {exc}", "")))
        with os.fdopen(w, "wb") as out:
            out.write(data)
        os._exit(0)
    os.close(w)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout_s
    timed_out = False
    with os.fdopen(r, "rb") as inp:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                os.kill(pid, 9)
                break
            ready, _, _ = select.select([inp], [], [], left)
            if ready:
                chunk = os.read(inp.fileno(), 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
    _, status, usage = os.wait4(pid, 0)
    out: dict[str, Any] = {"wall_s": time.perf_counter() - t0, "cpu_s": usage.ru_utime + usage.ru_stime,
                           "maxrss_kb": usage.ru_maxrss}
    if timed_out:
        out.update(status="timeout", value=None)
    elif not chunks:
        out.update(status="crash", value=f"exit status {status}")
    else:
        out["status"], out["value"] = pickle.loads(b"".join(chunks))
    return out


def gs_verdict(path: Path, timeout_s: float = 30.0) -> str:
    """``error (rc)``, ``errors`` (exit 0 but ``**** Error`` printed), ``warn`` (other ``****``), ``ok``."""
    if path.suffix != ".pdf":
        return "n/a"
    run = run_tool([*GS, str(path)], timeout_s=timeout_s)
    if run.rc != 0:
        return f"error ({run.rc})" if run.rc > 0 else f"timeout {timeout_s:.0f}s"
    if "**** Error" in run.stderr:
        return "errors"
    return "warn" if "****" in run.stderr else "ok"


def qpdf_verdict(path: Path) -> str:
    if path.suffix != ".pdf":
        return "n/a"
    run = run_tool([*QPDF, str(path)], timeout_s=30)
    return {0: "ok", 2: "errors", 3: "warnings"}.get(run.rc, f"rc {run.rc}")


def print_ready(overrides: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    from printgate.core.preflight import get_builtin_profile

    prof = copy.deepcopy(get_builtin_profile("prof_print_ready"))
    assert prof is not None
    for cid, ov in (overrides or {}).items():
        prof["checks"].setdefault(cid, {}).update(ov)
    return prof


def setup_for(rule_id: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    from tests.preflight.pdfgen import DEFECT_SETUP

    setup = DEFECT_SETUP.get(rule_id, {})
    return print_ready(setup.get("checks")), setup.get("context")


def findings(report: dict[str, Any], rule_id: str | None = None) -> list[dict[str, Any]]:
    return [f for f in report["evaluation"]["findings"] if rule_id is None or f["ruleId"] == rule_id]


def severities(report: dict[str, Any], level: str) -> Counter[str]:
    return Counter(f["ruleId"] for f in findings(report) if f["severity"] == level)


# --- the sections --------------------------------------------------------------------------------

def defects(tmp: Path, with_peers: bool) -> list[dict[str, Any]]:
    from printgate.core.preflight import run_preflight
    from tests.preflight.pdfgen import DEFECTS

    rows = []
    for rule_id, gen in DEFECTS.items():
        path = gen(tmp / f"defect-{rule_id}.pdf")
        profile, ctx = setup_for(rule_id)
        row: dict[str, Any] = {"ruleId": rule_id, "file": path.name}
        t0 = time.perf_counter()
        try:
            report = run_preflight(path, profile, source_name=path.name, context=ctx)
        except Exception as exc:
            row.update(found=False, error=f"{type(exc).__name__}: {exc}")
            rows.append(row)
            continue
        row["ms"] = 1000 * (time.perf_counter() - t0)
        hits = findings(report, rule_id)
        row.update(found=bool(hits), severity=sorted({f["severity"] for f in hits}),
                   checkId=hits[0]["checkId"] if hits else None,
                   autofix=hits[0]["autofix"]["strategy"] if hits and hits[0]["autofix"]["available"] else None,
                   other_rejects=sorted(set(severities(report, "reject")) - {rule_id}),
                   report=report, path=path, profile=profile, context=ctx)
        if with_peers:
            row.update(gs=gs_verdict(path), qpdf=qpdf_verdict(path))
        rows.append(row)
    return rows


def controls(tmp: Path, with_peers: bool) -> list[dict[str, Any]]:
    from printgate.core.preflight import run_preflight
    from tests.preflight.pdfgen import make_clean, make_pages, make_raster

    files = [
        ("clean 1 page", make_clean(tmp / "clean-1.pdf"), print_ready()),
        ("clean 8 pages", make_pages(tmp / "clean-8.pdf", 8), print_ready()),
        ("clean 60 pages (parallel)", make_pages(tmp / "clean-60.pdf", 60), print_ready()),
        ("clean CMYK JPEG 300 dpi", make_raster(tmp / "clean-cmyk.jpg", mode="CMYK", fmt="JPEG"), None),
    ]
    rows = []
    for name, path, profile in files:
        report = run_preflight(path, profile, source_name=path.name)
        row = {"control": name, "outcome": report["outcome"], "reject": dict(severities(report, "reject")),
               "warn": dict(severities(report, "warn"))}
        if with_peers and path.suffix == ".pdf":
            row.update(gs=gs_verdict(path), qpdf=qpdf_verdict(path))
        rows.append(row)
    return rows


def autofix_round_trip(tmp: Path, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from printgate.core.fixes import run_autofix
    from printgate.core.preflight import run_preflight

    out = []
    for row in rows:
        if not row.get("found") or not row.get("autofix"):
            continue
        rule_id = row["ruleId"]
        dst = tmp / f"fixed-{rule_id}.pdf"
        res: dict[str, Any] = {"ruleId": rule_id, "strategy": row["autofix"]}
        t0 = time.perf_counter()
        try:
            fix = run_autofix(row["path"], dst, row["report"], row["profile"], items=[rule_id])
        except Exception as exc:
            res.update(fixed=False, outcome=f"raised {type(exc).__name__}: {str(exc)[:120]}")
            out.append(res)
            continue
        res["fix_ms"] = 1000 * (time.perf_counter() - t0)
        res["outcome"] = fix["outcome"]
        if fix["outcome"] != "fixed":
            reasons = "; ".join(s.get("reason", "") for s in fix.get("skipped", []))[:160]
            res.update(fixed=False, note=reasons)
            out.append(res)
            continue
        try:
            after = run_preflight(dst, row["profile"], source_name=dst.name, context=row["context"])
        except Exception as exc:
            res.update(fixed=False, note=f"re-preflight raised {type(exc).__name__}: {str(exc)[:120]}")
            out.append(res)
            continue
        before_rejects = set(severities(row["report"], "reject"))
        res.update(fixed=not findings(after, rule_id),
                   new_rejects=sorted(set(severities(after, "reject")) - before_rejects - {rule_id}))
        out.append(res)
    return out


def hostile(tmp: Path) -> list[dict[str, Any]]:
    from printgate.core.preflight import run_preflight
    from tests.preflight.pdfgen import HOSTILE, HOSTILE_EXTRA

    rows = []
    for name, gen in {**HOSTILE, **HOSTILE_EXTRA}.items():
        suffix = ".png" if "png" in name else ".pdf"
        path = gen(tmp / f"hostile-{name}{suffix}")

        def job(path: Path = path) -> dict[str, Any]:
            from printgate.core.errors import UnreadableFile

            try:
                rep = run_preflight(path, None, source_name=path.name)
            except UnreadableFile as exc:
                return {"verdict": "unreadable", "reason": str(exc)[:90]}
            return {"verdict": rep["outcome"], "reason": ",".join(sorted(severities(rep, "reject")))[:90]}

        res = in_child(job)
        verdict = res["value"]["verdict"] if res["status"] == "ok" else res["status"]
        reason = res["value"]["reason"] if res["status"] == "ok" else str(res["value"])[:120]
        rows.append({"file": name, "bytes": path.stat().st_size, "ours": verdict, "why": reason,
                     "ms": 1000 * res["wall_s"], "maxrss_mb": res["maxrss_kb"] / 1024,
                     "gs": gs_verdict(path), "qpdf": qpdf_verdict(path)})
    return rows


def corpus(root: Path, limit: int | None) -> dict[str, Any]:
    from printgate.core.preflight import run_preflight

    profile = print_ready({"pdfa": {"action": "warn"}, "pdfua": {"action": "warn"}})
    with (root / "MANIFEST.tsv").open() as fh:
        entries = list(csv.DictReader(fh, delimiter="\t"))
    if limit:
        entries = entries[:limit]
    times: list[float] = []
    stats: Counter[str] = Counter()
    crashes: list[str] = []
    for e in entries:
        path = root / e["path"]

        def job(path: Path = path) -> dict[str, Any]:
            from printgate.core.errors import UnreadableFile

            try:
                rep = run_preflight(path, profile, source_name=path.name)
            except UnreadableFile:
                return {"unreadable": True}
            found = {f["ruleId"]: f.get("measured_standard") for f in findings(rep)
                     if f["ruleId"] in ("pdfa_detected", "pdfua_detected")}
            return {"unreadable": False, "pdfa": found.get("pdfa_detected"), "pdfua": found.get("pdfua_detected")}

        res = in_child(job, timeout_s=120)
        times.append(res["wall_s"])
        std, expected = e["standard"], e["expected"]
        if res["status"] != "ok":
            stats[f"{std} {res['status']}"] += 1
            crashes.append(f"{e['path']}: {res['status']} {str(res['value'])[:160]}")
            continue
        v = res["value"]
        stats[f"{std} files"] += 1
        stats[f"{std} {expected} files"] += 1
        if v["unreadable"]:
            stats[f"{std} unreadable"] += 1
            continue
        want = {"PDFA-1B": ("pdfa", "PDF/A-1b"), "PDFUA-1": ("pdfua", "PDF/UA-1")}.get(std)
        if want is None:
            continue
        got = v[want[0]]
        key = "agree" if (got or "").lower() == want[1].lower() else ("other part" if got else "not declared")
        stats[f"{std} {expected} {key}"] += 1
    return {"files": len(entries), "stats": dict(stats), "crashes": crashes,
            "ms_p50": 1000 * percentile(times, 50), "ms_p95": 1000 * percentile(times, 95),
            "ms_max": 1000 * max(times) if times else 0.0}


# --- printing ------------------------------------------------------------------------------------

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, help="veraPDF corpus root holding MANIFEST.tsv")
    ap.add_argument("--corpus-limit", type=int, help="only the first N corpus files")
    ap.add_argument("--no-peers", action="store_true", help="skip gs / qpdf on the defect files")
    args = ap.parse_args()

    from printgate.core.preflight import check_catalog, warm_up

    warm_up()
    print(f"# preflight_detection  {now_utc()}  {machine()}  load {load_average()}\n")
    tmp = Path(tempfile.mkdtemp(prefix="printgate-detect-"))
    peers = not args.no_peers

    rows = defects(tmp, peers)
    print(f"{'expected ruleId':<31} {'check':<22} {'found':<5} {'severity':<8} {'gs':<9} {'qpdf':<8} also rejected")
    for r in rows:
        print(f"{r['ruleId']:<31} {r.get('checkId') or '-'!s:<22} {'yes' if r['found'] else 'NO':<5} "
              f"{','.join(r.get('severity', [])) or r.get('error', '-'):<8} {r.get('gs', '-'):<9} "
              f"{r.get('qpdf', '-'):<8} {','.join(r.get('other_rejects', []))}")
    found = sum(r["found"] for r in rows)
    emitted = {rid for c in check_catalog("pdf") for rid in (c.get("ruleIds") or [c.get("ruleId")]) if rid}
    untested = sorted(emitted - {r["ruleId"] for r in rows})
    peer_note = (f" ({sum(1 for r in rows if r.get('gs', 'ok') != 'ok')} flagged by gs, "
                 f"{sum(1 for r in rows if r.get('qpdf', 'ok') != 'ok')} by qpdf --check)") if peers else ""
    print(f"\nrecall: {found}/{len(rows)} defect ruleIds found{peer_note}")
    if untested:
        print(f"PDF ruleIds with no labelled file in pdfgen.DEFECTS: {', '.join(untested)}")

    ctl = controls(tmp, peers)
    print(f"\n{'clean control':<27} {'outcome':<8} {'reject (false positives)':<26} warn")
    for c in ctl:
        print(f"{c['control']:<27} {c['outcome']:<8} {c['reject'] or 0!s:<26} {c['warn']}"
              + (f"   gs {c['gs']}, qpdf {c['qpdf']}" if "gs" in c else ""))
    fp = sum(sum(c["reject"].values()) for c in ctl)
    print(f"false positives (reject findings on clean controls): {fp}")

    fixes = autofix_round_trip(tmp, rows)
    print(f"\n{'autofix: ruleId':<31} {'strategy':<22} {'outcome':<10} {'gone':<5} {'ms':>7}  new rejects / note")
    for f in fixes:
        print(f"{f['ruleId']:<31} {f['strategy']:<22} {f['outcome'][:10]:<10} {'yes' if f['fixed'] else 'NO':<5} "
              f"{f.get('fix_ms', 0):>7.0f}  {','.join(f.get('new_rejects', [])) or f.get('note', '')}")
    print(f"fix rate: {sum(f['fixed'] for f in fixes)}/{len(fixes)} findings gone after run_autofix + re-preflight")

    hos = hostile(tmp)
    print(f"\n{'hostile file':<19} {'bytes':>9} {'ours':<11} {'ms':>7} {'RSS MB':>7} {'gs':<16} {'qpdf':<9} why")
    for h in hos:
        print(f"{h['file']:<19} {h['bytes']:>9} {h['ours']:<11} {h['ms']:>7.0f} {h['maxrss_mb']:>7.0f} "
              f"{h['gs']:<16} {h['qpdf']:<9} {h['why']}")
    crashed = [h["file"] for h in hos if h["ours"] in ("crash", "timeout", "error")]
    print(f"hostile: {len(crashed)} crash/timeout/unexpected error in ours {crashed or ''}")

    cor: dict[str, Any] = {}
    if args.corpus:
        cor = corpus(args.corpus, args.corpus_limit)
        print(f"\nveraPDF corpus: {cor['files']} files, time per file p50 {cor['ms_p50']:.0f} ms, "
              f"p95 {cor['ms_p95']:.0f} ms, max {cor['ms_max']:.0f} ms (forked child per file)")
        for k in sorted(cor["stats"]):
            print(f"  {k:<40} {cor['stats'][k]}")
        print(f"  crashes/timeouts: {len(cor['crashes'])}")
        for line in cor["crashes"][:10]:
            print(f"    {line}")
        print("  (declared-part detection only: PDF/A and PDF/UA validation proper is not implemented)")

    print(f"\nload average now: {Path('/proc/loadavg').read_text().split()[:3]}")
    for r in rows:
        for k in ("report", "path", "profile", "context"):
            r.pop(k, None)
    print("results:", save_results("preflight_detection",
                                   {"defects": rows, "controls": ctl, "autofix": fixes, "hostile": hos, "corpus": cor}))


if __name__ == "__main__":
    main()
