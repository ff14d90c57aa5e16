"""Job status dialects (DECISIONS 1): Filecheck's SDK contract under ``filecheck``, lifecycle by default.

The contract tests compare printgate's answers with the Filecheck SDK fixtures the way
``tests.sdk_contract`` says (keys, JSON types, status words); each test names the fixture it uses.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from printgate.core.jobs.dialect import job_status_in, list_filter
from tests.conftest import ROOT, Instance, b64, clean_env, make_clean_pdf
from tests.sdk_contract import fixture, gate_profile, key_for, preflight, shape_mismatches, word_mismatches
from tests.support import CLI

HEADER = "Printgate-Status-Dialect"
SDK_TERMINAL = ("done", "skipped", "error")  # what the SDK's waitUntilTerminal() waits for


@pytest.fixture
def fc_auth(instance: Instance) -> dict[str, str]:
    """A secret key created with ``--status-dialect filecheck`` (the same account as ``auth``)."""
    return key_for("filecheck")


@pytest.fixture
def profile(client: TestClient, auth: dict[str, str]) -> str:
    return gate_profile(client, auth)


def submit(client: TestClient, auth: dict[str, str], path: Path, steps: list[dict[str, Any]], **extra: Any
           ) -> dict[str, Any]:
    body = {"sources": [{"file": b64(path), "name": path.name, "steps": steps}], **extra}
    response = client.post("/jobs", headers=auth, json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def finished(client: TestClient, auth: dict[str, str], instance: Instance, job_id: str, **params: str
             ) -> dict[str, Any]:
    instance.drain()
    response = client.get(f"/jobs/{job_id}", headers=auth, params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


# --- the mapping -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("status", "outcome", "expected"), [
    ("ready", "pass", ("done", "pass")), ("partial", "fail", ("done", "warn")), ("partial", "warn", ("done", "warn")),
    ("rejected", "fail", ("done", "fail")), ("processing", None, ("running", None)),
    ("idle", None, ("pending", None)), ("incomplete", None, ("pending", None)), ("uploading", None, ("pending", None)),
])
def test_filecheck_words_for_every_lifecycle_status(status: str, outcome: str | None,
                                                     expected: tuple[str, str | None]) -> None:
    assert job_status_in("filecheck", status, outcome) == expected
    assert job_status_in("lifecycle", status, outcome) == (status, outcome)


def test_a_job_that_could_not_be_processed_is_error_and_a_queued_one_pending() -> None:
    assert job_status_in("filecheck", "rejected", "fail", could_not_process=True) == ("error", "fail")
    assert job_status_in("lifecycle", "rejected", "fail", could_not_process=True) == ("rejected", "fail")
    assert job_status_in("filecheck", "processing", None, started=False) == ("pending", None)
    assert job_status_in("filecheck", "ready", "pass", could_not_process=True) == ("done", "pass")
    assert list_filter("skipped") == () and list_filter("ready") == ((("ready",), None),)


# --- contract: the SDK fixtures -------------------------------------------------------------------------

def test_submit_answers_like_job_lean_fixture(client: TestClient, fc_auth: dict[str, str], clean_pdf: Path,
                                              profile: str) -> None:
    """sdk-fixtures/job.lean.json: ``POST /jobs`` 201, ``{job}``, status ``pending`` before work starts."""
    expected = fixture("job.lean.json")
    body = submit(client, fc_auth, clean_pdf, [preflight(profile)])
    assert shape_mismatches(expected, body) == []
    assert body["job"]["status"] == "pending" and body["job"]["outcome"] is None
    assert body["job"]["tasks"][0]["status"] == expected["job"]["tasks"][0]["status"] == "pending"
    assert body["job"]["canProceed"] is False


def test_sync_timeout_answers_like_pending_202_fixture(client: TestClient, fc_auth: dict[str, str],
                                                      clean_pdf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """sdk-fixtures/job.pending-202.json: a sync submit that outlives the wait, with work started."""
    from printgate.core.config import get_settings
    from printgate.core.jobs import service
    expected = fixture("job.pending-202.json")
    monkeypatch.setattr(get_settings(), "sync_wait_s", 0.05)
    create_job = service.create_job

    def create_and_start(session: Session, *args: Any, **kwargs: Any) -> Any:
        job = create_job(session, *args, **kwargs)  # a worker picks the file up at once
        for task in service.tasks_of(session, job.id):
            task.status = "running"
            session.add(task)
        session.commit()
        return job

    monkeypatch.setattr(service, "create_job", create_and_start)
    response = client.post("/jobs", headers=fc_auth, json={
        "sync": True, "sources": [{"file": b64(clean_pdf), "steps": [{"type": "preflight"}]}]})
    assert response.status_code == 202, response.text
    body = response.json()
    assert shape_mismatches(expected, body) == []
    assert body["pending"] is True
    assert (body["job"]["status"], body["job"]["outcome"]) == (expected["job"]["status"], None) == ("running", None)


def test_finished_job_answers_like_job_full_fixture(client: TestClient, fc_auth: dict[str, str],
                                                   instance: Instance, clean_pdf: Path, profile: str) -> None:
    """sdk-fixtures/job.full.json: ``GET /jobs/{id}`` of a print-ready file, autofixed and delivered."""
    expected = fixture("job.full.json")
    job_id = submit(client, fc_auth, clean_pdf, [preflight(profile), {"type": "autofix"},
                                                 {"type": "deliver"}])["job"]["id"]
    body = finished(client, fc_auth, instance, job_id)
    job = body["job"]
    expected["job"].pop("results")  # a validate result; the preflight results are checked below
    assert shape_mismatches(expected, body) == []
    assert job["deliverables"], "the delivered file is a deliverable"
    assert (job["status"], job["outcome"]) == (expected["job"]["status"], expected["job"]["outcome"]) \
        == ("done", "pass")
    assert (job["summary"]["status"], job["summary"]["outcome"]) == ("done", "pass")
    assert job["canProceed"] is True
    assert {t["status"] for t in job["tasks"]} == {"done"}


def test_rejected_preflight_answers_like_job_preflight_fixture(client: TestClient, fc_auth: dict[str, str],
                                                              instance: Instance, tmp_path: Path, profile: str
                                                              ) -> None:
    """sdk-fixtures/job.preflight.json: a preflight that finds a blocking problem (no bleed): done + fail."""
    expected = fixture("job.preflight.json")
    no_bleed = make_clean_pdf(tmp_path / "card.pdf", bleed_mm=0)
    job_id = client.post("/jobs/preflight", headers=fc_auth, json={
        "sources": [{"file": b64(no_bleed), "profileId": profile}]}).json()["job"]["id"]
    body = finished(client, fc_auth, instance, job_id)
    expected["job"].pop("deliverables")  # a preflight delivers nothing
    assert shape_mismatches(expected, body) == []
    job = body["job"]
    assert word_mismatches(expected, body) == {}
    assert job["canProceed"] is False
    assert job["results"]["preflight"][0]["outcome"] == "fail"


def test_expand_runs_answers_like_job_runs_fixture(client: TestClient, fc_auth: dict[str, str],
                                                  instance: Instance, clean_pdf: Path, profile: str) -> None:
    """sdk-fixtures/job.runs.json: ``?expand=runs``, no ``job`` wrapper, done + pass."""
    expected = fixture("job.runs.json")
    job_id = submit(client, fc_auth, clean_pdf, [preflight(profile), {"type": "deliver"}])["job"]["id"]
    body = finished(client, fc_auth, instance, job_id, expand="runs")
    assert shape_mismatches(expected, body) == []
    assert word_mismatches(expected, body) == {}
    assert body["canProceed"] is True


def test_list_answers_like_jobs_list_fixture(client: TestClient, fc_auth: dict[str, str], instance: Instance,
                                            clean_pdf: Path, tmp_path: Path, profile: str) -> None:
    """sdk-fixtures/jobs.list.json: ``GET /jobs``, lean, a passing and a failing job, ``nextKey``."""
    expected = fixture("jobs.list.json")
    steps = [preflight(profile)]
    failing = submit(client, fc_auth, make_clean_pdf(tmp_path / "nobleed.pdf", bleed_mm=0), steps)["job"]["id"]
    passing = submit(client, fc_auth, clean_pdf, steps)["job"]["id"]
    submit(client, fc_auth, clean_pdf, steps)
    instance.drain()
    body = client.get("/jobs", headers=fc_auth, params={"limit": 2, "nextKey": None}).json()
    page = client.get("/jobs", headers=fc_auth, params={"limit": 3}).json()
    assert shape_mismatches(expected, body) == [] and isinstance(body["nextKey"], str)
    words = {j["id"]: (j["status"], j["outcome"]) for j in page["jobs"]}
    assert words[passing] == (expected["jobs"][0]["status"], expected["jobs"][0]["outcome"]) == ("done", "pass")
    assert words[failing] == (expected["jobs"][1]["status"], expected["jobs"][1]["outcome"]) == ("done", "fail")


def test_list_filters_in_either_vocabulary(client: TestClient, fc_auth: dict[str, str], auth: dict[str, str],
                                          instance: Instance, clean_pdf: Path, tmp_path: Path, profile: str) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7 not really")
    good = submit(client, fc_auth, clean_pdf, [preflight(profile)])["job"]["id"]
    bad = submit(client, fc_auth, broken, [preflight(profile)])["job"]["id"]
    queued = client.get("/jobs", headers=fc_auth, params={"status": "pending"}).json()["jobs"]
    assert {j["id"] for j in queued} == {good, bad} and {j["status"] for j in queued} == {"pending"}
    assert client.get("/jobs", headers=fc_auth, params={"status": "running"}).json()["jobs"] == []
    instance.drain()

    def ids(status: str, who: dict[str, str] = fc_auth) -> set[str]:
        response = client.get("/jobs", headers=who, params={"status": status})
        assert response.status_code == 200, response.text
        return {j["id"] for j in response.json()["jobs"]}

    assert ids("done") == {good} and ids("error") == {bad} and ids("skipped") == set()
    assert ids("ready", auth) == {good} and ids("rejected", auth) == {bad}
    assert client.get("/jobs", headers=fc_auth, params={"status": "finished"}).status_code == 400


# --- the SDK's loop ------------------------------------------------------------------------------------

def sdk_wait_until_terminal(client: TestClient, auth: dict[str, str], instance: Instance, job_id: str,
                            max_polls: int = 10) -> dict[str, Any]:
    """What Filecheck's Node SDK does: poll ``GET /jobs/{id}`` until done|skipped|error."""
    for _ in range(max_polls):
        job = client.get(f"/jobs/{job_id}", headers=auth).json()["job"]
        if job["status"] in SDK_TERMINAL:
            return dict(job)
        instance.drain()  # the worker makes progress between polls
    raise AssertionError(f"job {job_id} never reached a terminal status the SDK knows: {job['status']}")


