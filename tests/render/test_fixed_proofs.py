"""Issue 11, hole 7: the proof the customer approves is the file as it will be printed.

``render_fixed_proofs`` renders the file after the profile's autofixes (CMYK conversion, bleed), with
trim, bleed and safety lines where the boxes are, and a tag naming the check of each finding left.
"""

from __future__ import annotations

from pathlib import Path

import pymupdf
from PIL import Image

from printgate.core.preflight import get_builtin_profile, run_preflight
from printgate.core.render import render_proofs
from printgate.core.render.proofs import BLEED, OTHER, SAFETY, TRIM, render_fixed_proofs

MM = 72 / 25.4
DPI = 144
Z = DPI / 72


def rgb_card(path: Path) -> Path:
    """An 85 x 55 mm card, no bleed, pure RGB blue, with a line of 4 pt text."""
    doc = pymupdf.open()
    page = doc.new_page(width=85 * MM, height=55 * MM)
    page.draw_rect(page.rect, color=None, fill=(0, 0, 1))
    page.insert_text((20 * MM, 25 * MM), "four point text", fontsize=4, color=(1, 1, 1))
    doc.save(path)
    return path


def _near(px: tuple[int, ...], colour: tuple[int, ...], tol: int = 40) -> bool:
    return all(abs(a - b) <= tol for a, b in zip(px, colour, strict=False))


def _column_has(im: Image.Image, x: float, y0: float, y1: float, colour: tuple[int, ...]) -> bool:
    """Some pixel of columns x-1..x+1 between y0 and y1 has ``colour`` (a dashed line has gaps)."""
    return any(_near(im.getpixel((cx, y)), colour, 30)
               for cx in (round(x) - 1, round(x), round(x) + 1) for y in range(round(y0), round(y1)))


def test_the_proof_is_rendered_from_the_fixed_file(tmp_path: Path) -> None:
    src = rgb_card(tmp_path / "card.pdf")
    profile = get_builtin_profile("prof_business_card")
    report = run_preflight(src, profile, source_name=src.name)
    rules = {f["ruleId"] for f in report["evaluation"]["findings"]}
    assert {"bleed_missing", "color_mode_not_allowed", "text_too_small"} <= rules

    pages, fixed = render_fixed_proofs(src, report, profile, tmp_path / "fixed", dpi=DPI)
    assert fixed["outcome"] == "fixed"
    assert {"add_bleed", "convert_to_cmyk"} <= {a["strategy"] for a in fixed["applied"]}
    upload = render_proofs(src, report, tmp_path / "upload", dpi=DPI)[0]
    entry = pages[0]
    with Image.open(entry["path"]) as im, Image.open(upload["path"]) as up:
        im, up = im.convert("RGB"), up.convert("RGB")
        # The canvas: 4 mm margin, 3 mm bleed, then the trim (85 x 55 mm).
        trim_x0, trim_y0 = 7 * MM * Z, 7 * MM * Z
        trim_x1, trim_y1 = trim_x0 + 85 * MM * Z, trim_y0 + 55 * MM * Z
        centre = (round(trim_x0 + 60 * MM * Z), round(trim_y0 + 45 * MM * Z))
        # RGB blue, converted to CMYK (FOGRA39) by the autofix: the proof shows the printable blue.
        assert _near(up.getpixel(centre), (0, 0, 255), 12)
        after = im.getpixel(centre)
        assert after[2] < 225 and max(after[0], after[1]) > 20, after
        # The bleed the autofix added is art in the proof; the upload's proof shades it as missing.
        in_bleed = (round(trim_x0 - 1.5 * MM * Z), centre[1])
        assert abs(im.getpixel(in_bleed)[2] - after[2]) < 30 and im.getpixel(in_bleed)[2] > im.getpixel(in_bleed)[0] + 40
        assert up.getpixel(in_bleed)[0] > up.getpixel(in_bleed)[2]  # red shading over the grey canvas
        # Lines where the boxes are: trim (solid), bleed 3 mm outside (dashed), safety 3 mm inside (dotted).
        mid0, mid1 = trim_y0 + 10 * MM * Z, trim_y1 - 10 * MM * Z
        assert _column_has(im, trim_x0, mid0, mid1, TRIM)
        assert _column_has(im, trim_x1, mid0, mid1, TRIM)
        assert _column_has(im, trim_x0 - 3 * MM * Z, mid0, mid1, BLEED)
        assert _column_has(im, trim_x0 + 3 * MM * Z, mid0, mid1, SAFETY)
        assert not _column_has(im, trim_x0 + 1.5 * MM * Z, mid0, mid1, SAFETY)  # and not elsewhere
        # Each finding the fixes left is tagged with its check's name; fixed ones are not marked.
        marks = {m["checkId"]: m for m in entry["marks"]}
        assert "bleed" not in marks and "color_mode" not in marks
        tag = marks["min_font_size"]["tag"]
        assert marks["min_font_size"]["label"] == "Minimum Font Size"
        assert _near(im.getpixel((tag[0] + 2, tag[1] + 2)), OTHER, 10)
        text_box = marks["min_font_size"]["box"]
        assert abs(text_box[0] - (trim_x0 + 20 * MM * Z)) < 6  # the mark is on the 4 pt line


