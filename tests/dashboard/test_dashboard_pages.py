"""The dashboard's remaining pages through their HTTP surface: Home, New Job (presigned upload and
the no-script form), Library and Workflows, Settings (keys, webhook endpoints with a real delivery,
users); roles, tenancy and CSRF on each."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from printgate.core.db import get_engine
from printgate.core.ids import new_id
from printgate.core.models import Step
from tests.conftest import Instance, make_clean_pdf
from tests.dashboard.conftest import csrf_of, insert_jobs, make_user, sign_in
from tests.sdk_contract import gate_profile
from tests.webhooks.conftest import Receiver, receiver  # noqa: F401  (the fixture)


def _error_of(html: str, field: str) -> str:
    found = re.search(rf'id="err-{re.escape(field.replace(".", "-"))}">([^<]*)<', html)
    assert found, f"no error next to {field}"
    return found.group(1)


def test_home_counts_and_charts_the_accounts_jobs_per_day_by_result(client: TestClient, instance: Instance) -> None:
    make_user()
    ready = insert_jobs("acme", 3)
    insert_jobs("acme", 2, status="review", later_s=10)
    insert_jobs("acme", 1, status="rejected", later_s=20)
    insert_jobs("globex", 5, status="review")
    with Session(get_engine()) as session:  # one of the ready jobs had a file changed by autofix
        session.add(Step(id=new_id("step"), job_id=ready[0], task_id=_task_of(session, ready[0]),
                         type="autofix", status="done", outcome="fixed", position=0))
        session.commit()
    sign_in(client)
    home = client.get("/dashboard/")
    assert home.status_code == 200 and 'aria-current="page">Home' in home.text
    assert re.search(r'<span class="stat">2</span> waiting for review', home.text)  # globex's 5 are not ours
    assert re.search(r'<span class="stat">6</span> jobs in 7 days', home.text)
    # The chart is SVG drawn on the server, one stacked bar segment per (day, result), titled in words.
    assert "<svg" in home.text and 'role="img"' in home.text
    bars = re.findall(r"<title>(\d{4}-\d\d-\d\d): (\d+) ([\w -]+)</title>", home.text)
    assert sorted((int(n), label) for _, n, label in bars) == [
        (1, "Auto-fixed"), (1, "Rejected"), (2, "Clean"), (2, "Waiting for review")]
    assert "<script" not in home.text.split("</head>")[1]


def _task_of(session: Session, job_id: str) -> str:
    from sqlmodel import select

    from printgate.core.models import Task

    return session.exec(select(Task.id).where(Task.job_id == job_id)).one()


def test_staff_cannot_open_or_post_library_settings_keys_or_new_jobs(client: TestClient, instance: Instance) -> None:
    make_user()
    make_user(email="staff@acme.test", role="staff")
    sign_in(client, email="staff@acme.test")
    jobs = client.get("/dashboard/jobs").text
    token = csrf_of(jobs)
    for link in ("/dashboard/library", "/dashboard/settings", "/dashboard/new", "/dashboard/users"):
        assert f'href="{link}"' not in jobs, link
    for path in ("/dashboard/library", "/dashboard/library/profiles/new", "/dashboard/library/profiles/prof_print_ready",
                 "/dashboard/settings", "/dashboard/new", "/dashboard/settings/webhooks/we_x"):
        assert client.get(path).status_code == 403, path
    [job_id] = insert_jobs("acme", 1)
    assert f"/dashboard/jobs/{job_id}/delete" not in client.get(f"/dashboard/jobs/{job_id}").text
    for path, data in ((f"/dashboard/jobs/{job_id}/delete", {}), (f"/dashboard/jobs/{job_id}/rerun", {}),
                       ("/dashboard/library/profiles/new", {"name": "x", "kind": "pdf"}),
                       ("/dashboard/settings/keys", {"kind": "secret", "mode": "live", "dialect": "lifecycle"}),
                       ("/dashboard/settings/webhooks", {"url": "https://example.test/hook"}),
                       ("/dashboard/users", {"email": "x@acme.test", "role": "owner", "password": "long enough pw"}),
                       ("/dashboard/new", {"action": "preflight"})):
        refused = client.post(path, data={"csrf_token": token, **data}, follow_redirects=False)
        assert refused.status_code == 403 and "Only an owner" in refused.text, path
    assert client.post("/dashboard/new/upload", headers={"X-CSRF-Token": token}).status_code == 403
    assert client.get("/dashboard/").status_code == 200 and client.get("/dashboard/review").status_code == 200


def _post_form(client: TestClient, path: str, data: dict[str, Any], page: str = "/dashboard/library"):  # type: ignore[no-untyped-def]
    return client.post(path, data={"csrf_token": csrf_of(client.get(page).text), **data}, follow_redirects=False)


def test_library_forms_save_through_the_librarys_own_checks(client: TestClient, auth: dict[str, str],
                                                            instance: Instance) -> None:
    make_user()
    sign_in(client)
    library = client.get("/dashboard/library").text
    for section in ("Workflows", "Upload rules", "Preflight profiles", "Optimize presets", "Connectors"):
        assert f">{section}</h2>" in library
    # Every check of the catalog is on the profile form, with its action and its targets.
    checks = client.get("/checks", headers=auth).json()
    catalog = checks["checks"] if isinstance(checks, dict) else checks
    form = client.get("/dashboard/library/profiles/new").text
    for check in catalog:
        if check["kind"] == "pdf":
            assert f'name="check.{check["id"]}.action"' in form, check["id"]
            for setting in check.get("schema") or {}:
                assert f'name="check.{check["id"]}.{setting}"' in form
    # A setting that is not a number: refused next to its check; nothing saved.
    bad = _post_form(client, "/dashboard/library/profiles/new", {
        "name": "Gate", "kind": "pdf", "enabled": "on", "check.bleed.action": "reject",
        "check.bleed.required_mm": "three"})
    assert bad.status_code == 400 and "checks.bleed.required_mm: must be a number" in _error_of(bad.text, "check.bleed")
    made = _post_form(client, "/dashboard/library/profiles/new", {
        "name": "Gate", "kind": "pdf", "enabled": "on", "check.bleed.action": "reject", "check.bleed.required_mm": "5",
        "check.trimbox.action": "off"})
    assert made.status_code == 303, made.text
    profile_id = made.headers["location"].split("/")[-1].split("?")[0]
    saved = client.get(f"/profiles/{profile_id}", headers=auth).json()["profile"]  # as the API sees it
    assert saved["checks"]["bleed"] == {"action": "reject", "required_mm": 5}
    assert saved["checks"]["trimbox"] == {"action": "off"} and "page_count" not in saved["checks"]
    edit = client.get(f"/dashboard/library/profiles/{profile_id}").text
    assert 'value="5"' in edit and "Delete" in edit
    # The library's own 400s, next to their fields: an unknown key, a missing rule, bad JSON.
    unknown = _post_form(client, f"/dashboard/library/profiles/{profile_id}",
                         {"name": "Gate", "kind": "pdf", "extra": '{"colour": 1}'})
    assert unknown.status_code == 400 and "colour: unknown key" in _error_of(unknown.text, "extra")
    no_rule = _post_form(client, "/dashboard/library/workflows/new", {
        "name": "W", "ruleId": "rule_nope", "trigger": "order_placed", "merge": "separate"})
    assert no_rule.status_code == 400 and _error_of(no_rule.text, "ruleId") == "ruleId: rule not found: rule_nope"
    not_json = _post_form(client, "/dashboard/library/rules/new", {"name": "R", "accept": "[{"})
    assert not_json.status_code == 400 and "accept: not valid JSON" in _error_of(not_json.text, "accept")
    # A rule that uses the profile; the profile cannot be deleted from under it (the library's 409).
    rule = _post_form(client, "/dashboard/library/rules/new", {"name": "R", "card_min": "1", "card_max": "2",
        "accept": f'[{{"fileType": "pdf", "check": {{"type": "preflight", "profileId": "{profile_id}"}}, '
                  '"onFail": "manual_review"}]'})
    assert rule.status_code == 303, rule.text
    rule_id = rule.headers["location"].split("/")[-1].split("?")[0]
    assert client.get(f"/rules/{rule_id}", headers=auth).json()["rule"]["cardinality"] == {"min": 1, "max": 2}
    in_use = _post_form(client, f"/dashboard/library/profiles/{profile_id}/delete", {})
    assert in_use.status_code == 409 and f"in use by rule {rule_id}" in _error_of(in_use.text, "form")
    workflow = _post_form(client, "/dashboard/library/workflows/new", {
        "name": "Flyers", "enabled": "on", "ruleId": rule_id, "trigger": "uploads_accepted", "merge": "separate",
        "published": "on", "soft_enabled": "on", "processing": '{"pdf": [{"type": "deliver"}]}'})
    assert workflow.status_code == 303, workflow.text
    wf = client.get("/workflows/" + workflow.headers["location"].split("/")[-1].split("?")[0], headers=auth).json()
    wf = wf.get("workflow", wf)
    assert (wf["ruleId"], wf["trigger"], wf["published"], wf["processing"]) == (
        rule_id, "uploads_accepted", True, {"pdf": [{"type": "deliver"}]})
    assert wf["softProof"] == {"enabled": True, "approvalRequired": False}
    # Built-ins are read-only (403 on a write) but clonable, the clone filled from them.
    assert _post_form(client, "/dashboard/library/profiles/prof_print_ready", {"name": "x"}).status_code == 403
    assert _post_form(client, "/dashboard/library/profiles/prof_print_ready/delete", {}).status_code == 403
    clone = client.get("/dashboard/library/profiles/new?clone=prof_business_card").text
    assert 'value="Copy of Business Card' in clone and 'name="check.page_count.max" type="text" value="2"' in clone
    # Another account's object is a 404.
    other = client.post("/profiles", headers={"Authorization": f"Bearer {_key('globex')}"},
                        json={"name": "theirs", "kind": "pdf", "checks": {}}).json()["profile"]["id"]
    assert client.get(f"/dashboard/library/profiles/{other}").status_code == 404
    assert _post_form(client, f"/dashboard/library/profiles/{other}/delete", {}).status_code == 404


def _key(account: str) -> str:
    from tests.conftest import make_key

    return make_key(account)


def _kind_of(job_id: str) -> str:
    from printgate.core.models import Job

    with Session(get_engine()) as session:
        return session.get(Job, job_id).kind  # type: ignore[union-attr]


def _upload(client: TestClient, token: str, path: Path) -> str:
    answer = client.post("/dashboard/new/upload", headers={"X-CSRF-Token": token, "X-File-Size": str(path.stat().st_size),
                                                            "X-File-Type": "application/pdf"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["upload"]["url"].startswith("/uploads/")  # same origin as the page
    sent = client.post(body["upload"]["url"], data=body["upload"]["fields"],
                       files={"file": (path.name, path.read_bytes(), "application/pdf")})
    assert sent.status_code == 204, sent.text
    return str(body["fileRef"])


def test_new_job_uploads_presigned_and_submits_as_the_api_does(client: TestClient, auth: dict[str, str],
                                                               instance: Instance, tmp_path: Path) -> None:
    make_user()
    profile = gate_profile(client, auth)
    sign_in(client)
    page = client.get("/dashboard/new").text
    token = csrf_of(page)
    assert 'name="flavour"' in page and 'name="presetId"' in page and f'value="{profile}"' in page
    # Without the token in its header, no upload.
    assert client.post("/dashboard/new/upload").status_code == 403
    defective = make_clean_pdf(tmp_path / "no-bleed.pdf", bleed_mm=0)
    ref = _upload(client, token, defective)
    made = client.post("/dashboard/new", data={"csrf_token": token, "action": "preflight", "profileId": profile,
                                              "fileRef": ref}, follow_redirects=False)
    assert made.status_code == 303 and made.headers["location"].startswith("/dashboard/jobs/job_")
    job_id = made.headers["location"].rsplit("/", 1)[1]
    instance.drain()
    job = client.get(f"/jobs/{job_id}?expand=runs", headers=auth).json()
    assert job["status"] == "rejected" and job["runs"][0]["proofs"], job
    shaped = client.get(f"/jobs/{job_id}", headers=auth).json()["job"]
    assert shaped["channel"] == "dashboard" and _kind_of(job_id) == "preflight"
    assert [s["type"] for s in shaped["tasks"][0]["steps"]] == ["preflight", "proof"]
    assert shaped["tasks"][0]["name"] == "no-bleed.pdf"
    view = client.get(f"/dashboard/jobs/{job_id}").text
    assert "<code>bleed</code>" in view and "Proof, page 1" in view
    # Run again: a new job on the stored original with the same steps; then delete the first one.
    again = client.post(f"/dashboard/jobs/{job_id}/rerun", data={"csrf_token": token}, follow_redirects=False)
    assert again.status_code == 303 and job_id not in again.headers["location"]
    instance.drain()
    rerun = client.get(f"/jobs/{again.headers['location'].rsplit('/', 1)[1]}", headers=auth).json()["job"]
    assert [s["type"] for s in rerun["tasks"][0]["steps"]] == ["preflight", "proof"]
    assert (rerun["status"], rerun["tasks"][0]["name"]) == ("rejected", "no-bleed.pdf")
    gone = client.post(f"/dashboard/jobs/{job_id}/delete", data={"csrf_token": token}, follow_redirects=False)
    assert gone.status_code == 303 and client.get(f"/jobs/{job_id}", headers=auth).status_code == 404
    assert client.get(f"/dashboard/jobs/{job_id}").status_code == 404
    # Validate: the API's steps (a flavour), and never a pass when it cannot run.
    ref = _upload(client, token, defective)
    made = client.post("/dashboard/new", data={"csrf_token": token, "action": "validate", "flavour": "2b",
                                              "fileRef": ref}, follow_redirects=False)
    assert made.status_code == 303
    instance.drain()
    validated = client.get(f"/jobs/{made.headers['location'].rsplit('/', 1)[1]}", headers=auth).json()["job"]
    step = validated["tasks"][0]["steps"][0]
    assert step["type"] == "validate" and _kind_of(validated["id"]) == "validate"
    assert step["params"] == {"profile": ["2b"]} or step.get("params") is None
    assert validated["status"] == "rejected" and validated["canProceed"] is False  # 2b it is not
    assert step["outcome"] != "pass" and (step["status"] == "done" or step["reason"])
    # Without script the form posts the file itself.
    plain = client.post("/dashboard/new", data={"csrf_token": token, "action": "fix", "profileId": "prof_print_ready"},
                        files={"file": ("flyer.pdf", defective.read_bytes(), "application/pdf")}, follow_redirects=False)
    assert plain.status_code == 303, plain.text
    instance.drain()
    fixed = client.get(f"/jobs/{plain.headers['location'].rsplit('/', 1)[1]}", headers=auth).json()["job"]
    assert [s["type"] for s in fixed["tasks"][0]["steps"]] == ["preflight", "autofix", "repreflight", "deliver"]
    # Refusals: no file, a preset that does not exist, another account's upload, no CSRF token.
    none = client.post("/dashboard/new", data={"csrf_token": token, "action": "preflight"})
    assert none.status_code == 400 and "Choose a file" in _error_of(none.text, "file")
    ref = _upload(client, token, defective)
    no_preset = client.post("/dashboard/new", data={"csrf_token": token, "action": "optimize", "presetId": "opt_nope",
                                                   "fileRef": ref})
    assert no_preset.status_code == 400 and "opt_nope" in _error_of(no_preset.text, "presetId")
    theirs = client.post("/uploads", headers={"Authorization": f"Bearer {_key('globex')}"}, json={}).json()["fileRef"]
    assert client.post("/dashboard/new", data={"csrf_token": token, "action": "preflight",
                                              "fileRef": theirs}).status_code == 404
    assert client.post("/dashboard/new", data={"action": "preflight", "fileRef": ref}).status_code == 403


def test_settings_keys_webhooks_and_users(client: TestClient, instance: Instance, receiver: Receiver) -> None:  # noqa: F811
    make_user()
    sign_in(client)
    settings = client.get("/dashboard/settings").text
    token = csrf_of(settings)
    assert "Shopify" in settings and "WooCommerce" in settings and "OpenCart" in settings and "PrestaShop" in settings
    # A key: shown once, works against the API, revoked from here.
    made = client.post("/dashboard/settings/keys", data={"csrf_token": token, "name": "shop", "kind": "secret",
                                                         "mode": "live", "dialect": "filecheck"})
    assert made.status_code == 201
    key = re.search(r'value="(sk_live_[^"]+)"', made.text).group(1)  # type: ignore[union-attr]
    assert key not in client.get("/dashboard/settings").text  # only on the answer to the form
    assert client.get("/jobs", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    key_id = re.search(r"(key_[0-9a-z]+)/revoke", made.text).group(1)  # type: ignore[union-attr]
    assert client.post(f"/dashboard/settings/keys/{key_id}/revoke", data={"csrf_token": token},
                       follow_redirects=False).status_code == 303
    assert client.get("/jobs", headers={"Authorization": f"Bearer {key}"}).status_code == 401  # same process: at once
    # A webhook endpoint, its signing secret shown, a test event really delivered and in the log.
    bad = client.post("/dashboard/settings/webhooks", data={"csrf_token": token, "url": "ftp://nope"})
    assert bad.status_code == 400 and "url: must be an absolute http(s) URL" in _error_of(bad.text, "hook_url")
    hook = client.post("/dashboard/settings/webhooks", data={"csrf_token": token, "url": receiver.url,
                                                             "events": ["job.completed"]})
    assert hook.status_code == 201 and "whsec_" in hook.text
    endpoint_id = re.search(r"(we_[0-9a-z]+)/test", hook.text).group(1)  # type: ignore[union-attr]
    sent = client.post(f"/dashboard/settings/webhooks/{endpoint_id}/test", data={"csrf_token": token},
                       follow_redirects=False)
    assert sent.status_code == 303
    instance.drain()
    [body] = receiver.bodies("webhook.test")
    assert body["data"]["sentBy"] == "user:owner@acme.test" and body["data"]["endpointId"] == endpoint_id
    assert "webhook-signature" in receiver.requests[0].headers
    log = client.get(f"/dashboard/settings/webhooks/{endpoint_id}").text
    assert "webhook.test" in log and "succeeded" in log and ">200<" in log
    # Users: an owner adds a staff user, who signs in; disabled, they cannot.
    added = client.post("/dashboard/users", data={"csrf_token": token, "email": "sam@acme.test", "role": "staff",
                                                  "password": "another long password"})
    assert added.status_code == 201 and "Created staff sam@acme.test" in added.text
    short = client.post("/dashboard/users", data={"csrf_token": token, "email": "kim@acme.test", "role": "staff",
                                                  "password": "short"})
    assert short.status_code == 400 and "at least 8" in _error_of(short.text, "password")
    user_id = re.search(r"(user_[0-9a-z]+)/disable", added.text).group(1)  # type: ignore[union-attr]
    assert client.post(f"/dashboard/users/{user_id}/disable", data={"csrf_token": token},
                       follow_redirects=False).status_code == 303
    with TestClient(client.app) as other:
        assert sign_in(other, email="sam@acme.test", password="another long password").status_code == 401
    # Another account's key, endpoint and user are 404s; a form without the token is a 403.
    with TestClient(client.app) as globex:
        make_user(account="globex", email="owner@globex.test")
        sign_in(globex, email="owner@globex.test")
        their_token = csrf_of(globex.get("/dashboard/settings").text)
        assert globex.get(f"/dashboard/settings/webhooks/{endpoint_id}").status_code == 404
        assert globex.post(f"/dashboard/settings/webhooks/{endpoint_id}/test",
                           data={"csrf_token": their_token}).status_code == 404
        assert globex.post(f"/dashboard/settings/keys/{key_id}/revoke", data={"csrf_token": their_token}).status_code == 404
        assert globex.post(f"/dashboard/users/{user_id}/enable", data={"csrf_token": their_token}).status_code == 404
    assert client.post("/dashboard/settings/keys", data={"kind": "secret", "mode": "live",
                                                         "dialect": "lifecycle"}).status_code == 403


class _Fields(HTMLParser):
    """What a browser would post for a page's form: each named field's current value."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self._select: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        name = a.get("name")
        if tag == "input" and name and a.get("type") != "checkbox":
            self.fields.append((name, a.get("value", "")))
        elif tag == "input" and name and "checked" in a:
            self.fields.append((name, a.get("value") or "on"))
        elif tag == "textarea" and name:
            self.fields.append((name, ""))
        elif tag == "select" and name:
            self._select = [name, ""]
            self._first = True
        elif tag == "option" and self._select is not None and (self._first or "selected" in a):
            self._select[1], self._first = a.get("value", ""), False

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select is not None:
            self.fields.append((self._select[0], self._select[1]))
            self._select = None