@pytest.mark.parametrize(("case", "expected"), [
    ("ready", ("done", "pass", True)), ("partial", ("done", "warn", True)), ("rejected", ("done", "fail", False)),
    ("could-not-process", ("error", "fail", False)),
])
def test_sdk_loop_finishes_and_gates_on_can_proceed(client: TestClient, fc_auth: dict[str, str], auth: dict[str, str],
                                                    instance: Instance, tmp_path: Path, profile: str, case: str,
                                                    expected: tuple[str, str, bool]) -> None:
    path = make_clean_pdf(tmp_path / "art.pdf", bleed_mm=0 if case in ("partial", "rejected") else 3)
    if case == "could-not-process":
        path.write_bytes(b"%PDF-1.7 truncated")
    policy = {"policy": {"onFail": "accept_with_warnings"}} if case == "partial" else {}
    job_id = submit(client, fc_auth, path, [preflight(profile)], **policy)["job"]["id"]
    job = sdk_wait_until_terminal(client, fc_auth, instance, job_id)
    assert (job["status"], job["outcome"], job["canProceed"]) == expected
    lifecycle = client.get(f"/jobs/{job_id}", headers=auth).json()["job"]
    assert lifecycle["status"] == ("rejected" if case == "could-not-process" else case)
    assert lifecycle["canProceed"] is job["canProceed"], "canProceed is the same in both dialects"


