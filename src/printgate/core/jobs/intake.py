"""Intake jobs as the upload widget drives them: one workflow job per customer upload session.

The widget creates the job when the customer drops a first file, adds and removes files (Tasks)
as they change their mind, and answers a soft proof. The Upload Rule of the job's workflow decides
what each file is checked with (its ``accept`` entry for the sniffed file type), how many files
fit (count range or named slots) and the onFail policy per type. The job's status and
``canProceed`` come from ``printgate.core.jobs``; the payload the browser sees is ``element_status``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm.exc import ObjectDeletedError
from sqlmodel import Session, select

from printgate.core import library, outbox, signals
from printgate.core.clock import epoch_us, iso, utcnow
from printgate.core.errors import BadRequest, Conflict, NotFound
from printgate.core.filetypes import sniff
from printgate.core.jobs import service
from printgate.core.jobs.service import JobSpec, SourceSpec
from printgate.core.jobs.states import WorkflowPhase
from printgate.core.keys import Principal
from printgate.core.models import Artifact, Job, Step, Task
from printgate.core.storage import get_storage
from printgate.core.wire import status_payload

# Pages rendered at intake for the proof gallery when the workflow soft-proofs (else page 1 only).
INTAKE_PREVIEW_PAGES = 4
TYPE_LABELS = {"pdf": "PDF", "raster": "JPEG, PNG or TIFF image", "vector": "vector file", "office": "office document"}
# A raster accept entry also takes these sniffed mime types; "png"/"jpg" entries narrow it.
RASTER_ALIASES = {"png": {"image/png"}, "jpg": {"image/jpeg"}, "jpeg": {"image/jpeg"},
                  "tiff": {"image/tiff"}, "tif": {"image/tiff"}, "webp": {"image/webp"}}
LOCKED_PHASES = (WorkflowPhase.PROCESSING, WorkflowPhase.PROCESSING_DONE)


# ---------------------------------------------------------------- library lookups


def published_workflow(session: Session, account_id: str, workflow_id: str) -> dict[str, Any]:
    """The workflow a publishable key may use: its account's (or built-in), enabled and published."""
    workflow = library.find_item(session, "workflow", workflow_id, account_id)
    if workflow is None or not workflow.get("enabled", True) or not workflow.get("published", False):
        raise NotFound(f"Workflow not found: {workflow_id}")
    return workflow


def workflow_rule(session: Session, account_id: str, workflow: dict[str, Any]) -> dict[str, Any]:
    rule_id = workflow.get("ruleId")
    rule = library.find_item(session, "rule", rule_id, account_id) if rule_id else None
    if rule is None:
        # A workflow without a rule takes one file of any checkable type with the default checks.
        rule = {"id": None, "cardinality": {"min": 1, "max": 1},
                "accept": [{"fileType": "pdf", "onFail": "reject"},
                           {"fileType": "raster", "onFail": "accept_with_warnings"}]}
    return rule


def cardinality(rule: dict[str, Any]) -> dict[str, Any]:
    card = dict(rule.get("cardinality") or {})
    slots = [s if isinstance(s, str) else s.get("name") for s in card.get("slots") or []]
    if slots:
        return {"slots": slots, "min": int(card.get("min", len(slots))), "max": len(slots)}
    low = int(card.get("min", 1))
    return {"min": low, "max": max(int(card.get("max", max(low, 1))), low)}


def _accept_wire(entry: dict[str, Any]) -> dict[str, Any]:
    out = {"fileType": entry.get("fileType"), "maxBytes": entry.get("maxBytes"), "onFail": entry.get("onFail", "reject")}
    if entry.get("extensions"):
        out["extensions"] = entry["extensions"]
    return out


def element_connector(session: Session, caller: Principal, connector_id: str) -> dict[str, Any]:
    """A connector resolved for the browser (Filecheck's ``connectorId`` option): title and bindings."""
    item = library.find_item(session, "connector", connector_id, caller.account_id)
    if item is None or not item.get("enabled", True):
        raise NotFound(f"Connector not found: {connector_id}")
    return {"id": item["id"], "title": item.get("title") or item.get("name"), "bindings": item.get("bindings") or []}


