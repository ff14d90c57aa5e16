"""The one place that shapes Filecheck-compatible JSON from rows (jobs, tasks, steps, runs, status).

A job's status is spoken in the caller's status dialect (``printgate.core.jobs.dialect``): a parameter of
``job_wire`` and ``runs_wire``, never a second shaper. The widget's ``status_payload`` always speaks
``lifecycle``: the widget's states are those words.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from printgate.core.clock import epoch_ms, iso
from printgate.core.config import get_settings
from printgate.core.jobs.dialect import DEFAULT_DIALECT, job_status_in
from printgate.core.jobs.service import JobRows, steps_of, tasks_of
from printgate.core.jobs.states import JOB_TERMINAL, RUN_TERMINAL, JobStatus, ReviewDecision, job_can_proceed
from printgate.core.models import Account, Artifact, Job, Step, Task
from printgate.core.storage import get_storage

log = logging.getLogger(__name__)

OUTPUT_ROLES = ("optimizedFile", "output")


def artifact_wire(art: Artifact, *, signed: bool = True, with_task: bool = False) -> dict[str, Any]:
    storage = get_storage()
    expires = get_settings().download_expires_s
    out: dict[str, Any] = {"role": art.role, "kind": art.kind}
    if with_task:
        out["taskId"] = art.task_id
    out.update({
        "bucket": storage.bucket, "key": art.key, "mimeType": art.mime_type, "sizeBytes": art.size_bytes,
        "fileName": art.file_name,
    })
    if art.page is not None:
        out["page"] = art.page
    out["downloadUrl"] = storage.download_url(art.key, expires_in=expires, file_name=art.file_name) if signed else None
    out["expiresIn"] = expires if signed else None
    return out


def step_wire(step: Step, artifacts: list[Artifact]) -> dict[str, Any]:
    outputs = list(step.outputs or [])
    return {
        "id": step.id, "type": step.type, "label": step.label, "status": step.status, "outcome": step.outcome,
        "reason": step.reason, "params": step.params, "runtimeParams": step.runtime_params,
        "started": iso(step.started_at), "ended": iso(step.ended_at), "duration": step.duration_ms,
        "inStream": None, "outputs": outputs,
    }


def _artifacts_by_task(session: Session, job_id: str) -> dict[str | None, list[Artifact]]:
    rows = session.exec(select(Artifact).where(Artifact.job_id == job_id).order_by(col(Artifact.created_at))).all()
    grouped: dict[str | None, list[Artifact]] = {}
    for art in rows:
        grouped.setdefault(art.task_id, []).append(art)
    return grouped


def task_wire(task: Task, steps: list[Step], artifacts: list[Artifact], job: Job, *, signed: bool) -> dict[str, Any]:
    source = next((a for a in artifacts if a.role == "source"), None)
    outputs = [a for a in artifacts if a.role in OUTPUT_ROLES]
    return {
        "id": task.id, "createdAt": iso(task.created_at), "updatedAt": iso(task.updated_at),
        "status": task.status, "outcome": task.outcome, "reason": task.reason,
        "fileType": task.file_type, "mimeType": task.mime_type, "source": task.source,
        "fileRef": task.file_ref, "clientRef": task.client_ref, "jobId": task.job_id, "name": task.name,
        "slot": task.slot, "wfPhase": job.wf_phase if job.kind == "workflow" else None,
        "wfKind": task.file_type if job.kind == "workflow" else None,
        "sourceRef": {"bucket": get_storage().bucket, "key": source.key} if source else None,
        "originalArtifact": artifact_wire(source, signed=signed) if source else None,
        "outputArtifacts": [artifact_wire(a, signed=signed) for a in outputs],
        "steps": [step_wire(s, artifacts) for s in steps],
    }


def _read_report(art: Artifact) -> dict[str, Any] | None:
    try:
        return dict(json.loads(get_storage().local_path(art.key).read_text()))
    except (OSError, ValueError) as exc:
        log.warning("report %s unreadable: %s", art.key, exc)
        return None


def _results(tasks: list[Task], steps: list[Step], arts: dict[str | None, list[Artifact]]) -> dict[str, Any]:
    results: dict[str, list[dict[str, Any]]] = {}
    by_task = {t.id: t for t in tasks}
    for step in steps:
        task = by_task[step.task_id]
        base = {"taskId": task.id, "fileRef": task.file_ref, "source": task.source, "fileType": task.file_type,
                "mimeType": task.mime_type, "status": step.status, "outcome": step.outcome}
        if step.type in ("preflight", "repreflight") and step.status == "done":
            report_art = next((a for a in arts.get(task.id, []) if a.step_id == step.id and a.role == "report"), None)
            report = _read_report(report_art) if report_art else None
            results.setdefault("preflight", []).append({**base, "step": step.type, "report": report})
        elif step.type == "validate" and step.status in ("done", "error"):
            results.setdefault("validate", []).append({**base, **validate_result(step)})
        elif step.type == "optimize" and step.status == "done":
            out = next((a for a in arts.get(task.id, []) if a.step_id == step.id and a.role == "optimizedFile"), None)
            rt = step.runtime_params or {}
            results.setdefault("optimize", []).append({**base, "output": {
                **(artifact_wire(out) if out else {}),
                "appliedFixes": rt.get("appliedFixes", []), "skippedFixes": rt.get("skippedFixes", []),
                # printgate's own: bytes in and out, saved per category, and whether the input was kept.
                **({"size": rt["size"]} if rt.get("size") else {}),
            }})
    return results


def _failure_wire(f: dict[str, Any]) -> dict[str, Any]:
    return {"specification": f.get("specification"), "clause": f.get("clause"), "testNumber": f.get("testNumber"),
            "description": f.get("description"), "location": f.get("location"), "locations": f.get("locations", []),
            "count": f.get("count", 0), "ruleId": f.get("ruleId")}


def validate_step_output(report: dict[str, Any], profiles: list[str], report_key: str) -> dict[str, Any]:
    """The ``validate`` step's output as Filecheck shapes it: ``{kind, profile, result: {results: [...]}}``."""
    return {"kind": "validate", "profile": profiles, "bucket": "local", "key": report_key, "result": {
        "compliant": report["compliant"],
        "results": [{
            "profile": f"{p['requested']}:{p['matched']}" if p["requested"] == "auto" else p["matched"],
            "requested": p["requested"], "matched": p["matched"], "profileName": p["profileName"],
            "compliant": p["compliant"],
            "passedChecks": p["checks"]["passed"], "failedChecks": p["checks"]["failed"],
            "passedRules": p["rules"]["passed"], "failedRules": p["rules"]["failed"],
            "failedRuleDetails": [_failure_wire(f) for f in p["failures"]],
            "coverage": p.get("coverage"),
        } for p in report["profiles"]],
    }}


