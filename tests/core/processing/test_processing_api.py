"""The processing phase through the API, as a merchant uses it: the optimize endpoint with presets and
raster params, the processing steps in a job, and a workflow's Merge stage delivering one file."""

from __future__ import annotations

import base64
import io
import zipfile
from pathlib import Path
from typing import Any

import pymupdf
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from printgate.core import library
from tests.conftest import Instance, make_clean_pdf, make_key, widget_headers
from tests.core.processing.images import scene
from tests.support import make_pdf


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def run_job(client: TestClient, auth: dict[str, str], instance: Instance, path: str, body: dict[str, Any]) -> dict:
    created = client.post(path, headers=auth, json=body)
    assert created.status_code in (200, 201), created.text
    instance.drain()
    return dict(client.get(f"/jobs/{created.json()['job']['id']}", headers=auth).json()["job"])


def download(client: TestClient, url: str) -> bytes:
    response = client.get(url.removeprefix("http://testserver"))
    assert response.status_code == 200, response.text
    return response.content


def photo_pdf(tmp_path: Path) -> bytes:
    buf = io.BytesIO()
    scene(2400, 1600).save(buf, "JPEG", quality=92)
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)
    page.insert_image(pymupdf.Rect(36, 36, 252, 180), stream=buf.getvalue())  # 800 dpi
    page.insert_text((36, 600), "Price list", fontname="helv", fontsize=24)
    return bytes(doc.tobytes())


@pytest.mark.parametrize("preset_id", [p["id"] for p in library.builtins("preset")])
def test_every_built_in_preset_is_accepted_by_the_endpoint_as_params_and_as_preset_id(
        client: TestClient, auth: dict[str, str], instance: Instance, tmp_path: Path, preset_id: str) -> None:
    pdf = photo_pdf(tmp_path)
    params = next(p for p in library.builtins("preset") if p["id"] == preset_id)["params"]
    by_params = run_job(client, auth, instance, "/jobs/optimize",
                        {"async": True, "sources": [{"file": b64(pdf), "params": params}]})
    by_id = run_job(client, auth, instance, "/jobs/optimize",
                    {"async": True, "sources": [{"file": b64(pdf), "presetId": preset_id}]})
    for job in (by_params, by_id):
        step = job["tasks"][0]["steps"][0]
        assert (step["type"], step["status"], step["outcome"]) == ("optimize", "done", "pass"), step
        assert "scaleImages" in step["runtimeParams"]["appliedFixes"]
        size = step["runtimeParams"]["size"]
        assert size["outputBytes"] < size["inputBytes"] == len(pdf)
        out = download(client, job["deliverables"][0]["downloadUrl"])
        assert len(out) == size["outputBytes"]
    assert by_params["tasks"][0]["steps"][0]["runtimeParams"]["size"] == by_id["tasks"][0]["steps"][0]["runtimeParams"]["size"]


def test_preset_id_with_params_over_it(client: TestClient, auth: dict[str, str], instance: Instance,
                                       tmp_path: Path) -> None:
    job = run_job(client, auth, instance, "/jobs/optimize", {"async": True, "sources": [{
        "file": b64(photo_pdf(tmp_path)), "presetId": "opt_screen",
        "params": {"pdf": {"compression": {"colorFilter": "jpeg", "jpegQuality": 40}}}}]})
    step = job["tasks"][0]["steps"][0]
    assert step["params"]["presetId"] == "opt_screen"
    rt = step["runtimeParams"]
    assert {"scaleImages", "compression.colorFilter"} <= set(rt["appliedFixes"])
    # The preset's own strip options ran too (this file has no JavaScript to strip: said so).
    assert "strip.javascript" in {s["name"] for s in rt["skippedFixes"]}
    # JPEG 40 over the preset's 75: smaller than the preset alone makes it.
    alone = run_job(client, auth, instance, "/jobs/optimize", {"async": True, "sources": [{
        "file": b64(photo_pdf(tmp_path)), "presetId": "opt_screen"}]})
    assert rt["sizeBytes"] < alone["tasks"][0]["steps"][0]["runtimeParams"]["sizeBytes"]


def test_unknown_and_foreign_preset_ids_are_400(client: TestClient, auth: dict[str, str],
                                                other_auth: dict[str, str], tmp_path: Path) -> None:
    theirs = client.post("/optimize-presets", headers=other_auth, json={
        "name": "Theirs", "params": {"pdf": {"strip": {"thumbnails": True}}}})
    assert theirs.status_code == 201, theirs.text
    pdf = b64(make_pdf(tmp_path / "a.pdf").read_bytes())
    for preset_id in ("opt_nope", theirs.json()["preset"]["id"]):
        response = client.post("/jobs/optimize", headers=auth,
                               json={"async": True, "sources": [{"file": pdf, "presetId": preset_id}]})
        assert response.status_code == 400, response.text
        assert "optimize preset not found" in response.json()["message"]


