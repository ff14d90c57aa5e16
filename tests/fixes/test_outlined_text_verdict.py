"""Issue 11, hole 1: outlining text must not hide small text or text outside the safe zone.

Text that became outlines is still text for ``min_font_size`` and ``text_safe_zone``: the fix keeps
its geometry in the file (marked glyph forms, or marks for Ghostscript's outliner), and the
re-preflight judges it as the preflight did. Only ``text_outlines`` is cleared by outlining.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pikepdf
import pymupdf
import pytest

from printgate.core.fixes import run_autofix
from printgate.core.preflight import get_builtin_profile, run_preflight
from tests.conftest import b64

MM = 72 / 25.4
WATCHED = {"text_too_small", "text_outside_safe_zone"}


def business_card(path: Path, *, tiny: bool = True, edge: bool = True, stroked: bool = False) -> Path:
    """85 x 55 mm card with 3 mm bleed, an embedded font; 4 pt text and a line 1.5 mm from the trim."""
    doc = pymupdf.open()
    page = doc.new_page(width=91 * MM, height=61 * MM)
    page.set_trimbox(pymupdf.Rect(3 * MM, 3 * MM, 88 * MM, 58 * MM))
    page.set_bleedbox(page.rect)
    page.draw_rect(page.rect, color=None, fill=(0.9, 0.9, 0.9))
    page.insert_font(fontname="emb", fontbuffer=pymupdf.Font("helv").buffer)
    page.insert_text((12 * MM, 20 * MM), "Jane Doe, Printer", fontname="emb", fontsize=11)
    if tiny:
        page.insert_text((12 * MM, 30 * MM), "tiny four point legal text", fontname="emb", fontsize=4)
    if edge:
        page.insert_text((12 * MM, 56.5 * MM), "text outside the safe zone", fontname="emb", fontsize=8)
    doc.save(path)
    if stroked:  # fill + stroke text: the shared outliner refuses it, Ghostscript outlines it
        with pikepdf.open(path, allow_overwriting_input=True) as pdf:
            contents = pdf.pages[0].obj.Contents
            for stream in contents if isinstance(contents, pikepdf.Array) else [contents]:
                data = stream.read_bytes()
                if b"BT" in data:
                    stream.write(data.replace(b"BT", b"BT 2 Tr 0.1 w", ))
            pdf.save(path)
    return path


def outlining_profile(action: str = "reject") -> dict:
    profile = copy.deepcopy(get_builtin_profile("prof_business_card"))
    profile["checks"]["text_outlines"] = {"action": "autofix"}
    profile["checks"]["min_font_size"] = {"action": action, "pt": 6.0}
    profile["checks"]["text_safe_zone"] = {"action": action, "safe_zone_pt": 8.5}
    return profile


def _watched(report: dict) -> dict[str, dict]:
    return {f["ruleId"]: f for f in report["evaluation"]["findings"] if f["ruleId"] in WATCHED | {"text_not_outlined"}}


def _fonts(path: Path) -> list:
    with pymupdf.open(path) as doc:
        return doc[0].get_fonts(full=True)


@pytest.mark.parametrize("stroked", [False, True], ids=["shared-outlines", "ghostscript-outlines"])
def test_outlined_card_still_reports_small_and_unsafe_text(tmp_path: Path, stroked: bool) -> None:
    src = business_card(tmp_path / "card.pdf", stroked=stroked)
    profile = outlining_profile()
    before = run_preflight(src, profile, source_name=src.name)
    seen = _watched(before)
    assert {"text_too_small", "text_outside_safe_zone", "text_not_outlined"} <= set(seen)

    out = tmp_path / "fixed.pdf"
    result = run_autofix(src, out, before, profile)
    outlined = [a for a in result["applied"] if a["strategy"] == "outline_text"]
    assert outlined, result
    assert ("one path per glyph occurrence" in outlined[0]["detail"]) is stroked  # the path under test ran
    assert _fonts(out) == []  # the text really is outlines now

    after = run_preflight(out, profile, source_name=out.name)
    again = _watched(after)
    assert "text_not_outlined" not in again  # what outlining does change is cleared
    assert set(again) >= WATCHED, sorted(again)  # what it does not change is still judged
    assert after["outcome"] == "fail"
    assert all(again[r]["severity"] == "reject" for r in WATCHED)
    # The same text is measured: 4 pt, and the edge line's boxes sit where they sat.
    assert again["text_too_small"]["measured_pt"] == pytest.approx(seen["text_too_small"]["measured_pt"], abs=0.05) == 4.0
    box_before = seen["text_outside_safe_zone"]["locate"]["boxes"][0]["rect"]
    box_after = again["text_outside_safe_zone"]["locate"]["boxes"][0]["rect"]
    assert box_after[1] == pytest.approx(box_before[1], abs=1.5) and box_after[3] == pytest.approx(box_before[3], abs=1.5)


def test_outlining_a_good_card_invents_no_findings(tmp_path: Path) -> None:
    src = business_card(tmp_path / "good.pdf", tiny=False, edge=False)
    profile = outlining_profile()
    before = run_preflight(src, profile, source_name=src.name)
    assert set(_watched(before)) == {"text_not_outlined"}
    out = tmp_path / "fixed.pdf"
    result = run_autofix(src, out, before, profile)
    assert any(a["strategy"] == "outline_text" for a in result["applied"]), result
    assert _watched(run_preflight(out, profile, source_name=out.name)) == {}


def test_a_fix_that_really_enlarges_text_clears_the_finding(tmp_path: Path) -> None:
    """The marks follow the content: text scaled up after outlining is judged at its new size."""
    src = business_card(tmp_path / "card.pdf", edge=False)
    profile = outlining_profile()
    out = tmp_path / "fixed.pdf"
    run_autofix(src, out, run_preflight(src, profile, source_name=src.name), profile)
    assert "text_too_small" in _watched(run_preflight(out, profile, source_name=out.name))
    bigger = tmp_path / "bigger.pdf"
    with pikepdf.open(out) as pdf:
        page = pdf.pages[0]
        page.contents_coalesce()
        # Scale the artwork 2x about the trim's lower-left corner: 4 pt text becomes 8 pt.
        x, y = 3 * MM, 3 * MM
        page.obj.Contents.write(f"q 2 0 0 2 {-x} {-y} cm\n".encode() + page.obj.Contents.read_bytes() + b"\nQ")
        pdf.save(bigger)
    assert "text_too_small" not in _watched(run_preflight(bigger, profile, source_name=bigger.name))


def test_fix_job_with_outlining_is_not_can_proceed(client, auth: dict[str, str], instance, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Through the API: preflight, autofix (outlining), re-preflight: the job stays rejected."""
    checks = outlining_profile()["checks"]
    created = client.post("/profiles", headers=auth, json={"name": "card, outlined", "kind": "pdf", "checks": checks})
    assert created.status_code == 201, created.text
    src = business_card(tmp_path / "card.pdf")
    job = client.post("/jobs/fix", headers=auth, json={
        "sources": [{"file": b64(src), "profileId": created.json()["profile"]["id"]}], "repreflight": True}).json()["job"]
    instance.drain()
    body = client.get(f"/jobs/{job['id']}", headers=auth).json()["job"]
    steps = body["tasks"][0]["steps"]
    assert [s["type"] for s in steps] == ["preflight", "autofix", "repreflight", "deliver"]
    assert any(a["strategy"] == "outline_text" for a in steps[1]["runtimeParams"]["applied"]), steps[1]
    reports = body["results"]["preflight"]
    last = reports[-1]["report"]["evaluation"]["findings"]
    assert {f["ruleId"] for f in last} >= WATCHED
    assert body["canProceed"] is False and body["status"] == "rejected"