def validate_result(step: Step) -> dict[str, Any]:
    """One ``results.validate[]`` entry: ``compliant`` and ``profiles[]``; a step that ended ``error`` (a file
    that could not be validated) is never compliant and says why."""
    if step.status != "done":
        return {"compliant": False, "error": step.reason, "profiles": []}
    result = ((step.outputs or [{}])[0] or {}).get("result") or {}
    profiles = [{
        "requested": r.get("requested"), "matched": r.get("matched"), "profileName": r.get("profileName"),
        "compliant": bool(r.get("compliant")),
        "checks": {"passed": r.get("passedChecks", 0), "failed": r.get("failedChecks", 0)},
        "rules": {"passed": r.get("passedRules", 0), "failed": r.get("failedRules", 0)},
        "failures": r.get("failedRuleDetails", []), "coverage": r.get("coverage"),
    } for r in result.get("results", [])]
    return {"compliant": bool(result.get("compliant")) and bool(profiles), "profiles": profiles}


def domain_idx(session: Session, account_id: str) -> int:
    """The account's number, served as ``summary.domainIdx``.

    Filecheck's ``domainIdx`` is its tenant's integer index (``domainIdx: number`` in the SDK's
    ``JobSummary``; the same 42 names the tenant's upload prefix ``u/42/...`` in sdk-fixtures). printgate's
    tenant is an account with a string id, so its number is its rank among accounts in creation order:
    1 for the first. Account ids are time-sortable ULIDs and accounts are never deleted, so the rank is
    fixed once the account exists; counting keys ``<=`` it is a range scan of the primary key index.
    """
    key = (str(session.get_bind().engine.url), account_id)
    known = _DOMAIN_IDX.get(key)
    if known is None:  # fixed once the account exists: counted once per process
        known = _DOMAIN_IDX[key] = int(session.exec(
            select(func.count()).select_from(Account).where(col(Account.id) <= account_id)).one())
    return known


_DOMAIN_IDX: dict[tuple[str, str], int] = {}


def _status_outcome(session: Session, job: Job, dialect: str, tasks: list[Task] | None = None
                    ) -> tuple[str, str | None]:
    """The job's ``(status, outcome)`` in ``dialect``; looks at its files only when the answer depends on them."""
    errored, started = False, True
    if dialect != DEFAULT_DIALECT and job.status in ("rejected", "processing"):
        if tasks is None:
            tasks = list(session.exec(select(Task).where(Task.job_id == job.id)).all())
        errored = any(t.status == "error" for t in tasks)
        started = any(t.status != "pending" for t in tasks)
    return job_status_in(dialect, job.status, job.outcome, could_not_process=errored, started=started)


