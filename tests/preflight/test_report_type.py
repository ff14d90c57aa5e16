"""The typed preflight report (``core/preflight/report.py``): the engine's result is a ``PreflightReport``;
its wire form is the JSON the stored reports and SDK fixtures have, key order included, and reading a
stored report back loses nothing."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from printgate.core.preflight import PreflightReport, preflight_report, run_preflight
from printgate.core.preflight.report import Evaluation

from . import pdfgen
from .conftest import print_ready

WIRE_KEYS = ["source", "kind", "errors", "pdf", "pages", "fonts", "images", "spot_colors", "evaluation", "outcome",
             "facts"]
EVALUATION_KEYS = ["profileId", "findings", "passed", "skipped", "skippedReasons", "ignored", "summary",
                   "recommendedAutofix"]


def test_a_pdf_report_is_typed_and_its_wire_has_the_stored_shape(tmp_path: Path) -> None:
    path = pdfgen.no_bleed(tmp_path / "nobleed.pdf")
    profile = print_ready(bleed={"action": "reject"})
    report = preflight_report(path, profile, source_name="nobleed.pdf", workers=1)
    assert isinstance(report, PreflightReport) and isinstance(report.evaluation, Evaluation)
    assert report.kind == "pdf" and report.page_count == 1 and report.raster is None and not report.repaired
    assert report.rejected_rules() == {"bleed_missing"}  # the others (trim box, text...) only warn
    assert report.outcome == "fail" and report.count("reject") == report.evaluation.summary.fail > 0

    wire = report.to_wire()
    assert list(wire) == WIRE_KEYS and list(wire["evaluation"]) == EVALUATION_KEYS
    assert wire["source"] == {"name": "nobleed.pdf", "sizeBytes": path.stat().st_size}
    assert wire["evaluation"]["summary"]["fail"] == report.count("reject")
    assert list(wire["evaluation"]["summary"]) == ["fail", "warn", "info", "ignored", "pass", "skipped",
                                                   "autofixable", "autofixableFails"]
    # The wire entry point answers the same JSON, byte for byte.
    again = run_preflight(path, profile, source_name="nobleed.pdf", workers=1)
    assert json.dumps(again) == json.dumps(wire)


def test_a_raster_report_carries_raster_after_a_null_pdf(tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    Image.new("RGB", (300, 200), (200, 10, 10)).save(path, dpi=(72, 72))
    report = preflight_report(path, None, source_name="photo.png")
    assert report.kind == "raster" and report.pdf is None and report.raster and report.page_count is None
    wire = report.to_wire()
    assert list(wire) == ["source", "kind", "errors", "pdf", "raster", *WIRE_KEYS[4:]]
    assert wire["pdf"] is None and wire["raster"]["width_px"] == 300


def test_a_stored_report_reads_back_to_the_same_report_and_bytes(tmp_path: Path) -> None:
    for path in (pdfgen.make_clean(tmp_path / "clean.pdf"), pdfgen.wrong_size(tmp_path / "wrong.pdf")):
        report = preflight_report(path, print_ready(), source_name=path.name, workers=1)
        stored = json.dumps(report.to_wire(), default=str)
        back = PreflightReport.from_wire(json.loads(stored))
        assert back == report
        assert json.dumps(back.to_wire(), default=str) == stored


def test_a_report_without_an_evaluation_reads_as_no_findings_never_a_pass() -> None:
    """A processing phase may find its intake's newest report is a ``validate`` one."""
    back = PreflightReport.from_wire({"compliant": False, "profiles": []})
    assert back.findings == [] and back.outcome == "na" and back.rejected_rules() == set()
    assert back.to_wire()["evaluation"]["findings"] == []
