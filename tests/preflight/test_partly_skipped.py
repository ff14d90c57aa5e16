"""A check that could not run on some pages has not passed the file (issue 11's closing pass): it is
listed under ``skipped`` with the pages it did not see, never under ``passed``."""

from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest

from printgate.core.preflight import get_builtin_profile, run_preflight, tac


def _two_pages(path: Path) -> Path:
    doc = pymupdf.open()
    doc.new_page(width=200, height=200).draw_rect(pymupdf.Rect(20, 20, 180, 180), color=None, fill=(0, 0, 0, 0.2))
    photo = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 40, 40), False)
    photo.set_rect(photo.irect, (90, 160, 220))
    doc.new_page(width=200, height=200).insert_image(pymupdf.Rect(20, 20, 180, 180), pixmap=photo)
    doc.save(path)
    return path


def _ink(report: dict) -> tuple[bool, bool, str | None]:
    ev = report["evaluation"]
    return "ink_coverage" in ev["passed"], "ink_coverage" in ev["skipped"], ev["skippedReasons"].get("ink_coverage")


def test_a_check_that_missed_a_page_is_not_passed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _two_pages(tmp_path / "two.pdf")
    profile = get_builtin_profile("prof_print_ready")
    # Both pages measured: the light ink passes.
    measured = run_preflight(path, profile, source_name=path.name)
    assert _ink(measured)[:2] == (True, False)

    def broken(page: object, zoom: float) -> object:
        raise MemoryError("renderer out of memory")

    monkeypatch.setattr(tac, "_render_contents", broken)
    report = run_preflight(path, profile, source_name=path.name)
    passed, skipped, reason = _ink(report)
    assert (passed, skipped) == (False, True), report["evaluation"]
    assert reason is not None and "page(s) 2" in reason and "1," not in reason
    # The counts move with it: one check fewer passed, one more skipped.
    before, after = measured["evaluation"]["summary"], report["evaluation"]["summary"]
    assert (after["pass"], after["skipped"]) == (before["pass"] - 1, before["skipped"] + 1)
