"""The add-to-cart gate: required upload, server-side job verification with the secret key, and the
jobId travelling from the product form to the cart, the order line item and the order views."""

from __future__ import annotations

import json

import pytest

from .conftest import run_php

SK = "sk_test_cart"
JOB = "job_01jf8n2q4vcccccccccccccccc"
OPTIONS = {
    "printgate_secret_key": SK,
    "printgate_base_url": "http://127.0.0.1:8000",
    "printgate_default_workflow": "wf_default",
    "printgate_require_upload": "yes",
}
READY = {
    "id": JOB,
    "status": "ready",
    "outcome": "pass",
    "canProceed": True,
    "workflowId": "wf_default",
    "tasks": [{"id": "task_1", "source": {"name": "card.pdf"}}],
}


def cart(
    request: dict,
    responses: list | None = None,
    product_meta: dict | None = None,
    options: dict | None = None,
) -> dict:
    return run_php(
        {
            "cmd": "cart",
            "options": {**OPTIONS, **(options or {})},
            "products": {"42": product_meta or {}},
            "product_id": 42,
            "request": request,
            "responses": responses or [],
        }
    )


def ok(job: dict = READY) -> list[dict]:
    return [{"status": 200, "body": json.dumps({"job": job})}]  # GET /jobs/{id} answers {job: {...}}


def test_required_upload_without_job_is_blocked_without_calling_printgate():
    answer = cart({})
    assert answer["valid"] is False
    assert answer["notices"] == [["error", "Please upload and check your print file first."]]
    assert answer["requests"] == []
    assert answer["cart_item"] == []


def test_checked_job_is_verified_with_the_secret_key_and_carried_to_the_order():
    answer = cart({"printgate_job_id": JOB}, ok())
    assert answer["valid"] is True
    assert answer["notices"] == []
    [request] = answer["requests"]  # verified once, reused for the cart item
    assert request["url"] == f"http://127.0.0.1:8000/jobs/{JOB}"
    assert request["headers"]["Authorization"] == f"Bearer {SK}"
    assert answer["cart_item"] == {"printgate_job_id": JOB, "printgate_file_name": "card.pdf"}
    assert answer["cart_rows"] == [{"key": "Print file", "value": "card.pdf", "display": "card.pdf"}]
    assert answer["line_item_meta"] == {"_printgate_job_id": JOB, "_printgate_file_name": "card.pdf"}
    assert answer["order_rows"] == [
        {
            "key": "printgate_print_file",
            "value": "card.pdf",
            "display_key": "Print file",
            "display_value": "card.pdf",
        }
    ]


@pytest.mark.parametrize(
    ("job", "message"),
    [
        (
            {**READY, "status": "rejected", "canProceed": False},
            "Your print file has not passed the checks. Please fix it or upload another file.",
        ),
        (
            {**READY, "status": "processing", "canProceed": False},
            "Your print file has not passed the checks. Please fix it or upload another file.",
        ),
        (
            {**READY, "workflowId": "wf_other"},
            "Your print file has not passed the checks. Please fix it or upload another file.",
        ),
    ],
    ids=["rejected", "still-processing", "other-workflow"],
)
def test_job_that_cannot_proceed_is_refused(job: dict, message: str):
    answer = cart({"printgate_job_id": JOB}, ok(job))
    assert answer["valid"] is False
    assert answer["notices"] == [["error", message]]
    assert answer["cart_item"] == []
    assert answer["line_item_meta"] == []  # PHP encodes an empty array as []


@pytest.mark.parametrize(
    ("response", "message"),
    [
        ({"status": 404, "body": "{}"}, "Your print file could not be found. Please upload it again."),
        (
            {"fail": "Connection refused"},
            "We could not check your print file right now. Please try again in a moment.",
        ),
        (
            {"status": 500, "body": ""},
            "We could not check your print file right now. Please try again in a moment.",
        ),
    ],
    ids=["unknown-job", "printgate-down", "printgate-error"],
)
def test_verification_fails_closed(response: dict, message: str):
    answer = cart({"printgate_job_id": JOB}, [response])
    assert answer["valid"] is False
    assert answer["notices"] == [["error", message]]


def test_forged_job_id_is_refused_before_any_request():
    answer = cart({"printgate_job_id": "../../workflows"})
    assert answer["valid"] is False
    assert answer["notices"] == [["error", "Please upload and check your print file first."]]
    assert answer["requests"] == []


@pytest.mark.parametrize("field", ["filecheck_job_id", "fc_job_id"])
def test_filecheck_field_names_are_accepted(field: str):
    answer = cart({field: JOB}, ok())
    assert answer["valid"] is True
    assert answer["cart_item"]["printgate_job_id"] == JOB


def test_optional_upload_passes_without_job():
    answer = cart({}, product_meta={"_printgate_require": "no"})
    assert answer["valid"] is True and answer["notices"] == []
    assert answer["config"] == {"workflow": "wf_default", "required": False, "presentation": "inline"}


def test_product_without_upload_ignores_the_field():
    answer = cart({"printgate_job_id": JOB}, product_meta={"_printgate_workflow": "none"})
    assert answer["valid"] is True
    assert answer["requests"] == []
    assert answer["cart_item"] == []


@pytest.mark.parametrize(
    ("meta", "options", "expected"),
    [
        ({}, {}, {"workflow": "wf_default", "required": True, "presentation": "inline"}),
        (
            {"_printgate_workflow": "wf_cards", "_printgate_presentation": "dialog"},
            {},
            {"workflow": "wf_cards", "required": True, "presentation": "dialog"},
        ),
        (
            {"_fc_workflow_id": "wf_fc", "_fc_required": "yes"},
            {"printgate_require_upload": "no"},
            {"workflow": "wf_fc", "required": True, "presentation": "inline"},
        ),
        (
            {"_printgate_workflow": "wf_own", "_fc_workflow_id": "wf_fc"},
            {},
            {"workflow": "wf_own", "required": True, "presentation": "inline"},
        ),
        (
            {"_printgate_require": "no", "_fc_required": "1"},
            {},
            {"workflow": "wf_default", "required": False, "presentation": "inline"},
        ),
        (
            {},
            {"printgate_default_workflow": "", "printgate_presentation": "dialog"},
            {"workflow": None, "required": True, "presentation": "dialog"},
        ),
    ],
    ids=[
        "global",
        "product-override",
        "filecheck-meta",
        "ours-over-filecheck",
        "not-required",
        "no-workflow",
    ],
)
def test_product_config_resolution(meta: dict, options: dict, expected: dict):
    assert cart({}, product_meta=meta, options=options)["config"] == expected


def test_file_name_is_escaped_in_the_cart_row():
    job = {**READY, "tasks": [{"source": {"name": "<img src=x onerror=alert(1)>.pdf"}}]}
    answer = cart({"printgate_job_id": JOB}, ok(job))
    [row] = answer["cart_rows"]
    assert row["display"] == "&lt;img src=x onerror=alert(1)&gt;.pdf"
