"""``/jobs``: submit (canonical and the one-off sugar endpoints), list, read, delete, outputs."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, Literal

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import ColumnElement, and_, exists, false, or_, text
from sqlmodel import Session, col, select

from printgate.core.api.bodycache import job_bodies
from printgate.core.api.deps import JsonBody, SecretKey, SessionDep, StatusDialect
from printgate.core.api.schemas import validate_body
from printgate.core.config import get_settings
from printgate.core.errors import BadRequest, NotFound, validation_message
from printgate.core.jobs import paging, service
from printgate.core.jobs.dialect import FILECHECK_STATUSES, list_filter
from printgate.core.jobs.service import JobSpec, SourceSpec, decode_inline_file
from printgate.core.jobs.states import JOB_STATUSES, JOB_TERMINAL
from printgate.core.keys import Principal
from printgate.core.models import Job, Task
from printgate.core.storage import LocalStorage, get_storage, url_bucket
from printgate.core.wire import job_wire, run_wire, runs_wire, task_artifacts

router = APIRouter(tags=["jobs"])


def _webhook(value: Any, dialect: str) -> dict[str, Any] | None:
    """The job's own webhook; it is called with the job in the dialect of the request that set it."""
    if value is None:
        return None
    return {**({"url": value} if isinstance(value, str) else dict(value)), "statusDialect": dialect}


def _source(raw: dict[str, Any], steps: list[dict[str, Any]], **extra: Any) -> SourceSpec:
    url, data = raw.get("url"), None
    alias = raw.get("source")
    if alias:
        if alias.startswith(("http://", "https://")):
            url = alias
        else:
            data = decode_inline_file(alias)
    if raw.get("file") is not None:
        data = decode_inline_file(raw["file"])
    return SourceSpec(steps=steps, url=url, headers=raw.get("headers"), data=data, file_ref=raw.get("fileRef"),
                      name=raw.get("name") or None,  # none sent: service.source_name names the file
                      mime_type=raw.get("mimeType"), params=raw.get("params") if "steps" in raw else None,
                      **extra)


def _exactly_one_input(raw: dict[str, Any], index: int) -> None:
    present = [k for k in ("url", "file", "fileRef", "source") if raw.get(k) is not None]
    if len(present) != 1:
        raise BadRequest(f"sources.{index}: give exactly one of url, file, fileRef")


def _submit(session: Session, caller: Principal, spec: JobSpec, *, wait: bool, dialect: str,
            pending_flag_on_201: bool = False) -> JSONResponse:
    job = service.create_job(session, caller.account_id, spec)
    if not wait:  # shaped from the rows just written: nothing is read back
        body: dict[str, Any] = {"job": job_wire(session, job, signed=True, dialect=dialect,
                                                rows=service.just_created(session, job))}
        if pending_flag_on_201:
            body["pending"] = True
        return JSONResponse(body, status_code=201)
    deadline = time.monotonic() + get_settings().sync_wait_s
    delay = 0.02
    while time.monotonic() < deadline:
        session.expire_all()
        current = session.get(Job, job.id)
        if current is not None and current.status in JOB_TERMINAL:
            return JSONResponse({"job": job_wire(session, current, dialect=dialect)}, status_code=200)
        time.sleep(delay)
        delay = min(delay * 1.5, 0.25)
    session.expire_all()
    return JSONResponse({"pending": True, "job": job_wire(session, session.get(Job, job.id) or job, dialect=dialect)},
                        status_code=202)


def _common(body: dict[str, Any], caller: Principal, kind: str, dialect: str) -> dict[str, Any]:
    return {"kind": kind, "mode": caller.mode, "webhook": _webhook(body.get("webhook"), dialect),
            "meta_data": body.get("metaData"), "context": body.get("context")}


@router.post("/jobs")
def submit_job(session: SessionDep, caller: SecretKey, dialect: StatusDialect, body: JsonBody) -> JSONResponse:
    body = validate_body("JobsPost", body)
    sources = []
    for index, raw in enumerate(body["sources"]):
        _exactly_one_input(raw, index)
        sources.append(_source(raw, raw["steps"]))
    spec = JobSpec(sources=sources, channel=body.get("channel", "api"), rule_id=body.get("ruleId"),
                   on_fail=(body.get("policy") or {}).get("onFail", "reject"), customer_id=body.get("customerId"),
                   order_id=body.get("orderId"), **_common(body, caller, "jobs", dialect))
    return _submit(session, caller, spec, wait=bool(body.get("sync")), dialect=dialect)