def test_flattening_transparency_keeps_small_text_judged(tmp_path: Path) -> None:
    """Ghostscript's flattening rasterises a transparent page, its text included: the re-preflight
    must still see the 4 pt line (the same marks as outlining put back)."""
    src = business_card(tmp_path / "card.pdf", edge=False)
    with pikepdf.open(src, allow_overwriting_input=True) as pdf:
        page = pdf.pages[0]
        page.obj.Resources.ExtGState = pikepdf.Dictionary(Half=pikepdf.Dictionary(Type=pikepdf.Name.ExtGState, ca=0.5))
        page.contents_add(pikepdf.Stream(pdf, b"q /Half gs 0 0 1 rg 20 20 80 40 re f Q"))
        pdf.save(src)
    profile = outlining_profile()
    profile["checks"]["text_outlines"] = {"action": "off"}
    profile["checks"]["transparency"] = {"action": "autofix"}
    before = run_preflight(src, profile, source_name=src.name)
    assert {"text_too_small", "transparency_present"} <= {f["ruleId"] for f in before["evaluation"]["findings"]}
    out = tmp_path / "flat.pdf"
    result = run_autofix(src, out, before, profile, items=["transparency_present"])
    assert [a["strategy"] for a in result["applied"]] == ["flatten_transparency"], result
    after = {f["ruleId"]: f for f in run_preflight(out, profile, source_name=out.name)["evaluation"]["findings"]}
    assert "transparency_present" not in after
    assert after["text_too_small"]["measured_pt"] == pytest.approx(4.0, abs=0.05)


def test_a_later_ghostscript_rewrite_does_not_drop_the_outlined_texts_marks(tmp_path: Path) -> None:
    """Lowering the PDF version rewrites the file with Ghostscript, which would drop the marks that
    keep outlined text measurable: the fix refuses (the version finding stays) rather than blind them."""
    from tests.fixes.fixkit import finding, report

    src = business_card(tmp_path / "card.pdf")
    profile = outlining_profile()
    out = tmp_path / "outlined.pdf"
    run_autofix(src, out, run_preflight(src, profile, source_name=src.name), profile)
    lowered = tmp_path / "lowered.pdf"
    result = run_autofix(out, lowered, report(finding("pdf_version_unsupported", "set_pdf_version", {"version": "1.3"})),
                         None)
    assert result["outcome"] == "unchanged", result
    assert "outlined" in result["skipped"][0]["reason"]
    assert set(_watched(run_preflight(out, profile, source_name=out.name))) >= WATCHED