def review_wire(job: Job) -> dict[str, Any] | None:
    """printgate's own: a job held for a merchant's review (``onFail: manual_review``) and the decision."""
    recorded = (job.params or {}).get("review")
    if job.status != JobStatus.REVIEW and not recorded:
        return None
    if not recorded:
        return {"state": "pending", "decision": None, "note": None, "reviewedBy": None, "reviewedAt": None}
    state = "approved" if recorded.get("decision") == ReviewDecision.APPROVE else "rejected"
    return {"state": state, **{k: recorded.get(k) for k in ("decision", "note", "reviewedBy", "reviewedAt")}}


def job_wire(session: Session, job: Job, *, lean: bool = False, signed: bool = True,
             dialect: str = DEFAULT_DIALECT, rows: JobRows | None = None) -> dict[str, Any]:
    """The job as Filecheck shapes it. ``rows``: the job's rows as the caller holds them (a job just
    created), instead of reading them (``lean``: without its files)."""
    if rows is not None and not lean:
        tasks = rows.tasks
        steps = sorted(rows.steps, key=lambda s: (s.task_id, s.position))  # as steps_of orders them
        arts: dict[str | None, list[Artifact]] = {}
        for art in sorted(rows.artifacts, key=lambda a: a.created_at):
            arts.setdefault(art.task_id, []).append(art)
    else:
        tasks = [] if lean else tasks_of(session, job.id)
        steps = steps_of(session, [t.id for t in tasks])
        arts = {} if lean else _artifacts_by_task(session, job.id)
    status, outcome = _status_outcome(session, job, dialect, None if lean else tasks)
    steps_by_task: dict[str, list[Step]] = {}
    for step in steps:
        steps_by_task.setdefault(step.task_id, []).append(step)
    # A workflow's merged output (one PDF or one ZIP of every file, task None) comes first.
    deliverables = [] if lean else [
        artifact_wire(a, signed=signed, with_task=True)
        for a in [*(a for a in arts.get(None, []) if a.role == "output"),
                  *(a for t in tasks for a in arts.get(t.id, []) if a.role == "output")]
    ]
    out: dict[str, Any] = {
        "id": job.id, "createdAt": iso(job.created_at), "modifiedAt": iso(job.modified_at),
        "expiresAt": iso(job.expires_at), "status": status, "outcome": outcome,
        "canProceed": job_can_proceed(job.status, job.params), "reason": job.reason, "channel": job.channel,
        "ruleId": job.rule_id, "workflowId": job.workflow_id, "wfPhase": job.wf_phase, "wfStreamStatus": None,
        "metaData": job.meta_data, "deliverables": deliverables,
        "tasks": [task_wire(t, steps_by_task.get(t.id, []), arts.get(t.id, []), job, signed=signed) for t in tasks],
        "orderId": job.order_id, "customerId": job.customer_id, "orderStatus": job.order_status,
        "orderDetails": None, "customerEmail": job.customer_email,
    }
    if (review := review_wire(job)) is not None:
        out["review"] = review
    if not lean:
        out["summary"] = {
            "id": job.id, "domainIdx": domain_idx(session, job.account_id), "status": status, "outcome": outcome,
            "ruleId": job.rule_id, "channel": job.channel, "customerId": job.customer_id, "orderId": job.order_id,
            "policy": {"onFail": job.on_fail}, "metaData": job.meta_data, "taskIds": [t.id for t in tasks],
            "sourceRefs": [
                {"taskId": t.id, "bucket": get_storage().bucket, "key": a.key}
                for t in tasks for a in arts.get(t.id, []) if a.role == "source"
            ],
            "created": epoch_ms(job.created_at), "finalized": iso(job.finalized_at),
        }
        out["results"] = _results(tasks, steps, arts)
    return out


def run_wire(task: Task, arts: list[Artifact]) -> dict[str, Any]:
    storage = get_storage()
    expires = get_settings().download_expires_s
    # Only a finished file has an output: a running job's optimizedFile is an intermediate, and a store
    # module that downloads on hasOutput (OpenCart's marks the order done on its first try) must not
    # get one. An optimize job's optimizedFile is its output once the file is done.
    finished = task.status in RUN_TERMINAL
    output = (next((a for a in reversed(arts) if a.role == "output"), None) or next(
        (a for a in reversed(arts) if a.role == "optimizedFile"), None)) if finished else None
    proofs = [a for a in arts if a.role == "proof"]
    previews = [a for a in arts if a.role in ("preview", "thumbnail")]
    # Named at creation (``service.source_name``); tasks made before that fall back to their source.
    name = task.name or task.source
    return {
        "id": task.id, "name": name, "outcome": task.outcome, "status": task.status,
        "slot": task.slot, "fileType": task.file_type, "acceptKey": task.file_type,
        "source": {"name": name}, "hasOutput": output is not None,
        "proofs": [{"url": storage.download_url(a.key, expires_in=expires), "page": a.page} for a in proofs],
        "previews": [{"url": storage.download_url(a.key, expires_in=expires), "page": a.page, "kind": a.role}
                     for a in previews],
        "downloadUrl": storage.download_url(output.key, expires_in=expires, file_name=output.file_name)
        if output else None,
        "expiresIn": expires if output else None,
    }