# Each one-off endpoint is the canonical submit with its steps built from one source.
StepsFor = Callable[[dict[str, Any], dict[str, Any], int], list[dict[str, Any]]]


def _one_off(session: Session, caller: Principal, body: Any, *, schema: str, kind: str, steps_for: StepsFor,
             dialect: str, sync_by_default: bool = False) -> JSONResponse:
    body = validate_body(schema, body)
    sources = []
    for index, raw in enumerate(body["sources"]):
        _exactly_one_input(raw, index)
        sources.append(_source(raw, steps_for(raw, body, index), profile_id=raw.get("profileId")))
    spec = JobSpec(sources=sources, **_common(body, caller, kind, dialect))
    if sync_by_default:  # /jobs/validate and /jobs/optimize (DECISIONS 3): `async: true` opts out
        is_async = bool(body.get("async"))
        return _submit(session, caller, spec, wait=not is_async, dialect=dialect, pending_flag_on_201=is_async)
    return _submit(session, caller, spec, wait=bool(body.get("sync")), dialect=dialect)


def _profile_params(raw: dict[str, Any]) -> dict[str, Any] | None:
    return {"profileId": raw["profileId"]} if raw.get("profileId") else None


def _preflight_steps(raw: dict[str, Any], _body: dict[str, Any], _index: int) -> list[dict[str, Any]]:
    return [{"type": "preflight", "params": _profile_params(raw)}]


def _fix_steps(raw: dict[str, Any], body: dict[str, Any], _index: int) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = [
        {"type": "preflight", "params": _profile_params(raw)},
        {"type": "autofix", "params": {"items": raw["items"]} if raw.get("items") else None},
    ]
    if body.get("repreflight"):
        steps.append({"type": "repreflight", "params": _profile_params(raw)})
    return [*steps, {"type": "deliver"}]


def _optimize_steps(raw: dict[str, Any], _body: dict[str, Any], index: int) -> list[dict[str, Any]]:
    if raw.get("params") == {}:
        raise BadRequest(f"sources.{index}.params: {{}} is invalid; omit params instead")
    params = dict(raw.get("params") or {})
    if raw.get("presetId"):  # printgate's own: a library preset, with params (if any) over it
        params["presetId"] = raw["presetId"]
    return [{"type": "optimize", "params": params or None}, {"type": "deliver"}]


def _validate_steps(raw: dict[str, Any], _body: dict[str, Any], _index: int) -> list[dict[str, Any]]:
    profile = raw.get("profile", "auto")
    return [{"type": "validate", "params": {"profile": profile if isinstance(profile, list) else [profile]}}]


def _previews_steps(raw: dict[str, Any], _body: dict[str, Any], _index: int) -> list[dict[str, Any]]:
    return [{"type": "previews", "params": raw.get("params")}]


@router.post("/jobs/preflight")
def preflight_file(session: SessionDep, caller: SecretKey, dialect: StatusDialect, body: JsonBody) -> JSONResponse:
    return _one_off(session, caller, body, schema="JobsPreflightPost", kind="preflight", steps_for=_preflight_steps,
                    dialect=dialect)


@router.post("/jobs/fix")
def fix_file(session: SessionDep, caller: SecretKey, dialect: StatusDialect, body: JsonBody) -> JSONResponse:
    return _one_off(session, caller, body, schema="FixPost", kind="fix", steps_for=_fix_steps, dialect=dialect)


@router.post("/jobs/optimize")
def optimize_file(session: SessionDep, caller: SecretKey, dialect: StatusDialect, body: JsonBody) -> JSONResponse:
    from printgate.core import library

    for index, raw in enumerate(validate_body("JobsOptimizePost", body)["sources"]):
        preset_id = raw.get("presetId")
        if preset_id and library.find_item(session, "preset", preset_id, caller.account_id) is None:
            raise BadRequest(f"sources.{index}.presetId: optimize preset not found: {preset_id}")
    return _one_off(session, caller, body, schema="JobsOptimizePost", kind="optimize", steps_for=_optimize_steps,
                    dialect=dialect, sync_by_default=True)


