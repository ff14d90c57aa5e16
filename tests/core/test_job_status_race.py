"""The job status is derived from its files, and two transactions can change both at once."""

from __future__ import annotations

import threading
import time

from sqlmodel import Session

from core.db import get_engine
from core.jobs import service
from core.keys import authenticate
from core.models import Job
from tests.conftest import Instance, make_key
from widgets import intake


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
