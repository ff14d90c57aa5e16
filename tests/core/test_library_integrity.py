"""Library references cannot loosen the gate silently (issue 11, hole 5): a write with an unknown
key, a reference to nothing or an invalid value is a 400 naming the field; deleting what another
object still uses is a 409 naming who uses it; nothing falls back to permissive defaults."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

STRICT_RULE = {"name": "Two PDFs", "cardinality": {"min": 2, "max": 2},
               "accept": [{"fileType": "pdf", "check": {"type": "preflight", "profileId": "prof_pdfx4"},
                           "onFail": "reject"}]}


def created(client: TestClient, auth: dict[str, str], path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(path, headers=auth, json=body)
    assert response.status_code == 201, response.text
    return dict(next(iter(response.json().values())))


def refused(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.json()["error"] is True
    return str(response.json()["message"])


def test_deleting_a_rule_a_workflow_uses_is_refused_and_names_the_workflow(
        client: TestClient, auth: dict[str, str]) -> None:
    rule = created(client, auth, "/rules", STRICT_RULE)
    workflow = created(client, auth, "/workflows", {"name": "Booklets", "ruleId": rule["id"], "published": True})
    message = refused(client.delete(f"/rules/{rule['id']}", headers=auth), 409)
    assert rule["id"] in message and f"workflow {workflow['id']}" in message
    # The rule is still there and still what the workflow enforces.
    assert client.get(f"/rules/{rule['id']}", headers=auth).json()["rule"]["cardinality"] == {"min": 2, "max": 2}
    # Once nothing uses it, it can go.
    assert client.delete(f"/workflows/{workflow['id']}", headers=auth).status_code == 200
    assert client.delete(f"/rules/{rule['id']}", headers=auth).status_code == 200


def test_deleting_a_profile_or_preset_in_use_is_refused(client: TestClient, auth: dict[str, str]) -> None:
    profile = created(client, auth, "/profiles", {"name": "Cover", "kind": "pdf",
                                                  "checks": {"page_count": {"action": "reject", "min": 4}}})
    rule = created(client, auth, "/rules", {**STRICT_RULE, "accept": [
        {"fileType": "pdf", "check": {"type": "preflight", "profileId": profile["id"]}}]})
    preset = created(client, auth, "/optimize-presets", {"name": "Small", "params": {"pdf": {}}})
    workflow = created(client, auth, "/workflows", {"name": "Covers", "ruleId": "rule_default", "processing": {
        "pdf": [{"type": "optimize", "params": {"presetId": preset["id"]}}, {"type": "deliver"}]}})
    assert f"rule {rule['id']}" in refused(client.delete(f"/profiles/{profile['id']}", headers=auth), 409)
    message = refused(client.delete(f"/optimize-presets/{preset['id']}", headers=auth), 409)
    assert f"workflow {workflow['id']}" in message


def test_deleting_a_tenant_copy_of_a_builtin_falls_back_to_the_builtin(
        client: TestClient, auth: dict[str, str]) -> None:
    """Not a dangling reference: wf_default's rule_default is the built-in again, not nothing."""
    base = client.get("/rules/rule_default", headers=auth).json()["rule"]
    body = {k: v for k, v in base.items() if k != "source"}
    assert client.put("/rules/rule_default", headers=auth, json={**body, "title": "Ours"}).status_code == 200
    assert client.delete("/rules/rule_default", headers=auth).status_code == 200
    assert client.get("/rules/rule_default", headers=auth).json()["rule"]["source"] == "store"


@pytest.mark.parametrize(("path", "body", "where"), [
    ("/workflows", {"name": "W", "ruleId": "rule_nope"}, "ruleId: rule not found: rule_nope"),
    ("/workflows", {"name": "W", "trigger": "on_upload"}, "trigger:"),
    ("/workflows", {"name": "W", "sofProof": {"approvalRequired": True}}, "sofProof: unknown key"),
    ("/workflows", {"name": "W", "softProof": {"approvalRequried": True}}, "softProof.approvalRequried: unknown key"),
    ("/workflows", {"name": "W", "processing": {"pdf": [{"type": "optimize", "params": {"presetId": "opt_nope"}}]}},
     "processing.pdf.0.params.presetId: optimize preset not found: opt_nope"),
    ("/workflows", {"name": "W", "processing": {"pdf": [{"type": "autofixx"}]}}, "processing.pdf.0.type:"),
    ("/rules", {"name": "R", "accept": [{"fileType": "pdf", "check": {"profileId": "prof_nope"}}]},
     "accept.0.check.profileId: profile not found: prof_nope"),
    ("/rules", {"name": "R", "accept": [{"fileType": "pdf", "onFail": "ignore"}]}, "accept.0.onFail:"),
    ("/rules", {"name": "R", "accept": [{"fileType": "pdf", "onfail": "reject"}]}, "accept.0.onfail: unknown key"),
    ("/rules", {"name": "R", "cardinality": {"min": 3, "max": 1}}, "cardinality.min:"),
    ("/profiles", {"name": "P", "checks": {"page_count": {"action": "reject", "mni": 2}}},
     "checks.page_count.mni: unknown setting"),
    ("/profiles", {"name": "P", "pageRules": [{"pages": "1", "checks": {"bleed": {"required_mn": 5}}}]},
     "pageRules.0.checks.bleed.required_mn: unknown setting"),
    ("/optimize-presets", {"name": "O", "params": {"pfd": {}}}, "params.pfd: unknown key"),
    ("/connectors", {"name": "C", "bindings": [{"source": "pages", "control": "quantity"}]}, "bindings.0.source:"),
])
def test_bad_fields_and_dangling_references_are_400_with_their_path(
        client: TestClient, auth: dict[str, str], path: str, body: dict[str, Any], where: str) -> None:
    assert where in refused(client.post(path, headers=auth, json=body), 400)
    [listed] = client.get(path, headers=auth).json().values()
    assert all(item["name"] != body["name"] for item in listed), "a refused object was stored"


def test_an_update_cannot_point_a_workflow_at_nothing(client: TestClient, auth: dict[str, str]) -> None:
    workflow = created(client, auth, "/workflows", {"name": "Flyers", "ruleId": "rule_default"})
    message = refused(client.put(f"/workflows/{workflow['id']}", headers=auth,
                                 json={"name": "Flyers", "ruleId": "rule_gone"}), 400)
    assert message == "ruleId: rule not found: rule_gone"
    assert client.get(f"/workflows/{workflow['id']}", headers=auth).json()["workflow"]["ruleId"] == "rule_default"


def test_every_builtin_passes_its_own_validation(client: TestClient, auth: dict[str, str]) -> None:
    """Writing a built-in back (to shadow it) is accepted for every kind: the schemas describe them."""
    for path, many in (("/workflows", "workflows"), ("/rules", "rules"), ("/profiles", "profiles"),
                       ("/optimize-presets", "presets"), ("/connectors", "connectors")):
        for item in client.get(path, headers=auth).json()[many]:
            body = {k: v for k, v in item.items() if k != "source"}
            response = client.put(f"{path}/{item['id']}", headers=auth, json=body)
            assert response.status_code == 200, (path, item["id"], response.text)
