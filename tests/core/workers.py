"""A real ``printgate worker`` process for a test's instance (same database, files and Redis), and a
few helpers to submit files through the API and wait for their jobs, as the worker tests need."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.support import CLI

TERMINAL = ("ready", "partial", "rejected", "review")


@contextmanager
def worker_process(tmp_path: Path, *, queues: str = "intake", no_fork: bool = True,
                   env: dict[str, str] | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """``printgate worker`` on this test's instance (its environment: the instance fixture's)."""
    args = [*CLI, "worker", "--queues", queues, "--name-prefix", "test"]
    if no_fork:
        args.append("--no-fork")
    log = (tmp_path / f"worker-{time.monotonic_ns()}.log").open("wb")
    proc = subprocess.Popen(args, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


def submit_file(client: TestClient, auth: dict[str, str], path: Path, steps: list[dict] | None = None) -> str:
    body = {"sources": [{"file": base64.b64encode(path.read_bytes()).decode(), "name": path.name,
                         "steps": steps or [{"type": "preflight"}]}]}
    response = client.post("/jobs", headers=auth, json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["job"]["id"])


def wait_terminal(client: TestClient, auth: dict[str, str], job_id: str, timeout: float = 90.0,
                  worker: subprocess.Popen[bytes] | None = None) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(f"/jobs/{job_id}", headers=auth).json()["job"]
        if job["status"] in TERMINAL:
            return dict(job)
        if worker is not None and worker.poll() is not None:
            raise AssertionError(f"the worker exited ({worker.returncode}) with job {job_id} {job['status']}")
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} still {job['status']} after {timeout} s")
        time.sleep(0.2)


def reasons(job: dict[str, Any]) -> list[str]:
    return [s["reason"] for t in job["tasks"] for s in t["steps"] if s.get("reason")]


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory so far (``VmHWM``), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")
