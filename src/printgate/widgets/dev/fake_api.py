"""A stand-in for printgate's browser-facing API, for working on the widget's UI alone.

Run ``.venv/bin/python -m printgate.widgets.dev.fake_api`` and open http://127.0.0.1:8765/harness.
Files whose name contains ``bad`` fail preflight, ``warn`` get a warning, ``slow`` take 4 s;
``?sse=off`` makes the event stream fail so the widget falls back to polling. No database, no
Redis, no PDF engine: only the wire shapes of ``core/api/routes/element.py``.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent.parent / "static"
HARNESS = Path(__file__).resolve().parent / "harness.html"

app = FastAPI()
app.mount("/widget/v1", StaticFiles(directory=STATIC), name="widget")

JOBS: dict[str, dict[str, Any]] = {}
UPLOADS: dict[str, str] = {}
WAITERS: dict[str, list[asyncio.Queue]] = {}

RULES: dict[str, dict[str, Any]] = {
    "wf_default": {"cardinality": {"min": 1, "max": 1}, "instructions": "One PDF with 3 mm bleed."},
    "wf_cards": {"cardinality": {"slots": ["Front", "Back"], "min": 2, "max": 2}, "instructions": "85 x 55 mm."},
    "wf_multi": {"cardinality": {"min": 1, "max": 3}, "instructions": "Up to three files."},
}


def _payload(job: dict[str, Any]) -> dict[str, Any]:
    files = job["files"]
    card = RULES[job["workflowId"]]["cardinality"]
    need = card.get("min", 1)
    if not files:
        status = "idle"
    elif len(files) < need:
        status = "incomplete"
    elif any(f["status"] != "done" for f in files):
        status = "processing"
    elif any(f["outcome"] == "fail" for f in files):
        status = "rejected"
    elif any(f["outcome"] == "warn" for f in files):
        status = "partial"
    else:
        status = "ready"
    return {"status": status, "terminal": status in ("ready", "partial", "rejected"),
            "canProceed": status in ("ready", "partial"), "workflowId": job["workflowId"], "jobId": job["id"],
            "files": files}


def _publish(job: dict[str, Any]) -> None:
    for q in WAITERS.get(job["id"], []):
        q.put_nowait(_payload(job))


async def _check(job: dict[str, Any], f: dict[str, Any]) -> None:
    await asyncio.sleep(4 if "slow" in f["name"] else 0.4)
    findings = []
    if "bad" in f["name"]:
        findings.append({"severity": "reject", "checkId": "page_size", "page": 1,
                         "issue": "The page is 210 x 297 mm; this product needs 85 x 55 mm.",
                         "fix": "Export the artwork at 91 x 61 mm including 3 mm bleed.", "autofix": False})
    if "warn" in f["name"] or "bad" in f["name"]:
        findings.append({"severity": "warn", "checkId": "rgb_color", "page": 1,
                         "issue": "Colours are RGB.", "fix": "Convert to CMYK.", "autofix": True})
    f.update(status="done", findings=findings,
             outcome="fail" if any(x["severity"] == "reject" for x in findings) else "warn" if findings else "pass")
    _publish(job)


@app.get("/harness")
def harness() -> HTMLResponse:
    return HTMLResponse(HARNESS.read_text())


@app.get("/element/config")
def config(workflowId: str) -> dict[str, Any]:
    rule = RULES[workflowId]
    return {"workflow": {"id": workflowId, "name": workflowId}, "softProof": {"enabled": False},
            "rule": {**rule, "accept": [{"fileType": "pdf", "maxBytes": 50_000_000},
                                        {"fileType": "raster", "maxBytes": 20_000_000}]},
            "ui": {"title": "Upload your artwork"}}


@app.post("/element/jobs")
async def create(request: Request) -> dict[str, Any]:
    body = await request.json()
    job = {"id": "job_" + uuid.uuid4().hex[:12], "workflowId": body["workflowId"], "files": []}
    JOBS[job["id"]] = job
    return _payload(job)


@app.post("/uploads")
def presign(request: Request) -> dict[str, Any]:
    ref = "upload_" + uuid.uuid4().hex[:12]
    UPLOADS[ref] = ""
    return {"fileRef": ref, "upload": {"url": str(request.base_url) + "upload-target/" + ref,
                                       "fields": {"key": ref, "Policy": "x"}, "method": "POST"},
            "maxBytes": 500_000_000, "expiresIn": 300}


@app.post("/upload-target/{ref}", status_code=204)
async def target(ref: str, file: UploadFile) -> None:
    UPLOADS[ref] = file.filename or ""


@app.post("/element/jobs/{job_id}/files")
async def add_file(job_id: str, request: Request) -> dict[str, Any]:
    body = await request.json()
    job = JOBS[job_id]
    f = {"id": "task_" + uuid.uuid4().hex[:10], "name": body["name"], "fileRef": body["fileRef"],
         "slot": body.get("slot"), "status": "running", "outcome": None, "outputRef": None, "findings": [],
         "thumbnailUrl": None, "proofs": []}
    job["files"].append(f)
    asyncio.get_running_loop().create_task(_check(job, f))
    return _payload(job)


@app.delete("/element/jobs/{job_id}/files/{file_id}")
def remove(job_id: str, file_id: str) -> dict[str, Any]:
    job = JOBS[job_id]
    job["files"] = [f for f in job["files"] if f["id"] != file_id]
    _publish(job)
    return _payload(job)


@app.get("/element/jobs/{job_id}")
def get(job_id: str) -> Any:
    if job_id not in JOBS:
        return JSONResponse({"error": True, "message": f"Job not found: {job_id}"}, 404)
    return _payload(JOBS[job_id])


@app.get("/element/jobs/{job_id}/events")
async def events(job_id: str, request: Request) -> Any:
    if request.query_params.get("sse") == "off" or request.headers.get("referer", "").find("sse=off") >= 0:
        return JSONResponse({"error": True, "message": "blocked"}, 503)
    q: asyncio.Queue = asyncio.Queue()
    WAITERS.setdefault(job_id, []).append(q)

    async def stream():  # type: ignore[no-untyped-def]
        try:
            q.put_nowait(_payload(JOBS[job_id]))
            while True:
                try:
                    p = await asyncio.wait_for(q.get(), 10)
                except TimeoutError:
                    yield ": ping\n\n"
                    continue
                yield f"event: status\ndata: {json.dumps(p)}\n\n"
                if p["terminal"]:
                    return
        finally:
            WAITERS[job_id].remove(q)

    return StreamingResponse(stream(), media_type="text/event-stream")


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=8765)
