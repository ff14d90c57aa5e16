"""``auto`` validates the PDF/X part a file claims (Info GTS_PDFXVersion for X-1a and X-3, the X-1a
conformance key, XMP pdfxid:GTS_PDFXVersion for X-4), beside the PDF/A and PDF/UA parts it claims."""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pytest

from printgate.core.validation import validate_file
from tests.core.validation.pdfx_pdfs import make_pdfx


def _auto(path: Path) -> list[tuple[str, str, bool]]:
    return [(p["requested"], p["matched"], p["compliant"]) for p in validate_file(path, ["auto"])["profiles"]]


def test_a_file_claiming_pdfx4_is_validated_as_pdfx4(tmp_path: Path) -> None:
    report = validate_file(make_pdfx(tmp_path / "x4.pdf", "4"), "auto")
    [prof] = report["profiles"]
    assert (prof["requested"], prof["flavour"], prof["matched"]) == ("auto", "pdfx-4", "x4")
    assert prof["profileName"] == "PDF/X-4 validation profile" and prof["compliant"] is True, prof["failures"]
    assert report["compliant"] is True


@pytest.mark.parametrize(("part", "code"), [("1a", "x1a"), ("1a:2001", "x1a"), ("3", "x3"), ("3:2002", "x3")])
def test_info_version_keys_name_the_classic_parts(tmp_path: Path, part: str, code: str) -> None:
    assert _auto(make_pdfx(tmp_path / "x.pdf", part)) == [("auto", code, True)]


def test_the_x1a_conformance_key_alone_names_pdfx1a(tmp_path: Path) -> None:
    def conformance_only(pdf: pikepdf.Pdf) -> None:
        del pdf.trailer.Info["/GTS_PDFXVersion"]
        pdf.trailer.Info.GTS_PDFXConformance = pikepdf.String("PDF/X-1a:2001")

    path = make_pdfx(tmp_path / "x.pdf", "1a", mutate=conformance_only)
    [prof] = validate_file(path, "auto")["profiles"]
    # Judged as PDF/X-1a, and the missing version key is what it is told.
    assert prof["matched"] == "x1a" and prof["compliant"] is False
    assert {(f["clause"], f["testNumber"]) for f in prof["failures"]} == {("6.6", 1)}


def test_a_claim_the_file_does_not_meet_is_reported_failing(tmp_path: Path) -> None:
    path = make_pdfx(tmp_path / "x.pdf", "4", mutate=lambda pdf: pdf.pages[0].obj.__delitem__("/TrimBox"))
    [prof] = validate_file(path, "auto")["profiles"]
    assert prof["matched"] == "x4" and prof["compliant"] is False
    assert [f["clause"] for f in prof["failures"]] == ["6.2.2"]


def test_a_file_claiming_nothing_is_still_judged_as_pdfa1b(tmp_path: Path) -> None:
    def unclaimed(pdf: pikepdf.Pdf) -> None:
        del pdf.trailer.Info["/GTS_PDFXVersion"]

    assert [m for _, m, _ in _auto(make_pdfx(tmp_path / "x.pdf", "3", mutate=unclaimed))] == ["1b"]


def test_pdfa_and_pdfx_claims_are_both_validated(tmp_path: Path) -> None:
    def also_pdfa(pdf: pikepdf.Pdf) -> None:
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            meta["pdfaid:part"] = "2"
            meta["pdfaid:conformance"] = "B"

    matched = [m for _, m, _ in _auto(make_pdfx(tmp_path / "x.pdf", "4", mutate=also_pdfa))]
    assert matched == ["2b", "x4"]
