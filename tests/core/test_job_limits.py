"""A job's limits, through a real worker process: the engine's analysis budget sits inside the job's
timeout (a long file degrades to a partial analysis, never a killed job), and a file that needs more
memory than a job may use ends its job `error` with the reason while the worker lives on."""

from __future__ import annotations

import zlib
from pathlib import Path

import pikepdf
import pytest
from fastapi.testclient import TestClient

from tests.conftest import Instance, make_clean_pdf
from tests.core.workers import reasons, submit_file, wait_terminal, worker_process


def content_bomb(path: Path, megabytes: int) -> Path:
    """One page whose 60 kB content stream inflates to ``megabytes`` MB."""
    pdf = pikepdf.new()
    page = pdf.add_blank_page(page_size=(595, 842))
    data = b"0 0 0 1 k 10 10 m 20 20 l S\n" + b" " * (megabytes * 1024 * 1024)
    stream = pikepdf.Stream(pdf, zlib.compress(data, 9))
    stream.Filter = pikepdf.Name.FlateDecode
    page.obj.Contents = pdf.make_indirect(stream)
    pdf.save(path, compress_streams=False)
    return path


def text_pages(path: Path, pages: int, lines: int = 120) -> Path:
    """Pages full of small text: each one takes the engine real time to walk."""
    import pymupdf

    doc = pymupdf.open()
    for index in range(pages):
        page = doc.new_page(width=595, height=842)
        for line in range(lines):
            page.insert_text((20, 20 + line * 6.5), f"page {index + 1} line {line} " * 6, fontsize=5)
    doc.save(path)
    doc.close()
    return path


def test_analysis_budget_is_a_share_of_the_job_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    from printgate.core.config import Settings
    from printgate.core.preflight import engine

    settings = Settings(intake_timeout_s=120)
    assert 0 < settings.analysis_budget_s < 120 * 0.5  # well inside: room for opening, checks, previews
    assert Settings(intake_timeout_s=30).analysis_budget_s == pytest.approx(settings.analysis_budget_s / 4)
    assert Settings(intake_timeout_s=120, job_timeout_s=60).analysis_budget_s < 60  # the shorter timeout
    with pytest.raises(ValueError):
        Settings(analysis_budget_share=1.0)  # never the whole job
    monkeypatch.setenv("PRINTGATE_INTAKE_TIMEOUT_S", "50")
    from printgate.core.config import reset_settings

    reset_settings()
    try:
        assert engine._time_budget_s() == pytest.approx(50 * Settings().analysis_budget_share)
    finally:
        monkeypatch.delenv("PRINTGATE_INTAKE_TIMEOUT_S")
        reset_settings()


def test_a_long_file_degrades_to_a_partial_analysis_not_a_killed_job(
        client: TestClient, auth: dict[str, str], instance: Instance, tmp_path: Path) -> None:
    """A 60-page file against a tight budget (intake timeout 60 s, 0.01% of it, 6 ms, for content
    analysis: no machine analyses 60 pages in that, so the test does not depend on the machine's speed):
    the job ends with a verdict, not killed; the pages past the budget are named, and the file does
    not pass on pages nobody looked at."""
    path = text_pages(tmp_path / "long.pdf", 60)
    env = {"PRINTGATE_INTAKE_TIMEOUT_S": "60", "PRINTGATE_ANALYSIS_BUDGET_SHARE": "0.0001"}
    with worker_process(tmp_path, env=env) as worker:
        job = wait_terminal(client, auth, submit_file(client, auth, path), timeout=60, worker=worker)
    step = job["tasks"][0]["steps"][0]
    assert step["status"] == "done", step
    report = job["results"]["preflight"][0]["report"]
    [note] = [e for e in report["errors"] if e["code"] == "time_limit"]
    unchecked = [p["page"] for p in report["pages"] if p.get("inspected") is False]
    assert unchecked and unchecked[-1] == 60 and note["pages"][0] == unchecked[0]
    assert "checked for geometry only" in note["message"]
    assert report["outcome"] != "pass" and step["outcome"] != "pass"
    assert job["status"] in ("partial", "rejected")


@pytest.mark.parametrize("no_fork", [True, False], ids=["no-fork", "forking"])
def test_a_file_over_the_memory_cap_ends_error_and_the_worker_survives(
        client: TestClient, auth: dict[str, str], instance: Instance, tmp_path: Path, no_fork: bool) -> None:
    """A decompression bomb (60 kB inflating to 200 MB) under a 32 MB per-job cap: the job is
    rejected with the memory reason, and the same worker process then checks a clean file."""
    bomb = content_bomb(tmp_path / "bomb.pdf", 200)
    clean = make_clean_pdf(tmp_path / "clean.pdf")
    with worker_process(tmp_path, no_fork=no_fork, env={"PRINTGATE_JOB_MEMORY_MB": "32"}) as worker:
        job = wait_terminal(client, auth, submit_file(client, auth, bomb), worker=worker)
        assert job["status"] == "rejected" and job["canProceed"] is False
        assert job["tasks"][0]["steps"][0]["status"] == "error"
        assert any("more memory than a job may use (32 MB)" in r for r in reasons(job)), reasons(job)
        after = wait_terminal(client, auth, submit_file(client, auth, clean), worker=worker)
        assert after["status"] in ("ready", "partial"), reasons(after)
        assert worker.poll() is None  # the worker that met the bomb is the one that checked the clean file


def test_without_the_cap_the_same_bomb_is_checked(client: TestClient, auth: dict[str, str], instance: Instance,
                                                  tmp_path: Path) -> None:
    """The control: the cap, not the file, ended the job above (the engine's own decompression limit
    turns the 200 MB page into a finding, and the job gets a verdict)."""
    bomb = content_bomb(tmp_path / "bomb.pdf", 200)
    with worker_process(tmp_path, env={"PRINTGATE_JOB_MEMORY_MB": "0"}) as worker:
        job = wait_terminal(client, auth, submit_file(client, auth, bomb), worker=worker)
    assert not any("memory" in r for r in reasons(job))
    assert job["tasks"][0]["steps"][0]["status"] == "done"
    assert "decompression limit" in job["results"]["preflight"][0]["report"]["pages"][0]["content_error"]
