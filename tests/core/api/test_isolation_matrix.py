"""The isolation matrix: every operation of the OpenAPI (``app.openapi()``), called with another
account's keys and this account's ids, answers 403 or 404 and never this account's data.

Account A (acme) owns one of everything the API names by id: a checked job with a run, a widget job,
an upload, a custom workflow, rule, profile, optimize preset and connector, a webhook endpoint with
a delivery, and a store connection. Account B (globex) then calls every route with its secret key,
and its publishable key, filling every path parameter with A's ids. A new route is covered the day it
is added; one the matrix cannot fill fails the test until it is taught how."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Instance, b64, make_key

MARKER = "acme-private-7f3a"  # in A's job metadata and object names: must never reach B
METHODS = ("get", "post", "put", "patch", "delete")
# Routes whose callers are not API keys (a store's signed call, an inbound webhook): B's key is not
# what decides there, but they still must not answer with A's data or act on it.
NOT_KEY_AUTHENTICATED = {"/orders/{order_id}", "/orders/{id}", "/webhooks/{platform}",
                         "/webhooks/{platform}/{connection_id}", "/uploads/{upload_id}", "/woocommerce/callback",
                         "/shopify/session", "/health"}


def _owned(client: TestClient, a: dict[str, str], pk_a: str, pdf: Path, instance: Instance) -> dict[str, str]:
    """A's objects; returns path parameter name -> A's id (collection-specific ones keyed by path)."""
    job = client.post("/jobs", headers=a, json={"metaData": {"note": MARKER}, "sources": [
        {"file": b64(pdf), "name": f"{MARKER}.pdf", "steps": [{"type": "preflight"}]}]})
    assert job.status_code == 201, job.text
    job_id = job.json()["job"]["id"]
    instance.drain()
    runs = client.get(f"/jobs/{job_id}", params={"expand": "runs"}, headers=a).json()["runs"]
    ids: dict[str, str] = {"job": job_id, "run": runs[0]["id"], "task": client.get(
        f"/jobs/{job_id}", headers=a).json()["job"]["tasks"][0]["id"]}
    ids["upload"] = client.post("/uploads", headers=a, json={}).json()["fileRef"]
    for path, key in (("/workflows", "workflow"), ("/rules", "rule"), ("/profiles", "profile"),
                      ("/optimize-presets", "preset"), ("/connectors", "connector")):
        listed = client.get(path, headers=a).json()
        template = next(iter(v for v in listed.values() if isinstance(v, list)))[0]
        full = client.get(f"{path}/{template['id']}", headers=a).json()
        body = next(v for v in full.values() if isinstance(v, dict))
        body = {k: v for k, v in body.items() if k not in ("id", "source", "builtin", "createdAt", "updatedAt")}
        body["name"] = f"{MARKER} {key}"
        created = client.post(path, headers=a, json=body)
        assert created.status_code == 201, (path, created.text)
        ids[path] = next(v for v in created.json().values() if isinstance(v, dict))["id"]
    # A published workflow of A's, and a job the widget made on it.
    wf = client.get(f"/workflows/{ids['/workflows']}", headers=a).json()["workflow"]
    client.put(f"/workflows/{ids['/workflows']}", headers=a,
               json={**{k: v for k, v in wf.items() if k not in ("id", "source", "builtin", "createdAt", "updatedAt")},
                     "published": True})
    element = client.post("/element/jobs", headers={"Authorization": f"Bearer {pk_a}"},
                          json={"workflowId": ids["/workflows"]})
    assert element.status_code == 201, element.text
    ids["element_job"] = element.json()["jobId"]
    endpoint = client.post("/webhook-endpoints", headers=a, json={"url": "https://hooks.acme.example/in",
                                                                  "description": MARKER})
    assert endpoint.status_code == 201, endpoint.text
    ids["endpoint"] = endpoint.json()["endpoint"]["id"]
    deliveries = client.get(f"/webhook-endpoints/{ids['endpoint']}/deliveries", headers=a).json()
    listed = next((v for v in deliveries.values() if isinstance(v, list)), [])
    ids["delivery"] = listed[0]["id"] if listed else "whd_none"
    store = client.post("/store-modules/stores", headers=a,
                        json={"platform": "opencart", "storeUrl": "https://acme-private-7f3a.example/"})
    assert store.status_code in (200, 201), store.text
    ids["store"] = next(v for v in store.json().values() if isinstance(v, dict) and "id" in v)["id"] \
        if not store.json().get("id") else store.json()["id"]
    return ids


def _fill(path: str, ids: dict[str, str]) -> str:
    collection = "/" + path.split("/")[1]

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in ("job_id", "id", "jobId") and path.startswith("/element/"):
            return ids["element_job"]
        if name in ("job_id", "jobId") or (name == "id" and collection == "/jobs"):
            return ids["job"]
        if name in ("item_id", "id") and collection in ids:
            return ids[collection]
        table = {"run_id": ids["run"], "runId": ids["run"], "upload_id": ids["upload"], "file_id": ids["task"],
                 "endpoint_id": ids["endpoint"], "delivery_id": ids["delivery"], "store_id": ids["store"],
                 "connection_id": ids["store"], "order_id": ids["job"], "id": ids["job"], "platform": "opencart"}
        if name not in table:
            raise AssertionError(f"the isolation matrix cannot fill {{{name}}} in {path}: teach it")
        return table[name]

    return re.sub(r"\{([^}]+)\}", value, path)


def test_every_route_with_another_accounts_key_and_ids(client: TestClient, auth: dict[str, str],
                                                      instance: Instance, pdf_file: Path) -> None:
    pk_a = make_key("acme", kind="publishable")
    ids = _owned(client, auth, pk_a, pdf_file, instance)
    b_keys = {"sk": {"Authorization": f"Bearer {make_key('globex')}"},
              "pk": {"Authorization": f"Bearer {make_key('globex', kind='publishable')}"}}
    spec = client.app.openapi()  # type: ignore[attr-defined]
    a_values = {v for v in ids.values() if not v.startswith("whd_none")} | {MARKER}
    cases = 0
    for path, operations in spec["paths"].items():
        for method in METHODS:
            if method not in operations:
                continue
            url = _fill(path, ids)
            has_a_id = url != path or path.startswith("/element/jobs/")
            for kind, headers in b_keys.items():
                params = {"workflowId": ids["/workflows"]} if path == "/element/config" else None
                body: Any = {} if method in ("post", "put", "patch") else None
                response = client.request(method.upper(), url, headers=headers, json=body, params=params)
                cases += 1
                sent = url + " " + " ".join((params or {}).values())  # echoing the caller's own words is no leak
                leaked = [v for v in a_values if v in response.text and v not in sent]
                assert not leaked, (method, path, kind, response.status_code, leaked)
                assert response.status_code < 500 or path == "/health", (method, path, kind, response.text[:300])
                if has_a_id and path not in NOT_KEY_AUTHENTICATED:
                    assert response.status_code in (400, 403, 404), (method, path, kind, response.status_code,
                                                                     response.text[:300])
                    # A 400 names the body, never A's object: the same call on an id nobody has is also a 400.
                    if response.status_code == 400:
                        ghost = client.request(method.upper(), re.sub(r"(job|we|whd|upload|run|task|wf|rule|prof|"
                                                                      r"preset|conn|store)_[A-Za-z0-9]+",
                                                                      r"\1_doesnotexist", url),
                                               headers=headers, json=body, params=params)
                        assert ghost.status_code == 400 or ghost.status_code == 404, (method, path, kind)
                elif not has_a_id and response.status_code < 300 and method == "get":
                    assert MARKER not in response.text, (path, kind)
    assert cases > 100
    # B changed nothing of A's: every object still reads back for A.
    for path in ("/workflows", "/rules", "/profiles", "/optimize-presets", "/connectors"):
        assert client.get(f"{path}/{ids[path]}", headers=auth).status_code == 200, path
    job = client.get(f"/jobs/{ids['job']}", headers=auth)
    assert job.status_code == 200 and MARKER in job.text
    assert client.get(f"/webhook-endpoints/{ids['endpoint']}", headers=auth).status_code == 200
