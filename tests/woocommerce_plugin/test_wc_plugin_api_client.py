"""The plugin's API client and order payload, driven in php-cli with a recording transport."""

from __future__ import annotations

import base64
import json
import time

import pytest
from standardwebhooks.webhooks import Webhook

from printgate.webhooks.signing import standard_verify

from .conftest import ORDER_727, run_php

SK = "sk_test_4f9a"
WHSEC = "whsec_" + base64.b64encode(b"order-sync-secret-for-tests-0001").decode()
JOB_A = "job_01jf8n2q4vaaaaaaaaaaaaaaaa"
JOB_B = "job_01jf8n2q4vbbbbbbbbbbbbbbbb"

EXPECTED_727 = {
    "orderId": "727",
    "status": "processing",
    "currency": "USD",
    "total": "29.35",
    "customer": {"id": 0, "name": "John Doe", "email": "john.doe@example.com", "phone": "(555) 555-5555"},
    "items": [
        {
            "itemId": 315,
            "productId": 93,
            "name": "Woo Single #1",
            "quantity": 2,
            "sku": "",
            "total": "6.00",
            "jobId": JOB_A,
        },
        {
            "itemId": 316,
            "productId": 22,
            "name": "Ship Your Idea – Color: Black, Size: M Test",
            "quantity": 1,
            "sku": "Bar3",
            "total": "12.00",
            "jobId": JOB_B,
            "meta": {"pa_color": "black", "size": "M Test"},
        },
    ],
    "shippingAddress": {
        "name": "John Doe",
        "address1": "969 Market",
        "address2": "",
        "city": "San Francisco",
        "state": "CA",
        "postcode": "94103",
        "country": "US",
        "company": "",
    },
    "source": "wp",
}


def capture(item_meta: dict, **extra) -> dict:
    return run_php(
        {
            "cmd": "capture",
            "fixture": str(ORDER_727),
            "item_meta": item_meta,
            "base_url": "http://127.0.0.1:8000",
            "sk": SK,
            "whsec": WHSEC,
            **extra,
        }
    )


def client(call: str, args: list | None = None, responses: list | None = None, **extra) -> dict:
    return run_php(
        {"cmd": "client", "call": call, "args": args or [], "responses": responses or [], "sk": SK, **extra}
    )


# --- POST /orders/{id} from order_727.json -----------------------------------------------------


def test_capture_order_727_request_url_headers_and_body():
    answer = capture(
        {"315": {"_printgate_job_id": JOB_A}, "316": {"_filecheck_job_id": JOB_B}},
        responses=[{"status": 200, "body": json.dumps({"success": True, "affectedJobIds": [JOB_A, JOB_B]})}],
    )
    assert answer["result"] == {"success": True, "affectedJobIds": [JOB_A, JOB_B]}
    [request] = answer["requests"]
    assert request["method"] == "POST"
    assert request["url"] == "http://127.0.0.1:8000/orders/727"
    headers = request["headers"]
    assert headers["Authorization"] == f"Bearer {SK}"
    assert headers["Content-Type"] == "application/json"
    assert headers["Accept"] == "application/json"
    assert headers["User-Agent"] == "printgate-for-woocommerce/test"
    assert json.loads(request["body"]) == EXPECTED_727
    assert list(json.loads(request["body"])) == list(EXPECTED_727)  # stable key order on the wire

    body = request["body"].encode()
    sig_headers = {k: v for k, v in headers.items() if k.startswith("webhook-")}
    assert standard_verify(WHSEC, sig_headers, body) == headers["webhook-id"]
    Webhook(WHSEC).verify(body, sig_headers, json_parse=False)
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 5


def test_capture_keeps_the_message_id_given_for_retries():
    answer = capture({"315": {"_printgate_job_id": JOB_A}}, msg_id="msg_stable", timestamp=int(time.time()))
    [request] = answer["requests"]
    assert request["headers"]["webhook-id"] == "msg_stable"
    assert standard_verify(WHSEC, request["headers"], request["body"].encode()) == "msg_stable"


def test_body_is_unescaped_utf8_json():
    answer = capture({"316": {"_printgate_job_id": JOB_B}})
    raw = answer["requests"][0]["body"]
    assert "Ship Your Idea – Color" in raw and "\\u2013" not in raw
    assert "\\/" not in raw