def runs_wire(session: Session, job: Job, *, dialect: str = DEFAULT_DIALECT) -> dict[str, Any]:
    tasks = tasks_of(session, job.id)
    arts = _artifacts_by_task(session, job.id)
    status, outcome = _status_outcome(session, job, dialect, tasks)
    out: dict[str, Any] = {
        "id": job.id, "status": status, "outcome": outcome,
        "canProceed": job_can_proceed(job.status, job.params),
        "wfPhase": job.wf_phase, "runs": [run_wire(t, arts.get(t.id, [])) for t in tasks],
    }
    merged = next((a for a in arts.get(None, []) if a.role == "output" and a.kind == "merged"), None)
    if merged is not None and out["runs"]:
        # The workflow's Merge stage made one file of all the runs' outputs: it is what a store order
        # gets (connectors deliver runs' downloadUrl), carried by the first run; the others point at it.
        out["merged"] = {**artifact_wire(merged), "mode": "combine" if merged.mime_type == "application/pdf" else "zip"}
        first = out["runs"][0]
        for run in out["runs"]:
            run["mergedInto"] = first["id"]
            run["hasOutput"], run["downloadUrl"], run["expiresIn"] = False, None, None
        first.update(hasOutput=True, downloadUrl=out["merged"]["downloadUrl"], expiresIn=out["merged"]["expiresIn"],
                     outputName=merged.file_name)
    return out


def _will_autofix(finding: dict[str, Any]) -> bool:
    """Tell the customer a fix is coming only when processing will really apply it."""
    autofix = finding.get("autofix") or {}
    return bool(autofix.get("available")) and autofix.get("scheduled", True) is not False \
        and finding.get("severity") != "reject"


def _customer_findings(report: dict[str, Any] | None) -> list[dict[str, Any]]:
    """What the customer reads: one line per problem and page (eight low-res images on a page are
    one message with ``count: 8``, not eight identical ones)."""
    if not report:
        return []
    findings = (report.get("evaluation") or {}).get("findings") or []
    out: list[dict[str, Any]] = []
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for f in findings:
        key = (f.get("severity"), f.get("ruleId"), f.get("page"), f.get("issue"))
        if key in seen:
            seen[key]["count"] += 1
            continue
        item = {"severity": f.get("severity"), "checkId": f.get("checkId") or f.get("ruleId"),
                "ruleId": f.get("ruleId"), "issue": f.get("issue"), "fix": f.get("fix"), "page": f.get("page"),
                "autofix": _will_autofix(f), "count": 1}
        seen[key] = item
        out.append(item)
    return out


def status_payload(session: Session, job: Job) -> dict[str, Any]:
    """The Element's status payload (reference__status-payload.md), extended per file.

    Always in the ``lifecycle`` dialect: the widget's states (and ``terminal``) are its words.
    """
    tasks = tasks_of(session, job.id)
    arts = _artifacts_by_task(session, job.id)
    storage = get_storage()
    expires = get_settings().download_expires_s
    files = []
    for task in tasks:
        task_arts = arts.get(task.id, [])
        output = next((a for a in reversed(task_arts) if a.role in ("output", "optimizedFile")), None)
        report_art = next((a for a in reversed(task_arts) if a.role == "report"), None)
        report = _read_report(report_art) if report_art else None
        thumb = next((a for a in task_arts if a.role == "thumbnail"), None) or next(
            (a for a in task_arts if a.role == "preview"), None)
        files.append({
            "id": task.id, "name": task.name, "slot": task.slot, "fileRef": task.file_ref,
            "outcome": task.outcome, "status": task.status, "reason": task.reason,
            "outputRef": output.key if output else None,
            "findings": _customer_findings(report),
            "thumbnailUrl": storage.download_url(thumb.key, expires_in=expires) if thumb else None,
            "proofs": [{"page": a.page, "url": storage.download_url(a.key, expires_in=expires)}
                       for a in task_arts if a.role == "proof"],
            "facts": (report or {}).get("facts"),
        })
    return {
        "status": job.status, "terminal": job.status in JOB_TERMINAL,
        "canProceed": job_can_proceed(job.status, job.params),
        "workflowId": job.workflow_id, "jobId": job.id, "wfPhase": job.wf_phase, "reason": job.reason,
        "files": files,
    }


def task_artifacts(session: Session, task_id: str) -> list[Artifact]:
    return list(session.exec(select(Artifact).where(Artifact.task_id == task_id).order_by(col(Artifact.created_at))).all())
