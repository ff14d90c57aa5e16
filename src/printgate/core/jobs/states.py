"""The job state machine (DECISIONS 1, 2, 10) in pure functions, so it can be tested exhaustively.

Job status (the documented lifecycle): ``idle`` → ``incomplete`` → ``uploading`` → ``processing``
→ ``ready`` | ``partial`` | ``rejected``. ``canProceed`` is true exactly for ready and partial.
Tasks and steps use the execution vocabulary ``pending running done skipped error``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

JOB_STATUSES = ("idle", "incomplete", "uploading", "processing", "ready", "partial", "rejected")
JOB_TERMINAL = frozenset({"ready", "partial", "rejected"})
RUN_STATUSES = ("pending", "running", "done", "skipped", "error")
RUN_TERMINAL = frozenset({"done", "skipped", "error"})
ON_FAIL = ("reject", "accept_with_warnings", "manual_review")
JUDGING_STEPS = frozenset({"preflight", "repreflight", "validate"})

_RANK = {"pass": 0, "fixed": 0, "unchanged": 0, "na": 0, "warn": 1, "fail": 2}


def can_proceed(status: str) -> bool:
    """The status half of the gate only; whether a job may proceed is ``job_can_proceed``."""
    return status in ("ready", "partial")


def proceed_refusal(status: str, params: dict | None) -> str | None:
    """Why a job may not proceed, or None when it may: the one decision behind ``canProceed``.

    ``params`` is the job row's copy of its workflow policy, taken when the job was created
    (``proofRequired``), plus the customer's proof answer: editing the workflow later never
    changes the verdict of a job made under it.
    """
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


def cannot_run_status(step_type: str) -> str:
    """How a step that cannot run (not in this build, or not for this file type) ends.

    A judging step is something the merchant asked to have checked: skipping it would let an
    unchecked file through as ``pass``, so it ends ``error`` and the file does not proceed. Any
    other step (convert, upscale, ...) changes the output, not the verdict, and is ``skipped``.
    """
    return "error" if step_type in JUDGING_STEPS else "skipped"


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
    if any(s.status == "error" for s in steps):
        return "fail"
    judged = [s for s in steps if s.type in JUDGING_STEPS and s.status == "done"]
    if judged:
        last_type = judged[-1].type
        if last_type == "repreflight":
            return judged[-1].outcome
        return worst(s.outcome for s in judged)
    if any(s.status == "done" for s in steps):
        return "pass"
    return "na" if steps and all(s.status == "skipped" for s in steps) else None


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


def job_status(tasks: Sequence[TaskView], *, min_files: int = 1) -> str:
    """Derive the job status from its tasks and the upload rule's cardinality and onFail policies."""
    if not tasks:
        return "idle" if min_files > 0 else "ready"
    if len(tasks) < min_files:
        return "incomplete"
    if any(t.status not in RUN_TERMINAL for t in tasks):
        return "processing"
    status = "ready"
    for task in tasks:
        if task.status == "error":
            return "rejected"
        if task.outcome == "fail":
            if task.on_fail == "reject":
                return "rejected"
            status = "partial"
        elif task.outcome == "warn":
            status = "partial"
    return status