def element_config(session: Session, caller: Principal, workflow_id: str,
                   connector_id: str | None = None) -> dict[str, Any]:
    """What the widget needs before the customer does anything (``GET /element/config``)."""
    workflow = published_workflow(session, caller.account_id, workflow_id)
    rule = workflow_rule(session, caller.account_id, workflow)
    card = cardinality(rule)
    soft = workflow.get("softProof") or {}
    rule_ui = rule.get("ui") or {}
    config: dict[str, Any] = {
        "workflow": {"id": workflow["id"], "name": workflow.get("name"), "trigger": workflow.get("trigger")},
        "rule": {
            "id": rule.get("id"), "name": rule.get("name"), "title": rule.get("title"),
            "instructions": rule.get("instructions"),
            "cardinality": {"slots": [{"name": s, "label": s} for s in card["slots"]], "min": card["min"],
                            "max": card["max"]} if "slots" in card else card,
            "accept": [_accept_wire(a) for a in rule.get("accept") or []],
        },
        "softProof": {"enabled": bool(soft.get("enabled")), "approvalRequired": bool(soft.get("approvalRequired")),
                      "message": soft.get("message"), "affirmButtonText": soft.get("affirmButtonText")},
        "ui": {**({"title": rule["title"]} if rule.get("title") else {}), **(workflow.get("ui") or {}), **rule_ui},
    }
    if connector_id:
        config["connector"] = element_connector(session, caller, connector_id)
    return config


# ---------------------------------------------------------------- the status payload


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def intake_facts(files: list[dict[str, Any]]) -> dict[str, Any] | None:
    """IntakeFacts (reference__facts.md) from the per-file facts of the preflight reports."""
    rows = []
    for f in files:
        facts = f.get("facts") or {}
        if not facts:
            continue
        width = _num(facts.get("width", facts.get("widthMm")))
        height = _num(facts.get("height", facts.get("heightMm")))
        area = _num(facts.get("area")) or (round(width * height, 2) if width and height else None)
        rows.append({
            "id": f.get("id"), "name": f.get("name"), "pageCount": facts.get("pageCount"),
            "width": width, "height": height, "area": area,
            "orientation": facts.get("orientation") or (
                None if not (width and height) else "portrait" if height > width else "landscape" if width > height else "square"),
            "spotColorCount": int(facts.get("spotColorCount") or 0),
            "usesTransparency": bool(facts.get("usesTransparency")),
        })
    if not rows:
        return None
    first = rows[0]
    return {"files": rows, "aggregate": {
        "fileCount": len(files), "pageCount": sum(int(r["pageCount"] or 0) for r in rows),
        "width": first["width"], "height": first["height"], "area": first["area"],
    }}


def _proof_state(session: Session, job: Job, payload: dict[str, Any]) -> dict[str, Any] | None:
    """The soft proof as the widget shows it. Whether approval is required is the job's own copy of
    its workflow's policy (``proofRequired``, taken at creation), the same copy the gate reads; the
    workflow as it is now only supplies the wording."""
    workflow = library.find_item(session, "workflow", job.workflow_id or "", job.account_id) or {}
    soft = workflow.get("softProof") or {}
    required = bool((job.params or {}).get("proofRequired"))
    if not soft.get("enabled") and not required:
        return None
    # Only proofs rendered from the file as it will be printed (the intake's proof step), never a
    # thumbnail of the upload: what the customer approves is what the press gets.
    pages = [{"fileId": f["id"], "page": p.get("page"), "url": p["url"]} for f in payload["files"] for p in f.get("proofs") or []]
    answer = (job.params or {}).get("proof") or {}
    return {"approvalRequired": required, "approved": answer.get("approved"),
            "answeredAt": answer.get("at"), "message": soft.get("message"),
            "affirmButtonText": soft.get("affirmButtonText"),
            # Only a file set that passed intake has something to approve.
            "pages": pages if payload["status"] in ("ready", "partial") else []}


def status_seq(modified_at: datetime | None) -> int:
    """The job's last change in microseconds: two changes within one millisecond (a file attached
    while another's check finishes) must still order, or the widget could keep the older copy."""
    return epoch_us(modified_at) if modified_at else 0


