"""A job's owner actions on its page: delete it, or run it again on the same files. Owners only.

Delete is the API's (``DELETE /jobs/{id}``: ``service.delete_job``, a soft delete; the files go with
retention). Re-run submits a new job of the same kind with each file's stored original and the
same intake steps, through ``service.create_job`` (channel ``dashboard``, no order: a re-run is a
check, not a replacement of what an order received). Workflow jobs are not re-run here: their
processing follows the store's order.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session, col, select

from printgate.core.api.deps import SessionDep
from printgate.core.errors import NotFound
from printgate.core.jobs import service
from printgate.core.jobs.service import JobSpec, SourceSpec
from printgate.core.models import Artifact, Job
from printgate.core.storage import get_storage
from printgate.widgets.dashboard import auth
from printgate.widgets.dashboard.web import PREFIX, DashboardError, Owner, checked_form

router = APIRouter()


def _job(session: Session, me: auth.SignedIn, job_id: str) -> Job:
    try:
        return service.get_job(session, me.account.id, job_id)
    except NotFound:
        raise DashboardError(404, "There is no such job in this account.") from None


def can_rerun(job: Job) -> bool:
    return job.kind != "workflow"


def rerun(session: Session, job: Job) -> str:
    """The new job's id."""
    tasks = service.tasks_of(session, job.id)
    steps = service.steps_of(session, [t.id for t in tasks])
    sources = []
    for task in tasks:
        original = session.exec(select(Artifact).where(Artifact.task_id == task.id, Artifact.role == "source")
                                .order_by(col(Artifact.id))).first()
        if original is None:
            raise DashboardError(409, f"The original of {task.name or task.id} is no longer kept (retention): "
                                      "it cannot run again.")
        path = get_storage().local_path(original.key)
        if not path.exists():
            raise DashboardError(409, f"The original of {task.name or task.id} is no longer kept: it cannot run again.")
        mine = sorted((s for s in steps if s.task_id == task.id and s.phase == "intake"), key=lambda s: s.position)
        sources.append(SourceSpec(
            steps=[{"type": s.type, "params": s.params, "label": s.label} for s in mine], data=path.read_bytes(),
            name=task.name, mime_type=task.mime_type or original.mime_type, profile_id=task.profile_id,
            slot=task.slot, params=task.params))
    spec = JobSpec(kind=job.kind, mode=job.mode, channel="dashboard", rule_id=job.rule_id, on_fail=job.on_fail,
                   context=job.context, sources=sources)
    return service.create_job(session, job.account_id, spec).id


@router.post("/jobs/{job_id}/rerun", response_model=None)
async def rerun_job(request: Request, session: SessionDep, me: Owner, job_id: str) -> Response:
    await checked_form(request, me.csrf_token)
    job = _job(session, me, job_id)
    if not can_rerun(job):
        raise DashboardError(409, "A workflow job runs with its store order; it is not re-run from here.")
    new_id = await run_in_threadpool(rerun, session, job)
    return RedirectResponse(f"{PREFIX}/jobs/{new_id}", status_code=303)


@router.post("/jobs/{job_id}/delete", response_model=None)
async def delete_job(request: Request, session: SessionDep, me: Owner, job_id: str) -> Response:
    await checked_form(request, me.csrf_token)
    job = _job(session, me, job_id)
    await run_in_threadpool(service.delete_job, session, job)
    return RedirectResponse(f"{PREFIX}/jobs?deleted={job_id}", status_code=303)
