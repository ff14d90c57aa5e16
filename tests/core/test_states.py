"""The job state machine as pure functions (DECISIONS 1, 2, 10)."""

from __future__ import annotations

import pytest

from printgate.core.jobs.states import (
    StepView,
    TaskView,
    can_proceed,
    files_final,
    job_outcome,
    job_status,
    task_outcome,
)


@pytest.mark.parametrize(("status", "expected"), [
    ("idle", False), ("incomplete", False), ("uploading", False), ("processing", False),
    ("ready", True), ("partial", True), ("rejected", False), ("review", False),
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
    # manual_review holds a failing file for the merchant (issue 11, hole 4); it used to pass as partial.
    assert job_status([TaskView("done", "fail", "manual_review")]) == "review"
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


@pytest.mark.parametrize(("kind", "status", "phase", "final"), [
    ("preflight", "processing", None, False),  # not decided yet
    ("preflight", "ready", None, True),  # no processing phase: final at its verdict
    ("workflow", "review", "manual_review", False),  # waits for the merchant
    ("workflow", "rejected", "intake_done", True),  # stopped: no files will come
    ("workflow", "partial", "intake_done", False),  # may proceed: its processing is still to come
    ("workflow", "ready", "processing", False),
    ("workflow", "ready", "processing_done", True),
])
def test_files_final_is_the_one_answer_to_whether_a_job_made_its_files(
        kind: str, status: str, phase: str | None, final: bool) -> None:
    assert files_final(kind, status, phase) is final