def element_status(session: Session, job: Job) -> dict[str, Any]:
    """The browser's status payload: ``printgate.core.wire.status_payload`` plus the job-level ``facts``,
    the soft-proof state, and ``seq`` (µs of the last change, so the widget can ignore stale copies).

    ``canProceed`` is the payload's, from ``printgate.core.jobs.states.job_can_proceed`` like every other view:
    where the job's workflow required approval, it stays false until the customer approves.

    The job row and its files are separate reads, and a worker or another request can commit in
    between (a verdict for one file while the next is attached): such a mixed copy could say
    "rejected, terminal" beside a file still pending, and the widget would stop listening. So the
    job is read again afterwards, and the payload rebuilt if it changed meanwhile.
    """
    for _ in range(5):
        seen = job.modified_at
        payload = status_payload(session, job)
        try:
            session.refresh(job)
        except (ObjectDeletedError, InvalidRequestError):
            break  # deleted meanwhile: the caller's next read says so
        if job.modified_at == seen:
            break
    payload["seq"] = status_seq(seen)  # the content is at least this new
    payload["facts"] = intake_facts(payload["files"])
    payload["proof"] = _proof_state(session, job, payload)
    return payload


# ---------------------------------------------------------------- jobs and files


# The channel ``create_intake_job`` gives the jobs the widget creates. A publishable key is public, so it
# reaches only those: a workflow job the merchant's dashboard started (a re-run) is not the shopper's.
WIDGET_CHANNEL = "store"


def intake_job(session: Session, caller: Principal, job_id: str) -> Job:
    job = service.get_job(session, caller.account_id, job_id)
    if job.kind != "workflow" or (not caller.is_secret and job.channel != WIDGET_CHANNEL):
        raise NotFound(f"Job not found: {job_id}")
    return job


def create_intake_job(session: Session, caller: Principal, workflow_id: str) -> Job:
    workflow = published_workflow(session, caller.account_id, workflow_id)
    rule = workflow_rule(session, caller.account_id, workflow)
    accept = rule.get("accept") or []
    spec = JobSpec(kind="workflow", sources=[], mode=caller.mode, channel=WIDGET_CHANNEL, rule_id=rule.get("id"),
                   workflow_id=workflow["id"], on_fail=(accept[0].get("onFail") if accept else None) or "reject")
    return service.create_job(session, caller.account_id, spec, start=False)


def _accept_for(rule: dict[str, Any], file_type: str, mime_type: str) -> dict[str, Any] | None:
    for entry in rule.get("accept") or []:
        kind = str(entry.get("fileType", "")).lower()
        if kind == file_type or (file_type == "raster" and mime_type in RASTER_ALIASES.get(kind, set())):
            return entry
    return None


def _intake_steps(entry: dict[str, Any], proof_pages: bool) -> list[dict[str, Any]]:
    check = entry.get("check") or {}
    steps: list[dict[str, Any]] = []
    if check.get("type") == "validate":
        params: dict[str, Any] = {"profile": [check.get("standard") or check.get("profile") or "auto"]}
        if check.get("autofix"):  # as a workflow's validate step: convert (PDF/A) or identify (PDF/X), re-judge
            params["autofix"] = True
        steps.append({"type": "validate", "params": params})
    elif check.get("type", "preflight") == "preflight" and check.get("enabled", True):
        steps.append({"type": "preflight", "params": {"profileId": check["profileId"]} if check.get("profileId") else None})
    # The thumbnail needs page 1 only; with a soft proof the first few pages are previewed too.
    steps.append({"type": "previews", "params": {"maxPages": INTAKE_PREVIEW_PAGES if proof_pages else 1, "dpi": 72}})
    if proof_pages:
        # The soft proof the customer approves: the first pages as they will be printed (the file
        # after the profile's autofixes), with trim, bleed and safety lines and labelled findings.
        steps.append({"type": "proof", "params": {"autofix": True, "maxPages": INTAKE_PREVIEW_PAGES}})
    return steps


def _refuse(task: Task, file_type: str, mime_type: str, reason: str) -> None:
    task.status, task.outcome, task.reason = "error", "fail", reason
    task.file_type, task.mime_type = file_type, mime_type


def _changed(session: Session, job: Job) -> None:
    service.refresh_job(session, job)
    session.commit()
    signals.send(signals.JOB_STATUS, job_id=job.id)
    outbox.dispatch_owed(session)  # the verdict, when removing a file settled the job


