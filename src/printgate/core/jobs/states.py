"""The job state machine (DECISIONS 1, 2, 10) in pure functions, so it can be tested exhaustively.

Job status (the documented lifecycle): ``idle`` → ``incomplete`` → ``uploading`` → ``processing``
→ ``ready`` | ``partial`` | ``rejected``, and ``review`` between ``processing`` and a verdict when a
file failed under ``onFail: manual_review`` (a merchant decides: approve → ``partial``, reject →
``rejected``). ``canProceed`` is true exactly for ready and partial (``job_can_proceed``).
Tasks and steps use the execution vocabulary ``pending running done skipped error``.

A workflow job also has a phase (``WorkflowPhase``): unset while its uploads are checked,
``manual_review`` while a merchant's decision is awaited, ``intake_done`` once the verdict stands,
then ``processing`` → ``processing_done``. ``files_final`` says when a job will make no more files.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar


class JobStatus(StrEnum):
    IDLE = "idle"
    INCOMPLETE = "incomplete"
    UPLOADING = "uploading"
    PROCESSING = "processing"
    REVIEW = "review"  # a file failed under manual_review: held for a merchant's decision
    READY = "ready"
    PARTIAL = "partial"
    REJECTED = "rejected"


class RunStatus(StrEnum):
    """A task's (a file's) or a step's status."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    SKIPPED = "skipped"
    ERROR = "error"


class WorkflowPhase(StrEnum):
    INTAKE_DONE = "intake_done"
    MANUAL_REVIEW = "manual_review"
    PROCESSING = "processing"
    PROCESSING_DONE = "processing_done"


class OnFail(StrEnum):
    REJECT = "reject"
    ACCEPT_WITH_WARNINGS = "accept_with_warnings"
    MANUAL_REVIEW = "manual_review"


class ReviewDecision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


JOB_STATUSES = tuple(JobStatus)
JOB_TERMINAL = frozenset({JobStatus.READY, JobStatus.PARTIAL, JobStatus.REJECTED})
RUN_STATUSES = tuple(RunStatus)
RUN_TERMINAL = frozenset({RunStatus.DONE, RunStatus.SKIPPED, RunStatus.ERROR})
ON_FAIL = tuple(OnFail)
JUDGING_STEPS = frozenset({"preflight", "repreflight", "validate"})

_RANK = {"pass": 0, "fixed": 0, "unchanged": 0, "na": 0, "warn": 1, "fail": 2}


def can_proceed(status: str) -> bool:
    """The status half of the gate only; whether a job may proceed is ``job_can_proceed``."""
    return status in (JobStatus.READY, JobStatus.PARTIAL)


def proceed_refusal(status: str, params: dict | None) -> str | None:
    """Why a job may not proceed, or None when it may: the one decision behind ``canProceed``.

    ``params`` is the job row's copy of its workflow policy, taken when the job was created
    (``proofRequired``), plus the customer's proof answer: editing the workflow later never
    changes the verdict of a job made under it.
    """
    if status == JobStatus.REVIEW:
        return "a file waits for the shop's review"
    if not can_proceed(status):
        return f"status {status}"
    params = params or {}
    if params.get("proofRequired") and (params.get("proof") or {}).get("approved") is not True:
        return "the customer has not approved the proof yet"
    return None


def job_can_proceed(status: str, params: dict | None) -> bool:
    """The gate: ready/partial, and, when the workflow required soft-proof approval, approved.

    Every view (API, Element, webhooks), order capture and the connector pipeline asks this.
    """
    return proceed_refusal(status, params) is None


def files_final(kind: str, status: str, wf_phase: str | None) -> bool:
    """True when a job will make no more files: the one answer to "has this job produced its files".

    A job without a processing phase (not a workflow job, or a rejected one) is final at its
    verdict; a workflow job whose verdict lets it proceed is final once its processing is done
    (a proof still waiting for the customer's approval can yet start it).
    """
    if status not in JOB_TERMINAL:
        return False
    if kind != "workflow" or not can_proceed(status):
        return True
    return wf_phase == WorkflowPhase.PROCESSING_DONE


