"""PDF/X identification (``identify_pdfx``): our own CMYK output (raster_to_pdf: FOGRA39, TrimBox and
BleedBox, a GTS_PDFX intent) becomes PDF/X by the validator once identified; a file that does not meet
PDF/X otherwise is never identified, and the report says what remains. Through the fix registry, the
validate step with ``autofix`` (which converts first) and ``printgate fix --pdfx``."""

from __future__ import annotations

import json
from pathlib import Path

import pikepdf
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from printgate.cli import main
from printgate.core.fixes import icc
from printgate.core.fixes.color import add_output_intent
from printgate.core.fixes.pdfx import PdfxIdentificationError, identify_file, parse_level
from printgate.core.fixes.registry import FixRequest, FixSkipped, resolve
from printgate.core.fixes.workdoc import WorkDoc
from printgate.core.processing.topdf import raster_to_pdf
from printgate.core.validation import FLAVOURS, validate_file
from tests.conftest import Instance, b64
from tests.core.validation.pdfx_pdfs import make_pdfx
from tests.fixes.pdfx_inputs import missing_font


def cmyk_card(path: Path) -> Path:
    raster_to_pdf(Image.new("RGB", (120, 80), (200, 40, 30)), path, trim_mm=(85, 55), bleed_mm=3, profile="fogra39")
    return path


def rgb_card(path: Path) -> Path:
    """RGB pixels under a CMYK (FOGRA39) GTS_PDFX intent: everything but the colours is ready."""
    raster_to_pdf(Image.new("RGB", (120, 80), (200, 40, 30)), path, trim_mm=(85, 55), bleed_mm=3, profile=None)
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        add_output_intent(pdf, icc.resolve("fogra39"))
        pdf.save(path)
    return path


@pytest.mark.parametrize(("level", "flavour"), [("4", "pdfx-4"), ("x1a", "pdfx-1a"), ("PDF/X-3", "pdfx-3")])
def test_our_cmyk_output_is_pdfx_once_identified(tmp_path: Path, level: str, flavour: str) -> None:
    src = cmyk_card(tmp_path / "card.pdf")
    before = validate_file(src, [flavour])["profiles"][0]
    assert before["compliant"] is False and {f["clause"] for f in before["failures"]} == {"6.6"}
    out = tmp_path / "card-x.pdf"
    result = identify_file(src, out, level, title="Business card")
    assert result["compliant"] is True and result["written"] is True and result["remaining"] == [], result
    report = validate_file(out, [flavour])
    prof = report["profiles"][0]
    assert report["compliant"] is True and prof["rules"]["passed"] == len(FLAVOURS[flavour].rule_ids)
    # The file now says what it is: ``auto`` judges it as that part.
    assert [p["flavour"] for p in validate_file(out, ["auto"])["profiles"]] == [flavour]
    with pikepdf.open(out) as pdf:
        info = pdf.trailer.Info
        assert str(info.Title) == "Business card" and info.Trapped == pikepdf.Name("/False")
        assert str(info.GTS_PDFXVersion) == parse_level(level).version
        with pikepdf.open(src) as original:  # nothing on the page changed
            assert pdf.pages[0].obj.Contents.read_bytes() == original.pages[0].obj.Contents.read_bytes()


def test_an_rgb_file_is_not_identified_and_the_colour_rule_is_listed(tmp_path: Path) -> None:
    out = tmp_path / "rgb-x4.pdf"
    result = identify_file(rgb_card(tmp_path / "rgb.pdf"), out, "x4")
    assert result["compliant"] is False and result["written"] is False and result["applied"] == []
    assert not out.exists()  # no PDF/X claim is written into a file that fails
    assert {(f["clause"], f["testNumber"]) for f in result["remaining"]} == {("6.2.3", 2)}  # device colour vs intent
    assert "6.2.3-2" in result["summary"] and "left unchanged" in result["summary"]


