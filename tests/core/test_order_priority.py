"""A store order's print files do not queue behind API jobs (issue 15, item 5): a workflow job's
processing phase goes to the ``orders`` queue, which every worker that also does API work takes first."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.conftest import Instance, b64, make_key
from tests.core.test_orders import intake_job


def test_an_order_is_processed_before_queued_api_jobs(client: TestClient, auth: dict[str, str], instance: Instance,
                                                      clean_pdf: Path) -> None:
    from rq import SimpleWorker

    from printgate.core.queue import get_queue, get_redis

    pk = make_key("acme", kind="publishable")
    job_id = intake_job(client, instance, pk, clean_pdf)
    # Six API fix jobs wait in the processing queue (nobody works meanwhile).
    fixes = []
    for _ in range(6):
        created = client.post("/jobs/fix", headers=auth, json={"sources": [{"file": b64(clean_pdf)}]})
        assert created.status_code == 201, created.text
        fixes.append(created.json()["job"]["id"])
    assert get_queue("processing").count == 6

    body = {"orderId": "2001", "status": "processing", "currency": "EUR", "total": "9.00",
            "customer": {"id": 8, "email": "b@example.com"},
            "items": [{"itemId": 1, "productId": 5, "name": "Flyer", "quantity": 50, "jobId": job_id}]}
    assert client.post("/orders/2001", headers=auth, json=body).status_code == 200
    assert get_queue("orders").count == 1 and get_queue("processing").count == 6

    # One job's worth of work by a worker with the serve/compose queue order: the order goes first.
    SimpleWorker(["orders", "processing", "intake"], connection=get_redis()).work(
        burst=True, max_jobs=1, logging_level="WARNING")
    job = client.get(f"/jobs/{job_id}", headers=auth).json()["job"]
    assert job["wfPhase"] == "processing_done", job["wfPhase"]
    assert get_queue("processing").count == 6
    statuses = {client.get(f"/jobs/{j}", headers=auth).json()["job"]["status"] for j in fixes}
    assert statuses == {"processing"}


def test_has_output_only_for_a_finished_file(instance: Instance) -> None:
    """hasOutput (and the run's downloadUrl) appear when the delivered output exists, never for the
    intermediate file of a file still being processed (issue 15, item 5)."""
    from printgate.core.models import Artifact, Task
    from printgate.core.wire import run_wire

    def art(role: str) -> Artifact:
        return Artifact(id=f"art_{role}", account_id="acct", job_id="job_1", task_id="task_1", role=role,
                        key=f"x/{role}.pdf", file_name=f"{role}.pdf")

    running = Task(id="task_1", job_id="job_1", account_id="acct", position=0, name="a.pdf", status="running")
    assert run_wire(running, [art("source"), art("optimizedFile")])["hasOutput"] is False
    assert run_wire(running, [art("source"), art("optimizedFile")])["downloadUrl"] is None
    done = Task(id="task_1", job_id="job_1", account_id="acct", position=0, name="a.pdf", status="done")
    assert run_wire(done, [art("source"), art("optimizedFile")])["hasOutput"] is True  # an optimize job's file
    finished = run_wire(done, [art("source"), art("optimizedFile"), art("output")])
    assert finished["hasOutput"] is True and "output.pdf" in finished["downloadUrl"]