def test_raster_params_through_the_endpoint(client: TestClient, auth: dict[str, str], instance: Instance) -> None:
    buf = io.BytesIO()
    scene(800, 600).save(buf, "JPEG", quality=90, dpi=(100, 100))
    job = run_job(client, auth, instance, "/jobs/optimize", {"async": True, "sources": [{
        "file": b64(buf.getvalue()), "name": "photo.jpg",
        "params": {"raster": {"upscale": {"minDpi": 200}, "grayscale": {"enabled": True},
                              "convert": {"format": "png"}}}}]})
    step = job["tasks"][0]["steps"][0]
    assert step["status"] == "done", step
    assert step["runtimeParams"]["appliedFixes"] == ["upscale", "grayscale", "convert"]
    assert step["runtimeParams"]["details"]["upscale"]["engine"] == "lanczos+edge-sharpen"
    [deliverable] = job["deliverables"]
    assert deliverable["mimeType"] == "image/png" and deliverable["fileName"] == "photo.png"
    with Image.open(io.BytesIO(download(client, deliverable["downloadUrl"]))) as out:
        assert (out.format, out.mode, out.size) == ("PNG", "L", (1600, 1200))


def test_a_corrupt_file_ends_with_a_reason(client: TestClient, auth: dict[str, str], instance: Instance) -> None:
    job = run_job(client, auth, instance, "/jobs/optimize", {"async": True, "sources": [{
        "file": b64(b"%PDF-1.7\n1 0 obj <</Type /Catalog"), "presetId": "opt_print"}]})
    assert job["status"] == "rejected" and job["canProceed"] is False
    step = job["tasks"][0]["steps"][0]
    assert step["status"] == "error" and step["reason"]


def test_split_pages_delivers_one_pdf_per_page(client: TestClient, auth: dict[str, str], instance: Instance,
                                               tmp_path: Path) -> None:
    src = make_pdf(tmp_path / "leaflet.pdf", pages=3, text="Leaflet")
    job = run_job(client, auth, instance, "/jobs", {"sources": [{
        "file": b64(src.read_bytes()), "name": "leaflet.pdf",
        "steps": [{"type": "split_pages", "params": {"pattern": "{name}-{page}"}}, {"type": "deliver"}]}]})
    split, deliver = job["tasks"][0]["steps"]
    assert split["status"] == "done" and split["runtimeParams"]["pages"] == 3
    assert deliver["status"] == "skipped" and "one by one" in deliver["reason"]
    names = [d["fileName"] for d in job["deliverables"]]
    assert names == ["leaflet-1.pdf", "leaflet-2.pdf", "leaflet-3.pdf"]
    for number, item in enumerate(job["deliverables"], start=1):
        with pymupdf.open(stream=download(client, item["downloadUrl"]), filetype="pdf") as doc:
            assert len(doc) == 1 and doc[0].get_text().strip() == f"Leaflet page {number}"


