"""Verdict before and after autofix with text outlining, and what the re-preflight costs (issue 11, hole 1).

For each PDF (default: TeX Live's ``paracol.pdf`` from ``texlive-latex-extra-doc``, fetched into
``bench/.cache/`` with ``apt-get download`` + ``dpkg -x``; ``--card`` adds a generated business card
with 4 pt text and a line outside the safe zone): ``run_preflight`` with a profile that sets
``text_outlines`` to autofix (``prof_print_ready`` or ``--profile``'s, in-process), ``run_autofix``,
then ``run_preflight`` on the fixed file. Printed: the outcome and the count of each watched finding
(``text_too_small``, ``text_outside_safe_zone``, ``text_not_outlined``) before and after, and wall and
CPU seconds of each stage. The re-preflight runs without the analysis time limit (``--budget`` sets
one) so its full cost shows. Peer, same run: Ghostscript interpreting the same fixed file
(``gs -sDEVICE=bbox``: every glyph shape painted, no raster), the cheapest full pass over it.

    .venv/bin/python bench/outlined_verdict.py --card
    .venv/bin/python bench/outlined_verdict.py /tmp/tlx/usr/share/doc/texlive-doc/latex/paracol/paracol.pdf
"""

from __future__ import annotations

import argparse
import collections
import copy
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import load_average, machine, now_utc, save_results
from autofix_size import run_inprocess, run_tool

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
PARACOL = "usr/share/doc/texlive-doc/latex/paracol/paracol.pdf"
WATCHED = ("text_too_small", "text_outside_safe_zone", "text_not_outlined")


def paracol() -> Path:
    root = CACHE / "texlive-extra"
    path = root / PARACOL
    if not path.is_file():
        debdir = CACHE / "debs"
        debdir.mkdir(parents=True, exist_ok=True)
        print("setup: apt-get download texlive-latex-extra-doc (~590 MB) ...", flush=True)
        subprocess.run(["apt-get", "download", "texlive-latex-extra-doc"], cwd=debdir, check=True)
        deb = next(debdir.glob("texlive-latex-extra-doc_*.deb"))
        subprocess.run(["dpkg", "-x", str(deb), str(root)], check=True)
    return path


def card(path: Path) -> Path:
    from tests.fixes.test_outlined_text_verdict import business_card

    return business_card(path)


def counts(report: dict) -> dict[str, int]:
    found = collections.Counter(f["ruleId"] for f in report["evaluation"]["findings"])
    return {rule: found.get(rule, 0) for rule in WATCHED}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("pdfs", nargs="*", type=Path)
    ap.add_argument("--card", action="store_true", help="add a generated business card")
    ap.add_argument("--profile", help="a profile .json (text_outlines is set to autofix in it)")
    ap.add_argument("--budget", type=float, default=10_000.0, help="analysis time limit per preflight, s")
    args = ap.parse_args()

    import printgate.core.preflight.engine as engine
    from printgate.core.fixes import run_autofix
    from printgate.core.preflight import get_builtin_profile, run_preflight

    engine.TIME_BUDGET_S = args.budget
    profile = json.loads(Path(args.profile).read_text()) if args.profile else copy.deepcopy(
        get_builtin_profile("prof_print_ready"))
    profile["checks"]["text_outlines"] = {"action": "autofix"}
    tmp = Path(tempfile.mkdtemp(prefix="outlined-verdict-"))
    files = list(args.pdfs) or [paracol()]
    if args.card:
        files.insert(0, card(tmp / "business-card.pdf"))
    print(f"# {now_utc()}  {machine()}  load {load_average()}")
    rows = []
    for src in files:
        before_run, before = run_inprocess(lambda s=src: run_preflight(s, profile, source_name=s.name, workers=1))
        out = tmp / f"fixed-{src.name}"
        fix_run, fixed = run_inprocess(lambda s=src, r=before, o=out: run_autofix(s, o, r, profile))
        after_run, after = run_inprocess(lambda o=out: run_preflight(o, profile, source_name=o.name, workers=1))
        peer = run_tool(["gs", "-q", "-dSAFER", "-dNOPAUSE", "-dBATCH", "-sDEVICE=bbox", str(out)])
        b, a = counts(before), counts(after)  # type: ignore[arg-type]
        applied = sorted({x["strategy"] for x in fixed["applied"]})  # type: ignore[index]
        print(f"\n{src.name}  ({after['pdf']['page_count']} pages; fixes: {', '.join(applied)})")  # type: ignore[index]
        print(f"  {'':26} {'before':>8} {'after':>8}")
        print(f"  {'outcome':26} {before['outcome']:>8} {after['outcome']:>8}")  # type: ignore[index]
        for rule in WATCHED:
            print(f"  {rule:26} {b[rule]:>8} {a[rule]:>8}")
        print(f"  {'stage':26} {'wall s':>8} {'CPU s':>8}")
        for name, run in (("preflight (upload)", before_run), ("autofix", fix_run),
                          ("re-preflight (fixed)", after_run), ("peer: gs bbox (fixed)", peer)):
            print(f"  {name:26} {run.wall_s:8.2f} {run.cpu_s:8.2f}")
        rows.append({"file": src.name, "before": {"outcome": before["outcome"], **b},  # type: ignore[index]
                     "after": {"outcome": after["outcome"], **a}, "applied": applied,  # type: ignore[index]
                     "seconds": {"preflight": [before_run.wall_s, before_run.cpu_s],
                                 "autofix": [fix_run.wall_s, fix_run.cpu_s],
                                 "repreflight": [after_run.wall_s, after_run.cpu_s],
                                 "gs_bbox": [peer.wall_s, peer.cpu_s]}})
    print("\nresults:", save_results("outlined_verdict", {"machine": machine(), "rows": rows}))


if __name__ == "__main__":
    main()