@router.post("/jobs/validate")
def validate_file(session: SessionDep, caller: SecretKey, dialect: StatusDialect, body: JsonBody) -> JSONResponse:
    return _one_off(session, caller, body, schema="JobsValidatePost", kind="validate", steps_for=_validate_steps,
                    dialect=dialect, sync_by_default=True)


@router.post("/jobs/previews")
def generate_previews(session: SessionDep, caller: SecretKey, dialect: StatusDialect, body: JsonBody) -> JSONResponse:
    return _one_off(session, caller, body, schema="PreviewsPost", kind="previews", steps_for=_previews_steps,
                    dialect=dialect)


def _status_filter(status: str) -> ColumnElement[bool]:
    """``?status=`` as SQL: a lifecycle word is the stored status, a filecheck word may look at the files."""
    file_facts = {
        "errored": exists().where(col(Task.job_id) == col(Job.id), col(Task.status) == "error"),
        "started": exists().where(col(Task.job_id) == col(Job.id), col(Task.status) != "pending"),
    }
    alternatives: list[ColumnElement[bool]] = []
    for stored, fact in list_filter(status):
        condition: ColumnElement[bool] = col(Job.status).in_(stored)
        if fact is not None:
            test = file_facts[fact.lstrip("!")]
            condition = and_(condition, ~test if fact.startswith("!") else test)
        alternatives.append(condition)
    return or_(false(), *alternatives)


@router.get("/jobs")
def list_jobs(
    session: SessionDep, caller: SecretKey, dialect: StatusDialect,
    limit: int = Query(20, ge=1, le=100), nextKey: str | None = None, status: str | None = None,
    outcome: str | None = None, channel: str | None = None, orderId: str | None = None,
    customerId: str | None = None, workflowId: str | None = None, kind: str | None = None,
    preview: bool = False,
) -> dict[str, Any]:
    if status is not None and status not in JOB_STATUSES + FILECHECK_STATUSES:
        raise BadRequest(f"status must be one of {', '.join(JOB_STATUSES + FILECHECK_STATUSES)}")
    query = select(Job).where(Job.account_id == caller.account_id, col(Job.deleted_at).is_(None))
    if status is not None:  # either vocabulary, whatever the dialect of the answer
        query = query.where(_status_filter(status))
    for column, value in ((Job.outcome, outcome), (Job.channel, channel),
                          (Job.order_id, orderId), (Job.customer_id, customerId), (Job.workflow_id, workflowId),
                          (Job.kind, kind)):
        if value is not None:
            query = query.where(column == value)
    if nextKey:
        try:
            query = query.where(paging.older_than(*paging.decode_cursor(nextKey)))
        except ValueError as exc:
            raise BadRequest("nextKey is not valid") from exc
    rows = session.exec(query.order_by(col(Job.created_at).desc(), col(Job.id).desc()).limit(limit + 1)).all()
    page = list(rows[:limit])
    return {"jobs": [job_wire(session, job, lean=True, dialect=dialect) for job in page],
            "nextKey": paging.encode_cursor(page[-1].created_at, page[-1].id) if len(rows) > limit else None}


JOB_STAMP_SQL = text("SELECT account_id, modified_at, deleted_at FROM job WHERE id = :id")


@router.get("/jobs/{job_id}", response_model=None)
async def get_job(session: SessionDep, caller: SecretKey, dialect: StatusDialect, job_id: str,
                  expand: str | None = None) -> Response:
    """The hot path of every poller: one indexed lookup, then cached bytes while the job is unchanged.

    Runs on the event loop (the lookup is a primary-key read); shaping a changed job, which reads
    several tables and the report file, goes to the thread pool. A repeated poll of an unchanged job
    is usually answered before this route, from the same cache (``printgate.core.api.job_read``).
    """
    if expand not in (None, "", "runs"):
        raise BadRequest("expand supports only 'runs'")
    stamp_row = session.connection().execute(JOB_STAMP_SQL, {"id": job_id}).first()
    if stamp_row is None or stamp_row[0] != caller.account_id or stamp_row[2] is not None:
        raise NotFound(f"Job not found: {job_id}")
    key = (job_id, expand or "", dialect)
    stamp = (str(stamp_row[1]), url_bucket())
    body = job_bodies.get(key, stamp)
    if body is None:
        body = await run_in_threadpool(_shape_job, session, caller.account_id, job_id, expand, dialect)
        job_bodies.put(key, stamp, body)
    return Response(body, media_type="application/json")


