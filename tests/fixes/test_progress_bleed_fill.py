"""Bleed strips of one colour are painted as filled rectangles, not images (issue 17, autofix time):
a book's white margins otherwise become thousands of images a later Ghostscript pass converts and
re-encodes page by page."""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pymupdf

from printgate.core.fixes import run_autofix
from tests.fixes.fixkit import finding, report


def _bleed_images(path: Path) -> int:
    with pikepdf.open(path) as pdf:
        return sum(1 for page in pdf.pages for name in (page.obj.get("/Resources", {}).get("/XObject") or {})
                   if str(name).startswith("/PgBleed"))


def _pixel(path: Path, x: float, y: float) -> tuple[int, ...]:
    with pymupdf.open(path) as doc:
        page = doc[0]
        pix = page.get_pixmap(clip=pymupdf.Rect(x, y, x + 1, y + 1), alpha=False)
        return tuple(pix.samples[:3])


def test_white_margins_become_fills_and_the_bleed_stays_white(tmp_path: Path) -> None:
    doc = pymupdf.open()
    for _ in range(3):
        page = doc.new_page(width=300, height=400)
        page.insert_text((60, 100), "A page of a book with white margins", fontsize=11)
    src = tmp_path / "book.pdf"
    doc.save(src)
    out = tmp_path / "out.pdf"
    res = run_autofix(src, out, report(finding("bleed", "add_bleed", {"bleed_mm": 3}, page=None)), None)
    assert res["outcome"] == "fixed", res
    assert _bleed_images(out) == 0
    assert res["size"]["bleedImagesAdded"] is False
    with pikepdf.open(out) as pdf:
        media = [float(v) for v in pdf.pages[0].MediaBox]
        assert media[2] - media[0] > 300 + 2 * 8  # 3 mm each side
    assert _pixel(out, 2, 2) == (255, 255, 255)


def test_a_coloured_edge_is_filled_with_its_colour_and_mixed_edges_stay_images(pdfs, tmp_path: Path) -> None:
    src = pdfs.art("art.pdf")  # left half red, right half blue, a green band at the top
    out = tmp_path / "out.pdf"
    res = run_autofix(src, out, report(finding("bleed", "add_bleed", {"bleed_mm": 3}, page=None)), None)
    assert res["outcome"] == "fixed", res
    assert _bleed_images(out) > 0  # the edges crossing two colours are still mirrored images
    assert res["size"]["bleedImagesAdded"] is True
    with pymupdf.open(out) as doc:
        height = doc[0].rect.height
    red = _pixel(out, 2, height - 2)  # the bottom-left corner of the bleed: red artwork beside it
    assert red[0] > 200 and red[1] < 60 and red[2] < 60, red
