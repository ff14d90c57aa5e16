"""Hostile files from the preflight generator: every entry point either works or raises
``UnreadableFile``, within a bounded time; never another exception, never a hang."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from printgate.core.errors import UnreadableFile
from printgate.core.fixes import optimize_pdf, run_autofix
from printgate.core.render import render_previews, render_proofs
from tests.preflight import pdfgen

REPORT = {"evaluation": {"findings": [
    {"ruleId": "javascript_present", "autofix": {"available": True, "strategy": "remove_javascript"}},
    {"ruleId": "stroke_too_thin", "page": 1, "autofix": {"available": True, "strategy": "thicken_hairlines",
                                                         "params": {"minWidth": 0.25}}},
]}}

CALLS = {
    "autofix": lambda src, out: run_autofix(src, out / "o.pdf", REPORT, None),
    "optimize": lambda src, out: optimize_pdf(src, out / "o.pdf", {"hairlines": {"minWidth": 0.25}}),
    "previews": lambda src, out: render_previews(src, out / "p", dpi=72, thumbnail_px=64),
    "proofs": lambda src, out: render_proofs(src, REPORT, out / "q", dpi=36),
}


# The 200 MB content bomb costs seconds per run; the autofix path covers the content walkers.
CASES = [(name, entry) for name in sorted(pdfgen.HOSTILE) for entry in sorted(CALLS)
         if name != "content_bomb" or entry == "autofix"]


@pytest.mark.parametrize(("name", "entry"), CASES)
def test_hostile_input(name: str, entry: str, tmp_path: Path) -> None:
    src = pdfgen.HOSTILE[name](tmp_path / f"{name}.bin")
    started = time.monotonic()
    try:
        CALLS[entry](src, tmp_path)
    except UnreadableFile as exc:
        assert exc.reason
    assert time.monotonic() - started < 30
