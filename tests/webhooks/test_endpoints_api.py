"""``/webhook-endpoints`` and ``/webhook-deliveries``: validation, tenancy, lifecycle, listings."""

from __future__ import annotations

import base64

from fastapi.testclient import TestClient

from tests.conftest import Instance
from tests.webhooks.conftest import Receiver
from tests.webhooks.test_outbound import create_endpoint, deliveries, emit_test_event


def test_create_list_get_update_delete(client: TestClient, auth: dict[str, str], instance: Instance) -> None:
    created = create_endpoint(client, auth, "https://shop.example.com/hooks", events=["job.completed"],
                              description="ERP")
    assert created["id"].startswith("we_") and created["secret"].startswith("whsec_")
    assert created["events"] == ["job.completed"] and created["format"] == "printgate"
    assert created["enabled"] is True and created["failureCount"] == 0
    assert base64.b64decode(created["secret"].removeprefix("whsec_")) and len(created["secret"]) > 30

    listed = client.get("/webhook-endpoints", headers=auth).json()["endpoints"]
    assert [e["id"] for e in listed] == [created["id"]]
    assert "secret" not in listed[0] and listed[0]["secretHint"] == f"whsec_…{created['secret'][-4:]}"
    shown = client.get(f"/webhook-endpoints/{created['id']}", headers=auth).json()["endpoint"]
    assert shown["secret"] == created["secret"]

    patched = client.patch(f"/webhook-endpoints/{created['id']}", headers=auth,
                           json={"events": ["job.created", "job.completed"], "enabled": False})
    assert patched.status_code == 200
    body = patched.json()["endpoint"]
    assert body["events"] == ["job.completed", "job.created"]
    assert body["enabled"] is False and body["disabledReason"] == "disabled by the merchant"
    assert client.post(f"/webhook-endpoints/{created['id']}/enable", headers=auth).json()["endpoint"]["enabled"]

    assert client.delete(f"/webhook-endpoints/{created['id']}", headers=auth).json() == {
        "id": created["id"], "deleted": True}
    assert client.get(f"/webhook-endpoints/{created['id']}", headers=auth).status_code == 404
    assert client.get("/webhook-endpoints", headers=auth).json()["endpoints"] == []


def test_validation_answers_400_with_the_reason(client: TestClient, auth: dict[str, str]) -> None:
    cases = [
        ({}, "url: required, an http(s) URL"),
        ({"url": "ftp://x.example"}, "url: must be an absolute http(s) URL"),
        ({"url": "https://user:pw@x.example/h"}, "url: credentials in the URL are not allowed"),
        ({"url": "https://x.example", "events": ["job.exploded"]}, "events: unknown event type(s) job.exploded"),
        ({"url": "https://x.example", "events": []}, "events: a non-empty list of event types"),
        ({"url": "https://x.example", "format": "svix"}, "format: one of printgate, filecheck"),
        ({"url": "https://x.example", "secret": "hunter2"}, "secret: a Standard Webhooks secret"),
        ({"url": "https://x.example", "colour": "red"}, "colour: Extra inputs are not permitted"),
        ({"url": "https://x.example", "enabled": "yes"}, "enabled: Input should be a valid boolean"),
        ({"url": "https://x.example", "description": "d" * 501}, "description: String should have at most 500"),
    ]
    for body, message in cases:
        response = client.post("/webhook-endpoints", headers=auth, json=body)
        assert response.status_code == 400, body
        assert response.json()["error"] is True and response.json()["message"].startswith(message), body
    assert client.post("/webhook-endpoints", headers=auth, content=b"[1]").status_code == 400


def test_patch_and_rotate_bodies_refuse_unknown_keys_naming_them(client: TestClient, auth: dict[str, str]) -> None:
    ep = create_endpoint(client, auth, "https://shop.example.com/hooks", description="ERP")
    url = f"/webhook-endpoints/{ep['id']}"
    for body, message in (({"secret": "whsec_" + "A" * 40}, "secret: Extra inputs are not permitted"),
                          ({"enabeld": False}, "enabeld: Extra inputs are not permitted"),
                          ({"enabled": None}, "enabled: Input should be a valid boolean")):
        response = client.patch(url, headers=auth, json=body)
        assert response.status_code == 400, body
        assert response.json() == {"error": True, "message": response.json()["message"]}
        assert response.json()["message"].startswith(message), body
    rotated = client.post(f"{url}/rotate-secret", headers=auth, json={"secret": "whsec_x", "overlap": 1})
    assert rotated.status_code == 400 and rotated.json()["message"] == "overlap: Extra inputs are not permitted"
    shown = client.get(url, headers=auth).json()["endpoint"]
    assert shown["enabled"] is True and shown["secret"] == ep["secret"]  # nothing changed
    # Only the keys given change; an explicit null clears the description.
    patched = client.patch(url, headers=auth, json={"description": None}).json()["endpoint"]
    assert patched["description"] is None and patched["url"] == "https://shop.example.com/hooks"