def _as_posted(html: str) -> dict[str, list[str]]:
    parser = _Fields()
    parser.feed(html.split('class="card editor"', 1)[1].split("</form>", 1)[0])
    out: dict[str, list[str]] = {}
    for name, value in parser.fields:
        out.setdefault(name, []).append(value)
    return out


def _effective(check: dict[str, Any], setting: Any) -> tuple[str, dict[str, Any]]:
    own = setting if isinstance(setting, dict) else {}
    values = {name: own.get(name, schema.get("default")) for name, schema in (check.get("schema") or {}).items()}
    return own.get("action") or check["defaultAction"], {
        k: sorted(map(str, v)) if isinstance(v, list) else v for k, v in values.items()}


def test_every_built_in_profile_cloned_through_the_form_enforces_the_same(
        client: TestClient, auth: dict[str, str], instance: Instance) -> None:
    """The form shows every check's action and targets and posts them back: a clone saved as it
    comes is the same profile (the library stores only what differs from the check's defaults)."""
    make_user()
    sign_in(client)
    listed = client.get("/checks", headers=auth).json()
    catalog = {c["id"]: c for c in (listed["checks"] if isinstance(listed, dict) else listed)}
    for builtin in client.get("/profiles", headers=auth).json()["profiles"]:
        if builtin.get("source") != "store":
            continue
        form = _as_posted(client.get(f"/dashboard/library/profiles/new?clone={builtin['id']}").text)
        form["csrf_token"] = [csrf_of(client.get("/dashboard/library").text)]
        saved = client.post("/dashboard/library/profiles/new", data=form, follow_redirects=False)
        assert saved.status_code == 303, (builtin["id"], saved.text[-2000:])
        clone = client.get("/profiles/" + saved.headers["location"].split("/")[-1].split("?")[0], headers=auth).json()
        clone = clone.get("profile", clone)
        assert clone["name"] == f"Copy of {builtin['name']}" and clone["kind"] == builtin["kind"]
        for check_id, check in catalog.items():
            if check["kind"] != builtin["kind"]:
                continue
            assert _effective(check, clone["checks"].get(check_id)) == _effective(check, builtin["checks"].get(check_id)), \
                (builtin["id"], check_id)
