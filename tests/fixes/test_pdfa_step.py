"""The validate step with ``autofix: true`` converts to PDF/A and judges the converted file; and
``printgate fix FILE --pdfa LEVEL -o OUT`` on the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pikepdf
import pytest
from fastapi.testclient import TestClient

from printgate.cli import main
from printgate.core.validation import validate_file
from tests.conftest import Instance, b64
from tests.fixes import pdfa_defects as d


def _run(client: TestClient, auth: dict[str, str], instance: Instance, path: Path, params: dict) -> dict:
    made = client.post("/jobs", headers=auth, json={"sources": [{"file": b64(path), "name": path.name, "steps": [
        {"type": "validate", "params": params}, {"type": "deliver"}]}]})
    assert made.status_code == 201, made.text
    instance.drain()
    return client.get(f"/jobs/{made.json()['job']['id']}", headers=auth).json()["job"]


def test_autofix_converts_and_the_converted_file_passes(client: TestClient, auth: dict[str, str],
                                                        instance: Instance, tmp_path: Path) -> None:
    src = d.make(tmp_path / "art.pdf", d.javascript, d.mixed_device_colour)
    job = _run(client, auth, instance, src, {"profile": "2b", "autofix": True})
    step = job["tasks"][0]["steps"][0]
    assert step["status"] == "done" and step["outcome"] == "pass", step
    conversion = step["runtimeParams"]["conversion"]
    assert conversion["compliant"] is True and conversion["level"] == "2b" and conversion["remaining"] == []
    assert any("JavaScript" in line for line in conversion["applied"])
    assert job["results"]["validate"][0]["compliant"] is True and job["status"] == "ready"
    # The delivered file is the converted one, and it is PDF/A-2B by the validator's own reading.
    run = client.get(f"/jobs/{job['id']}", params={"expand": "runs"}, headers=auth).json()["runs"][0]
    delivered = tmp_path / "delivered.pdf"
    delivered.write_bytes(client.get(f"/jobs/{job['id']}/runs/{run['id']}/output", headers=auth).content)
    assert delivered.read_bytes() != src.read_bytes()
    report = validate_file(delivered, ["auto"])
    assert report["compliant"] is True and report["profiles"][0]["matched"] == "2b"


def test_without_autofix_the_same_file_is_rejected(client: TestClient, auth: dict[str, str], instance: Instance,
                                                   tmp_path: Path) -> None:
    job = _run(client, auth, instance, d.make(tmp_path / "art.pdf", d.javascript), {"profile": "2b"})
    step = job["tasks"][0]["steps"][0]
    assert step["outcome"] == "fail" and not (step.get("runtimeParams") or {}).get("conversion")
    assert job["canProceed"] is False


def test_what_cannot_be_converted_keeps_the_step_from_passing(client: TestClient, auth: dict[str, str],
                                                              instance: Instance, tmp_path: Path) -> None:
    src = d.make(tmp_path / "art.pdf", d.font_not_on_server)
    job = _run(client, auth, instance, src, {"profile": ["2b"], "autofix": True})
    step = job["tasks"][0]["steps"][0]
    assert step["outcome"] == "fail" and "6.2.11.4.1" in step["reason"]
    remaining = step["runtimeParams"]["conversion"]["remaining"]
    assert [(f["clause"], f["testNumber"]) for f in remaining] == [("6.2.11.4.1", 1)]
    failures = job["results"]["validate"][0]["profiles"][0]["failures"]
    assert [f["clause"] for f in failures] == ["6.2.11.4.1"]
    assert job["canProceed"] is False and job["status"] == "rejected"


def test_an_encrypted_file_is_not_converted_and_says_why(client: TestClient, auth: dict[str, str],
                                                         instance: Instance, tmp_path: Path) -> None:
    locked = tmp_path / "locked.pdf"
    with pikepdf.open(d.make(tmp_path / "plain.pdf")) as pdf:
        pdf.save(locked, encryption=pikepdf.Encryption(owner="owner", user=""))
    job = _run(client, auth, instance, locked, {"profile": "2b", "autofix": True})
    step = job["tasks"][0]["steps"][0]
    assert step["outcome"] == "fail" and "not converted: the file is encrypted" in step["reason"]
    assert step["runtimeParams"]["conversion"]["compliant"] is False
    assert job["canProceed"] is False


def test_cli_fix_pdfa(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ok_out, bad_out = tmp_path / "ok-a.pdf", tmp_path / "bad-a.pdf"
    assert main(["fix", str(d.make(tmp_path / "ok.pdf", d.annotations)), "--pdfa", "2b", "-o", str(ok_out)]) == 0
    assert "the validator confirms it" in capsys.readouterr().out and ok_out.is_file()
    bad = d.make(tmp_path / "bad.pdf", d.font_not_on_server)
    assert main(["fix", str(bad), "--pdfa", "1b", "-o", str(bad_out), "--json"]) == 1
    line = json.loads(capsys.readouterr().out)
    assert line["compliant"] is False and line["remaining"][0]["ruleId"] == "pdfa1:6.3.4-1"
    assert main(["fix", str(bad), "--pdfa", "2a", "-o", str(bad_out)]) == 2
    assert "tagged structure tree" in capsys.readouterr().err
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"junk")
    assert main(["fix", str(junk), "--pdfa", "2b", "-o", str(tmp_path / "j.pdf")]) == 2
