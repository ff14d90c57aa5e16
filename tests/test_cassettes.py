"""A replayed store call matches only what means the same (tests/cassettes.py)."""

from __future__ import annotations

import json

import httpx
import pytest
from vcr.request import Request

from tests import cassettes

ORDERS = "http://127.0.0.1:40001/wp-json/wc/v3/orders"


def request(uri: str, body: object = None, method: str = "GET") -> Request:
    raw = json.dumps(body).encode() if isinstance(body, dict) else body
    return Request(method, uri, raw, {})


def matches(live: Request, recorded: Request) -> bool:
    try:
        cassettes.match_query(live, recorded)
        cassettes.match_body(live, recorded)
    except AssertionError:
        return False
    return True


def test_query_parameters_must_mean_the_same() -> None:
    recorded = request(f"{ORDERS}?page=1&per_page=2&modified_after=2026-11-20T12:00:01&consumer_key=ck_1")
    # Another moment, another port, another (scrubbed) key: the same call.
    assert matches(request(f"{ORDERS.replace('40001', '41234')}?per_page=2&page=1"
                           "&modified_after=2027-01-19T08:13:55&consumer_key=ck_2"), recorded)
    # Another page, a missing window, an extra filter: not the same call.
    assert not matches(request(f"{ORDERS}?page=2&per_page=2&modified_after=2026-11-20T12:00:01"), recorded)
    assert not matches(request(f"{ORDERS}?page=1&per_page=2"), recorded)
    assert not matches(request(f"{ORDERS}?page=1&per_page=2&modified_after=2026-11-20T12:00:01&status=any"),
                       recorded)


def test_json_bodies_and_graphql_variables_must_mean_the_same() -> None:
    def gql(order: str, job: str, note: str) -> Request:
        return request("http://127.0.0.1:40001/shop/admin/api/2026-10/graphql.json", method="POST", body={
            "operationName": "OrderUpdate", "query": "mutation OrderUpdate($input: OrderInput!) { x }",
            "variables": {"input": {"id": order, "note": note, "jobId": job}}})

    recorded = gql("gid://shopify/Order/450789469", "job_01m7wd7v4csxz5j0xvxysq2thx",
                   "files: http://testserver/f?exp=1795000000&sig=abc")
    assert matches(gql("gid://shopify/Order/450789469", "job_01m8t59ttxwfmfn1ynh7b9kcfs",
                       "files: http://testserver/f?exp=1801356179&sig=def"), recorded)
    assert not matches(gql("gid://shopify/Order/450789470", "job_01m8t59ttxwfmfn1ynh7b9kcfs",
                           "files: http://testserver/f?exp=1801356179&sig=def"), recorded)
    assert not matches(gql("gid://shopify/Order/450789469", "job_01m8t59ttxwfmfn1ynh7b9kcfs",
                           "no files: http://testserver/f?exp=1801356179&sig=def"), recorded)


def test_form_and_multipart_bodies_compare_their_fields() -> None:
    recorded = request("http://127.0.0.1:40001/index.php?route=api/sale/history", method="POST",
                       body=b"order_status_id=2&comment=printgate%3A+files+ready&notify=0")
    assert matches(request("http://127.0.0.1:40001/index.php?route=api/sale/history", method="POST",
                           body=b"comment=printgate%3A+files+ready&notify=0&order_status_id=2"), recorded)
    assert not matches(request("http://127.0.0.1:40001/index.php?route=api/sale/history", method="POST",
                               body=b"order_status_id=5&comment=printgate%3A+files+ready&notify=0"), recorded)

    def upload(key: str, pdf: bytes) -> Request:
        sent = httpx.Request("POST", "http://127.0.0.1:40001/staged/1", data={"key": key},
                             files={"file": ("artwork.pdf", pdf, "application/pdf")})
        return request("http://127.0.0.1:40001/staged/1", method="POST", body=sent.read())

    recorded_upload = upload("tmp/0000000000000001/artwork.pdf", b"%PDF-1.7 made at 12:00:01")
    assert matches(upload("tmp/0000000000000001/artwork.pdf", b"%PDF-1.7 made at 12:00:02"), recorded_upload)
    assert not matches(upload("tmp/0000000000000002/artwork.pdf", b"%PDF-1.7"), recorded_upload)


def test_the_shadow_fails_when_the_fake_answers_otherwise() -> None:
    shadow = cassettes.Shadow(replaying=True)
    sent = httpx.Request("GET", ORDERS)
    order = {"id": 802, "status": "processing", "date_modified_gmt": "2026-11-20T12:00:01"}
    same = {**order, "date_modified_gmt": "2026-11-20T12:00:03"}
    shadow.compare(sent, httpx.Response(200, json=[order]), httpx.Response(200, json=[same]))
    assert shadow.mismatches == []
    shadow.compare(sent, httpx.Response(200, json=[order]), httpx.Response(200, json=[{**order, "status": "cancelled"}]))
    shadow.compare(sent, httpx.Response(200, json=[order]), httpx.Response(404, json={}))
    assert len(shadow.mismatches) == 2 and "cancelled" in shadow.mismatches[0] and "404" in shadow.mismatches[1]

    with pytest.raises(AssertionError, match="no longer matches the fake store"), cassettes.Shadow(True).around() as s:
        s.mismatches.append("GET /orders: differs")