def test_only_items_with_a_job_are_listed():
    answer = run_php(
        {"cmd": "payload", "fixture": str(ORDER_727), "item_meta": {"316": {"_printgate_job_id": JOB_B}}}
    )
    assert [i["itemId"] for i in answer["payload"]["items"]] == [316]
    assert answer["job_ids"] == {"316": JOB_B}


def test_order_without_jobs_has_no_items():
    answer = run_php({"cmd": "payload", "fixture": str(ORDER_727)})
    assert answer["payload"]["items"] == []
    assert answer["job_ids"] == []


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        ({"_printgate_job_id": JOB_A}, JOB_A),
        ({"_filecheck_job_id": JOB_A}, JOB_A),
        ({"Filecheck Job": JOB_A}, JOB_A),
        ({"Filecheck Job": JOB_B, "_filecheck_job_id": JOB_B, "_printgate_job_id": JOB_A}, JOB_A),
        ({"_filecheck_job_id": JOB_B, "Filecheck Job": JOB_A}, JOB_B),
        ({"_printgate_job_id": "  " + JOB_A + " "}, JOB_A),
    ],
    ids=[
        "printgate",
        "filecheck-hidden",
        "filecheck-visible",
        "ours-first",
        "hidden-before-visible",
        "trimmed",
    ],
)
def test_job_id_is_read_from_printgate_and_filecheck_keys(meta: dict, expected: str):
    answer = run_php({"cmd": "payload", "fixture": str(ORDER_727), "item_meta": {"315": meta}})
    assert answer["payload"]["items"][0]["jobId"] == expected


@pytest.mark.parametrize("bad", ["", "job 1", "../orders/1", "job_<script>", "x" * 200])
def test_invalid_job_ids_on_items_are_ignored(bad: str):
    answer = run_php(
        {"cmd": "payload", "fixture": str(ORDER_727), "item_meta": {"315": {"_printgate_job_id": bad}}}
    )
    assert answer["payload"]["items"] == []


def test_visible_filecheck_key_is_not_repeated_as_item_meta():
    answer = run_php(
        {"cmd": "payload", "fixture": str(ORDER_727), "item_meta": {"316": {"Filecheck Job": JOB_B}}}
    )
    assert answer["payload"]["items"][0]["meta"] == {"pa_color": "black", "size": "M Test"}


def test_shipping_address_is_left_out_when_the_order_has_none():
    empty = {
        k: ""
        for k in [
            "first_name",
            "last_name",
            "company",
            "address_1",
            "address_2",
            "city",
            "state",
            "postcode",
            "country",
        ]
    }
    answer = run_php(
        {
            "cmd": "payload",
            "fixture": str(ORDER_727),
            "order": {"shipping": empty},
            "item_meta": {"315": {"_printgate_job_id": JOB_A}},
        }
    )
    assert "shippingAddress" not in answer["payload"]
    assert answer["payload"]["source"] == "wp"


def test_completed_fixture_sends_its_status():
    answer = run_php(
        {
            "cmd": "payload",
            "fixture": "/work/shared/fixtures/woocommerce/order_727_completed.json",
            "item_meta": {"315": {"_printgate_job_id": JOB_A}},
        }
    )
    assert answer["payload"]["status"] == "completed"


def test_capture_without_webhook_secret_refuses_to_send_unsigned():
    answer = run_php(
        {
            "cmd": "capture",
            "fixture": str(ORDER_727),
            "item_meta": {"315": {"_printgate_job_id": JOB_A}},
            "sk": SK,
            "whsec": "",
        }
    )
    assert answer["error"]["message"] == "No webhook secret configured: cannot sign the order."
    assert answer["requests"] == []


def test_capture_errors_carry_status_and_retryability():
    answer = capture(
        {"315": {"_printgate_job_id": JOB_A}},
        responses=[{"status": 400, "body": json.dumps({"message": "unknown key: foo"})}],
    )
    assert answer["error"] == {
        "message": "printgate answered HTTP 400: unknown key: foo",
        "status": 400,
        "retryable": False,
    }


