"""The validate step through the API (real queue and worker) and the ``printgate validate`` command."""

from __future__ import annotations

import json
from pathlib import Path

import pikepdf
import pytest
from fastapi.testclient import TestClient

from printgate.cli import main
from tests.conftest import Instance, b64
from tests.core.validation.pdfs import make_pdfa


def _validate(client: TestClient, auth: dict[str, str], instance: Instance, path: Path,
              profile: str | list[str] | None = None) -> dict:
    source: dict = {"file": b64(path), "name": path.name}
    if profile is not None:
        source["profile"] = profile
    made = client.post("/jobs/validate", headers=auth, json={"async": True, "sources": [source]})
    assert made.status_code == 201, made.text
    instance.drain()
    return client.get(f"/jobs/{made.json()['job']['id']}", headers=auth).json()["job"]


def test_a_compliant_file_is_ready_with_the_report(client: TestClient, auth: dict[str, str], instance: Instance,
                                                    tmp_path: Path) -> None:
    job = _validate(client, auth, instance, make_pdfa(tmp_path / "ok.pdf", part=2), "2b")
    assert job["status"] == "ready" and job["canProceed"] is True
    step = job["tasks"][0]["steps"][0]
    assert step["type"] == "validate" and step["status"] == "done" and step["outcome"] == "pass"
    out = step["outputs"][0]
    assert out["kind"] == "validate" and out["profile"] == ["2b"]
    assert out["result"]["results"][0]["profile"] == "2b" and out["result"]["results"][0]["compliant"] is True
    result = job["results"]["validate"][0]
    assert result["compliant"] is True and result["taskId"] == job["tasks"][0]["id"]
    prof = result["profiles"][0]
    assert prof["requested"] == "2b" and prof["matched"] == "2b" and prof["profileName"].startswith("PDF/A-2B")
    assert prof["checks"]["failed"] == 0 and prof["checks"]["passed"] > 0
    assert prof["rules"]["failed"] == 0 and prof["failures"] == []


def test_a_non_compliant_file_is_rejected_with_failures(client: TestClient, auth: dict[str, str],
                                                        instance: Instance, tmp_path: Path) -> None:
    path = make_pdfa(tmp_path / "rgb.pdf", content=b"1 0 0 rg 10 10 80 80 re f")
    job = _validate(client, auth, instance, path)  # auto: the file claims PDF/A-1B
    assert job["status"] == "rejected" and job["canProceed"] is False
    assert job["tasks"][0]["steps"][0]["outcome"] == "fail"
    result = job["results"]["validate"][0]
    assert result["compliant"] is False
    prof = result["profiles"][0]
    assert prof["requested"] == "auto" and prof["matched"] == "1b"
    failure = prof["failures"][0]
    assert (failure["clause"], failure["testNumber"], failure["count"]) == ("6.2.3.3", 1, 1)
    assert failure["specification"] == "ISO 19005-1:2005" and failure["location"].startswith("page 1")


def test_a_workflow_step_validates_against_several_profiles(client: TestClient, auth: dict[str, str],
                                                           instance: Instance, tmp_path: Path) -> None:
    path = make_pdfa(tmp_path / "ua.pdf", ua=True)
    made = client.post("/jobs", headers=auth, json={"sources": [{"file": b64(path), "steps": [
        {"type": "validate", "params": {"profile": ["1b", "ua1"]}}, {"type": "deliver"}]}]})
    assert made.status_code == 201, made.text
    instance.drain()
    job = client.get(f"/jobs/{made.json()['job']['id']}", headers=auth).json()["job"]
    profiles = job["results"]["validate"][0]["profiles"]
    assert [p["matched"] for p in profiles] == ["1b", "ua1"] and all(p["compliant"] for p in profiles)
    assert [s["status"] for s in job["tasks"][0]["steps"]] == ["done", "done"] and job["status"] == "ready"


@pytest.mark.parametrize("kind", ["damaged", "encrypted", "not-pdf"])
def test_a_file_that_cannot_be_validated_is_an_error_never_compliant(
        client: TestClient, auth: dict[str, str], instance: Instance, tmp_path: Path, kind: str) -> None:
    good = make_pdfa(tmp_path / "ok.pdf")
    bad = tmp_path / f"{kind}.pdf"
    if kind == "damaged":
        bad.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R")
    elif kind == "encrypted":
        with pikepdf.open(good) as pdf:
            pdf.save(bad, encryption=pikepdf.Encryption(owner="o", user="secret"))
    else:
        bad.write_bytes(b"%!PS-Adobe-3.0\n" + b"x" * 200)
    job = _validate(client, auth, instance, bad, "2b")
    assert job["status"] == "rejected" and job["canProceed"] is False
    task = job["tasks"][0]
    if task["fileType"] == "pdf":
        step = task["steps"][0]
        assert step["status"] == "error" and step["outcome"] != "pass"
        assert step["reason"].startswith("cannot validate:") or "could not" in step["reason"].lower()
        result = job["results"]["validate"][0]
        assert result["compliant"] is False and result["profiles"] == []
    else:
        assert task["steps"][0]["status"] in ("error", "skipped")


def test_an_unknown_profile_is_a_clear_error(client: TestClient, auth: dict[str, str], instance: Instance,
                                             tmp_path: Path) -> None:
    made = client.post("/jobs", headers=auth, json={"sources": [{"file": b64(make_pdfa(tmp_path / "ok.pdf")),
                                                                 "steps": [{"type": "validate",
                                                                            "params": {"profile": "x9"}}]}]})
    instance.drain()
    job = client.get(f"/jobs/{made.json()['job']['id']}", headers=auth).json()["job"]
    step = job["tasks"][0]["steps"][0]
    assert step["status"] == "error" and "unknown validation profile" in step["reason"]
    assert job["canProceed"] is False


def test_cli_exit_codes_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ok = make_pdfa(tmp_path / "ok.pdf", part=2)
    bad = make_pdfa(tmp_path / "bad.pdf", part=2, content=b"1 0 0 rg 10 10 80 80 re f")
    assert main(["validate", str(ok), "--flavour", "pdfa-2b"]) == 0
    assert "PDF/A-2B compliant" in capsys.readouterr().out
    assert main(["validate", str(ok), str(bad), "--flavour", "pdfa-2b"]) == 1
    text = capsys.readouterr().out
    assert "NOT compliant" in text and "6.2.4.3 test 2" in text
    assert main(["validate", str(bad), "--flavour", "auto", "--json"]) == 1
    line = json.loads(capsys.readouterr().out.strip())
    assert line["file"] == str(bad) and line["compliant"] is False
    assert line["profiles"][0]["matched"] == "2b"
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"not a pdf at all")
    assert main(["validate", str(junk), "--json"]) == 2
    assert "cannot validate" in json.loads(capsys.readouterr().out)["error"]
    assert main(["validate", str(tmp_path / "missing.pdf")]) == 2
    assert main(["validate", str(ok), "--flavour", "pdfx-9"]) == 2
