"""The plugin's requests against the real printgate API (in-process app, real queue and pipeline).

PHP builds each request with a recording transport; the test sends exactly those bytes and headers
to printgate and hands printgate's real answers back to the PHP client. So both halves of the wire
are checked: printgate accepts what the plugin sends, the plugin understands what printgate answers.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from printgate.webhooks.signing import standard_headers, standard_verify
from tests.conftest import Instance, make_key

from .conftest import ORDER_727, run_php

WHSEC = "whsec_" + base64.b64encode(b"live-printgate-order-signing-k01").decode()
BASE = "http://testserver"


def intake_job(client: TestClient, instance: Instance, pdf: Path) -> str:
    """What the widget does on the product page: an Element job with one uploaded file."""
    headers = {"Authorization": f"Bearer {make_key('acme', kind='publishable')}"}
    job = client.post("/element/jobs", headers=headers, json={"workflowId": "wf_default"})
    assert job.status_code in (200, 201), job.text
    job_id = job.json()["jobId"]
    upload = client.post("/uploads", headers=headers, json={}).json()
    url = upload["upload"]["url"].removeprefix(BASE)
    files = {"file": (pdf.name, pdf.read_bytes(), "application/pdf")}
    assert client.post(url, data=upload["upload"]["fields"], files=files).status_code == 204
    added = client.post(
        f"/element/jobs/{job_id}/files",
        headers={**headers, "Printgate-Job-Token": job.json()["clientToken"]},  # as the widget sends it
        json={"fileRef": upload["fileRef"], "name": pdf.name},
    )
    assert added.status_code in (200, 201), added.text
    instance.drain()
    return str(job_id)


def replay(client: TestClient, request: dict):
    """Send a request the PHP client built, byte for byte, to the in-process printgate."""
    parts = urlsplit(request["url"])
    assert f"{parts.scheme}://{parts.netloc}" == BASE
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return client.request(
        request["method"], path, headers=request["headers"], content=request["body"], follow_redirects=False
    )


def php_client(call: str, args: list, response, sk: str) -> dict:
    answer = {"status": response.status_code, "headers": dict(response.headers)}
    if call == "download_run_output":
        answer["file"] = response.content.decode("latin-1")
    else:
        answer["body"] = response.text
    return run_php(
        {"cmd": "client", "call": call, "args": args, "responses": [answer], "sk": sk, "base_url": BASE}
    )


@pytest.fixture
def ready_job(client: TestClient, instance: Instance, clean_pdf: Path) -> str:
    return intake_job(client, instance, clean_pdf)


def test_workflows_dropdown_from_real_printgate(client: TestClient, secret_key: str):
    built = run_php({"cmd": "client", "call": "list_workflows", "sk": secret_key, "base_url": BASE})[
        "requests"
    ][0]
    response = replay(client, built)
    assert response.status_code == 200, response.text
    workflows = {w["id"]: w for w in php_client("list_workflows", [], response, secret_key)["result"]}
    assert workflows["wf_default"]["enabled"] is True
    assert workflows["wf_default"]["name"] and workflows["wf_default"]["name"] != "wf_default"


def test_bad_secret_key_is_reported_as_401(client: TestClient):
    built = run_php({"cmd": "client", "call": "list_workflows", "sk": "sk_test_wrong", "base_url": BASE})[
        "requests"
    ][0]
    response = replay(client, built)
    answer = php_client("list_workflows", [], response, "sk_test_wrong")
    assert answer["error"]["status"] == 401


def test_add_to_cart_verification_sees_can_proceed(client: TestClient, secret_key: str, ready_job: str):
    built = run_php(
        {"cmd": "client", "call": "get_job", "args": [ready_job], "sk": secret_key, "base_url": BASE}
    )["requests"][0]
    assert built["url"] == f"{BASE}/jobs/{ready_job}"
    job = php_client("get_job", [ready_job], replay(client, built), secret_key)["result"]
    assert job["id"] == ready_job
    assert run_php({"cmd": "can_proceed", "job": job, "workflow": "wf_default"})["result"] is True
    assert run_php({"cmd": "can_proceed", "job": job, "workflow": "wf_other"})["result"] is False
    assert run_php({"cmd": "job_file_name", "job": job})["result"] == "clean.pdf"


def test_signed_order_727_is_captured_and_files_reach_the_order_page(
    client: TestClient, instance: Instance, secret_key: str, ready_job: str, tmp_path: Path
):
    # The merchant links the store in printgate first; the plugin then signs with that store's secret.
    linked = client.post("/woocommerce/stores", headers={"Authorization": f"Bearer {secret_key}"},
                         json={"storeUrl": "http://127.0.0.1:9", "pluginOnly": True, "pluginSecret": WHSEC})
    assert linked.status_code == 201, linked.text
    built = run_php(
        {
            "cmd": "capture",
            "fixture": str(ORDER_727),
            "item_meta": {"316": {"_printgate_job_id": ready_job}},
            "base_url": BASE,
            "sk": secret_key,
            "whsec": WHSEC,
        }
    )["requests"][0]
    assert standard_verify(WHSEC, built["headers"], built["body"].encode()) == built["headers"]["webhook-id"]
    response = replay(client, built)
    assert response.status_code == 200, response.text
    assert response.json()["affectedJobIds"] == [ready_job]

    # Re-sent on the next status change: accepted again, nothing duplicated.
    again = run_php(
        {
            "cmd": "capture",
            "fixture": "/work/shared/fixtures/woocommerce/order_727_completed.json",
            "item_meta": {"316": {"_printgate_job_id": ready_job}},
            "base_url": BASE,
            "sk": secret_key,
            "whsec": WHSEC,
        }
    )["requests"][0]
    assert replay(client, again).status_code == 200
    instance.drain()

    # The "Print files" box: the job with runs, proofs and an output to download.
    built = run_php(
        {"cmd": "client", "call": "get_job", "args": [ready_job, True], "sk": secret_key, "base_url": BASE}
    )["requests"][0]
    runs = php_client("get_job", [ready_job, True], replay(client, built), secret_key)["result"]
    assert runs["canProceed"] is True
    [run] = runs["runs"]
    assert run["hasOutput"] is True and run["proofs"]

    target = tmp_path / "download.bin"
    built = run_php(
        {
            "cmd": "client",
            "call": "download_run_output",
            "args": [ready_job, run["id"], str(target)],
            "sk": secret_key,
            "base_url": BASE,
        }
    )["requests"][0]
    assert built["url"] == f"{BASE}/jobs/{ready_job}/runs/{run['id']}/output"
    response = replay(client, built)
    if response.status_code in (301, 302, 303, 307, 308):  # signed storage URL: fetched without the key
        response = client.get(response.headers["location"].removeprefix(BASE))
    assert response.status_code == 200
    info = php_client("download_run_output", [ready_job, run["id"], str(target)], response, secret_key)[
        "result"
    ]
    assert info["content_type"].startswith("application/pdf")
    assert target.read_bytes().startswith(b"%PDF")

    # printgate's event for the order: the plugin's note links to its own download proxy.
    note_run = run_php(
        {
            "cmd": "events",
            "options": {
                "printgate_webhook_secret": WHSEC,
                "printgate_secret_key": secret_key,
                "printgate_base_url": BASE,
            },
            "orders": [{"fixture": str(ORDER_727), "item_meta": {"316": {"_printgate_job_id": ready_job}}}],
            "requests": [_signed({"type": "order.files_ready", "data": {"orderId": "727"}})],
            "responses": [{"status": 200, "body": json.dumps(runs)}],
            "run_scheduled": True,
        }
    )
    assert note_run["responses"][0]["status"] == 202
    [note] = note_run["notes"]["727"]
    assert f"job_id={ready_job}&amp;run_id={run['id']}" in note
    assert "X-Amz" not in note and "signature=" not in note.lower() and secret_key not in note


def _signed(event: dict) -> dict:
    body = json.dumps(event)
    return {"headers": standard_headers(WHSEC, "msg_live_1", body.encode()), "body": body}