def add_file(session: Session, caller: Principal, job: Job, file_ref: str, name: str | None,
             slot: str | None) -> Task:
    """Add one uploaded file to the intake job and start its check.

    A file the rule does not accept (wrong type, too large, not a readable file at all) still
    becomes a file of the job, failed with a reason the customer can act on: the widget shows it
    like any other finding, and the job is ``rejected`` until it is removed or replaced.
    """
    if job.wf_phase in LOCKED_PHASES:
        raise Conflict("The files of this job can no longer change: its processing has started")
    workflow = library.find_item(session, "workflow", job.workflow_id or "", job.account_id) or {}
    rule = workflow_rule(session, job.account_id, workflow)
    card = cardinality(rule)
    tasks = service.tasks_of(session, job.id)
    if "slots" in card:
        if slot not in card["slots"]:
            raise BadRequest(f"slot must be one of {', '.join(card['slots'])}")
        for old in [t for t in tasks if t.slot == slot]:
            _delete_task(session, old)  # a new file for a slot replaces the old one
        tasks = [t for t in tasks if t.slot != slot]
    elif slot is not None:
        raise BadRequest("This upload rule has no named slots; omit slot")
    elif len(tasks) >= card["max"]:
        raise Conflict(f"This upload takes at most {card['max']} file(s); remove one first")

    upload = service.claim_upload(session, job.account_id, file_ref)
    if session.exec(select(Task).where(Task.job_id == job.id, Task.file_ref == file_ref)).first() is not None:
        raise Conflict(f"{file_ref} is already a file of this job")
    try:
        file_type, mime_type = sniff(get_storage().local_path(upload.key))
    except OSError:
        file_type, mime_type = "other", upload.mime_type or "application/octet-stream"
    entry = _accept_for(rule, file_type, mime_type)
    position = max((t.position for t in tasks), default=-1) + 1
    proof_pages = bool((workflow.get("softProof") or {}).get("enabled") or (job.params or {}).get("proofRequired"))
    spec = SourceSpec(steps=_intake_steps(entry, proof_pages) if entry else [], file_ref=file_ref, name=name or upload.file_name,
                      slot=slot, on_fail=(entry or {}).get("onFail"),
                      profile_id=((entry or {}).get("check") or {}).get("profileId"))
    task = service.add_task(session, job, spec, position)
    accepted = " or ".join(TYPE_LABELS.get(str(a.get("fileType")), str(a.get("fileType")).upper())
                           for a in rule.get("accept") or [])
    if entry is None:
        what = "This is not a PDF or image file that can be read" if file_type == "other" else \
            f"{TYPE_LABELS.get(file_type, file_type)} files are not accepted here"
        _refuse(task, file_type, mime_type, f"{what}. Please upload a {accepted or 'supported file'}.")
    elif entry.get("maxBytes") and (upload.size_bytes or 0) > int(entry["maxBytes"]):
        limit = int(entry["maxBytes"]) / (1024 * 1024)
        _refuse(task, file_type, mime_type, f"The file is larger than the {limit:.0f} MB allowed here.")
    else:
        task.file_type, task.mime_type = file_type, mime_type
    session.add(task)
    _forget_proof_answer(job)
    service.forget_review(job)
    _changed(session, job)
    if task.status == "pending":
        service.enqueue_task(session, task, "intake")
    return task


def _delete_task(session: Session, task: Task) -> None:
    """Forget a file: its rows go now; stored bytes are left to retention."""
    for row in session.exec(select(Step).where(Step.task_id == task.id)).all():
        session.delete(row)
    for art in session.exec(select(Artifact).where(Artifact.task_id == task.id)).all():
        session.delete(art)
    session.flush()
    session.delete(task)
    session.flush()


def remove_file(session: Session, job: Job, file_id: str) -> None:
    if job.wf_phase in LOCKED_PHASES:
        raise Conflict("The files of this job can no longer change: its processing has started")
    task = session.get(Task, file_id)
    if task is None or task.job_id != job.id:
        raise NotFound(f"File not found: {file_id}")
    _delete_task(session, task)
    remaining = service.tasks_of(session, job.id)
    for index, other in enumerate(sorted(remaining, key=lambda t: t.position)):
        if other.position != index:
            other.position = index
            session.add(other)
    _forget_proof_answer(job)
    service.forget_review(job)
    _changed(session, job)


def _forget_proof_answer(job: Job) -> None:
    """A changed file set needs a new proof and a new answer."""
    if job.params and "proof" in job.params:
        job.params = {k: v for k, v in job.params.items() if k != "proof"}


def respond_to_proof(session: Session, job: Job, approved: bool) -> None:
    if job.status not in ("ready", "partial"):
        raise Conflict("There is no proof to answer yet: the files are still being checked or were rejected")
    job.params = {**(job.params or {}), "proof": {"approved": approved, "at": iso(utcnow())}}
    job.modified_at = utcnow()
    session.add(job)
    session.commit()
    signals.send(signals.JOB_STATUS, job_id=job.id)
    if approved:
        service.maybe_start_processing(session, job, reason="proof_approved")
