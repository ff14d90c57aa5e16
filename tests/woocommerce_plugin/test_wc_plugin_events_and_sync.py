"""The WordPress side, driven through a minimal WordPress fake (php/fake_wp.php):
the signed events route (POST /wp-json/printgate/v1/events) and the order sync queue."""

from __future__ import annotations

import base64
import json
import time

from printgate.webhooks.signing import standard_headers, standard_verify

from .conftest import ORDER_727, run_php

WHSEC = "whsec_" + base64.b64encode(b"events-secret-for-the-plugin-01").decode()
SK = "sk_test_events"
JOB_A = "job_01jf8n2q4vaaaaaaaaaaaaaaaa"
JOB_B = "job_01jf8n2q4vbbbbbbbbbbbbbbbb"
OPTIONS = {
    "printgate_webhook_secret": WHSEC,
    "printgate_secret_key": SK,
    "printgate_base_url": "http://127.0.0.1:8000",
}
ORDER = {
    "fixture": str(ORDER_727),
    "item_meta": {"315": {"_printgate_job_id": JOB_A}},
    "order_meta": {"_printgate_job_ids": f" {JOB_A} "},
}


def signed(
    event: dict, msg_id: str, *, secret: str = WHSEC, timestamp: int | None = None, body: str | None = None
) -> dict:
    raw = json.dumps(event) if body is None else body
    return {"headers": standard_headers(secret, msg_id, raw.encode(), timestamp=timestamp), "body": raw}


def events(requests: list[dict], options: dict | None = None, **extra) -> dict:
    return run_php(
        {
            "cmd": "events",
            "options": OPTIONS if options is None else options,
            "orders": [ORDER],
            "requests": requests,
            **extra,
        }
    )


COMPLETED = {
    "type": "job.completed",
    "data": {"id": JOB_A, "orderId": "727", "status": "ready", "canProceed": True},
}


# --- events route -----------------------------------------------------------------------------

# Every answer names the plugin, so printgate can tell it from a page answering 200 at the same URL.
PLUGIN = {"plugin": "printgate-for-woocommerce", "pluginVersion": "test"}


def test_signed_event_is_accepted_and_the_note_is_queued():
    answer = events([signed(COMPLETED, "msg_1")])
    assert answer["responses"] == [
        {"status": 202, "data": {**PLUGIN, "received": True, "handled": True, "orderId": "727", "jobIds": [JOB_A]}}
    ]
    assert answer["scheduled"] == [
        {"delay": 0, "hook": "printgate_event_note", "args": [727, "job.completed", [JOB_A], 0]}
    ]


def test_replayed_webhook_id_is_rejected():
    first = signed(COMPLETED, "msg_replay")
    answer = events([first, first, signed(COMPLETED, "msg_replay")])
    assert [r["status"] for r in answer["responses"]] == [202, 409, 409]
    assert answer["responses"][1]["code"] == "printgate_replay"
    assert answer["responses"][1]["plugin"] == "printgate-for-woocommerce", "errors name the plugin too"
    assert len(answer["scheduled"]) == 1


def test_tampered_body_wrong_secret_and_stale_timestamp_are_401():
    good = signed(COMPLETED, "msg_t")
    tampered = {"headers": good["headers"], "body": good["body"].replace("727", "728")}
    wrong = signed(COMPLETED, "msg_w", secret="whsec_" + base64.b64encode(b"x" * 24).decode())
    stale = signed(COMPLETED, "msg_s", timestamp=int(time.time()) - 301)
    unsigned = {"headers": {"content-type": "application/json"}, "body": json.dumps(COMPLETED)}
    answer = events([tampered, wrong, stale, unsigned])
    assert [(r["status"], r["code"]) for r in answer["responses"]] == [(401, "printgate_bad_signature")] * 4
    assert answer["responses"][2]["message"] == "webhook-timestamp is outside the allowed tolerance"
    assert answer["scheduled"] == []


def test_rejected_request_does_not_burn_the_message_id():
    good = signed(COMPLETED, "msg_later")
    tampered = {"headers": good["headers"], "body": good["body"] + " "}
    answer = events([tampered, good])
    assert [r["status"] for r in answer["responses"]] == [401, 202]


def test_no_webhook_secret_configured_is_503():
    answer = events([signed(COMPLETED, "msg_n")], options={"printgate_secret_key": SK})
    assert answer["responses"][0]["status"] == 503


