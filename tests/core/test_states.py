"""The job state machine as pure functions (DECISIONS 1, 2, 10)."""

from __future__ import annotations

import pytest

from printgate.core.jobs.states import StepView, TaskView, can_proceed, job_outcome, job_status, task_outcome


@pytest.mark.parametrize(("status", "expected"), [
    ("idle", False), ("incomplete", False), ("uploading", False), ("processing", False),
    ("ready", True), ("partial", True), ("rejected", False),
])
def test_can_proceed_only_for_ready_and_partial(status: str, expected: bool) -> None:
    assert can_proceed(status) is expected


def test_job_status_follows_files_and_policy() -> None:
    assert job_status([], min_files=1) == "idle"
    assert job_status([TaskView("done", "pass")], min_files=2) == "incomplete"
    assert job_status([TaskView("running", None)]) == "processing"
    assert job_status([TaskView("done", "pass"), TaskView("done", "pass")]) == "ready"
    assert job_status([TaskView("done", "pass"), TaskView("done", "warn")]) == "partial"
    assert job_status([TaskView("done", "fail", "reject")]) == "rejected"
    assert job_status([TaskView("done", "fail", "accept_with_warnings")]) == "partial"
    assert job_status([TaskView("done", "fail", "manual_review")]) == "partial"
    assert job_status([TaskView("error", "fail", "accept_with_warnings")]) == "rejected"


def test_task_outcome_newest_judgement_wins() -> None:
    steps = [StepView("preflight", "done", "fail"), StepView("autofix", "done", "fixed"),
             StepView("repreflight", "done", "pass")]
    assert task_outcome(steps) == "pass"
    assert task_outcome([StepView("preflight", "done", "warn"), StepView("previews", "done", "pass")]) == "warn"
    assert task_outcome([StepView("preflight", "error", "fail")]) == "fail"
    assert task_outcome([StepView("optimize", "done", "pass")]) == "pass"
    assert task_outcome([StepView("validate", "skipped", None)]) == "na"


def test_job_outcome_mixed() -> None:
    assert job_outcome([TaskView("done", "pass"), TaskView("done", "pass")]) == "pass"
    assert job_outcome([TaskView("done", "pass"), TaskView("done", "fail")]) == "mixed"
    assert job_outcome([TaskView("done", "pass"), TaskView("done", "warn")]) == "warn"
    assert job_outcome([]) is None
