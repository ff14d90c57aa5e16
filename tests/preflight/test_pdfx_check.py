"""The ``pdfx`` check (issue 12): a profile that asks for PDF/X gets the PDF/X rules' findings and the
``identify_pdfx`` fix (converting), which autofix applies; a file's PDF/X claim is confirmed by the rules,
not trusted; a check whose rules could not run never passes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pikepdf
import pytest

from printgate.core.fixes import run_autofix
from printgate.core.preflight import run_preflight
from printgate.core.validation import CannotValidate, validate_file
from tests.fixes.pdfx_inputs import rgb_transparent

from . import pdfgen
from .conftest import findings, print_ready


def pdfx_profile(standard: str, action: str = "autofix") -> dict[str, Any]:
    return print_ready(pdfx={"action": action, "standard": standard})


def test_a_pdfx_profile_reports_the_rules_and_autofix_converts(tmp_path: Path) -> None:
    src = rgb_transparent(tmp_path / "art.pdf")
    profile = pdfx_profile("PDF/X-1a")
    report = run_preflight(src, profile, source_name="art.pdf")
    [hit] = findings(report, "pdfx_not_compliant")
    clauses = {(f["clause"], f["testNumber"]) for f in hit["failures"]}
    assert {("6.2.3", 1), ("6.2.4", 2), ("6.2.4", 4), ("6.2.1", 1), ("6.6", 1)} <= clauses
    assert all(f["ruleId"].startswith("pdfx1a:") and f["location"] for f in hit["failures"])
    assert hit["autofix"] == {"available": True, "runner": "optimize", "strategy": "identify_pdfx",
                              "params": {"level": "x1a", "convert": True}, "scheduled": True}
    assert hit["autofixMessage"] == "We'll convert your file to PDF/X-1a automatically before printing."
    out = tmp_path / "fixed.pdf"
    result = run_autofix(src, out, report, profile, items=["pdfx_not_compliant"])
    [applied] = [a for a in result["applied"] if a["strategy"] == "identify_pdfx"]
    assert applied["detail"].startswith("converted and identified as PDF/X-1a; the validator confirms it")
    assert validate_file(out, ["pdfx-1a"])["compliant"] is True
    assert not findings(run_preflight(out, profile, source_name="fixed.pdf"), "pdfx_not_compliant")


def test_a_claim_is_confirmed_by_the_rules(tmp_path: Path) -> None:
    """The clean control is PDF/X-4 and passes; the same file without Trapped still claims PDF/X-4 and
    is flagged by the rules, at the default action too (the declaration alone would have passed it)."""
    clean = pdfgen.make_clean(tmp_path / "clean.pdf")
    assert not findings(run_preflight(clean, None, source_name="clean.pdf"), "pdfx_not_compliant")
    untrapped = tmp_path / "untrapped.pdf"
    with pikepdf.open(clean) as pdf:
        del pdf.docinfo["/Trapped"]
        pdf.save(untrapped)
    [hit] = findings(run_preflight(untrapped, None, source_name="u.pdf"), "pdfx_not_compliant")
    assert hit["severity"] == "warn" and hit["measured_standard"] == "PDF/X-4"
    assert [(f["clause"], f["testNumber"]) for f in hit["failures"]] == [("6.6", 3)]
    assert hit["autofix"]["available"] is True and hit["autofix"]["scheduled"] is False


def test_without_a_claim_or_a_request_the_declaration_decides(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """At the default (warn) a file claiming nothing fails on its declaration, without running the rules."""
    import printgate.core.validation as validation

    def refuse(*args: Any, **kwargs: Any) -> dict[str, Any]:
        raise AssertionError("the PDF/X rules ran")

    monkeypatch.setattr(validation, "validate_file", refuse)
    [hit] = findings(run_preflight(pdfgen.not_pdfx(tmp_path / "n.pdf"), None, source_name="n.pdf"),
                     "pdfx_not_compliant")
    assert hit["problems"] == ["no PDF/X declaration (GTS_PDFXVersion)"] and "failures" not in hit


def test_rules_that_could_not_run_never_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import printgate.core.validation as validation

    clean = pdfgen.make_clean(tmp_path / "clean.pdf")

    def cannot(*args: Any, **kwargs: Any) -> dict[str, Any]:
        raise CannotValidate("the file is damaged and cannot be read (test)")

    monkeypatch.setattr(validation, "validate_file", cannot)
    report = run_preflight(clean, pdfx_profile("PDF/X-4", "reject"), source_name="clean.pdf")
    [hit] = findings(report, "pdfx_not_compliant")
    assert hit["severity"] == "reject" and report["outcome"] == "fail"
    assert hit["problems"] == ["the PDF/X rules could not be run (cannot validate: the file is damaged and "
                               "cannot be read (test))"]

    def crash(*args: Any, **kwargs: Any) -> dict[str, Any]:
        raise RuntimeError("boom")

    monkeypatch.setattr(validation, "validate_file", crash)
    report = run_preflight(clean, pdfx_profile("PDF/X-4", "reject"), source_name="clean.pdf")
    assert "pdfx" not in report["evaluation"]["passed"] and report["outcome"] == "fail"
    assert [f["checkId"] for f in findings(report, "check_not_run")] == ["pdfx"]


def test_parts_without_rules_offer_no_fix(tmp_path: Path) -> None:
    report = run_preflight(pdfgen.make_clean(tmp_path / "c.pdf"), pdfx_profile("PDF/X-6"), source_name="c.pdf")
    [hit] = findings(report, "pdfx_not_compliant")
    assert hit["problems"] == ["declares PDF/X-4, not PDF/X-6"] and hit["autofix"] == {"available": False}