def test_unknown_type_is_acknowledged_but_not_handled():
    answer = events([signed({"type": "job.created", "data": {"id": JOB_A}}, "msg_u")])
    assert answer["responses"] == [{"status": 200, "data": {**PLUGIN, "received": True, "handled": False}}]
    assert answer["scheduled"] == []


def test_body_without_type_is_400():
    answer = events([signed({}, "msg_x", body="[1, 2]")])
    assert answer["responses"][0]["status"] == 400


def test_job_not_on_the_order_is_not_handled():
    event = {"type": "job.completed", "data": {"id": JOB_B, "orderId": "727"}}
    answer = events([signed(event, "msg_o")])
    assert answer["responses"][0]["data"] == {
        **PLUGIN,
        "received": True,
        "handled": False,
        "reason": "no matching order",
    }
    assert answer["scheduled"] == []


def test_order_found_from_the_job_id_alone():
    event = {"type": "job.completed", "data": {"id": JOB_A}}
    answer = events([signed(event, "msg_j")])
    assert answer["responses"][0]["data"]["orderId"] == "727"


def test_files_ready_without_job_list_covers_all_jobs_of_the_order():
    event = {"type": "order.files_ready", "data": {"orderId": 727}}
    answer = events([signed(event, "msg_f")])
    assert answer["responses"][0]["data"]["jobIds"] == [JOB_A]


def test_note_lists_runs_with_proxied_download_links():
    job = {
        "id": JOB_A,
        "status": "ready",
        "outcome": "pass",
        "canProceed": True,
        "runs": [
            {
                "id": "task_1",
                "name": "card <b>.pdf",
                "outcome": "pass",
                "hasOutput": True,
                "proofs": [],
                "downloadUrl": "https://signed.example/secret-url",
            },
            {"id": "task_2", "name": "back.pdf", "outcome": "warn", "hasOutput": False},
        ],
    }
    answer = events(
        [
            signed(
                {"type": "order.files_ready", "data": {"orderId": "727", "files": [{"jobId": JOB_A}]}},
                "msg_n1",
            )
        ],
        responses=[{"status": 200, "body": json.dumps(job)}],
        run_scheduled=True,
    )
    [request] = answer["requests"]
    assert request["url"] == f"http://127.0.0.1:8000/jobs/{JOB_A}?expand=runs"
    assert request["headers"]["Authorization"] == f"Bearer {SK}"
    [note] = answer["notes"]["727"]
    assert note.startswith("printgate: the print files are ready.<br>")
    assert f"{JOB_A}: ready, pass" in note
    assert "card &lt;b&gt;.pdf (pass)" in note
    assert (
        f'<a href="https://shop.example/wp-admin/admin-post.php?action=printgate_download&amp;order_id=727'
        f'&amp;job_id={JOB_A}&amp;run_id=task_1">Download</a>'
    ) in note
    assert "back.pdf (warn)" in note and note.count("Download") == 1
    assert "signed.example" not in note and SK not in note


def test_note_is_retried_when_printgate_is_down():
    answer = events(
        [signed(COMPLETED, "msg_d")], responses=[{"fail": "Connection refused"}], run_scheduled=True
    )
    assert answer["notes"]["727"] == []
    assert answer["rescheduled"] == [
        {"delay": 60, "hook": "printgate_event_note", "args": [727, "job.completed", [JOB_A], 1]}
    ]


def test_event_job_ids_from_every_shape():
    data = {
        "id": "job_a",
        "jobId": "job_b",
        "jobIds": ["job_c", 5],
        "jobs": [{"id": "job_d"}, "job_e"],
        "files": [{"jobId": "job_f"}],
        "items": [{"jobId": "job_a"}, {"jobId": "bad id"}],
    }
    assert run_php({"cmd": "event_job_ids", "data": data})["result"] == [
        "job_b",
        "job_a",
        "job_c",
        "job_d",
        "job_e",
        "job_f",
    ]
    assert run_php({"cmd": "event_job_ids", "data": {"id": "task_1"}})["result"] == []


def test_job_file_name_from_runs_or_tasks():
    assert (
        run_php({"cmd": "job_file_name", "job": {"runs": [{"name": "a.pdf"}, {"name": "b.pdf"}]}})["result"]
        == "a.pdf, b.pdf"
    )
    assert (
        run_php({"cmd": "job_file_name", "job": {"tasks": [{"source": {"name": "c.png"}}]}})["result"]
        == "c.png"
    )
    assert run_php({"cmd": "job_file_name", "job": {"id": JOB_A}})["result"] == ""


# --- order sync queue -------------------------------------------------------------------------