def _shape_job(session: Session, account_id: str, job_id: str, expand: str | None, dialect: str) -> bytes:
    job = service.get_job(session, account_id, job_id)
    data = runs_wire(session, job, dialect=dialect) if expand == "runs" \
        else {"job": job_wire(session, job, dialect=dialect)}
    return json.dumps(data, separators=(",", ":")).encode()


@router.delete("/jobs/{job_id}")
def delete_job(session: SessionDep, caller: SecretKey, job_id: str) -> dict[str, Any]:
    job = service.get_job(session, caller.account_id, job_id)
    task_ids = service.delete_job(session, job)
    return {"id": job.id, "deleted": True, "taskIds": task_ids}


def _task_of(session: Session, caller: Principal, job_id: str, run_id: str) -> tuple[Job, Task]:
    job = service.get_job(session, caller.account_id, job_id)
    task = session.get(Task, run_id)
    if task is None or task.job_id != job.id:
        raise NotFound(f"Run not found: {run_id}")
    return job, task


@router.get("/jobs/{job_id}/runs/{run_id}/output", response_model=None)
def run_output(session: SessionDep, caller: SecretKey, job_id: str, run_id: str) -> FileResponse | RedirectResponse:
    _job, task = _task_of(session, caller, job_id, run_id)
    arts = task_artifacts(session, task.id)
    output = next((a for a in reversed(arts) if a.role == "output"), None) or next(
        (a for a in reversed(arts) if a.role == "optimizedFile"), None)
    if output is None:
        raise NotFound(f"Run {run_id} has no output yet")
    storage = get_storage()
    if isinstance(storage, LocalStorage):
        return FileResponse(storage.local_path(output.key), media_type=output.mime_type or "application/octet-stream",
                            filename=output.file_name or "output")
    return RedirectResponse(storage.download_url(output.key, expires_in=300, file_name=output.file_name))


@router.get("/runs/{run_id}")
def get_run(session: SessionDep, caller: SecretKey, run_id: str) -> dict[str, Any]:
    task = session.get(Task, run_id)
    if task is None or task.account_id != caller.account_id:
        raise NotFound(f"Run not found: {run_id}")
    service.get_job(session, caller.account_id, task.job_id)
    return run_wire(task, task_artifacts(session, task.id))


@router.post("/jobs/{job_id}/process")
def process_job(session: SessionDep, caller: SecretKey, dialect: StatusDialect, job_id: str) -> dict[str, Any]:
    """printgate's own: run a workflow job's processing phase now (trigger "manual" / "api")."""
    job = service.get_job(session, caller.account_id, job_id)
    if job.kind != "workflow":
        raise BadRequest("Only workflow jobs have a processing phase")
    if not service.maybe_start_processing(session, job, reason="api"):
        raise BadRequest(f"Job cannot be processed now (status {job.status}, phase {job.wf_phase})")
    return {"job": job_wire(session, job, dialect=dialect)}


class ReviewBody(BaseModel):
    """printgate's own body: unknown keys are refused."""

    model_config = ConfigDict(extra="forbid")
    decision: Literal["approve", "reject"]
    note: str | None = Field(default=None, max_length=2000)


@router.post("/jobs/{job_id}/review")
def review_job(session: SessionDep, caller: SecretKey, dialect: StatusDialect, job_id: str,
               body: JsonBody) -> dict[str, Any]:
    """printgate's own: the merchant's decision on a job held for review (``onFail: manual_review``).

    ``{"decision": "approve" | "reject", "note": "..."}``; 409 when the job is not waiting for a
    review. Approve: the job becomes ``partial`` and proceeds; reject: ``rejected``. Recorded with
    the key that decided and when (``review``), and sent as the ``job.reviewed`` webhook event.
    """
    try:
        decided = ReviewBody.model_validate(body)
    except ValidationError as exc:
        raise BadRequest(validation_message(exc.errors())) from None
    job = service.get_job(session, caller.account_id, job_id)
    service.review_job(session, job, decided.decision, decided.note, reviewer=caller.key_id)
    return {"job": job_wire(session, job, dialect=dialect)}