def test_what_the_file_says_is_kept(tmp_path: Path) -> None:
    """A PDF/X-1a file identified as PDF/X-4: its title, dates and Trapped True stay; the X-1a keys go."""
    def trapped(pdf: pikepdf.Pdf) -> None:
        pdf.trailer.Info.Trapped = pikepdf.Name("/True")
        pdf.trailer.Info.GTS_PDFXConformance = pikepdf.String("PDF/X-1a:2003")

    out = tmp_path / "x4.pdf"
    result = identify_file(make_pdfx(tmp_path / "x1a.pdf", "1a", mutate=trapped), out, "4")
    assert result["compliant"] is True, result["remaining"]
    assert not any("title" in line or "Trapped" in line or "creation" in line for line in result["applied"])
    with pikepdf.open(out) as pdf:
        info = pdf.trailer.Info
        assert (str(info.Title), info.Trapped, str(info.GTS_PDFXVersion)) == ("Test card", pikepdf.Name("/True"),
                                                                              "PDF/X-4")
        assert "/GTS_PDFXConformance" not in info and str(info.CreationDate).startswith("D:20240501100000")
        with pdf.open_metadata() as meta:
            assert (meta["pdfxid:GTS_PDFXVersion"], meta["pdf:Trapped"]) == ("PDF/X-4", "True")


def test_bad_input_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PdfxIdentificationError, match="unknown PDF/X level"):
        parse_level("5")
    locked = tmp_path / "locked.pdf"
    with pikepdf.open(cmyk_card(tmp_path / "plain.pdf")) as pdf:
        pdf.save(locked, encryption=pikepdf.Encryption(owner="owner", user=""))
    with pytest.raises(PdfxIdentificationError, match="encrypted"):
        identify_file(locked, tmp_path / "out.pdf", "4")
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"%PDF-1.4\nnot really")
    with pytest.raises(PdfxIdentificationError, match="cannot identify"):
        identify_file(junk, tmp_path / "out.pdf", "4")
    assert not (tmp_path / "out.pdf").exists()


def test_the_registered_fix(tmp_path: Path) -> None:
    spec, extra = resolve("pdfx") or (None, None)
    assert spec is not None and spec.strategy == "identify_pdfx" and extra == {}
    doc = WorkDoc(cmyk_card(tmp_path / "card.pdf"), tmp_path)
    try:
        detail = str(spec.fn(doc, FixRequest("identify_pdfx", {"level": "x4", "title": "Card"})))
        assert "identified as PDF/X-4" in detail
        doc.save(tmp_path / "fixed.pdf")
    finally:
        doc.close()
    assert validate_file(tmp_path / "fixed.pdf", ["x4"])["compliant"] is True
    rgb = WorkDoc(rgb_card(tmp_path / "rgb.pdf"), tmp_path)
    try:
        with pytest.raises(FixSkipped, match=r"6\.2\.3"):
            spec.fn(rgb, FixRequest("identify_pdfx", {"level": "x4"}))
    finally:
        rgb.close()


def _run(client: TestClient, auth: dict[str, str], instance: Instance, path: Path, params: dict) -> dict:
    made = client.post("/jobs", headers=auth, json={"sources": [{"file": b64(path), "name": path.name, "steps": [
        {"type": "validate", "params": params}, {"type": "deliver"}]}]})
    assert made.status_code == 201, made.text
    instance.drain()
    return client.get(f"/jobs/{made.json()['job']['id']}", headers=auth).json()["job"]