@pytest.mark.parametrize(
    ("response", "status", "retryable"),
    [
        ({"fail": "Connection refused"}, 0, True),
        ({"status": 500, "body": "oops"}, 500, True),
        ({"status": 503, "body": ""}, 503, True),
        ({"status": 429, "body": "{}"}, 429, True),
        ({"status": 401, "body": "{}"}, 401, True),
        ({"status": 404, "body": "{}"}, 404, False),
        ({"status": 422, "body": "{}"}, 422, False),
    ],
)
def test_failures_are_classified_for_the_retry_queue(response: dict, status: int, retryable: bool):
    answer = capture({"315": {"_printgate_job_id": JOB_A}}, responses=[response])
    assert answer["error"]["status"] == status
    assert answer["error"]["retryable"] is retryable


# --- GET /workflows ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {
            "workflows": [
                {"id": "wf_1", "name": "Business cards", "enabled": True, "source": "builtin"},
                {"id": "wf_2", "name": "", "enabled": False},
            ]
        },
        {"rules": [{"id": "wf_1", "name": "Business cards"}, {"id": "wf_2", "enabled": False}]},
        [{"id": "wf_1", "name": "Business cards"}, {"id": "wf_2", "enabled": False}],
    ],
    ids=["workflows", "legacy-rules", "bare-list"],
)
def test_list_workflows(body):
    answer = client(
        "list_workflows",
        base_url="https://pg.example/",
        responses=[{"status": 200, "body": json.dumps(body)}],
    )
    assert answer["result"] == [
        {"id": "wf_1", "name": "Business cards", "enabled": True},
        {"id": "wf_2", "name": "wf_2", "enabled": False},
    ]
    [request] = answer["requests"]
    assert request["method"] == "GET"
    assert request["url"] == "https://pg.example/workflows"
    assert request["headers"]["Authorization"] == f"Bearer {SK}"
    assert request["body"] is None
    assert request["options"] == {"timeout": 15}


def test_list_workflows_drops_rows_with_unsafe_ids():
    body = {"workflows": [{"id": "wf_ok"}, {"id": "wf bad"}, {"name": "no id"}, "junk"]}
    answer = client("list_workflows", responses=[{"status": 200, "body": json.dumps(body)}])
    assert [w["id"] for w in answer["result"]] == ["wf_ok"]


def test_list_workflows_bad_key_is_a_401():
    answer = client(
        "list_workflows", responses=[{"status": 401, "body": json.dumps({"error": "invalid api key"})}]
    )
    assert answer["error"]["status"] == 401
    assert answer["error"]["message"] == "printgate answered HTTP 401: invalid api key"


def test_no_secret_key_sends_nothing():
    answer = client("list_workflows", sk="")
    assert answer["error"] == {"message": "No secret key configured.", "status": 401, "retryable": True}
    assert answer["requests"] == []


def test_non_json_answer_is_an_error():
    answer = client("list_workflows", responses=[{"status": 200, "body": "<html>proxy</html>"}])
    assert answer["error"]["message"] == "printgate answered with something that is not JSON."


# --- GET /jobs/{id} ---------------------------------------------------------------------------


def test_get_job_with_runs():
    job = {
        "id": JOB_A,
        "status": "ready",
        "outcome": "pass",
        "canProceed": True,
        "runs": [
            {
                "id": "task_1",
                "name": "card.pdf",
                "outcome": "pass",
                "status": "done",
                "hasOutput": True,
                "proofs": [{"url": "http://127.0.0.1:8000/p/1.png"}],
                "downloadUrl": None,
            }
        ],
    }
    answer = client("get_job", [JOB_A, True], responses=[{"status": 200, "body": json.dumps(job)}])
    assert answer["result"] == job
    assert answer["requests"][0]["url"] == f"http://127.0.0.1:8000/jobs/{JOB_A}?expand=runs"


def test_get_job_unwraps_the_job_envelope():
    job = {"id": JOB_A, "status": "ready", "canProceed": True, "workflowId": "wf_default", "tasks": []}
    answer = client("get_job", [JOB_A], responses=[{"status": 200, "body": json.dumps({"job": job})}])
    assert answer["result"] == job


def test_get_job_without_expand():
    answer = client("get_job", [JOB_A], responses=[{"status": 200, "body": "{}"}])
    assert answer["requests"][0]["url"] == f"http://127.0.0.1:8000/jobs/{JOB_A}"


@pytest.mark.parametrize("bad", ["", "../workflows", "job_1?expand=all", "job_1/runs"])
def test_get_job_refuses_unsafe_ids_without_calling_printgate(bad: str):
    answer = client("get_job", [bad])
    assert answer["error"] == {"message": "Invalid printgate id.", "status": 400, "retryable": False}
    assert answer["requests"] == []


