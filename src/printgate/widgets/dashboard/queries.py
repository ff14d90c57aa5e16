"""The jobs list: one account's jobs, filtered, newest first, in keyset pages of (created_at, id).

The base query is the REST list's (``GET /jobs``): ``account_id = ? AND deleted_at IS NULL ORDER BY
created_at DESC, id DESC LIMIT n+1``, which walks ``ix_job_account_created`` and stops after a page;
a page's cursor is its last row's (created_at, id). The page's file names and "auto-fixed" facts are
read afterwards in two ``IN (...)`` queries over the page's ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from printgate.core.clock import as_utc
from printgate.core.jobs import paging
from printgate.core.jobs.states import JOB_TERMINAL, JobStatus
from printgate.core.models import Job, Step, Task

PAGE_SIZE = 25
KINDS = ("jobs", "preflight", "fix", "optimize", "validate", "previews", "workflow", "check")

# The result a merchant reads, derived from the job's status (and, for a clean verdict, whether an
# autofix changed the file). Key -> label.
RESULTS: dict[str, str] = {
    "clean": "Clean",
    "autofixed": "Auto-fixed",
    "warnings": "Warnings",
    "rejected": "Rejected",
    "review": "Waiting for review",
    "processing": "Processing",
}
_IN_FLIGHT = (JobStatus.IDLE, JobStatus.INCOMPLETE, JobStatus.UPLOADING, JobStatus.PROCESSING)


def _fixed_exists() -> Any:
    return exists().where(col(Step.job_id) == col(Job.id), col(Step.type) == "autofix",
                          col(Step.outcome) == "fixed")


def result_key(status: str, autofixed: bool) -> str:
    if status == JobStatus.REVIEW:
        return "review"
    if status == JobStatus.REJECTED:
        return "rejected"
    if status == JobStatus.PARTIAL:
        return "warnings"
    if status == JobStatus.READY:
        return "autofixed" if autofixed else "clean"
    return "processing"


def result_filter(key: str) -> ColumnElement[bool]:
    status = col(Job.status)
    if key == "review":
        return status == JobStatus.REVIEW
    if key == "rejected":
        return status == JobStatus.REJECTED
    if key == "warnings":
        return status == JobStatus.PARTIAL
    if key == "clean":
        return and_(status == JobStatus.READY, ~_fixed_exists())
    if key == "autofixed":
        return and_(status == JobStatus.READY, _fixed_exists())
    return status.in_(_IN_FLIGHT)


def decode_cursor(value: str | None) -> tuple[datetime, str] | None:
    """A cursor from a URL; anything malformed is the first page, not an error page."""
    if not value:
        return None
    try:
        return paging.decode_cursor(value)
    except ValueError:
        return None


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@dataclass
class JobFilters:
    kind: str = ""
    result: str = ""
    date_from: str = ""
    date_to: str = ""
    order: str = ""
    q: str = ""

    @classmethod
    def from_query(cls, params: Any) -> JobFilters:
        def get(name: str, limit: int = 120) -> str:
            return str(params.get(name) or "").strip()[:limit]

        found = cls(kind=get("type"), result=get("result"), date_from=get("from"), date_to=get("to"),
                    order=get("order"), q=get("q"))
        if found.kind not in KINDS:
            found.kind = ""
        if found.result not in RESULTS:
            found.result = ""
        found.date_from = found.date_from if _day(found.date_from) else ""
        found.date_to = found.date_to if _day(found.date_to) else ""
        return found

    def query_args(self) -> dict[str, str]:
        """The filters as URL parameters (the empty ones left out), for the pager's links."""
        pairs = {"type": self.kind, "result": self.result, "from": self.date_from, "to": self.date_to,
                 "order": self.order, "q": self.q}
        return {k: v for k, v in pairs.items() if v}

    def conditions(self, session: Session) -> tuple[list[ColumnElement[bool]], bool]:
        """The filters as SQL, and whether they narrowed the jobs to a short list of ids."""
        out: list[ColumnElement[bool]] = []
        narrowed = False
        if self.kind:
            out.append(col(Job.kind) == self.kind)
        if self.result:
            out.append(result_filter(self.result))
        start, end = _day(self.date_from), _day(self.date_to)
        if start:
            out.append(col(Job.created_at) >= datetime.combine(start, time.min, UTC))
        if end:
            out.append(col(Job.created_at) < datetime.combine(end + timedelta(days=1), time.min, UTC))
        if self.order:
            by_order = col(Job.order_id) == self.order
            ids = _few_ids(session, sa_select(col(Job.id)).where(by_order))
            out.append(by_order if ids is None else col(Job.id).in_(ids))
            narrowed = narrowed or ids is not None
        if self.q:
            pattern = "%" + self.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            name_like = col(Task.name).like(pattern, escape="\\")
            ids = _few_ids(session, sa_select(col(Task.job_id)).where(name_like))
            if ids is None:
                out.append(or_(col(Job.id) == self.q, exists().where(col(Task.job_id) == col(Job.id), name_like)))
            else:
                out.append(col(Job.id).in_([*ids, self.q]))
                narrowed = True
        return out, narrowed


