"""Issue 11, the closing catalog pass: checks that passed while their defect was still there.

Each test builds the defect the way a real file carries it and fails on the code before the fix:
text wholly in the bleed (cut off at the trim), an image or text inside a tiling pattern (measured
without the pattern's matrix), and a check that crashes (it used to count as skipped, so a file
under a reject rule could pass without that rule ever being judged).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pikepdf
import pytest

from printgate.core.preflight import get_builtin_profile, run_preflight
from printgate.core.preflight.catalog import registry
from tests.preflight import pdfgen as G

PROFILE = get_builtin_profile("prof_print_ready")


def _findings(path: Path, profile: dict | None = PROFILE) -> dict[str, dict]:
    report = run_preflight(path, profile, source_name=path.name)
    return {f["ruleId"]: f for f in report["evaluation"]["findings"]}


def _text_at(x: float, word: bytes = b"i", size: float = 5) -> bytes:
    return b"q 0 0 0 1 k BT /F1 " + f"{size} Tf {x:.2f} 400 Td (".encode() + word + b") Tj ET Q\n"


def test_text_wholly_in_the_bleed_is_outside_the_safe_zone(tmp_path: Path) -> None:
    # x = 1 pt: inside the 3 mm (8.5 pt) bleed, left of the trim; the trim cuts it off.
    path = G._one_page(tmp_path / "bleed-text.pdf", text=_text_at(1.0))
    found = _findings(path)
    assert "text_outside_safe_zone" in found
    assert found["text_outside_safe_zone"]["severity"] == "reject"
    rect = found["text_outside_safe_zone"]["locate"]["boxes"][0]["rect"]
    assert rect[2] <= G.BLEED + 0.5  # the box pointed at is the text in the bleed


def test_slug_text_beyond_the_bleed_box_is_not_judged(tmp_path: Path) -> None:
    """Job information in the slug (outside the BleedBox) is not printed on the product."""
    wide = G.TRIM_W + 2 * G.BLEED + 40
    path = G._one_page(tmp_path / "slug.pdf", text=_text_at(2.0), width=wide, trim_inset=None, bleed_box=False)
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        page = pdf.pages[0]
        # Trim 20 pt in from the left, a 3 mm bleed box around it: the text at x = 2 is in the slug.
        page.obj.TrimBox = pikepdf.Array([20 + G.BLEED, G.BLEED, 20 + G.BLEED + G.TRIM_W, G.BLEED + G.TRIM_H])
        page.obj.BleedBox = pikepdf.Array([20, 0, 20 + G.TRIM_W + 2 * G.BLEED, G.TRIM_H + 2 * G.BLEED])
        pdf.save(path)
    assert "text_outside_safe_zone" not in _findings(path)


def _with_pattern(path: Path, tile: bytes, resources: pikepdf.Dictionary, matrix: list[float],
                  area: tuple[float, float, float, float]) -> Path:
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        pat = pikepdf.Stream(pdf, tile)
        pat.Type, pat.PatternType, pat.PaintType, pat.TilingType = pikepdf.Name.Pattern, 1, 1, 1
        pat.BBox, pat.XStep, pat.YStep = [0, 0, 1, 1], 1, 1
        pat.Resources = pdf.copy_foreign(resources) if resources.is_indirect else resources
        pat.Matrix = matrix
        page = pdf.pages[0]
        page.obj.Resources.Pattern = pikepdf.Dictionary(P1=pdf.make_indirect(pat))
        x, y, w, h = area
        page.contents_add(pikepdf.Stream(pdf, f"q /Pattern cs /P1 scn {x} {y} {w} {h} re f Q".encode()))
        pdf.save(path)
    return path


def test_low_resolution_image_in_a_tiling_pattern_is_found(tmp_path: Path) -> None:
    """A 30 px image filling a 300 pt tile is 7 ppi, however the pattern paints it."""
    path = G._one_page(tmp_path / "pattern-image.pdf", image=b"")
    with pikepdf.open(path) as src:
        img = G.image_xobject(src, 30, 30)
        resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im1=img))
        scratch = tmp_path / "res.pdf"
        src.Root.Scratch = src.make_indirect(resources)
        src.save(scratch)
    with pikepdf.open(scratch) as holder:
        tile_res = holder.Root.Scratch
        _with_pattern(path, b"q 1 0 0 1 0 0 cm /Im1 Do Q", tile_res, [300, 0, 0, 300, 60, 60], (60, 60, 300, 300))
    found = _findings(path)
    assert "image_low_resolution" in found, sorted(found)
    assert found["image_low_resolution"]["measured_ppi" if "measured_ppi" in found["image_low_resolution"]
                                         else "measured_dpi"] < 10
    assert "image_high_resolution" not in found


def test_small_text_in_a_tiling_pattern_is_found(tmp_path: Path) -> None:
    """40 pt text in a tile the pattern shrinks to a tenth prints at 4 pt."""
    path = G._one_page(tmp_path / "pattern-text.pdf")
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        font = pdf.pages[0].obj.Resources.Font.F1
        tile_res = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
        pat = pikepdf.Stream(pdf, b"BT /F1 40 Tf 0 5 Td (Tiny) Tj ET")
        pat.Type, pat.PatternType, pat.PaintType, pat.TilingType = pikepdf.Name.Pattern, 1, 1, 1
        pat.BBox, pat.XStep, pat.YStep = [0, 0, 200, 60], 200, 60
        pat.Resources = tile_res
        pat.Matrix = [0.1, 0, 0, 0.1, 100, 300]
        page = pdf.pages[0]
        page.obj.Resources.Pattern = pikepdf.Dictionary(P1=pdf.make_indirect(pat))
        page.contents_add(pikepdf.Stream(pdf, b"q /Pattern cs /P1 scn 100 300 20 6 re f Q"))
        pdf.save(path)
    found = _findings(path)
    assert "text_too_small" in found, sorted(found)
    assert found["text_too_small"]["measured_pt"] == pytest.approx(4.0, abs=0.05)


@pytest.mark.parametrize(("check_id", "action", "severity", "outcome"), [
    ("min_font_size", "reject", "reject", "fail"),
    ("fonts_embedded", "warn", "warn", "warn"),
])
def test_a_check_that_crashes_is_a_finding_not_a_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      check_id: str, action: str, severity: str, outcome: str) -> None:
    """Fault injection: the check's function raises as a bug or a hostile object would make it."""
    path = G.make_clean(tmp_path / "clean.pdf")
    profile = {"id": "p", "kind": "pdf", "checks": {check_id: {"action": action}}}
    assert run_preflight(path, profile, source_name="clean.pdf")["outcome"] == "pass"

    def broken(ctx: object, settings: dict) -> list:
        raise ValueError("a hostile object")

    monkeypatch.setitem(registry(), check_id, dataclasses.replace(registry()[check_id], fn=broken))
    report = run_preflight(path, profile, source_name="clean.pdf")
    assert report["outcome"] == outcome
    found = [f for f in report["evaluation"]["findings"] if f["ruleId"] == "check_not_run"]
    assert found and found[0]["checkId"] == check_id and found[0]["severity"] == severity
    assert registry()[check_id].title in found[0]["issue"]
    assert check_id not in report["evaluation"]["passed"]
    assert any(e["code"] == "check_error" and e["checkId"] == check_id for e in report["errors"])


def test_the_outlined_text_key_cannot_hide_content(tmp_path: Path) -> None:
    """A form carrying the outlined-text key but painting an image is walked like any form."""
    path = G._one_page(tmp_path / "spoof.pdf", image=b"")
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        img = G.image_xobject(pdf, 30, 30)
        form = pikepdf.Stream(pdf, b"q 300 0 0 300 0 0 cm /Im1 Do Q")
        form.Type, form.Subtype, form.BBox = pikepdf.Name.XObject, pikepdf.Name.Form, [0, 0, 300, 300]
        form.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im1=img))
        form.PrintgateText = pikepdf.Dictionary(Box=[0, 0, 0.001, 0.001])
        page = pdf.pages[0]
        page.obj.Resources.XObject.Fx = pdf.make_indirect(form)
        page.contents_add(pikepdf.Stream(pdf, b"q 1 0 0 1 60 60 cm /Fx Do Q"))
        pdf.save(path)
    assert "image_low_resolution" in _findings(path)
