"""Progress within a file while it is fixed (issue 17): which fix runs and pages done / total, told
through a callback passed down from the caller, and nothing but JSON on stdout with ``--json``."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pikepdf

from printgate.core.fixes import run_autofix
from printgate.core.fixes._exec.ghostscript import _PageLines
from tests.conftest import ROOT, clean_env
from tests.fixes.fixkit import finding, report
from tests.support import CLI

Event = tuple[str, "int | None", "int | None"]


def _recorder() -> tuple[list[Event], object]:
    events: list[Event] = []
    return events, lambda what, done, total: events.append((what, done, total))


def _pages_of(events: list[Event], what: str) -> list[tuple[int, int]]:
    return [(d, t) for w, d, t in events if w == what and d is not None and t is not None]


def _assert_counts_up_to(pages: list[tuple[int, int]], total: int) -> None:
    assert pages, "no page counts were reported"
    assert {t for _, t in pages} == {total}
    done = [d for d, _ in pages]
    assert done == sorted(done) and len(set(done)) == len(done), done  # strictly increasing
    assert done[-1] == total


def _hairline_book(path: Path, pages: int) -> Path:
    pdf = pikepdf.new()
    for n in range(pages):
        pdf.add_blank_page(page_size=(200, 200))
        pdf.pages[n].obj.Contents = pikepdf.Stream(pdf, f"0.05 w 10 {10 + n} m 150 {10 + n} l S".encode())
    pdf.save(path)
    return path


def test_page_by_page_fix_reports_each_page_up_to_the_total(tmp_path: Path) -> None:
    src = _hairline_book(tmp_path / "book.pdf", 7)
    events, progress = _recorder()
    res = run_autofix(src, tmp_path / "out.pdf",
                      report(finding("min_stroke_width", "thicken_hairlines", {"min_pt": 0.25}, page=None)),
                      None, progress=progress)  # type: ignore[arg-type]
    assert res["outcome"] == "fixed"
    assert events[0] == ("thicken_hairlines", None, None)  # the fix is named before its pages
    assert _pages_of(events, "thicken_hairlines") == [(n, 7) for n in range(1, 8)]
    assert events[-1] == ("saving", None, None)


def test_ghostscript_page_lines_become_progress(pdfs, tmp_path: Path) -> None:
    src = pdfs.art("rgb.pdf", pages=5)
    events, progress = _recorder()
    res = run_autofix(src, tmp_path / "cmyk.pdf", report(finding("color_mode", "convert_to_cmyk", page=None)),
                      None, progress=progress)  # type: ignore[arg-type]
    assert res["outcome"] == "fixed", res
    pages = _pages_of(events, "convert_to_cmyk")
    _assert_counts_up_to([p for p in pages if p[0] > 0], 5)
    assert pages[0] == (0, 5)  # "Processing pages 1 through 5." comes before any page


def test_bleed_reports_the_pages_it_renders(pdfs, tmp_path: Path) -> None:
    src = pdfs.art("art.pdf", pages=4)
    events, progress = _recorder()
    res = run_autofix(src, tmp_path / "bleed.pdf", report(finding("bleed", "add_bleed", {"bleed_mm": 3}, page=None)),
                      None, progress=progress)  # type: ignore[arg-type]
    assert res["outcome"] == "fixed", res
    _assert_counts_up_to(_pages_of(events, "add_bleed"), 4)


def test_a_broken_progress_display_never_costs_the_fix(tmp_path: Path) -> None:
    src = _hairline_book(tmp_path / "book.pdf", 3)

    def broken(what: str, done: int | None, total: int | None) -> None:
        raise RuntimeError("terminal went away")

    res = run_autofix(src, tmp_path / "out.pdf",
                      report(finding("min_stroke_width", "thicken_hairlines", {"min_pt": 0.25}, page=None)),
                      None, progress=broken)
    assert res["outcome"] == "fixed" and not res["skipped"]


def test_page_lines_count_from_the_first_page_processed() -> None:
    seen: list[tuple[int, int]] = []
    lines = _PageLines(lambda done, total: seen.append((done, total)))
    for line in ["GPL Ghostscript 10.0.0", "Processing pages 3 through 5.\n", "Page 3\n", "Page 4\n",
                 "Loading font Times-Roman\n", "Page 5\n", "Page 99\n"]:
        lines(line)
    lines.finished()
    assert seen == [(0, 3), (0, 3), (1, 3), (2, 3), (3, 3), (3, 3)]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_terminal_bar_names_the_fix_and_its_pages() -> None:
    from printgate.batch import file_progress

    assert file_progress("book.pdf", io.StringIO()) is None  # piped: nothing is drawn
    screen = _Terminal()
    bar = file_progress("book.pdf", screen)
    assert bar is not None
    bar("preflight", None, None)
    bar("thicken_hairlines", None, None)
    for n in range(1, 313 + 1):
        bar("thicken_hairlines", n, 313)
    bar.close()
    text = screen.getvalue()
    assert "book.pdf: preflight" in text and "book.pdf: thicken hairlines" in text
    assert "313/313" in text


def test_fix_with_json_or_a_pipe_prints_nothing_but_its_lines(tmp_path: Path) -> None:
    src = _hairline_book(tmp_path / "book.pdf", 3)
    out = tmp_path / "out"
    out.mkdir()
    base = [*CLI, "fix", str(src), "-o", str(out), "--data-dir", str(tmp_path / "data")]
    as_json = subprocess.run([*base, "--json"], capture_output=True, text=True, cwd=ROOT, env=clean_env(), timeout=300)
    lines = as_json.stdout.splitlines()
    assert len(lines) == 1, as_json.stdout
    assert json.loads(lines[0])["output"] == str(out / "book.pdf")
    plain = subprocess.run(base, capture_output=True, text=True, cwd=ROOT, env=clean_env(), timeout=300)
    assert plain.returncode == as_json.returncode
    for run in (as_json, plain):  # not a terminal: no bar, no carriage returns, on either stream
        assert "\r" not in run.stdout and "\r" not in run.stderr
        assert "page/s" not in run.stderr and "it/s" not in run.stderr


def test_inline_job_tells_each_step_and_the_fixes(tmp_path: Path, instance: object) -> None:
    from printgate import batch

    src = _hairline_book(tmp_path / "book.pdf", 4)
    events, progress = _recorder()
    profile = tmp_path / "hairlines.json"
    profile.write_text(json.dumps({"name": "hairlines", "checks": {"min_stroke_width": {
        "action": "autofix", "pt": 0.25}}}))
    verdict = batch.fix_file(src, tmp_path / "fixed.pdf", batch.prepare_jobs(str(profile)), progress)  # type: ignore[arg-type]
    steps = [w for w, d, _ in events if d is None and w in ("preflight", "autofix", "repreflight", "deliver")]
    assert steps == ["preflight", "autofix", "repreflight", "deliver"], events
    assert verdict.output == str(tmp_path / "fixed.pdf")
    assert any("thicken_hairlines" in f and f.startswith("fixed:") for f in verdict.fixes), verdict.fixes
    _assert_counts_up_to(_pages_of(events, "thicken_hairlines"), 4)