# --- choosing the dialect --------------------------------------------------------------------------------

def test_header_overrides_the_key_both_ways(client: TestClient, fc_auth: dict[str, str], auth: dict[str, str],
                                           instance: Instance, clean_pdf: Path, profile: str) -> None:
    job_id = submit(client, auth, clean_pdf, [preflight(profile)])["job"]["id"]
    instance.drain()

    def status(who: dict[str, str], header: str | None = None, **params: str) -> str:
        headers = {**who, **({HEADER: header} if header else {})}
        response = client.get(f"/jobs/{job_id}", headers=headers, params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        return str(body["status"] if params else body["job"]["status"])

    # the same unchanged job, asked in turn: the cached answer of one dialect never serves the other
    assert status(auth) == "ready"
    assert status(auth, "filecheck") == "done"
    assert status(fc_auth) == "done"
    assert status(fc_auth, "lifecycle") == "ready"
    assert status(auth, "filecheck", expand="runs") == "done"
    assert status(fc_auth, "lifecycle", expand="runs") == "ready"
    listed = client.get("/jobs", headers={**fc_auth, HEADER: "lifecycle"}).json()["jobs"]
    assert [j["status"] for j in listed] == ["ready"]
    posted = client.post("/jobs/preflight", headers={**auth, HEADER: "filecheck"},
                         json={"sources": [{"file": b64(clean_pdf)}]})
    assert posted.json()["job"]["status"] == "pending"


def test_unknown_header_value_is_a_400(client: TestClient, auth: dict[str, str], clean_pdf: Path) -> None:
    job_id = submit(client, auth, clean_pdf, [{"type": "preflight"}])["job"]["id"]
    for request in (lambda h: client.get(f"/jobs/{job_id}", headers=h), lambda h: client.get("/jobs", headers=h),
                    lambda h: client.post("/jobs/preflight", headers=h, json={"sources": [{"file": b64(clean_pdf)}]})):
        response = request({**auth, HEADER: "execution"})
        assert response.status_code == 400
        assert response.json()["error"] is True and HEADER in response.json()["message"]


def test_widget_endpoints_stay_in_the_lifecycle_dialect(client: TestClient, fc_auth: dict[str, str]) -> None:
    """The widget's states are lifecycle words: ``/element/*`` ignores the key's dialect and the header."""
    asked = {**fc_auth, HEADER: "filecheck"}
    created = client.post("/element/jobs", headers=asked, json={"workflowId": "wf_default"})
    assert created.status_code == 201, created.text
    payload = created.json()
    assert (payload["status"], payload["terminal"], payload["canProceed"]) == ("idle", False, False)
    assert client.get(f"/element/jobs/{payload['jobId']}", headers=asked).json()["status"] == "idle"
    assert client.get(f"/jobs/{payload['jobId']}", headers=fc_auth).json()["job"]["status"] == "pending"


# --- the CLI ---------------------------------------------------------------------------------------------

def test_cli_creates_and_changes_a_keys_dialect(tmp_path: Path) -> None:
    data_dir = ["--data-dir", str(tmp_path / "d")]

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*CLI, *args, *data_dir], capture_output=True, text=True,
                              cwd=ROOT, env=clean_env())

    def dialects() -> dict[str, str]:
        listed = cli("keys", "list", "--json")
        assert listed.returncode == 0, listed.stderr
        return {k["id"]: k["statusDialect"] for k in json.loads(listed.stdout)}

    default = json.loads(cli("keys", "create", "--json").stdout)
    made = cli("keys", "create", "--json", "--status-dialect", "filecheck")
    assert made.returncode == 0, made.stderr
    key = json.loads(made.stdout)
    assert (default["statusDialect"], key["statusDialect"]) == ("lifecycle", "filecheck")
    assert dialects() == {default["id"]: "lifecycle", key["id"]: "filecheck"}

    changed = cli("keys", "set-dialect", key["id"][:-6], "lifecycle", "--json")  # a unique start of the id
    assert changed.returncode == 0, changed.stderr
    assert json.loads(changed.stdout) == {"id": key["id"], "statusDialect": "lifecycle"}
    assert cli("keys", "set-dialect", default["key"], "filecheck").returncode == 0  # or the key itself
    assert dialects() == {default["id"]: "filecheck", key["id"]: "lifecycle"}

    assert cli("keys", "set-dialect", key["id"], "execution").returncode == 2
    missing = cli("keys", "set-dialect", "key_nope", "filecheck")
    assert missing.returncode == 2 and "not found" in missing.stderr
    assert cli("keys", "create", "--status-dialect", "execution").returncode == 2
    assert dialects() == {default["id"]: "filecheck", key["id"]: "lifecycle"}