def test_the_validate_step_converts_with_autofix(client: TestClient, auth: dict[str, str], instance: Instance,
                                                tmp_path: Path) -> None:
    """A validate step with ``autofix`` and a PDF/X profile converts (issue 12), as ``printgate fix --pdfx``."""
    job = _run(client, auth, instance, cmyk_card(tmp_path / "card.pdf"), {"profile": "x4", "autofix": True})
    step = job["tasks"][0]["steps"][0]
    assert step["outcome"] == "pass" and job["status"] == "ready", step
    assert step["runtimeParams"]["conversion"]["written"] is True
    run = client.get(f"/jobs/{job['id']}", params={"expand": "runs"}, headers=auth).json()["runs"][0]
    delivered = tmp_path / "delivered.pdf"
    delivered.write_bytes(client.get(f"/jobs/{job['id']}/runs/{run['id']}/output", headers=auth).content)
    assert validate_file(delivered, ["x4"])["compliant"] is True
    with pikepdf.open(delivered) as pdf:
        assert str(pdf.trailer.Info.Title) == "card"  # the upload's name

    # RGB under a CMYK intent: identification alone could not make it PDF/X (6.2.3); conversion does.
    assert validate_file(rgb_card(tmp_path / "rgb.pdf"), ["x4"])["compliant"] is False
    rgb = _run(client, auth, instance, rgb_card(tmp_path / "rgb.pdf"), {"profile": ["x4"], "autofix": True})
    step = rgb["tasks"][0]["steps"][0]
    assert step["outcome"] == "pass" and rgb["canProceed"] is True, step
    conversion = step["runtimeParams"]["conversion"]
    assert conversion["written"] is True and conversion["remaining"] == []
    assert any("CMYK" in line for line in conversion["applied"]), conversion
    run = client.get(f"/jobs/{rgb['id']}", params={"expand": "runs"}, headers=auth).json()["runs"][0]
    delivered.write_bytes(client.get(f"/jobs/{rgb['id']}/runs/{run['id']}/output", headers=auth).content)
    assert validate_file(delivered, ["x4"])["compliant"] is True

    # What conversion cannot do (a font that is nowhere) fails the step, says so, and claims nothing.
    bad = _run(client, auth, instance, missing_font(tmp_path / "font.pdf"), {"profile": "x4", "autofix": True})
    step = bad["tasks"][0]["steps"][0]
    assert step["outcome"] == "fail" and bad["canProceed"] is False, step
    conversion = step["runtimeParams"]["conversion"]
    assert conversion["written"] is False and [f["clause"] for f in conversion["remaining"]] == ["6.3"]
    assert "not converted to PDF/X-4" in step["reason"] and "6.3" in step["reason"]
    assert conversion["notes"] and all(note in step["reason"] for note in conversion["notes"])


def test_cli_fix_pdfx(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.pdf"
    assert main(["fix", str(cmyk_card(tmp_path / "card.pdf")), "--pdfx", "4", "-o", str(out)]) == 0
    assert "identified as PDF/X-4; the validator confirms it" in capsys.readouterr().out
    assert validate_file(out, ["x4"])["compliant"] is True
    # The CLI converts (issue 12): RGB under a CMYK intent becomes that CMYK, then the file is identified.
    rgb_out = tmp_path / "rgb-out.pdf"
    assert main(["fix", str(rgb_card(tmp_path / "rgb.pdf")), "--pdfx", "x4", "--json", "-o", str(rgb_out)]) == 0
    line = json.loads(capsys.readouterr().out)
    assert line["written"] is True and line["output"] == str(rgb_out) and line["remaining"] == []
    assert validate_file(rgb_out, ["x4"])["compliant"] is True
    # What conversion cannot do (a font that is nowhere) is listed, and no PDF/X claim is written.
    bad_out = tmp_path / "font-out.pdf"
    assert main(["fix", str(missing_font(tmp_path / "font.pdf")), "--pdfx", "x4", "--json", "-o", str(bad_out)]) == 1
    line = json.loads(capsys.readouterr().out)
    assert line["written"] is False and line["output"] is None and not bad_out.exists()
    assert [f["clause"] for f in line["remaining"]] == ["6.3"]
    assert main(["fix", str(out), "--pdfx", "5", "-o", str(tmp_path / "x.pdf")]) == 2
    assert main(["fix", str(out), "--pdfx", "4", "--pdfa", "2b", "-o", str(tmp_path / "x.pdf")]) == 2
