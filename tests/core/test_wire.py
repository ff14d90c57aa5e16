"""Customer-facing findings: duplicates collapse, autofix promises only what processing will do."""

from __future__ import annotations

from printgate.core.wire import _customer_findings


def _finding(rule: str, page: int | None, severity: str = "warn", **autofix: object) -> dict:
    return {"ruleId": rule, "checkId": rule.split("_")[0], "page": page, "severity": severity,
            "issue": f"{rule} issue", "fix": f"{rule} fix", "autofix": autofix}


def test_identical_findings_on_a_page_collapse_with_a_count() -> None:
    report = {"evaluation": {"findings": [
        _finding("image_low_resolution", 1), _finding("image_low_resolution", 1), _finding("image_low_resolution", 1),
        _finding("image_low_resolution", 2), _finding("bleed_missing", 1, available=True, scheduled=True),
    ]}}
    out = _customer_findings(report)
    assert [(f["ruleId"], f["page"], f["count"]) for f in out] == [
        ("image_low_resolution", 1, 3), ("image_low_resolution", 2, 1), ("bleed_missing", 1, 1)]
    assert out[2]["autofix"] is True and out[0]["autofix"] is False


def test_blocking_or_unscheduled_fixes_are_not_promised() -> None:
    report = {"evaluation": {"findings": [
        _finding("annotations_present", 1, "reject", available=True, scheduled=False),
        _finding("output_intent_missing", None, "warn", available=True, scheduled=False),
    ]}}
    assert [f["autofix"] for f in _customer_findings(report)] == [False, False]
    assert _customer_findings(None) == []
