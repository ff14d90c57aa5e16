"""The API client's read calls: workflows, test connection, job with runs, streamed output."""

from __future__ import annotations

import json

from .conftest import BASE, SK, php_run

NOW = 1_764_000_000


def test_workflows_sends_bearer_sk_and_reads_both_envelopes() -> None:
    body = json.dumps({"workflows": [{"id": "wf_print", "name": "Print-ready PDF"}]})
    out = php_run("api", now=NOW, call="workflows", script=[{"status": 200, "body": body}])
    assert out["result"] == [{"id": "wf_print", "name": "Print-ready PDF"}]
    [request] = out["requests"]
    assert (request["method"], request["url"]) == ("GET", f"{BASE}/workflows")
    assert request["headers"]["Authorization"] == f"Bearer {SK}"
    legacy = php_run(
        "api", now=NOW, call="workflows", script=[{"status": 200, "body": '{"rules":[{"id":"r1"}]}'}]
    )
    assert legacy["result"] == [{"id": "r1"}]


def test_connection_reports_refused_key_and_unreachable_server() -> None:
    refused = php_run(
        "api", now=NOW, call="test", script=[{"status": 401, "body": '{"message":"Unauthorized"}'}]
    )
    assert refused["result"]["ok"] is False
    assert "refused (HTTP 401)" in refused["result"]["message"]
    down = php_run("api", now=NOW, call="test", script=["down"])
    assert down["result"]["ok"] is False
    assert "not reachable" in down["result"]["message"]
    ok = php_run(
        "api", now=NOW, call="test", script=[{"status": 200, "body": '{"workflows":[{"id":"a"},{"id":"b"}]}'}]
    )
    assert ok["result"] == {
        "ok": True,
        "message": "2 workflow(s) available.",
        "workflows": [{"id": "a"}, {"id": "b"}],
    }


def test_job_with_runs_is_normalized_for_the_order_panel() -> None:
    job = {
        "id": "job_7Hq2",
        "status": "ready",
        "outcome": "warn",
        "canProceed": True,
        "runs": [
            {
                "id": "task_1",
                "name": "front.pdf",
                "outcome": "pass",
                "status": "done",
                "hasOutput": True,
                "proofs": [
                    {"url": "https://files.test/p1.png?sig=abc"},
                    {"url": "https://files.test/p2.png?sig=def"},
                ],
                "downloadUrl": "https://files.test/out.pdf?sig=xyz",
            },
            {
                "id": "task_2",
                "name": "back.pdf",
                "outcome": "warn",
                "status": "done",
                "hasOutput": False,
                "proofs": [],
                "downloadUrl": None,
            },
        ],
    }
    out = php_run(
        "api", now=NOW, call="job", jobId="job_7Hq2", script=[{"status": 200, "body": json.dumps(job)}]
    )
    assert out["requests"][0]["url"] == f"{BASE}/jobs/job_7Hq2?expand=runs"
    result = out["result"]
    assert (result["jobId"], result["status"], result["outcome"], result["canProceed"]) == (
        "job_7Hq2",
        "ready",
        "warn",
        True,
    )
    assert [(r["id"], r["name"], r["hasOutput"], len(r["proofs"])) for r in result["runs"]] == [
        ("task_1", "front.pdf", True, 2),
        ("task_2", "back.pdf", False, 0),
    ]


def test_job_ids_are_url_encoded_and_errors_carry_status() -> None:
    out = php_run(
        "api",
        now=NOW,
        call="job",
        jobId="../admin?x",
        script=[{"status": 404, "body": '{"error":true,"message":"Job not found"}'}],
    )
    assert out["requests"][0]["url"] == f"{BASE}/jobs/..%2Fadmin%3Fx?expand=runs"
    assert out["result"] == {"error": "Job not found", "status": 404}


def test_run_output_streams_through_the_sink_with_the_key() -> None:
    out = php_run(
        "api",
        now=NOW,
        call="download",
        jobId="job_1",
        runId="task_1",
        script=[{"status": 200, "body": "%PDF-1.7 data", "headers": {"Content-Type": "application/pdf"}}],
    )
    assert out["result"] == {"data": "%PDF-1.7 data"}
    [request] = out["requests"]
    assert request["url"] == f"{BASE}/jobs/job_1/runs/task_1/output"
    assert request["headers"]["Authorization"] == f"Bearer {SK}"
