"""``printgate fix`` time on long real files, beside Ghostscript ``pdfwrite`` in the same run (issue 17).

For each PDF, in this order:

- ``printgate fix FILE -o out.pdf --json`` as a whole process (preflight, autofix, re-preflight,
  deliver, as a user runs it): wall time and CPU seconds from ``wait4`` (Ghostscript children included);
- the autofix step alone, in this process, after an untimed preflight: ``run_autofix`` with the
  report's scheduled fixes, and the wall time of each fix, taken from the progress callback that
  drives the CLI's bar;
- the peers: ``gs -sDEVICE=pdfwrite -o out.pdf in.pdf`` and the CMYK-converting variant
  (``-sColorConversionStrategy=CMYK -dProcessColorModel=/DeviceCMYK``).

The ratios are CPU seconds against gs pdfwrite's (the machine is shared: CPU moves less than wall).
Without arguments the files are TeX Live manuals (memoir's memman.pdf, beamer's user guide,
microtype's code) from ``/tmp/pdfa-texdocs`` if present, else from Debian's
``texlive-latex-extra-doc`` / ``texlive-latex-recommended-doc`` fetched into ``bench/.cache/``.

    .venv/bin/python bench/autofix_speed.py
    .venv/bin/python bench/autofix_speed.py some.pdf --profile prof_print_ready --skip-cli
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import load_average, machine, now_utc, save_results
from autofix_size import Run, run_inprocess, run_tool

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
GS = ["gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=pdfwrite"]
GS_CMYK = [*GS, "-sColorConversionStrategy=CMYK", "-dProcessColorModel=/DeviceCMYK"]
DEFAULT_FILES = {  # relative to the texlive-doc latex folder -> the Debian package that ships it
    "memoir/memman.pdf": "texlive-latex-extra-doc",
    "beamer/beameruserguide.pdf": "texlive-latex-recommended-doc",
    "microtype/microtype-code.pdf": "texlive-latex-recommended-doc",
}
LATEX = "usr/share/doc/texlive-doc/latex"


def default_files() -> list[Path]:
    """The TeX Live manuals, from an existing extraction or fetched once with ``apt-get download``."""
    found: list[Path] = []
    for rel, package in DEFAULT_FILES.items():
        for root in (Path("/tmp/pdfa-texdocs/root"), CACHE / "texlive"):
            if (root / LATEX / rel).is_file():
                found.append(root / LATEX / rel)
                break
        else:
            debdir = CACHE / "deb"
            debdir.mkdir(parents=True, exist_ok=True)
            if not list(debdir.glob(f"{package}_*.deb")):
                print(f"setup: apt-get download {package} ...", flush=True)
                subprocess.run(["apt-get", "download", package], cwd=debdir, check=True)
            for deb in debdir.glob(f"{package}_*.deb"):
                subprocess.run(["dpkg", "-x", str(deb), str(CACHE / "texlive")], check=True)
            found.append(CACHE / "texlive" / LATEX / rel)
    return found


def cli_fix(path: Path, tmp: Path, profile: str | None) -> Run:
    argv = [sys.executable, "-m", "printgate", "fix", str(path), "-o", str(tmp / "cli.pdf"), "--json",
            "--data-dir", str(tmp / "data")]
    return run_tool([*argv, *(["--profile", profile] if profile else [])])


def autofix_step(path: Path, tmp: Path, profile_id: str | None) -> tuple[Run, list[str], dict[str, float]]:
    """``run_autofix`` alone (the preflight before it is not timed), and the wall seconds of each fix."""
    from printgate.core.fixes import run_autofix
    from printgate.core.preflight import run_preflight
    from printgate.core.preflight.profiles import get_builtin_profile

    profile = get_builtin_profile(profile_id) if profile_id else None
    report = run_preflight(path, profile, source_name=path.name)
    spent: dict[str, float] = {}
    current = ["", time.perf_counter()]

    def progress(what: str, done: int | None, total: int | None) -> None:
        if what != current[0]:
            now = time.perf_counter()
            if current[0]:
                spent[str(current[0])] = spent.get(str(current[0]), 0.0) + now - float(current[1])
            current[:] = [what, now]

    run, result = run_inprocess(lambda: run_autofix(path, tmp / "step.pdf", report, profile, progress=progress))
    if current[0]:
        spent[str(current[0])] = spent.get(str(current[0]), 0.0) + time.perf_counter() - float(current[1])
    applied = sorted({a["strategy"] for a in result.get("applied", [])}) if isinstance(result, dict) else []
    return run, applied, spent


def bench_file(path: Path, profile: str | None, skip_cli: bool) -> dict[str, object]:
    import pikepdf

    with pikepdf.open(path) as pdf:
        pages = len(pdf.pages)
    tmp = Path(tempfile.mkdtemp(prefix="printgate-autofix-speed-"))
    row: dict[str, object] = {"file": path.name, "pages": pages, "in_bytes": path.stat().st_size}
    if not skip_cli:
        row["cli"] = vars(cli_fix(path, tmp, profile))
    step, applied, spent = autofix_step(path, tmp, profile)
    row["autofix"] = {**vars(step), "applied": applied, "per_fix_wall_s": spent}
    row["gs"] = vars(run_tool([*GS, "-o", str(tmp / "gs.pdf"), str(path)]))
    row["gs_cmyk"] = vars(run_tool([*GS_CMYK, "-o", str(tmp / "gs-cmyk.pdf"), str(path)]))
    row["load"] = load_average()
    return row


def _cell(run: object) -> str:
    if not isinstance(run, dict):
        return f"{'-':>7} {'-':>7}"
    return f"{run['cpu_s']:>7.2f} {run['wall_s']:>7.2f}"


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pdfs", nargs="*", type=Path, help="PDFs to fix (default: three TeX Live manuals)")
    ap.add_argument("--profile", default=None, help="a built-in profile id (default: documented defaults)")
    ap.add_argument("--skip-cli", action="store_true", help="time the autofix step only, not the whole command")
    args = ap.parse_args(argv)
    files = args.pdfs or default_files()
    print(f"{now_utc()}  {machine()}  profile={args.profile or 'defaults'}  (cpu s, wall s)")
    hdr = (f"{'file':<24} {'pages':>5} | {'printgate fix':^15} | {'autofix step':^15} | {'gs pdfwrite':^15} | "
           f"{'gs CMYK':^15} | {'fix/gs':>6} {'step/gs':>7} {'step/gsCMYK':>11} | load")
    print(hdr)
    print("-" * len(hdr))
    rows = []
    for path in files:
        row = bench_file(path, args.profile, args.skip_cli)
        gs_cpu = row["gs"]["cpu_s"]  # type: ignore[index]
        cmyk_cpu = row["gs_cmyk"]["cpu_s"]  # type: ignore[index]
        step = row["autofix"]
        assert isinstance(step, dict)
        cli = row.get("cli")
        fix_ratio = f"{cli['cpu_s'] / gs_cpu:>6.1f}" if isinstance(cli, dict) else f"{'-':>6}"
        print(f"{path.name[:24]:<24} {row['pages']:>5} | {_cell(cli)} | {_cell(step)} | {_cell(row['gs'])} | "
              f"{_cell(row['gs_cmyk'])} | {fix_ratio} {step['cpu_s'] / gs_cpu:>7.1f} {step['cpu_s'] / cmyk_cpu:>11.1f} "
              f"| {row['load']}", flush=True)
        per_fix = ", ".join(f"{name} {s:.1f}" for name, s in step["per_fix_wall_s"].items())
        print(f"    applied: {', '.join(step['applied']) or '-'}; wall s per fix: {per_fix or '-'}")
        rows.append(row)
    saved = save_results("autofix_speed", {"profile": args.profile, "rows": rows})
    print(f"results: {saved}")


if __name__ == "__main__":
    main()