def test_removebg_and_upscale_steps_say_what_ran(client: TestClient, auth: dict[str, str], instance: Instance,
                                                 monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    buf = io.BytesIO()
    scene(300, 200).save(buf, "PNG", dpi=(100, 100))
    monkeypatch.setenv("PRINTGATE_MODELS_DIR", str(tmp_path / "none"))
    job = run_job(client, auth, instance, "/jobs", {"sources": [{
        "file": b64(buf.getvalue()), "name": "p.png",
        "steps": [{"type": "removebg"}, {"type": "upscale", "params": {"minDpi": 300}},
                  {"type": "upscale", "params": {"minDpi": 300}}, {"type": "deliver"}]}]})
    removebg, up, again, deliver = job["tasks"][0]["steps"]
    assert removebg["status"] == "skipped" and "no background removal model is installed" in removebg["reason"]
    assert removebg["outcome"] is None
    assert up["status"] == "done" and up["runtimeParams"]["details"]["upscale"]["scale"] == 3.0
    assert again["status"] == "skipped" and again["reason"] == "already_at_dpi"
    assert deliver["status"] == "done"


# --- a workflow's processing phase and Merge stage -----------------------------------------------

def two_sided_workflow(client: TestClient, auth: dict[str, str], merge: str,
                       processing: dict[str, Any] | None = None) -> str:
    rule = client.post("/rules", headers=auth, json={
        "name": "Two sides", "cardinality": {"slots": ["Front", "Back"], "min": 2, "max": 2},
        "accept": [{"fileType": "pdf", "check": {"type": "preflight", "profileId": "prof_print_ready"},
                    "onFail": "accept_with_warnings"},
                   {"fileType": "raster", "check": {"type": "preflight", "profileId": "prof_photo_raster"},
                    "onFail": "accept_with_warnings"}]})
    assert rule.status_code == 201, rule.text
    workflow = client.post("/workflows", headers=auth, json={
        "name": "Cards", "ruleId": rule.json()["rule"]["id"], "published": True, "trigger": "uploads_accepted",
        "merge": merge, "processing": processing or {"pdf": [{"type": "deliver"}], "raster": [{"type": "deliver"}]}})
    assert workflow.status_code == 201, workflow.text
    return str(workflow.json()["workflow"]["id"])


def upload_sides(client: TestClient, instance: Instance, workflow: str, files: list[tuple[str, str, bytes, str]]) -> str:
    pk = make_key("acme", kind="publishable")
    headers = {"Authorization": f"Bearer {pk}"}
    created = client.post("/element/jobs", headers=headers, json={"workflowId": workflow}).json()
    job_id = created["jobId"]
    on_job = {**headers, "Printgate-Job-Token": created["clientToken"]}  # as the widget sends it
    for slot, name, data, mime in files:
        upload = client.post("/uploads", headers=headers, json={}).json()
        url = upload["upload"]["url"].removeprefix("http://testserver")
        assert client.post(url, data=upload["upload"]["fields"], files={"file": (name, data, mime)}).status_code == 204
        added = client.post(f"/element/jobs/{job_id}/files", headers=on_job,
                            json={"fileRef": upload["fileRef"], "name": name, "slot": slot})
        assert added.status_code in (200, 201), added.text
    instance.drain()
    instance.drain()
    return str(job_id)


def card_side(tmp_path: Path, label: str) -> bytes:
    path = make_clean_pdf(tmp_path / f"{label}.pdf", trim_mm=(85, 55))
    doc = pymupdf.open(path)
    doc[0].insert_text((40, 60), label, fontname="helv", fontsize=14)
    return bytes(doc.tobytes())


def test_combine_delivers_one_pdf_front_then_back(client: TestClient, auth: dict[str, str], instance: Instance,
                                                 tmp_path: Path) -> None:
    workflow = two_sided_workflow(client, auth, "combine")
    # The back is uploaded first: the merged file still starts with the front.
    job_id = upload_sides(client, instance, workflow, [
        ("Back", "back.pdf", card_side(tmp_path, "BACK"), "application/pdf"),
        ("Front", "front.pdf", card_side(tmp_path, "FRONT"), "application/pdf")])
    job = client.get(f"/jobs/{job_id}", headers=auth).json()["job"]
    assert job["wfPhase"] == "processing_done", (job["wfPhase"], job["reason"])
    merged = job["deliverables"][0]
    assert merged["taskId"] is None and merged["mimeType"] == "application/pdf"
    assert merged["fileName"] == f"{job_id}-combined.pdf"
    with pymupdf.open(stream=download(client, merged["downloadUrl"]), filetype="pdf") as doc:
        assert [p.get_text().strip().splitlines()[0] for p in doc] == ["FRONT", "BACK"]
    runs = client.get(f"/jobs/{job_id}?expand=runs", headers=auth).json()
    assert runs["merged"]["mode"] == "combine" and runs["merged"]["downloadUrl"]
    # What a store order gets (connectors deliver the runs' links): one file, the combined PDF.
    first, second = runs["runs"]
    assert first["hasOutput"] is True and first["outputName"] == merged["fileName"]
    assert download(client, first["downloadUrl"]) == download(client, merged["downloadUrl"])
    assert second["hasOutput"] is False and second["downloadUrl"] is None and second["mergedInto"] == first["id"]
    # Each file is still there on its own.
    assert [len(t["outputArtifacts"]) for t in job["tasks"]] == [1, 1]


def test_zip_bundles_every_output_and_a_raster_is_converted_for_print(
        client: TestClient, auth: dict[str, str], instance: Instance, tmp_path: Path) -> None:
    processing = {"pdf": [{"type": "deliver"}],
                  "raster": [{"type": "convert", "params": {"format": "pdf", "widthMm": 85, "heightMm": 55,
                                                            "bleedMm": 3}}, {"type": "deliver"}]}
    workflow = two_sided_workflow(client, auth, "zip", processing)
    buf = io.BytesIO()
    scene(1100, 720).save(buf, "JPEG", quality=90, dpi=(300, 300))
    job_id = upload_sides(client, instance, workflow, [
        ("Front", "front.pdf", card_side(tmp_path, "FRONT"), "application/pdf"),
        ("Back", "back-photo.jpg", buf.getvalue(), "image/jpeg")])
    job = client.get(f"/jobs/{job_id}", headers=auth).json()["job"]
    assert job["wfPhase"] == "processing_done", (job["wfPhase"], job["reason"])
    back = next(t for t in job["tasks"] if t["slot"] == "Back")
    convert = next(s for s in back["steps"] if s["type"] == "convert")
    assert convert["status"] == "done" and convert["runtimeParams"]["colorspace"] == "cmyk", convert
    merged = job["deliverables"][0]
    assert merged["mimeType"] == "application/zip" and merged["taskId"] is None
    with zipfile.ZipFile(io.BytesIO(download(client, merged["downloadUrl"]))) as zf:
        assert zf.namelist() == ["front.pdf", "back-photo.pdf"]
        with pymupdf.open(stream=zf.read("back-photo.pdf"), filetype="pdf") as doc:
            trim = doc[0].trimbox
            assert round(trim.width / 72 * 25.4) == 85 and round(trim.height / 72 * 25.4) == 55


def test_a_workflow_that_keeps_files_separate_makes_no_merged_file(
        client: TestClient, auth: dict[str, str], instance: Instance, tmp_path: Path) -> None:
    workflow = two_sided_workflow(client, auth, "separate")
    job_id = upload_sides(client, instance, workflow, [
        ("Front", "front.pdf", card_side(tmp_path, "FRONT"), "application/pdf"),
        ("Back", "back.pdf", card_side(tmp_path, "BACK"), "application/pdf")])
    job = client.get(f"/jobs/{job_id}", headers=auth).json()["job"]
    assert job["wfPhase"] == "processing_done"
    assert [d["fileName"] for d in job["deliverables"]] == ["front.pdf", "back.pdf"]
    assert "merged" not in client.get(f"/jobs/{job_id}?expand=runs", headers=auth).json()




def test_the_built_in_business_card_workflow_delivers_one_combined_pdf(
        client: TestClient, auth: dict[str, str], instance: Instance, tmp_path: Path) -> None:
    """wf_business_cards says merge "combine": after the proof is approved and the order placed, the
    order's file is one PDF, front then back (the issue's first complaint: it delivered two)."""
    pk = make_key("acme", kind="publishable")
    job_id = upload_sides(client, instance, "wf_business_cards", [
        ("Back", "back.pdf", marked_side(tmp_path, "BACK"), "application/pdf"),
        ("Front", "front.pdf", marked_side(tmp_path, "FRONT"), "application/pdf")])
    approved = client.post(f"/element/jobs/{job_id}/proof", headers=widget_headers(pk, job_id),
                           json={"approved": True})
    assert approved.status_code == 200 and approved.json()["canProceed"] is True, approved.text
    order = {"orderId": "7001", "status": "processing", "items": [{"itemId": 1, "name": "Cards", "jobId": job_id}]}
    assert client.post("/orders/7001", headers=auth, json=order).json()["affectedJobIds"] == [job_id]
    instance.drain()
    instance.drain()
    job = client.get(f"/jobs/{job_id}", headers=auth).json()["job"]
    assert job["wfPhase"] == "processing_done", (job["wfPhase"], job["reason"])
    merged = job["deliverables"][0]
    assert merged["taskId"] is None and merged["fileName"] == f"{job_id}-combined.pdf"
    import pikepdf

    with pikepdf.open(io.BytesIO(download(client, merged["downloadUrl"]))) as pdf:
        assert len(pdf.pages) == 2
        inks = [{tuple(round(float(v), 2) for v in ops) for ops, op in pikepdf.parse_content_stream(page)
                 if str(op) == "k"} for page in pdf.pages]
        marks = [next(k for k, v in MARKS.items() if v in page_inks) for page_inks in inks]
    assert marks == ["FRONT", "BACK"]


# The sides of a card that passes prof_business_card (no live text): told apart by a swatch's CMYK ink.
MARKS = {"FRONT": (0.11, 0.22, 0.33, 0.0), "BACK": (0.44, 0.55, 0.66, 0.0)}


def marked_side(tmp_path: Path, label: str) -> bytes:
    import pikepdf

    path = make_clean_pdf(tmp_path / f"{label}.pdf", trim_mm=(85, 55))
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        page = pdf.pages[0]
        ink = " ".join(str(v) for v in MARKS[label]).encode()
        page.contents_add(pikepdf.Stream(pdf, b"q " + ink + b" k 20 20 40 40 re f Q"))
        pdf.save(path)
    return path.read_bytes()