@pytest.mark.parametrize(
    ("job", "workflow", "expected"),
    [
        ({"canProceed": True}, None, True),
        ({"canProceed": True, "workflowId": "wf_1"}, "wf_1", True),
        ({"canProceed": True, "workflowId": "wf_2"}, "wf_1", False),
        ({"canProceed": True}, "wf_1", True),
        ({"canProceed": False, "status": "rejected"}, None, False),
        ({"canProceed": "true", "status": "ready"}, None, False),
        ({"status": "ready"}, None, False),
    ],
    ids=["ok", "same-workflow", "other-workflow", "workflow-unknown", "rejected", "string-true", "missing"],
)
def test_job_can_proceed(job: dict, workflow, expected: bool):
    assert run_php({"cmd": "can_proceed", "job": job, "workflow": workflow})["result"] is expected


# --- outputs and proofs -----------------------------------------------------------------------


def test_download_run_output_streams_to_a_file(tmp_path):
    target = tmp_path / "out.bin"
    answer = client(
        "download_run_output",
        [JOB_A, "task_1", str(target)],
        responses=[
            {
                "status": 200,
                "file": "%PDF-1.7 fake",
                "headers": {
                    "Content-Type": "application/pdf",
                    "Content-Disposition": "attachment; filename*=UTF-8''card%20fixed.pdf",
                },
            }
        ],
    )
    assert answer["result"] == {"content_type": "application/pdf", "file_name": "card fixed.pdf"}
    [request] = answer["requests"]
    assert request["url"] == f"http://127.0.0.1:8000/jobs/{JOB_A}/runs/task_1/output"
    assert request["headers"]["Authorization"] == f"Bearer {SK}"
    assert request["options"] == {"timeout": 300, "stream_to": str(target), "follow_redirects": False}
    assert target.read_text() == "%PDF-1.7 fake"


def test_download_follows_a_redirect_to_storage_without_the_secret_key(tmp_path):
    target = tmp_path / "out.bin"
    signed = "https://bucket.s3.example/out/card.pdf?X-Amz-Signature=abc"
    answer = client(
        "download_run_output",
        [JOB_A, "task_1", str(target)],
        responses=[
            {"status": 302, "headers": {"location": signed}},
            {
                "status": 200,
                "file": "%PDF",
                "headers": {
                    "content-type": "application/pdf",
                    "content-disposition": 'attachment; filename="card.pdf"',
                },
            },
        ],
    )
    assert answer["result"] == {"content_type": "application/pdf", "file_name": "card.pdf"}
    first, second = answer["requests"]
    assert first["headers"]["Authorization"] == f"Bearer {SK}"
    assert second["url"] == signed
    assert "Authorization" not in second["headers"]
    assert second["options"] == {"timeout": 300, "stream_to": str(target)}
    assert target.read_text() == "%PDF"


def test_download_redirect_within_printgate_keeps_the_secret_key(tmp_path):
    answer = client(
        "download_run_output",
        [JOB_A, "task_1", str(tmp_path / "x")],
        responses=[{"status": 307, "headers": {"Location": "/files/signed/abc"}}, {"status": 200}],
    )
    second = answer["requests"][1]
    assert second["url"] == "http://127.0.0.1:8000/files/signed/abc"
    assert second["headers"]["Authorization"] == f"Bearer {SK}"


def test_download_redirect_without_location_is_an_error(tmp_path):
    answer = client(
        "download_run_output", [JOB_A, "task_1", str(tmp_path / "x")], responses=[{"status": 302}]
    )
    assert answer["error"]["message"] == "printgate redirected without a Location."
    assert len(answer["requests"]) == 1


def test_redirects_are_errors_for_json_calls():
    answer = client(
        "get_job", [JOB_A], responses=[{"status": 302, "headers": {"location": "https://elsewhere.example/"}}]
    )
    assert answer["error"]["status"] == 302
    assert len(answer["requests"]) == 1


def test_download_file_name_cannot_escape_the_directory(tmp_path):
    answer = client(
        "download_run_output",
        [JOB_A, "task_1", str(tmp_path / "x")],
        responses=[
            {"status": 200, "headers": {"content-disposition": 'attachment; filename="../../etc/passwd"'}}
        ],
    )
    assert answer["result"]["file_name"] == "passwd"


