"""Every defect the checks engineer's generator builds: where the finding offers a fix, running it
makes the finding disappear on re-preflight, or the fix says clearly why it could not."""

from __future__ import annotations

from pathlib import Path

import pytest

from printgate.core.fixes import run_autofix
from printgate.core.preflight import run_preflight
from tests.preflight import pdfgen
from tests.preflight.conftest import profile_for

# Defects whose fix must remove the finding.
MUST_FIX = {
    "bleed_missing", "trimbox_missing", "page_rotated", "page_layout_mismatch", "color_mode_not_allowed",
    "output_intent_missing", "rich_black", "font_not_embedded", "font_not_subset", "stroke_too_thin",
    "image_high_resolution", "image_compression_not_allowed", "transparency_present", "layers_present",
    "annotations_present", "javascript_present", "attachments_present", "form_fields_present", "xfa_present",
    "signature_present", "encrypted", "pdf_version_unsupported", "not_linearized",
}


# A fix may not create new findings, except where the report's own parameters imply it: the
# TrimBox inferred without an order size is the whole page, which then has no bleed inset.
ALLOWED_NEW = {"trimbox_missing": {"trimbox_incorrect"}}


@pytest.mark.parametrize("rule", sorted(pdfgen.DEFECTS))
def test_defect_fix_removes_finding(rule: str, tmp_path: Path) -> None:
    src = pdfgen.DEFECTS[rule](tmp_path / "in.pdf")
    profile, context = profile_for(rule)
    report = run_preflight(src, profile, source_name="in.pdf", context=context)
    ours = [f for f in report["evaluation"]["findings"] if f["ruleId"] == rule]
    if not ours or not any((f.get("autofix") or {}).get("available") for f in ours):
        assert rule not in MUST_FIX, f"{rule}: preflight offers no fix"
        return
    out = tmp_path / "out.pdf"
    result = run_autofix(src, out, report, profile, items=[rule])
    if result["outcome"] == "unchanged":
        assert rule not in MUST_FIX, result
        assert all(s["reason"] for s in result["skipped"])
        return
    after = run_preflight(out, profile, source_name="out.pdf", context=context)
    remaining = [f for f in after["evaluation"]["findings"] if f["ruleId"] == rule]
    assert not remaining, (result, remaining)
    before_rules = {f["ruleId"] for f in report["evaluation"]["findings"]}
    new = {f["ruleId"] for f in after["evaluation"]["findings"]} - before_rules - ALLOWED_NEW.get(rule, set())
    assert not new, f"{rule} fix introduced {sorted(new)}"
