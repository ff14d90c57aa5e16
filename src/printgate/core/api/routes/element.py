"""``/element/*``: the endpoints the upload widget calls from the customer's browser.

Authenticated with a publishable key (``Authorization: Bearer pk_...``, or ``?key=pk_...`` where a
header cannot be sent, as with ``EventSource``). A key reaches only published workflows of its
account and the intake jobs created through them. The payload is ``printgate.core.jobs.intake.element_status``
everywhere: responses, polling and the live stream.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import AsyncGenerator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, StrictBool, StrictStr
from pydantic_core import PydanticCustomError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from printgate.core.api import ratelimit
from printgate.core.api.deps import AnyKey, JsonBody, SessionDep
from printgate.core.config import get_settings
from printgate.core.db import session_scope
from printgate.core.errors import NotFound, PrintgateError, RateLimited, parse_body
from printgate.core.events import channel
from printgate.core.jobs import intake
from printgate.core.keys import Principal, authenticate
from printgate.core.models import Job
from printgate.core.storage import sign_token

log = logging.getLogger("printgate.element")

router = APIRouter(prefix="/element", tags=["element"])

# Live stream tuning: a comment line keeps proxies from closing an idle stream; the job row is
# re-read now and then so a lost pub/sub message (Redis restart) only delays an update.
HEARTBEAT_S = 15.0
RECHECK_S = 2.0


def _not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("blank", "must be a non-empty string")
    return value


Text = Annotated[StrictStr, AfterValidator(_not_blank)]


class CreateIntakeJob(BaseModel):
    """``POST /element/jobs``: small bodies, strict like the public API: unknown keys are a 400 (DECISIONS 12)."""

    model_config = ConfigDict(extra="forbid")
    workflowId: Text


class AddFile(BaseModel):
    """``POST /element/jobs/{id}/files``: the upload's ``fileRef``, and the file's name and slot if given."""

    model_config = ConfigDict(extra="forbid")
    fileRef: Text
    name: Text | None = None
    slot: Text | None = None


class ProofAnswer(BaseModel):
    """``POST /element/jobs/{id}/proof``: the customer's answer to the soft proof."""

    model_config = ConfigDict(extra="forbid")
    approved: StrictBool


def _payload(session: Session, job: Job) -> dict[str, Any]:
    session.refresh(job)
    return intake.element_status(session, job)


# ---------------------------------------------------------------- the per-job client token
# A publishable key is public: with it alone, anyone holding a job id (a cart field, an order note,
# a shared link) could read that job, attach files to it or approve its proof. So the widget's job
# gets a client token when it is created (``clientToken``, an HMAC of the job id with the instance's
# signing secret: nothing to store, nothing to look up), and a pk_ caller must send it back
# (``Printgate-Job-Token`` header; ``jobToken`` query parameter for the live stream, which
# EventSource cannot give headers). Secret keys (servers) need none. Without it, or with another
# job's, the job is a 404, as another account's is. ``widget_job_token``: ``enforce`` (the default)
# or ``issue`` (tokens handed out and checked when sent, a pk_ key alone still accepted: for a
# migration from a widget that does not send them).

JOB_TOKEN_HEADER = "Printgate-Job-Token"


def client_token(job_id: str) -> str:
    return "jt_" + sign_token(get_settings().effective_signing_secret, "element-job", job_id)[:40]


def _check_job_token(caller: Principal, job_id: str, given: str | None) -> None:
    if caller.is_secret:
        return
    if given is None and get_settings().widget_job_token != "enforce":
        return
    if not given or not hmac.compare_digest(given.strip(), client_token(job_id)):
        raise NotFound(f"Job not found: {job_id} (a publishable key needs the job's client token)")


JobToken = Annotated[str | None, Header(alias=JOB_TOKEN_HEADER, description="The job's client token "
                                        "(`clientToken` from `POST /element/jobs`); required with a publishable key")]


@router.get("/config")
def get_config(session: SessionDep, caller: AnyKey, workflowId: str, connectorId: str | None = None) -> dict[str, Any]:
    """The workflow, its upload rule, soft-proof setting and UI defaults (and a connector by id)."""
    return intake.element_config(session, caller, workflowId, connectorId)


@router.post("/jobs", status_code=201)
def create_job(session: SessionDep, caller: AnyKey, body: JsonBody) -> dict[str, Any]:
    """Create the intake job (status ``idle``) and return its status payload."""
    given = parse_body(CreateIntakeJob, body)
    job = intake.create_intake_job(session, caller, given.workflowId)
    return {**_payload(session, job), "clientToken": client_token(job.id)}


@router.get("/jobs/{job_id}")
def get_job(session: SessionDep, caller: AnyKey, job_id: str, token: JobToken = None) -> dict[str, Any]:
    """The status payload, for polling when the live stream is blocked."""
    _check_job_token(caller, job_id, token)
    return _payload(session, intake.intake_job(session, caller, job_id))


@router.post("/jobs/{job_id}/files", status_code=201)
def add_file(session: SessionDep, caller: AnyKey, job_id: str, body: JsonBody, token: JobToken = None) -> dict[str, Any]:
    """Add an uploaded file (``fileRef`` from ``POST /uploads``) and start its intake check."""
    _check_job_token(caller, job_id, token)
    given = parse_body(AddFile, body)
    job = intake.intake_job(session, caller, job_id)
    intake.add_file(session, caller, job, given.fileRef, given.name, given.slot)
    return _payload(session, job)