def review_verdict(decision: str | None) -> str | None:
    """The status a merchant's review decision gives a job held in ``review``."""
    if decision == ReviewDecision.APPROVE:
        return JobStatus.PARTIAL  # accepted with its findings: flagged, like accept_with_warnings
    if decision == ReviewDecision.REJECT:
        return JobStatus.REJECTED
    return None


def cannot_run_status(step_type: str) -> str:
    """How a step that cannot run (not in this build, or not for this file type) ends.

    A judging step is something the merchant asked to have checked: skipping it would let an
    unchecked file through as ``pass``, so it ends ``error`` and the file does not proceed. Any
    other step (convert, upscale, ...) changes the output, not the verdict, and is ``skipped``.
    """
    return RunStatus.ERROR if step_type in JUDGING_STEPS else RunStatus.SKIPPED


def worst(outcomes: Iterable[str | None]) -> str | None:
    seen = [o for o in outcomes if o is not None]
    if not seen:
        return None
    return max(seen, key=lambda o: _RANK.get(o, 0))


@dataclass(frozen=True)
class StepView:
    type: str
    status: str
    outcome: str | None


def task_outcome(steps: Sequence[StepView]) -> str | None:
    """The verdict on a file: the newest judging step wins (a repreflight supersedes the preflight
    it re-checks); with no judging step, done steps mean ``pass``."""
    if any(s.status == RunStatus.ERROR for s in steps):
        return "fail"
    judged = [s for s in steps if s.type in JUDGING_STEPS and s.status == RunStatus.DONE]
    if judged:
        last_type = judged[-1].type
        if last_type == "repreflight":
            return judged[-1].outcome
        return worst(s.outcome for s in judged)
    if any(s.status == RunStatus.DONE for s in steps):
        return "pass"
    return "na" if steps and all(s.status == RunStatus.SKIPPED for s in steps) else None


@dataclass(frozen=True)
class TaskView:
    status: str
    outcome: str | None
    on_fail: str = "reject"


def job_outcome(tasks: Sequence[TaskView]) -> str | None:
    outcomes = [t.outcome for t in tasks if t.outcome is not None]
    if not outcomes:
        return None
    distinct = {("warn" if o == "warn" else "fail" if o == "fail" else "pass") for o in outcomes}
    if len(distinct) == 1:
        return distinct.pop()
    return "mixed" if "fail" in distinct else "warn"


def job_status(tasks: Sequence[TaskView], *, min_files: int = 1, review: str | None = None) -> str:
    """Derive the job status from its tasks and the upload rule's cardinality and onFail policies.

    A failing file under ``manual_review`` holds the job in ``review`` until ``review`` (the
    merchant's decision on these files) says otherwise; a rejecting file or an error still wins.
    """
    if not tasks:
        return JobStatus.IDLE if min_files > 0 else JobStatus.READY
    if len(tasks) < min_files:
        return JobStatus.INCOMPLETE
    if any(t.status not in RUN_TERMINAL for t in tasks):
        return JobStatus.PROCESSING
    status: str = JobStatus.READY
    held = False
    for task in tasks:
        if task.status == RunStatus.ERROR:
            return JobStatus.REJECTED
        if task.outcome == "fail":
            if task.on_fail == OnFail.REJECT:
                return JobStatus.REJECTED
            held = held or task.on_fail == OnFail.MANUAL_REVIEW
            status = JobStatus.PARTIAL
        elif task.outcome == "warn":
            status = JobStatus.PARTIAL
    if held:
        return review_verdict(review) or JobStatus.REVIEW
    return status


_State = TypeVar("_State", bound=StrEnum)


def checked_move(moves: Mapping[_State, frozenset[_State]], kind: type[_State], current: str, to: _State,
                 illegal: type[Exception], what: str, states: str | None = None) -> _State:
    """``to`` when ``what`` in state ``current`` may move there by ``moves``; raises ``illegal`` otherwise.

    The one check behind each state table (store orders, outbound deliveries)."""
    try:
        allowed = moves[kind(current)]
    except ValueError:
        raise illegal(f"unknown {states or what} status {current!r}") from None
    if to not in allowed:
        raise illegal(f"{'an' if what[0] in 'aeiou' else 'a'} {what} cannot move from {current} to {to}")
    return to

