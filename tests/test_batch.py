"""``printgate check`` / ``printgate fix`` over many files (printgate/batch.py, issue 17)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pikepdf
import pytest

from tests.conftest import ROOT, clean_env, make_clean_pdf, make_pdf
from tests.support import CLI


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args, "--data-dir", str(tmp_path / "data")], capture_output=True,
                          text=True, cwd=ROOT, env=clean_env(), timeout=300)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    good = make_pdf(tmp_path / "good.pdf", pages=2)
    small = make_pdf(tmp_path / "small.pdf", pages=1, width_pt=200, height_pt=120)
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 40)
    return {"good": good, "small": small, "broken": broken}


def test_check_many_files_in_parallel_gives_one_json_line_each(tmp_path: Path, files: dict[str, Path]) -> None:
    run = _cli(tmp_path, "check", *map(str, files.values()), "-j", "2", "--json")
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    by_file = {Path(line["file"]).name: line for line in lines}
    assert sorted(by_file) == ["broken.pdf", "good.pdf", "small.pdf"], run.stderr
    assert by_file["good.pdf"]["pages"] == 2 and by_file["good.pdf"]["report"]["pdf"]["page_count"] == 2
    broken = by_file["broken.pdf"]
    assert broken["status"] == "rejected" and broken["canProceed"] is False and broken["reason"]
    assert "Traceback" not in run.stderr
    assert run.returncode == 1  # one file cannot proceed
    # A local check keeps no database and starts no queue.
    assert not list((tmp_path / "data").glob("*.db")) and not list((tmp_path / "data").glob("*.sqlite*"))


def test_local_verdict_is_the_jobs_verdict(tmp_path: Path, files: dict[str, Path], instance: object) -> None:
    """The in-process check and a real job through the pipeline agree, file by file, under a
    profile that rejects (the built-in business-card profile on an A4 page and a tiny page)."""
    from printgate import batch

    run = _cli(tmp_path, "check", *map(str, files.values()), "--profile", "prof_business_card", "--json")
    local = {Path(line["file"]).name: line for line in map(json.loads, run.stdout.splitlines())}
    assert len(local) == 3, run.stderr
    assert {line["status"] for line in local.values()} >= {"rejected"}
    profile_id = batch.prepare_jobs("prof_business_card")
    for name, path in files.items():
        job = batch.inline_job(path, [{"type": "preflight"}], profile_id)
        seen = local[path.name]
        assert (seen["status"], seen["canProceed"]) == (job["status"], job["canProceed"]), name
        reports = [r["report"] for r in (job.get("results") or {}).get("preflight", []) if r.get("report")]
        job_checks = sorted(f["checkId"] for f in (reports[0].get("evaluation") or {}).get("findings", [])) \
            if reports else []
        assert sorted(f["checkId"] for f in seen["findings"]) == job_checks, name


def test_human_output_has_a_line_per_file_and_a_total(tmp_path: Path, files: dict[str, Path]) -> None:
    clean = make_clean_pdf(tmp_path / "clean.pdf")
    run = _cli(tmp_path, "check", str(clean), str(files["broken"]))
    lines = run.stdout.splitlines()
    assert any(line.startswith(f"{clean}: partial (canProceed true") and "1 page(s)" in line for line in lines), run.stdout
    assert any(line.startswith(str(files["broken"])) and "rejected" in line for line in lines)
    assert "2 file(s):" in lines[-1] and "1 cannot proceed" in lines[-1] and "CPU" in lines[-1]


def test_bad_profile_file_is_refused_with_the_field(tmp_path: Path, files: dict[str, Path]) -> None:
    profile = tmp_path / "p.json"
    profile.write_text(json.dumps({"name": "x", "checks": {"no_such_check": {"action": "reject"}}}))
    run = _cli(tmp_path, "check", str(files["good"]), "--profile", str(profile))
    assert run.returncode == 2 and "no_such_check" in run.stderr and "Traceback" not in run.stderr
    assert _cli(tmp_path, "check", str(files["good"]), "--profile", "prof_missing").returncode == 2


def test_fix_many_files_into_a_folder(tmp_path: Path, files: dict[str, Path]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    run = _cli(tmp_path, "fix", str(files["good"]), str(files["small"]), "-o", str(out), "-j", "2", "--json")
    lines = {Path(line["file"]).name: line for line in map(json.loads, run.stdout.splitlines())}
    assert sorted(lines) == ["good.pdf", "small.pdf"], run.stderr
    for name, line in lines.items():
        written = out / name
        assert line["output"] == str(written)
        with pikepdf.open(written) as pdf:  # a real PDF came out, with the input's pages
            assert len(pdf.pages) == (2 if name == "good.pdf" else 1)
    # The same name twice would overwrite one output with the other: refused before any work.
    other = tmp_path / "sub"
    other.mkdir()
    twin = make_pdf(other / "good.pdf")
    clash = _cli(tmp_path, "fix", str(files["good"]), str(twin), "-o", str(out))
    assert clash.returncode == 2 and "same name" in clash.stderr