@router.delete("/jobs/{job_id}/files/{file_id}")
def remove_file(session: SessionDep, caller: AnyKey, job_id: str, file_id: str,
                token: JobToken = None) -> dict[str, Any]:
    _check_job_token(caller, job_id, token)
    job = intake.intake_job(session, caller, job_id)
    intake.remove_file(session, job, file_id)
    return _payload(session, job)


@router.post("/jobs/{job_id}/proof")
def answer_proof(session: SessionDep, caller: AnyKey, job_id: str, body: JsonBody,
                 token: JobToken = None) -> dict[str, Any]:
    """The customer's answer to the soft proof (``respondToProof``)."""
    _check_job_token(caller, job_id, token)
    given = parse_body(ProofAnswer, body)
    job = intake.intake_job(session, caller, job_id)
    intake.respond_to_proof(session, job, given.approved)
    return _payload(session, job)


# ---------------------------------------------------------------- live status (SSE)


def _stream_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.query_params.get("key")


def _authorize(raw: str | None, job_id: str, token: str | None = None) -> Principal:
    """Auth for the stream without holding a DB session for the stream's lifetime."""
    with session_scope() as session:
        caller = authenticate(session, raw)
        _check_job_token(caller, job_id, token)
        intake.intake_job(session, caller, job_id)
        return caller


def _snapshot(caller: Principal, job_id: str) -> tuple[dict[str, Any], Any]:
    with session_scope() as session:
        job = intake.intake_job(session, caller, job_id)
        return intake.element_status(session, job), job.modified_at


def _modified_at(job_id: str) -> Any:
    with session_scope() as session:
        job = session.get(Job, job_id)
        return None if job is None else job.modified_at


def _redis_url() -> str | None:
    return get_settings().redis_url


def _sse(payload: dict[str, Any]) -> str:
    return f"event: status\ndata: {json.dumps(payload, default=str, separators=(',', ':'))}\n\n"


async def _status_stream(request: Request, caller: Principal, job_id: str) -> AsyncGenerator[str, None]:
    """Subscribe first, then send the current state, then every change: nothing falls in between."""
    pubsub = client = None
    url = _redis_url()
    if url:
        try:
            from redis.asyncio import Redis

            client = Redis.from_url(url)
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            await pubsub.subscribe(channel(job_id))
        except Exception as exc:  # Redis down: the periodic re-read still carries the stream
            log.warning("status stream without pub/sub for %s: %s", job_id, exc)
            pubsub = None
    try:
        yield "retry: 2000\n\n"
        payload, stamp = await run_in_threadpool(_snapshot, caller, job_id)
        sent = json.dumps(payload, sort_keys=True, default=str)
        yield _sse(payload)
        if payload["terminal"]:
            return
        loop = asyncio.get_running_loop()
        last_beat = last_check = loop.time()
        while True:
            if await request.is_disconnected():
                return
            message = None
            if pubsub is not None:
                try:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                except Exception as exc:
                    log.warning("pub/sub read failed for %s: %s", job_id, exc)
                    pubsub = None
            else:
                await asyncio.sleep(1.0)
            now = loop.time()
            changed = message is not None
            if not changed and now - last_check >= RECHECK_S:
                last_check = now
                changed = await run_in_threadpool(_modified_at, job_id) != stamp
            if changed:
                payload, stamp = await run_in_threadpool(_snapshot, caller, job_id)
                current = json.dumps(payload, sort_keys=True, default=str)
                if current != sent:
                    sent = current
                    last_beat = now
                    yield _sse(payload)
                if payload["terminal"]:
                    return
            if now - last_beat >= HEARTBEAT_S:
                last_beat = now
                yield ": heartbeat\n\n"
    except PrintgateError as exc:  # the job was deleted while streaming
        yield f"event: error\ndata: {json.dumps({'code': 'job_gone', 'message': exc.message})}\n\n"
    finally:
        if pubsub is not None:
            try:
                await pubsub.unsubscribe()
                await pubsub.aclose()
            except Exception:
                pass
        if client is not None:
            try:
                await client.aclose()
            except Exception:
                pass


@router.get("/jobs/{job_id}/events", response_model=None)
async def job_events(request: Request, job_id: str) -> StreamingResponse | JSONResponse:
    """``text/event-stream``: ``event: status`` with the payload on every change, heartbeat
    comments, closed once the job is terminal. Works across API processes (Redis pub/sub)."""
    try:
        token = request.headers.get(JOB_TOKEN_HEADER) or request.query_params.get("jobToken")
        caller = await run_in_threadpool(_authorize, _stream_key(request), job_id, token)
        ratelimit.hit_for_key(request, caller.key_id, publishable=not caller.is_secret)
    except PrintgateError as exc:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
        return JSONResponse({"error": True, "message": exc.message}, status_code=exc.status_code, headers=headers)
    return StreamingResponse(
        _status_stream(request, caller, job_id), media_type="text/event-stream",
        headers={"Cache-Control": "no-cache, no-transform", "X-Accel-Buffering": "no", "Connection": "keep-alive"},
    )