# A selective filter (an order id, a file name) is resolved to job ids first when it matches few:
# newest-first alone would walk the account's whole index probing each job, and with the ids in an
# IN list the page is read by primary key and sorted here (SQLite would still pick the ordered walk).
# When it matches many, the plain condition is cheap: the newest-first walk finds a page early. The
# id lookup is not limited to the account (that makes SQLite walk the account's index instead of the
# order index, or one plain scan of the files); the page's query is.
NARROW_LIMIT = 2000


def _few_ids(session: Session, ids_query: Any) -> list[str] | None:
    ids = [row[0] for row in session.execute(ids_query.limit(NARROW_LIMIT + 1)).all()]
    return None if len(ids) > NARROW_LIMIT else ids


@dataclass
class JobRow:
    id: str
    kind: str
    status: str
    result: str
    result_label: str
    created_at: datetime
    order_id: str | None
    customer: str | None
    files: list[str] = field(default_factory=list)


@dataclass
class JobPage:
    rows: list[JobRow]
    older: str | None  # cursor for the next (older) page
    newer: str | None  # cursor for the previous (newer) page


def list_jobs(session: Session, account_id: str, filters: JobFilters, *, after: str | None = None,
              before: str | None = None, limit: int = PAGE_SIZE) -> JobPage:
    """A page of the account's jobs, newest first. ``after``: the page older than that cursor;
    ``before``: the page newer than it (read ascending, then turned around)."""
    conditions, narrowed = filters.conditions(session)
    # Narrowed to a few ids, the page is read by primary key: the account test is written so that no
    # planner walks the account's index for it instead (coalesce() hides the column from the index).
    own = func.coalesce(col(Job.account_id), "") == account_id if narrowed else col(Job.account_id) == account_id
    query = sa_select(col(Job.id), col(Job.kind), col(Job.status), col(Job.created_at), col(Job.order_id),
                      col(Job.customer_email), col(Job.customer_id)).where(own, col(Job.deleted_at).is_(None))
    for condition in conditions:
        query = query.where(condition)
    older_than, newer_than = decode_cursor(after), decode_cursor(before)
    created, jid = col(Job.created_at), col(Job.id)

    def fetch(query: Any, newest_first: bool) -> list[Any]:
        if narrowed:  # at most NARROW_LIMIT rows, read by id: sorted here
            rows = sorted(session.execute(query).all(), key=lambda r: (as_utc(r[3]), r[0]), reverse=newest_first)
            return rows[:limit + 1]
        order = (created.desc(), jid.desc()) if newest_first else (created.asc(), jid.asc())
        return list(session.execute(query.order_by(*order).limit(limit + 1)).all())

    if newer_than is not None and older_than is None:
        raw = fetch(query.where(paging.newer_than(*newer_than)), newest_first=False)
        more_newer = len(raw) > limit
        raw = list(reversed(raw[:limit]))
        more_older = True
    else:
        if older_than is not None:
            query = query.where(paging.older_than(*older_than))
        raw = fetch(query, newest_first=True)
        more_older = len(raw) > limit
        raw = raw[:limit]
        more_newer = older_than is not None
    ids = [r[0] for r in raw]
    names: dict[str, list[str]] = {}
    fixed: set[str] = set()
    if ids:
        for job_id, name in session.exec(select(Task.job_id, Task.name).where(col(Task.job_id).in_(ids))
                                         .order_by(col(Task.job_id), col(Task.position))).all():
            names.setdefault(job_id, []).append(name or "")
        ready = [r[0] for r in raw if r[2] == JobStatus.READY]
        if ready:
            fixed = set(session.exec(select(Step.job_id).where(
                col(Step.job_id).in_(ready), col(Step.type) == "autofix", col(Step.outcome) == "fixed")).all())
    rows = []
    for job_id, kind, status, created_at, order_id, email, customer_id in raw:
        key = result_key(status, job_id in fixed)
        rows.append(JobRow(id=job_id, kind=kind, status=status, result=key, result_label=RESULTS[key],
                           created_at=as_utc(created_at), order_id=order_id, customer=email or customer_id,
                           files=names.get(job_id, [])))
    return JobPage(rows=rows,
                   older=paging.encode_cursor(rows[-1].created_at, rows[-1].id) if rows and more_older else None,
                   newer=paging.encode_cursor(rows[0].created_at, rows[0].id) if rows and more_newer else None)


def is_live(status: str, wf_phase: str | None) -> bool:
    """Whether a job may still change by itself (the job page polls while it may)."""
    return status not in JOB_TERMINAL or wf_phase == "processing"