def test_event_types_are_listed(client: TestClient, auth: dict[str, str]) -> None:
    types = client.get("/webhook-event-types", headers=auth).json()["eventTypes"]
    assert [t["type"] for t in types] == ["job.created", "job.completed", "job.reviewed", "job.processed",
                                         "order.captured", "order.files_ready", "webhook.test"]
    assert [t["type"] for t in types if t["filecheck"]] == ["job.created", "job.completed"]


def test_other_tenants_see_nothing(client: TestClient, auth: dict[str, str], other_auth: dict[str, str],
                                   instance: Instance, receiver: Receiver) -> None:
    ep = create_endpoint(client, auth, receiver.url)
    [delivery_id] = emit_test_event(ep["id"])
    instance.drain()
    assert client.get("/webhook-endpoints", headers=other_auth).json()["endpoints"] == []
    for method, path in [("GET", f"/webhook-endpoints/{ep['id']}"), ("PATCH", f"/webhook-endpoints/{ep['id']}"),
                         ("DELETE", f"/webhook-endpoints/{ep['id']}"),
                         ("POST", f"/webhook-endpoints/{ep['id']}/rotate-secret"),
                         ("POST", f"/webhook-endpoints/{ep['id']}/enable"),
                         ("GET", f"/webhook-endpoints/{ep['id']}/deliveries"),
                         ("GET", f"/webhook-deliveries/{delivery_id}"),
                         ("POST", f"/webhook-deliveries/{delivery_id}/retry")]:
        response = client.request(method, path, headers=other_auth, json={} if method == "PATCH" else None)
        assert response.status_code == 404, (method, path)
    assert client.get("/webhook-endpoints").status_code == 401


def test_delivery_listing_is_paginated_newest_first(client: TestClient, auth: dict[str, str], instance: Instance,
                                                    receiver: Receiver) -> None:
    ep = create_endpoint(client, auth, receiver.url)
    ids = [emit_test_event(ep["id"], {"n": n})[0] for n in range(5)]
    instance.drain()
    page = client.get(f"/webhook-endpoints/{ep['id']}/deliveries?limit=3", headers=auth).json()
    assert [d["id"] for d in page["deliveries"]] == ids[::-1][:3]
    assert page["nextKey"] == ids[2]
    rest = client.get(f"/webhook-endpoints/{ep['id']}/deliveries?limit=3&startingAfter={page['nextKey']}",
                      headers=auth).json()
    assert [d["id"] for d in rest["deliveries"]] == ids[::-1][3:] and rest["nextKey"] is None
    ok = client.get(f"/webhook-endpoints/{ep['id']}/deliveries?status=succeeded", headers=auth).json()
    assert len(ok["deliveries"]) == 5 and all(d["attempts"][0]["statusCode"] == 200 for d in ok["deliveries"])


def test_deleting_an_endpoint_cancels_its_unsent_deliveries(client: TestClient, auth: dict[str, str],
                                                            instance: Instance, receiver: Receiver) -> None:
    ep = create_endpoint(client, auth, receiver.url)
    [delivery_id] = emit_test_event(ep["id"])
    client.delete(f"/webhook-endpoints/{ep['id']}", headers=auth)
    instance.drain()
    assert receiver.requests == []
    [row] = deliveries()
    assert row.id == delivery_id and row.status == "cancelled" and row.last_error == "endpoint deleted"
    # the history stays readable by id; retrying it is refused
    assert client.get(f"/webhook-deliveries/{delivery_id}", headers=auth).json()["delivery"]["status"] == "cancelled"
    assert client.post(f"/webhook-deliveries/{delivery_id}/retry", headers=auth).status_code == 409