def test_proofs_are_readable_on_a_desktop_by_default(tmp_path: Path) -> None:
    src = rgb_card(tmp_path / "card.pdf")
    entry = render_proofs(src, {}, tmp_path / "p")[0]
    # A business card is rendered at 300 dpi: about 1100 px wide, 4 pt text is ~17 px high.
    assert 1000 <= entry["width"] <= 1700
    a4 = tmp_path / "a4.pdf"
    doc = pymupdf.open()
    doc.new_page(width=595, height=842)
    doc.save(a4)
    big = render_proofs(a4, {}, tmp_path / "a4")[0]
    assert 1400 <= max(big["width"], big["height"]) <= 1900


def test_max_pages_limits_the_proof(tmp_path: Path) -> None:
    doc = pymupdf.open()
    for _ in range(6):
        doc.new_page(width=200, height=200)
    path = tmp_path / "six.pdf"
    doc.save(path)
    assert [e["page"] for e in render_proofs(path, {}, tmp_path / "p", dpi=36, max_pages=4)] == [1, 2, 3, 4]


def test_a_long_document_fixes_only_the_pages_its_proof_shows(tmp_path: Path) -> None:
    doc = pymupdf.open()
    for n in range(12):
        page = doc.new_page(width=200, height=200)
        page.draw_rect(page.rect, color=None, fill=(0, 0, 1))
        page.insert_text((30, 100), f"page {n + 1}", fontsize=3, color=(1, 1, 1))
    path = tmp_path / "long.pdf"
    doc.save(path)
    profile = get_builtin_profile("prof_print_ready")
    report = run_preflight(path, profile, source_name=path.name)
    assert {f["page"] for f in report["evaluation"]["findings"] if f["ruleId"] == "text_too_small"} == set(range(1, 13))
    pages, fixed = render_fixed_proofs(path, report, profile, tmp_path / "p", max_pages=2, dpi=36)
    assert [e["page"] for e in pages] == [1, 2]
    assert fixed["outcome"] == "fixed"
    # The fixes ran on those two pages only: what they report touching is within them.
    touched = {p for a in fixed["applied"] for p in (a.get("pages") or [])}
    assert touched <= {1, 2}
    assert all(any(m["checkId"] == "min_font_size" for m in e["marks"]) for e in pages)
    assert not list((tmp_path / "p").glob("*.pdf"))  # the fixed copies are not left behind


def test_marks_follow_the_halves_of_a_split_spread(tmp_path: Path) -> None:
    """A spread split in two by the autofix moves every later page down one: each finding's mark lands
    on the proof of the half (and of the page) it belongs to, not on the page that now has its number."""
    w, h = 90 * MM, 120 * MM
    doc = pymupdf.open()
    doc.new_page(width=w, height=h)
    spread = doc.new_page(width=2 * w, height=h)
    spread.insert_text((20 * MM, 60 * MM), "small text on the left half", fontsize=4)
    spread.insert_text((w + 20 * MM, 60 * MM), "small text on the right half", fontsize=4)
    last = doc.new_page(width=w, height=h)
    last.insert_text((20 * MM, 90 * MM), "small text on the last page", fontsize=4)
    src = tmp_path / "spread.pdf"
    doc.save(src)
    profile = get_builtin_profile("prof_print_ready")
    profile["checks"]["page_layout"] = {"action": "autofix", "mode": "single"}
    report = run_preflight(src, profile, source_name=src.name)
    assert {f["page"] for f in report["evaluation"]["findings"] if f["ruleId"] == "text_too_small"} == {2, 3}

    pages, fixed = render_fixed_proofs(src, report, profile, tmp_path / "p", dpi=36)
    assert "split_spreads" in {a["strategy"] for a in fixed["applied"]}
    assert [e["page"] for e in pages] == [1, 2, 3, 4]
    small = {e["page"]: [m for m in e["marks"] if m["checkId"] == "min_font_size"] for e in pages}
    assert {page for page, marks in small.items() if marks} == {2, 3, 4}, small
    # Each half shows its own line only: one mark each, inside the half's canvas.
    assert len(small[2]) == 1 and len(small[3]) == 1 and len(small[4]) == 1
    for entry in pages[1:3]:
        x0, _y0, x1, _y1 = small[entry["page"]][0]["box"]
        assert 0 <= x0 < x1 <= entry["width"]