def sync(
    steps: list[str], responses: list[dict], options: dict | None = None, order: dict | None = None
) -> list[dict]:
    return run_php(
        {
            "cmd": "sync",
            "options": OPTIONS if options is None else options,
            "orders": [order or ORDER],
            "order_id": 727,
            "steps": steps,
            "responses": responses,
        }
    )["steps"]


def test_order_is_queued_then_retried_with_backoff_and_the_same_message_id():
    steps = sync(
        ["enqueue", "send", "send", "send"],
        [{"status": 503, "body": ""}, {"fail": "Connection refused"}, {"status": 200, "body": "{}"}],
    )
    queued, first, second, done = steps

    assert queued["state"] == "pending"
    msg_id = queued["meta"]["_printgate_sync_msg_id"]
    assert msg_id.startswith("msg_")
    assert queued["meta"]["_printgate_job_ids"] == f" {JOB_A} "
    assert queued["scheduled"] == [{"delay": 0, "hook": "printgate_sync_order", "args": [727]}]
    assert queued["requests"] == []

    assert first["state"] == "pending"
    assert first["meta"]["_printgate_sync_attempts"] == "1"
    assert first["meta"]["_printgate_sync_error"] == "printgate answered HTTP 503"
    assert first["scheduled"] == [{"delay": 60, "hook": "printgate_sync_order", "args": [727]}]

    assert second["meta"]["_printgate_sync_attempts"] == "2"
    assert second["meta"]["_printgate_sync_error"] == "printgate is unreachable: Connection refused"
    assert second["scheduled"] == [{"delay": 120, "hook": "printgate_sync_order", "args": [727]}]

    assert done["state"] == "synced"
    assert done["scheduled"] == []
    assert "_printgate_sync_pending" not in done["meta"] and "_printgate_sync_error" not in done["meta"]
    assert done["meta"]["_printgate_synced_status"] == "processing"

    for step in (first, second, done):
        [request] = step["requests"]
        assert request["url"] == "http://127.0.0.1:8000/orders/727"
        assert request["headers"]["webhook-id"] == msg_id
        assert standard_verify(WHSEC, request["headers"], request["body"].encode()) == msg_id
        assert json.loads(request["body"])["items"][0]["jobId"] == JOB_A


def test_status_change_sends_a_new_message_with_the_new_status():
    steps = sync(["enqueue", "send", "status:completed", "send"], [{"status": 200}, {"status": 200}])
    assert steps[2]["state"] == "pending"
    assert steps[2]["meta"]["_printgate_sync_msg_id"] != steps[0]["meta"]["_printgate_sync_msg_id"]
    assert json.loads(steps[3]["requests"][0]["body"])["status"] == "completed"
    assert steps[3]["requests"][0]["headers"]["webhook-id"] == steps[2]["meta"]["_printgate_sync_msg_id"]
    assert steps[3]["meta"]["_printgate_synced_status"] == "completed"


def test_permanent_rejection_stops_retrying_and_tells_the_merchant():
    steps = sync(
        ["enqueue", "send", "sweep"], [{"status": 400, "body": json.dumps({"message": "unknown key: meta"})}]
    )
    failed = steps[1]
    assert failed["state"] == "failed"
    assert failed["scheduled"] == []
    [note] = failed["notes"]
    assert "printgate answered HTTP 400: unknown key: meta" in note
    assert steps[2]["scheduled"] == []  # the sweep leaves given-up orders to the merchant's retry button


def test_duplicate_answer_counts_as_delivered():
    steps = sync(["enqueue", "send"], [{"status": 409, "body": "{}"}])
    assert steps[1]["state"] == "synced"
    assert steps[1]["scheduled"] == []


def test_missing_configuration_keeps_the_order_queued():
    steps = sync(["enqueue", "send"], [], options={"printgate_base_url": "http://127.0.0.1:8000"})
    assert steps[1]["state"] == "pending"
    assert steps[1]["requests"] == []
    assert steps[1]["scheduled"] == [{"delay": 60, "hook": "printgate_sync_order", "args": [727]}]


def test_sweep_requeues_pending_orders_that_lost_their_action():
    steps = sync(["enqueue", "sweep"], [])
    assert steps[1]["scheduled"] == [{"delay": 0, "hook": "printgate_sync_order", "args": [727]}]


def test_orders_without_print_files_are_not_sent():
    plain = {"fixture": str(ORDER_727)}
    steps = sync(["enqueue", "send"], [], order=plain)
    assert steps[0]["state"] == "none"
    assert steps[0]["scheduled"] == []
    assert steps[1]["requests"] == []
