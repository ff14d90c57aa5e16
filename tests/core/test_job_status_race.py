"""The job status is derived from its files, and two transactions can change both at once."""

from __future__ import annotations

import threading
import time

from sqlmodel import Session

from printgate.core.db import get_engine
from printgate.core.jobs import intake, service
from printgate.core.keys import authenticate
from printgate.core.models import Job, Task
from tests.conftest import Instance, make_key


def test_a_verdict_recorded_while_a_file_is_attached_keeps_the_job_open(instance: Instance) -> None:
    """A worker records the verdict of the front while the API attaches the back (a business card:
    one file is enough, so the front alone decides). The worker used to read the files before the API
    committed and write the job after it: "rejected", final, beside the back still pending; the widget
    stopped listening there (the named-slots e2e test's rare failure)."""
    with Session(get_engine(), expire_on_commit=False) as session:
        caller = authenticate(session, make_key("acme", kind="publishable"))
        job = intake.create_intake_job(session, caller, "wf_business_cards")
        front = service.add_task(session, job, service.SourceSpec(steps=[], name="front.pdf", slot="Front",
                                                                  on_fail="reject"), 0)
        front.status, front.outcome = "done", "fail"  # its last step is recorded; the job is next
        session.add(front)
        job.status = "processing"
        session.add(job)
        session.commit()
        job_id = job.id

    attached, failures = threading.Event(), []

    def attach_the_back() -> None:  # as intake.add_file: the new file and the job, one transaction
        try:
            with Session(get_engine()) as api:
                row = api.get(Job, job_id)
                assert row is not None
                service.add_task(api, row, service.SourceSpec(steps=[{"type": "preflight"}], name="back.pdf",
                                                              slot="Back"), 1)
                service.refresh_job(api, row)
                api.flush()
                attached.set()
                time.sleep(0.5)  # the worker refreshes the job meanwhile
                api.commit()
        except BaseException as exc:
            failures.append(exc)
            attached.set()

    thread = threading.Thread(target=attach_the_back)
    thread.start()
    assert attached.wait(30)
    with Session(get_engine()) as worker:
        service.after_task_change(worker, job_id)
    thread.join(60)
    assert not failures, failures

    with Session(get_engine()) as session:
        row = session.get(Job, job_id)
        assert row is not None
        files = [(t.name, t.status) for t in service.tasks_of(session, job_id)]
        assert files == [("front.pdf", "done"), ("back.pdf", "pending")]
        assert row.status == "processing", f"{row.status} beside {files}"
        assert row.finalized_at is None


def test_a_file_attached_over_a_verdict_committed_after_the_job_was_read_reopens_the_job(
        instance: Instance) -> None:
    """The API reads the job (still processing the front), the worker then commits "rejected" for the
    front, and the API attaches the back. Setting "processing" on a copy that was loaded as
    "processing" wrote nothing, so the row kept "rejected", final, beside the back still pending."""
    with Session(get_engine(), expire_on_commit=False) as session:
        caller = authenticate(session, make_key("acme", kind="publishable"))
        job = intake.create_intake_job(session, caller, "wf_business_cards")
        front = service.add_task(session, job, service.SourceSpec(steps=[], name="front.pdf", slot="Front",
                                                                  on_fail="reject"), 0)
        front.status = "running"
        session.add(front)
        job.status = "processing"
        session.add(job)
        session.commit()
        job_id, front_id = job.id, front.id

    with Session(get_engine()) as api:
        row = api.get(Job, job_id)
        assert row is not None and row.status == "processing"
        with Session(get_engine()) as worker:  # the front's verdict lands after the API's read
            task = worker.get(Task, front_id)
            assert task is not None
            task.status, task.outcome = "done", "fail"
            worker.add(task)
            worker.commit()
            service.after_task_change(worker, job_id)
        with Session(get_engine()) as check:
            committed = check.get(Job, job_id)
            assert committed is not None and committed.status == "rejected"
        service.add_task(api, row, service.SourceSpec(steps=[{"type": "preflight"}], name="back.pdf",
                                                      slot="Back"), 1)
        old, new = service.refresh_job(api, row)
        api.commit()
        assert (old, new) == ("rejected", "processing")

    with Session(get_engine()) as session:
        stored = session.get(Job, job_id)
        assert stored is not None
        assert stored.status == "processing"
        assert stored.finalized_at is None


def test_a_worker_sees_the_other_files_verdicts_not_its_first_copy(instance: Instance) -> None:
    """Two workers check the two files side by side (scale-out). Each one's long-lived session read
    the other's file while it was still pending; the last to finish must see it done, or the job stays
    "processing" with every file checked."""
    with Session(get_engine(), expire_on_commit=False) as session:
        caller = authenticate(session, make_key("acme", kind="publishable"))
        job = intake.create_intake_job(session, caller, "wf_business_cards")
        tasks = [service.add_task(session, job, service.SourceSpec(steps=[], name=f"{slot}.pdf", slot=slot,
                                                                   on_fail="reject"), i)
                 for i, slot in enumerate(["Front", "Back"])]
        for task in tasks:
            task.status = "running"
            session.add(task)
        job.status = "processing"
        session.add(job)
        session.commit()
        job_id, ids = job.id, [t.id for t in tasks]

    with Session(get_engine(), expire_on_commit=False) as first, \
            Session(get_engine(), expire_on_commit=False) as second:
        held = []  # the copies stay referenced, as a runner holds what it loaded
        for worker in (first, second):  # each reads both files while both are running
            held.append(service.tasks_of(worker, job_id))
            assert [t.status for t in held[-1]] == ["running", "running"]
            worker.commit()
        for worker, task_id in ((first, ids[0]), (second, ids[1])):
            task = worker.get(Task, task_id)
            assert task is not None
            task.status, task.outcome = "done", "pass"
            worker.add(task)
            worker.commit()
            service.after_task_change(worker, job_id)

    with Session(get_engine()) as session:
        stored = session.get(Job, job_id)
        assert stored is not None
        assert [t.status for t in service.tasks_of(session, job_id)] == ["done", "done"]
        assert stored.status == "ready"