def test_download_error_status(tmp_path):
    answer = client(
        "download_run_output", [JOB_A, "task_1", str(tmp_path / "x")], responses=[{"status": 404}]
    )
    assert answer["error"]["status"] == 404


@pytest.mark.parametrize(
    ("url", "fetched", "authorized"),
    [
        ("http://127.0.0.1:8000/proofs/p1.png", "http://127.0.0.1:8000/proofs/p1.png", True),
        ("/proofs/p1.png", "http://127.0.0.1:8000/proofs/p1.png", True),
        (
            "https://bucket.s3.example/p1.png?X-Amz-Signature=abc",
            "https://bucket.s3.example/p1.png?X-Amz-Signature=abc",
            False,
        ),
        ("http://127.0.0.1:9000/p1.png", "http://127.0.0.1:9000/p1.png", False),
    ],
    ids=["own", "relative", "presigned-elsewhere", "other-port"],
)
def test_fetch_asset_sends_the_secret_key_only_to_printgate(
    tmp_path, url: str, fetched: str, authorized: bool
):
    answer = client(
        "fetch_asset",
        [url, str(tmp_path / "p")],
        responses=[{"status": 200, "headers": {"content-type": "image/png"}}],
    )
    assert answer["result"]["content_type"] == "image/png"
    [request] = answer["requests"]
    assert request["url"] == fetched
    assert ("Authorization" in request["headers"]) is authorized


@pytest.mark.parametrize("url", ["file:///etc/passwd", "//evil.example/x.png", "javascript:alert(1)"])
def test_fetch_asset_refuses_non_http_urls(tmp_path, url: str):
    answer = client("fetch_asset", [url, str(tmp_path / "p")])
    assert answer["error"]["message"] == "Refusing to fetch a non-http URL."
    assert answer["requests"] == []


# --- retry policy -----------------------------------------------------------------------------


def test_retry_backoff_doubles_then_caps_at_six_hours():
    answer = run_php({"cmd": "retry", "attempts": [1, 2, 3, 4, 9, 10, 29, 30]})["result"]
    assert [a["delay"] for a in answer] == [60, 120, 240, 480, 15360, 21600, 21600, 21600]
    assert [a["retry"] for a in answer] == [True] * 7 + [False]
    assert not any(a["permanent"] for a in answer)


# --- the WordPress transport (wp_remote_request) ----------------------------------------------


def wp_transport(options: dict, answer: dict, body: str | None = None) -> dict:
    return run_php(
        {
            "cmd": "wp_transport",
            "method": "POST" if body is not None else "GET",
            "url": "https://pg.example/x",
            "headers": {"Authorization": "Bearer sk_x", "User-Agent": "printgate-for-woocommerce/1"},
            "body": body,
            "options": options,
            "answer": answer,
        }
    )


def test_wp_transport_maps_a_json_call():
    answer = wp_transport(
        {"timeout": 15},
        {"code": 201, "headers": {"Content-Type": "application/json"}, "body": "{}"},
        body="{}",
    )
    [call] = answer["calls"]
    assert call["url"] == "https://pg.example/x"
    assert call["args"] == {
        "method": "POST",
        "headers": {"Authorization": "Bearer sk_x", "User-Agent": "printgate-for-woocommerce/1"},
        "timeout": 15,
        "redirection": 5,
        "user-agent": "printgate-for-woocommerce/1",
        "body": "{}",
    }
    assert answer["result"] == {"status": 201, "headers": {"content-type": "application/json"}, "body": "{}"}


def test_wp_transport_streams_to_a_file_without_following_redirects():
    answer = wp_transport(
        {"timeout": 300, "stream_to": "/tmp/x.bin", "follow_redirects": False},
        {"code": 302, "headers": {"Location": "https://s3.example/a"}, "body": ""},
    )
    args = answer["calls"][0]["args"]
    assert (args["stream"], args["filename"], args["redirection"], args["timeout"]) == (
        True,
        "/tmp/x.bin",
        0,
        300,
    )
    assert "body" not in args
    assert answer["result"] == {"status": 302, "headers": {"location": "https://s3.example/a"}, "body": ""}


def test_wp_transport_network_error_raises():
    answer = wp_transport({}, {"error": "cURL error 7: Failed to connect"})
    assert answer["result"] == {"exception": "cURL error 7: Failed to connect"}
