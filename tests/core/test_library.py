"""Library objects: built-ins with stable ids, tenant objects that shadow them, write endpoints."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_builtins_are_listed_with_stable_ids(client: TestClient, auth: dict[str, str]) -> None:
    workflows = client.get("/workflows", headers=auth).json()["workflows"]
    assert {"wf_default", "wf_business_cards"} <= {w["id"] for w in workflows}
    assert all(w["source"] == "store" for w in workflows)
    assert client.get("/workflows/", headers=auth).status_code == 200
    profiles = {p["id"]: p for p in client.get("/profiles", headers=auth).json()["profiles"]}
    assert {"prof_print_ready", "prof_pdfx4", "prof_photo_raster"} <= set(profiles)
    assert profiles["prof_photo_raster"]["kind"] == "raster"
    presets = client.get("/optimize-presets", headers=auth).json()
    assert {"opt_print", "opt_screen"} <= {p["id"] for p in presets["presets"]}
    assert client.get("/optimize-presets/opt_print", headers=auth).json()["preset"]["id"] == "opt_print"
    assert client.get("/rules/rule_default", headers=auth).json()["rule"]["cardinality"] == {"min": 1, "max": 1}
    assert client.get("/connectors", headers=auth).status_code == 200


def test_unknown_ids_are_404(client: TestClient, auth: dict[str, str]) -> None:
    for path in ("/workflows/wf_nope", "/rules/rule_nope", "/profiles/prof_nope", "/optimize-presets/opt_nope",
                 "/connectors/conn_nope"):
        response = client.get(path, headers=auth)
        assert response.status_code == 404, path
        assert response.json()["error"] is True


def test_tenant_profile_shadows_builtin_and_is_isolated(client: TestClient, auth: dict[str, str],
                                                        other_auth: dict[str, str]) -> None:
    base = client.get("/profiles/prof_print_ready", headers=auth).json()["profile"]
    body = {**base, "name": "Our print-ready"}
    body.pop("source")
    replaced = client.put("/profiles/prof_print_ready", headers=auth, json=body)
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["profile"]["source"] == "domain"
    mine = client.get("/profiles/prof_print_ready", headers=auth).json()["profile"]
    assert mine["name"] == "Our print-ready" and mine["source"] == "domain"
    theirs = client.get("/profiles/prof_print_ready", headers=other_auth).json()["profile"]
    assert theirs["source"] == "store"
    listed = [p for p in client.get("/profiles", headers=auth).json()["profiles"] if p["id"] == "prof_print_ready"]
    assert len(listed) == 1 and listed[0]["source"] == "domain"


def test_create_and_delete_a_workflow(client: TestClient, auth: dict[str, str]) -> None:
    created = client.post("/workflows", headers=auth, json={"name": "Posters", "ruleId": "rule_default",
                                                            "trigger": "manual", "published": True})
    assert created.status_code == 201
    wf = created.json()["workflow"]
    assert wf["id"].startswith("wf_") and wf["trigger"] == "manual"
    assert client.delete(f"/workflows/{wf['id']}", headers=auth).status_code == 200
    assert client.get(f"/workflows/{wf['id']}", headers=auth).status_code == 404


def test_invalid_profile_is_400(client: TestClient, auth: dict[str, str]) -> None:
    response = client.post("/profiles", headers=auth, json={"name": "x", "kind": "pdf",
                                                            "checks": {"no_such_check": {"action": "warn"}}})
    assert response.status_code == 400
    assert "no_such_check" in response.json()["message"]
    assert client.post("/profiles", headers=auth, json={"name": "x", "kind": "svg"}).status_code == 400
    assert client.post("/profiles", headers=auth, json=["not", "an", "object"]).status_code == 400


def test_profile_drives_preflight(client: TestClient, auth: dict[str, str], instance, pdf_file) -> None:  # type: ignore[no-untyped-def]
    """A profile that demands 2 pages rejects a 1-page file; with the check off, it passes that check."""
    from tests.conftest import b64

    checks = {c["id"]: c for c in client.get("/checks", headers=auth).json()["checks"]}
    assert "page_count" in checks
    strict = client.post("/profiles", headers=auth, json={
        "name": "two pages", "kind": "pdf", "checks": {"page_count": {"action": "reject", "min": 2, "max": 2}},
    }).json()["profile"]
    job = client.post("/jobs/preflight", headers=auth, json={
        "sources": [{"file": b64(pdf_file), "profileId": strict["id"]}]}).json()["job"]
    instance.drain()
    body = client.get(f"/jobs/{job['id']}", headers=auth).json()["job"]
    findings = body["results"]["preflight"][0]["report"]["evaluation"]["findings"]
    assert any(f["checkId"] == "page_count" and f["severity"] == "reject" for f in findings)
    assert body["status"] == "rejected"


def test_every_library_object_has_a_title_for_filecheck_plugins(client: TestClient, auth: dict[str, str]) -> None:
    """Filecheck's WordPress and OpenCart plugins fill their workflow dropdowns from ``title``."""
    for path, many in (("/workflows", "workflows"), ("/rules", "rules"), ("/profiles", "profiles"),
                       ("/optimize-presets", "presets"), ("/connectors", "connectors")):
        listed = client.get(path, headers=auth)
        assert listed.status_code == 200, listed.text
        items = listed.json()[many]
        assert items, path
        for item in items:
            assert isinstance(item["title"], str) and item["title"], (path, item["id"])
            assert isinstance(item["name"], str) and item["name"], (path, item["id"])
    default = client.get("/workflows/wf_default", headers=auth).json()["workflow"]
    assert default["title"] == default["name"] == "Print-ready PDF"
    rule = client.get("/rules/rule_default", headers=auth).json()["rule"]
    assert rule["title"] == "Upload your artwork" and rule["name"] == "One print-ready PDF"  # its own title

    # Read, changed and written back as it came (title included): accepted, the new title kept.
    copy = {k: v for k, v in default.items() if k not in ("id", "source")}
    created = client.post("/workflows", headers=auth, json={**copy, "name": "Flyers", "title": "Flyers (A4)"})
    assert created.status_code == 201, created.text
    assert created.json()["workflow"]["title"] == "Flyers (A4)"
    plain = client.post("/workflows", headers=auth, json={**{k: v for k, v in copy.items() if k != "title"},
                                                          "name": "Posters"})
    assert plain.status_code == 201 and plain.json()["workflow"]["title"] == "Posters"
