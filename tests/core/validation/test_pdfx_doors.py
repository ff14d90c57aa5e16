"""PDF/X through every door: ``POST /jobs/validate`` with x1a/x3/x4, a workflow's validate step, an upload
rule's check, ``printgate validate --flavour pdfx-*``; and a file our own raster-to-CMYK path makes passes."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from printgate.cli import main
from printgate.core.errors import BadRequest
from printgate.core.library_integrity import VALIDATE_CODES, check_shape
from printgate.core.processing.topdf import raster_to_pdf
from printgate.core.validation import FLAVOURS, validate_file
from tests.conftest import Instance, b64
from tests.core.validation.pdfs import ICC
from tests.core.validation.pdfx_pdfs import XMP_X4, make_pdfx


def _validate(client: TestClient, auth: dict[str, str], instance: Instance, path: Path, profile: object) -> dict:
    made = client.post("/jobs/validate", headers=auth,
                       json={"async": True, "sources": [{"file": b64(path), "name": path.name, "profile": profile}]})
    assert made.status_code == 201, made.text
    instance.drain()
    return client.get(f"/jobs/{made.json()['job']['id']}", headers=auth).json()["job"]


def test_the_codes_are_accepted_wherever_pdfa_codes_are() -> None:
    assert {f.code for f in FLAVOURS.values()} | {"auto"} == set(VALIDATE_CODES)


def test_validate_endpoint_with_pdfx_codes(client: TestClient, auth: dict[str, str], instance: Instance,
                                           tmp_path: Path) -> None:
    good = _validate(client, auth, instance, make_pdfx(tmp_path / "x4.pdf", "4"), ["x4"])
    assert good["status"] == "ready" and good["canProceed"] is True
    prof = good["results"]["validate"][0]["profiles"][0]
    assert (prof["requested"], prof["matched"], prof["profileName"]) == ("x4", "x4", "PDF/X-4 validation profile")
    assert prof["compliant"] is True and prof["rules"]["failed"] == 0

    rgb = make_pdfx(tmp_path / "rgb.pdf", "1a", content=b"1 0 0 rg 10 10 20 20 re f")
    bad = _validate(client, auth, instance, rgb, "x1a")
    assert bad["status"] == "rejected" and bad["canProceed"] is False
    step = bad["tasks"][0]["steps"][0]
    assert step["outcome"] == "fail" and "PDF/X-1a" in step["reason"] and "6.2.3" in step["reason"]
    failure = bad["results"]["validate"][0]["profiles"][0]["failures"][0]
    assert failure["clause"] == "6.2.3" and failure["specification"].startswith("ISO 15930-1:2001")

    unknown = client.post("/jobs/validate", headers=auth, json={"sources": [{"file": b64(rgb), "profile": "x5"}]})
    assert unknown.status_code == 400


def test_a_workflow_validate_step_with_pdfx(client: TestClient, auth: dict[str, str], instance: Instance,
                                            tmp_path: Path) -> None:
    path = make_pdfx(tmp_path / "x3.pdf", "3")
    made = client.post("/jobs", headers=auth, json={"sources": [{"file": b64(path), "steps": [
        {"type": "validate", "params": {"profile": ["x3", "x1a"]}}]}]})
    assert made.status_code in (200, 201), made.text
    instance.drain()
    job = client.get(f"/jobs/{made.json()['job']['id']}", headers=auth).json()["job"]
    profiles = job["results"]["validate"][0]["profiles"]
    assert [(p["matched"], p["compliant"]) for p in profiles] == [("x3", True), ("x1a", False)]
    x1a = {f["clause"] for f in profiles[1]["failures"]}
    assert x1a == {"6.6"}  # the file identifies itself as PDF/X-3:2003, not PDF/X-1a


def test_an_upload_rule_may_check_pdfx() -> None:
    rule = {"id": "rule_pdfx4", "name": "PDF/X-4 or reject",
            "accept": [{"fileType": "pdf", "onFail": "reject", "check": {"type": "validate", "profile": "x4"}}]}
    check_shape("rule", rule)
    with pytest.raises(BadRequest, match="profile"):
        check_shape("rule", {**rule, "accept": [{"fileType": "pdf", "check": {"type": "validate", "profile": "x9"}}]})


def test_cli_pdfx(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ok = make_pdfx(tmp_path / "ok.pdf", "4")
    assert main(["validate", str(ok), "--flavour", "pdfx-4"]) == 0
    assert "PDF/X-4 compliant" in capsys.readouterr().out
    bad = make_pdfx(tmp_path / "bad.pdf", "4", mutate=lambda pdf: pdf.pages[0].obj.__delitem__("/TrimBox"))
    assert main(["validate", str(bad), "--flavour", "pdfx-4", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["compliant"] is False and out["profiles"][0]["failures"][0]["clause"] == "6.2.2"


@pytest.mark.parametrize("part", ["4", "1a"])
def test_what_our_cmyk_path_makes_passes_once_identified(tmp_path: Path, part: str) -> None:
    """raster_to_pdf converts to FOGRA39 CMYK, sets TrimBox/BleedBox and a GTS_PDFX output intent; with the
    identification (version key, Trapped, title, dates) the file is PDF/X-4 and PDF/X-1a."""
    image = Image.new("RGB", (120, 80), (200, 40, 30))
    dst = tmp_path / "card.pdf"
    raster_to_pdf(image, dst, trim_mm=(85, 55), bleed_mm=3, profile="fogra39")
    with pikepdf.open(dst, allow_overwriting_input=True) as pdf:
        info = pdf.make_indirect(pikepdf.Dictionary(
            Title=pikepdf.String("Test card"), CreationDate=pikepdf.String("D:20240501100000+02'00'"),
            ModDate=pikepdf.String("D:20240501100000+02'00'"), Trapped=pikepdf.Name("/False")))
        if part == "4":
            meta = pdf.make_stream(XMP_X4.format(title="Test card", version="PDF/X-4", trapped="False").encode())
            meta.Type, meta.Subtype = pikepdf.Name.Metadata, pikepdf.Name.XML
            pdf.Root.Metadata = meta
        else:
            info.GTS_PDFXVersion = pikepdf.String("PDF/X-1a:2003")
        pdf.trailer.Info = info
        pdf.save(dst, force_version="1.6" if part == "4" else "1.4")
    report = validate_file(dst, ["pdfx-4" if part == "4" else "pdfx-1a"])
    prof = report["profiles"][0]
    assert report["compliant"] is True, prof["failures"]
    assert prof["checks"]["passed"] > 20 and prof["rules"]["passed"] == len(FLAVOURS[prof["flavour"]].rule_ids)


def test_a_pdfx3_file_ghostscript_writes_passes(tmp_path: Path) -> None:
    """An independent producer: Ghostscript's pdfwrite in PDF/X mode (RGB art and a Helvetica text
    converted to CMYK, fonts embedded, page boxes set), with the identification and output intent given
    through its documented pdfmark operators, makes a file our PDF/X-3 rules pass and PDF/X-1a rejects only
    for its version key."""
    gs = shutil.which("gs")
    assert gs is not None, "Ghostscript is a runtime dependency (scripts/setup installs it)"
    icc_path = str(ICC).replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    (tmp_path / "pdfx.ps").write_text(
        "[ /GTS_PDFXVersion (PDF/X-3:2002) /Title (Peer card) /Trapped /False /DOCINFO pdfmark\n"
        "[ /_objdef {icc} /type /stream /OBJ pdfmark\n[ {icc} << /N 4 >> /PUT pdfmark\n"
        f"[ {{icc}} ({icc_path}) (r) file /PUT pdfmark\n"
        "[ /_objdef {oi} /type /dict /OBJ pdfmark\n"
        "[ {oi} << /Type /OutputIntent /S /GTS_PDFX /OutputConditionIdentifier (FOGRA39)"
        " /RegistryName (http://www.color.org) /DestOutputProfile {icc} >> /PUT pdfmark\n"
        "[ {Catalog} << /OutputIntents [ {oi} ] >> /PUT pdfmark\n")
    (tmp_path / "art.ps").write_text("<< /PageSize [200 200] >> setpagedevice 0.2 0.4 0.8 setrgbcolor "
                                     "20 20 160 80 rectfill /Helvetica findfont 24 scalefont setfont "
                                     "0 0 0 setrgbcolor 30 130 moveto (Peer card) show showpage\n")
    out = tmp_path / "peer.pdf"
    done = subprocess.run([gs, "-q", "-dPDFX", "-dBATCH", "-dNOPAUSE", "-dNOSAFER", "-sDEVICE=pdfwrite",
                           "-sColorConversionStrategy=CMYK", f"-sOutputFile={out}", str(tmp_path / "pdfx.ps"),
                           str(tmp_path / "art.ps")], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    report = validate_file(out, ["pdfx-3", "pdfx-1a"])
    x3, x1a = report["profiles"]
    assert x3["compliant"] is True, x3["failures"]
    assert x3["checks"]["passed"] > 20
    assert {(f["clause"], f["testNumber"]) for f in x1a["failures"]} == {("6.6", 1)}
