"""The upload widget end to end: real Chromium, real ``printgate serve``, real preflight."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Server
from tests.widget.conftest import (
    annotated_pdf,
    api,
    business_card_pdf,
    clean_pdf,
    drop_file,
    events,
    last_status,
    not_a_pdf,
    open_demo,
    photo,
    wait_job,
    wait_terminal,
)

pytestmark = pytest.mark.e2e

CART = "button.add"
FIELD = "input[name=printgate_job_id]"


def field_value(page: Any) -> str:
    return page.eval_on_selector(FIELD, "e => e.value")


def test_clean_pdf_unlocks_cart_fills_field_and_resumes_after_reload(
        page: Any, widget_server: Server, pk: str, tmp_path: Path) -> None:
    open_demo(page, widget_server, pk)
    assert page.is_disabled(CART), "the cart button must be gated before any upload"
    first = events(page, "status")[0]["detail"]
    assert first["status"] == "idle" and first["canProceed"] is False and first["jobId"] is None
    assert events(page, "ready")[0]["detail"]["ui"]["title"] == "Upload your artwork"

    drop_file(page, clean_pdf(tmp_path / "flyer.pdf"))
    status = wait_terminal(page)

    seen = [e["detail"]["status"] for e in events(page, "status")]
    assert "uploading" in seen and "processing" in seen, seen
    assert status["canProceed"] is True, status
    assert status["status"] in ("ready", "partial")
    job_id = status["jobId"]
    assert job_id.startswith("job_")
    assert not page.is_disabled(CART)
    assert field_value(page) == job_id
    change = events(page, "change")[0]["detail"]
    assert change["action"] == "add" and change["name"] == "flyer.pdf"
    # The browser's verdict is the server's verdict.
    held = page.evaluate("element.jobToken()")  # the token the widget holds for its job
    server_view = api(widget_server, pk, "GET", f"/element/jobs/{job_id}", token=held).json()
    assert server_view["canProceed"] is True and server_view["files"][0]["name"] == "flyer.pdf"
    assert server_view["files"][0]["outcome"] in ("pass", "warn")
    # The file row shows its thumbnail, rendered at intake.
    thumb = page.locator(".pg-file img.pg-thumb")
    assert thumb.get_attribute("alt") == "Preview of flyer.pdf"
    assert page.evaluate("() => document.querySelector('.printgate-element').shadowRoot"
                         ".querySelector('img.pg-thumb').naturalWidth") > 0
    live = page.locator(".pg-status")
    assert live.get_attribute("aria-live") == "polite"
    assert "can" in live.inner_text()

    # Reload: the job is remembered for this product and resumed, not restarted.
    page.reload()
    page.wait_for_selector(".pg-file")
    page.wait_for_function("window.__events.some(e => e.type === 'status' && e.detail.canProceed)")
    assert last_status(page)["jobId"] == job_id
    assert not page.is_disabled(CART)
    assert field_value(page) == job_id
    assert page.locator(".pg-file-name").inner_text() == "flyer.pdf"

    # Adding to cart forgets the remembered job: the next visit starts fresh.
    page.click(CART)
    assert job_id in page.locator("#added").inner_text()
    page.reload()
    page.wait_for_selector(".pg-zone")
    page.wait_for_function("window.__events.some(e => e.type === 'status')")
    assert last_status(page)["jobId"] is None
    assert page.is_disabled(CART)


def test_defective_pdf_shows_findings_and_keeps_cart_locked(
        page: Any, widget_server: Server, pk: str, tmp_path: Path) -> None:
    open_demo(page, widget_server, pk)
    page.set_input_files(".pg-zone input[type=file]", str(annotated_pdf(tmp_path / "commented.pdf")))
    status = wait_terminal(page)

    assert status["status"] == "rejected" and status["canProceed"] is False
    assert page.is_disabled(CART)
    assert field_value(page) == ""
    finding = page.locator(".pg-finding.pg-sev-reject").first
    assert "annotations" in finding.locator(".pg-issue").inner_text()
    assert "Remove all annotations" in finding.locator(".pg-fix").inner_text()
    assert finding.locator(".pg-sev").inner_text() == "Problem"
    assert page.locator(".pg-badge-fail").inner_text() == "Not print-ready"
    assert "cannot be printed" in page.locator(".pg-status").inner_text()
    # The clicks the guard swallows do not add anything to the cart.
    # A theme script re-enabling the button, then a click: the widget's guard still blocks it.
    page.eval_on_selector(CART, "b => { b.disabled = false; b.click(); }")
    assert page.locator("#added").inner_text() == ""

    # Replacing it with a text file renamed .pdf: refused with a reason the customer can act on.
    page.set_input_files(".pg-zone input[type=file]", str(not_a_pdf(tmp_path / "notes.pdf")))
    page.wait_for_function(
        "window.__events.filter(e => e.type === 'status').slice(-1)[0].detail.files.some(f => f.name === 'notes.pdf')"
        " && window.__events.filter(e => e.type === 'status').slice(-1)[0].detail.terminal")
    status = last_status(page)
    assert [f["name"] for f in status["files"]] == ["notes.pdf"], "max 1 file: the new file replaces the old"
    assert status["status"] == "rejected"
    assert "not a PDF or image file" in page.locator(".pg-file-error").inner_text()
    assert page.is_disabled(CART)


def test_replacing_the_only_file_waits_for_the_old_one_to_be_removed(
        page: Any, widget_server: Server, pk: str, tmp_path: Path) -> None:
    """On a slow connection the DELETE of the replaced file can finish after the new file's upload:
    the attach must wait for it, or a one-file rule refuses the new file (409)."""
    open_demo(page, widget_server, pk)
    page.set_input_files(".pg-zone input[type=file]", str(annotated_pdf(tmp_path / "commented.pdf")))
    first = wait_terminal(page)
    assert first["status"] == "rejected"

    order: list[str] = []

    def slow_delete(route: Any) -> None:
        if route.request.method == "DELETE":
            time.sleep(1.5)  # the removal is still on its way while the new file uploads
            order.append("delete")
        route.continue_()

    page.route("**/element/jobs/*/files/*", slow_delete)
    page.on("request", lambda r: order.append("attach") if r.method == "POST"
            and r.url.endswith(f"/element/jobs/{first['jobId']}/files") else None)
    page.set_input_files(".pg-zone input[type=file]", str(clean_pdf(tmp_path / "flyer.pdf")))
    status = wait_terminal(page)

    assert order == ["delete", "attach"], order
    assert [f["name"] for f in status["files"]] == ["flyer.pdf"]
    assert status["canProceed"] is True, status
    assert not [e for e in events(page, "error") if e["detail"]["code"] == "upload_failed"]
    assert not page.is_disabled(CART)


def test_status_arrives_by_polling_when_the_stream_is_blocked(
        page: Any, widget_server: Server, pk: str, tmp_path: Path) -> None:
    aborted: list[str] = []
    polled: list[str] = []

    def block(route: Any) -> None:
        aborted.append(route.request.url)
        route.abort("connectionrefused")

    page.route("**/element/jobs/*/events*", block)
    page.on("request", lambda r: polled.append(r.url) if r.method == "GET" and "/element/jobs/job_" in r.url
            and "/events" not in r.url else None)
    open_demo(page, widget_server, pk)
    page.set_input_files(".pg-zone input[type=file]", str(clean_pdf(tmp_path / "flyer.pdf")))
    status = wait_terminal(page)

    assert aborted, "the widget should have tried the event stream first"
    assert polled, "with the stream blocked the status must come from polling"
    assert status["canProceed"] is True
    assert not page.is_disabled(CART)
    assert field_value(page) == status["jobId"]


def test_stream_delivers_status_without_polling(page: Any, widget_server: Server, pk: str, tmp_path: Path) -> None:
    polled: list[str] = []
    page.on("request", lambda r: polled.append(r.url) if r.method == "GET" and "/element/jobs/job_" in r.url
            and "/events" not in r.url else None)
    open_demo(page, widget_server, pk)
    page.set_input_files(".pg-zone input[type=file]", str(clean_pdf(tmp_path / "flyer.pdf")))
    status = wait_terminal(page)
    assert status["canProceed"] is True
    assert polled == [], f"the live stream was healthy, yet the widget polled: {polled}"


def test_expired_upload_url_shows_a_readable_error_and_retry_recovers(
        page: Any, widget_server: Server, pk: str, tmp_path: Path) -> None:
    """The first presigned URL points at an upload the server does not know (as after expiry): a real 404."""
    rewritten: list[str] = []

    def stale_presign(route: Any) -> None:
        response = route.fetch()
        body = response.json()
        if not rewritten:
            body["upload"]["url"] = body["upload"]["url"].rsplit("/", 1)[0] + "/upload_01expired0000000000000000"
            rewritten.append(body["fileRef"])
        route.fulfill(response=response, body=json.dumps(body))

    page.route("**/uploads", stale_presign)
    open_demo(page, widget_server, pk)
    page.set_input_files(".pg-zone input[type=file]", str(clean_pdf(tmp_path / "flyer.pdf")))
    page.wait_for_selector(".pg-file.pg-failed")

    error = page.locator(".pg-file-error")
    assert error.inner_text() == "The upload link for flyer.pdf has expired or was not found. Please retry."
    assert error.get_attribute("role") == "alert"
    codes = [e["detail"]["code"] for e in events(page, "error")]
    assert codes == ["upload_expired"]
    assert page.is_disabled(CART)

    page.locator(".pg-retry").click()
    status = wait_terminal(page)
    assert status["canProceed"] is True
    assert len(status["files"]) == 1 and status["files"][0]["fileRef"] != rewritten[0]
    assert page.locator(".pg-file-error").count() == 0
    assert not page.is_disabled(CART)


def test_keyboard_only_upload_remove_and_focus(page: Any, widget_server: Server, pk: str, tmp_path: Path) -> None:
    choosers: list[Any] = []
    # Listening from the start turns on Playwright's file-chooser interception before any key press
    # (turning it on inside expect_file_chooser races with the press that opens the picker).
    page.on("filechooser", lambda chooser: choosers.append(chooser))
    open_demo(page, widget_server, pk)
    page.focus("select[name=workflow]")
    # Tab order: the demo's controls, then the drop zone.
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.matches('.printgate-element')"):
            break
    zone = page.locator(".pg-zone")
    assert zone.evaluate("z => z.getRootNode().activeElement === z"), "Tab must reach the drop zone"
    assert zone.get_attribute("role") == "button"
    assert zone.get_attribute("aria-label") == "Upload a file"
    assert "Accepted: PDF" in page.locator("#" + zone.get_attribute("aria-describedby")).inner_text()
    outline = zone.evaluate("z => getComputedStyle(z).outlineStyle + ' ' + getComputedStyle(z).outlineWidth")
    assert outline.startswith("solid") and outline != "solid 0px", f"no visible focus ring: {outline}"

    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Enter")
    chooser.value.set_files(str(clean_pdf(tmp_path / "flyer.pdf")))
    status = wait_terminal(page)
    assert status["canProceed"] is True

    # Space opens the picker as well (the zone still has focus after the update).
    with page.expect_file_chooser():
        page.keyboard.press(" ")

    # Tab to "Remove flyer.pdf" and press Enter: the file goes, focus returns to the drop zone.
    remove = page.get_by_role("button", name="Remove flyer.pdf")
    for _ in range(6):
        page.keyboard.press("Tab")
        if remove.evaluate("b => b.getRootNode().activeElement === b"):
            break
    assert remove.evaluate("b => b.getRootNode().activeElement === b"), "Tab must reach the remove button"
    page.keyboard.press("Enter")
    page.wait_for_function("window.__events.filter(e => e.type === 'status').slice(-1)[0].detail.files.length === 0")
    assert page.locator(".pg-zone").evaluate("z => z.getRootNode().activeElement === z")
    assert last_status(page)["status"] == "idle"
    assert page.is_disabled(CART)
    assert field_value(page) == ""
    assert [e["detail"]["action"] for e in events(page, "change")] == ["add", "remove"]


def test_named_slots_are_separate_labelled_drop_targets(
        page: Any, widget_server: Server, pk: str, tmp_path: Path) -> None:
    open_demo(page, widget_server, pk, "workflow=wf_business_cards")
    zones = page.locator(".pg-zone")
    assert zones.count() == 2
    assert [zones.nth(i).get_attribute("aria-label") for i in range(2)] == ["Upload the Front file", "Upload the Back file"]
    drop_file(page, clean_pdf(tmp_path / "front.pdf"), zone=".pg-zone[data-slot=Front]")
    page.wait_for_function("window.__events.filter(e => e.type === 'status').slice(-1)[0].detail.files.length === 1")
    drop_file(page, clean_pdf(tmp_path / "back.pdf"), zone=".pg-zone[data-slot=Back]")
    status = wait_terminal(page)
    assert {f["name"]: f["slot"] for f in status["files"]} == {"front.pdf": "Front", "back.pdf": "Back"}
    assert page.locator(".pg-file-slot").all_inner_texts() == ["Front", "Back"]
    # A flyer is not a business card: the business-card profile rejects the page size.
    assert status["status"] == "rejected"
    # Both files' findings are drawn (the terminal status event may arrive a frame before the list).
    rejects = page.locator(".pg-file .pg-finding.pg-sev-reject")
    for _ in range(150):
        if page.locator(".pg-file:has(.pg-finding.pg-sev-reject)").count() >= 2:
            break
        page.wait_for_timeout(100)
    drawn = page.locator(".pg-file:has(.pg-finding.pg-sev-reject)").count()
    sent = [(f["name"], f["status"], f["outcome"], [x["severity"] for x in f["findings"]])
            for f in last_status(page)["files"]]
    assert drawn == 2, f"files drawn with a reject: {drawn}; last status: {sent}"
    assert rejects.count() >= 2
    assert page.is_disabled(CART)


def test_german_locale_and_dialog_presentation(page: Any, widget_server: Server, pk: str, tmp_path: Path) -> None:
    open_demo(page, widget_server, pk, "presentation=dialog&locale=de")
    trigger = page.get_by_role("button", name="Druckdaten hochladen")
    assert trigger.get_attribute("aria-haspopup") == "dialog"
    assert not page.locator("dialog.pg-dialog").is_visible()
    trigger.click()
    dialog = page.locator("dialog.pg-dialog")
    assert dialog.is_visible()
    assert page.locator(".pg-zone").evaluate("z => z.getRootNode().activeElement === z"), "focus moves into the dialog"
    assert page.locator(".pg-zone").get_attribute("aria-label") == "Datei hochladen"
    page.set_input_files(".pg-zone input[type=file]", str(annotated_pdf(tmp_path / "kommentar.pdf")))
    wait_terminal(page)
    assert page.locator(".pg-finding.pg-sev-reject .pg-sev").first.inner_text() == "Problem"
    assert "So beheben Sie es:" in page.locator(".pg-fix").first.inner_text()
    assert "kann so nicht gedruckt werden" in page.locator(".pg-status").inner_text()
    page.keyboard.press("Escape")
    assert not dialog.is_visible()
    assert trigger.evaluate("b => b.getRootNode().activeElement === b"), "focus returns to the trigger"
    assert "kann so nicht gedruckt werden" in page.locator(".pg-trigger-state").inner_text()


def test_javascript_api_events_and_unmount(page: Any, widget_server: Server, pk: str, tmp_path: Path) -> None:
    """The Filecheck-style API: factory, create, on() with unsubscribe, CustomEvents, unmount."""
    page.goto(f"{widget_server.url}/widget/v1/printgate.css")  # same origin, blank-ish page
    page.set_content(f"""<!doctype html><html><body><div id="slot"></div>
      <input id="pages" value=""><input id="w" value="">
      <script src="{widget_server.url}/widget/v1/printgate.js"></script>
      <script>
        window.log = [];
        window.domLog = [];
        const fc = Filecheck({json.dumps(pk)});
        window.el = fc.elements.create('intake', {{workflowId: 'wf_default', ui: {{title: 'Your artwork', accent: '#aa0000'}},
          connector: {{bindings: [{{source: 'pageCount', customSelector: '#pages'}},
                                 {{source: 'width', customSelector: '#w', convertTo: 'cm', decimals: 1}}]}}}});
        const off = el.on('status', s => log.push('status:' + s.status));
        el.on('ready', r => log.push('ready:' + r.ui.title));
        el.on('destroy', () => log.push('destroy'));
        window.unsubscribeStatus = off;
        document.getElementById('slot').addEventListener('printgate:status', e => domLog.push(e.detail.status));
        el.mount('#slot');
      </script></body></html>""")
    page.wait_for_function("log.includes('status:idle')")
    assert page.evaluate("log") == ["ready:Your artwork", "status:idle"]
    assert page.evaluate("domLog") == ["idle"]
    assert page.evaluate("window.Filecheck === window.Printgate")
    assert page.locator(".pg-title").inner_text() == "Your artwork"
    page.set_input_files(".pg-zone input[type=file]", str(clean_pdf(tmp_path / "flyer.pdf")))
    page.wait_for_function("domLog.slice(-1)[0] === 'ready' || domLog.slice(-1)[0] === 'partial'", timeout=30000)
    assert page.evaluate("log").count("status:processing") >= 1
    # The connector wrote the file's facts into the page's own controls (A4 trim: 21.0 cm wide).
    assert page.input_value("#pages") == "1"
    assert page.input_value("#w") == "21"
    # update(): new UI and locale, announced with a "ui" event.
    page.evaluate("el.on('ui', u => log.push('ui:' + u.title + ':' + u.locale)); el.update({ui: {title: 'Neu'}, locale: 'de'})")
    assert page.evaluate("log.slice(-1)[0]") == "ui:Neu:de"
    assert page.locator(".pg-title").inner_text() == "Neu"
    assert page.locator(".pg-zone").get_attribute("aria-label") == "Datei hochladen"
    page.evaluate("unsubscribeStatus()")
    page.evaluate("el.unmount()")
    assert page.evaluate("log.slice(-1)[0]") == "destroy"
    assert page.locator(".printgate-element").count() == 0


def test_job_created_by_the_widget_is_visible_to_the_shop_backend(
        page: Any, widget_server: Server, pk: str, tmp_path: Path) -> None:
    """What a store does after checkout: read the widget's job with its secret key."""
    import httpx

    open_demo(page, widget_server, pk)
    page.set_input_files(".pg-zone input[type=file]", str(clean_pdf(tmp_path / "flyer.pdf")))
    job_id = wait_terminal(page)["jobId"]
    done = wait_job(widget_server, pk, job_id, token=page.evaluate("element.jobToken()"))
    assert done["canProceed"] is True
    # The demo key belongs to the "default" account; the test server's secret key to "acme".
    foreign = httpx.get(f"{widget_server.url}/jobs/{job_id}",
                        headers={"Authorization": f"Bearer {widget_server.secret_key}"}, timeout=10)
    assert foreign.status_code == 404


def test_soft_proof_must_be_approved_before_the_cart_unlocks(
        page: Any, widget_server: Server, pk: str, tmp_path: Path) -> None:
    """wf_business_cards requires proof approval: canProceed stays false until the customer approves."""
    open_demo(page, widget_server, pk, "workflow=wf_business_cards")
    page.set_input_files(".pg-zone[data-slot=Front] input[type=file]", str(business_card_pdf(tmp_path / "front.pdf")))
    page.wait_for_selector(".pg-approve")
    status = last_status(page)
    assert status["status"] in ("ready", "partial") and status["canProceed"] is False
    assert status["proof"]["approvalRequired"] is True and status["proof"]["approved"] is None
    proof = events(page, "proof")[-1]["detail"]
    assert proof["approvalRequired"] is True and proof["pages"][0]["page"] == 1
    assert page.locator(".pg-proof-page img").get_attribute("alt") == "Proof, page 1"
    assert page.is_disabled(CART)
    assert "approve your proof" in page.locator(".pg-status").inner_text()

    page.get_by_role("button", name="Approve proof").click()
    page.wait_for_function("window.__events.filter(e => e.type === 'status').slice(-1)[0].detail.canProceed")
    assert last_status(page)["proof"]["approved"] is True
    assert not page.is_disabled(CART)
    assert field_value(page) == status["jobId"]
    assert page.locator(".pg-approve").count() == 0
    assert page.locator(".pg-status").inner_text().startswith("Proof approved.")
    # The approval is stored on the job, not only in this browser.
    held = page.evaluate("element.jobToken()")  # the token the widget holds for its job
    assert api(widget_server, pk, "GET", f"/element/jobs/{status['jobId']}", token=held).json()["canProceed"] is True


def test_soft_proof_is_the_printed_file_readable_on_phone_and_desktop_and_enlarges(
        page: Any, widget_server: Server, pk: str, tmp_path: Path) -> None:
    """Issue 11, hole 7: the proof is the proof step's render (not the upload's thumbnail), fits the
    widget on a desktop and on a phone, and opens at full size on a tap."""
    open_demo(page, widget_server, pk, "workflow=wf_business_cards")
    page.set_input_files(".pg-zone[data-slot=Front] input[type=file]", str(business_card_pdf(tmp_path / "front.pdf")))
    page.wait_for_selector(".pg-approve")
    proof = events(page, "proof")[-1]["detail"]
    url = proof["pages"][0]["url"]
    assert "/proof-1.png" in url and "thumb" not in url  # rendered by the proof step
    img = page.locator(".pg-proof-page img").first
    img.wait_for()
    page.wait_for_function("el => el.complete && el.naturalWidth > 0", arg=img.element_handle())
    natural = img.evaluate("el => [el.naturalWidth, el.naturalHeight]")
    assert natural[0] >= 900  # a card at 300 dpi: small text stays legible when enlarged
    box, frame = img.bounding_box(), page.locator(".pg-proof").bounding_box()
    assert box is not None and frame is not None
    assert 300 <= box["width"] <= frame["width"]  # desktop: large, inside the widget
    # Tap to enlarge: the full-size proof in a dialog; Escape closes it.
    img.click()
    zoom = page.locator(".pg-zoom")
    zoom.wait_for()
    assert zoom.get_attribute("role") == "dialog"
    big = page.locator(".pg-zoom-img")
    page.wait_for_function("el => el.complete && el.naturalWidth > 0", arg=big.element_handle())
    assert big.evaluate("el => el.getBoundingClientRect().width") == pytest.approx(natural[0], abs=2)
    page.keyboard.press("Escape")
    zoom.wait_for(state="detached")
    # A phone: the proof shrinks to the screen's width.
    page.set_viewport_size({"width": 375, "height": 740})
    page.wait_for_timeout(100)
    phone = img.bounding_box()
    assert phone is not None and 200 <= phone["width"] <= 375
    img.click()
    page.locator(".pg-zoom-close").click()
    assert page.locator(".pg-zoom").count() == 0


def test_several_files_with_real_upload_progress_and_remove_one(
        page: Any, widget_server: Server, pk: str, tmp_path: Path) -> None:
    """wf_photo takes 1 to 10 images: one drop target, several files, a progress bar per upload."""
    open_demo(page, widget_server, pk, "workflow=wf_photo")
    zone = page.locator(".pg-zone")
    assert zone.count() == 1 and "Drag and drop your files here" in zone.inner_text()
    assert page.locator(".pg-zone input[type=file]").get_attribute("multiple") == ""
    # Throttle uploads so progress is observable: real XHR progress events, not a spinner.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 20, "downloadThroughput": -1,
                                                  "uploadThroughput": 512 * 1024})
    files = [photo(tmp_path / f"photo-{i}.jpg", seed=i) for i in range(2)]
    assert all(f.stat().st_size > 1_000_000 for f in files)
    page.set_input_files(".pg-zone input[type=file]", [str(f) for f in files])
    seen: set[int] = set()
    bar = page.locator(".pg-progress").first
    for _ in range(200):
        if bar.count():
            value = bar.get_attribute("aria-valuenow")
            if value is not None:
                seen.add(int(value))
        if any(0 < v < 100 for v in seen) and len(seen) > 1:
            break
        page.wait_for_timeout(25)
    assert any(0 < v < 100 for v in seen), f"no intermediate progress observed: {sorted(seen)}"
    assert page.locator(".pg-progress").first.get_attribute("role") == "progressbar"
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                  "uploadThroughput": -1})
    page.wait_for_function(
        "(() => { const s = window.__events.filter(e => e.type === 'status').slice(-1)[0].detail;"
        " return s.terminal && s.files.length === 2; })()", timeout=60000)
    assert sorted(f["name"] for f in last_status(page)["files"]) == ["photo-0.jpg", "photo-1.jpg"]
    assert page.locator(".pg-file").count() == 2
    page.get_by_role("button", name="Remove photo-0.jpg").click()
    page.wait_for_function(
        "window.__events.filter(e => e.type === 'status').slice(-1)[0].detail.files.length === 1")
    assert [f["name"] for f in last_status(page)["files"]] == ["photo-1.jpg"]
    assert page.locator(".pg-file-name").all_inner_texts() == ["photo-1.jpg"]
    facts = events(page, "facts")
    assert facts and facts[-1]["detail"]["aggregate"]["fileCount"] >= 1


def test_a_remembered_job_that_is_gone_starts_fresh(page: Any, widget_server: Server, pk: str) -> None:
    page.add_init_script("localStorage.setItem('printgate:job:demo-wf_default:wf_default', 'job_01gonegonegonegonegonegone')")
    open_demo(page, widget_server, pk)
    page.wait_for_function("window.__events.some(e => e.type === 'status')")
    assert [e["detail"]["code"] for e in events(page, "error")] == ["job_not_found"]
    assert last_status(page)["status"] == "idle" and last_status(page)["jobId"] is None
    assert page.evaluate("localStorage.getItem('printgate:job:demo-wf_default:wf_default')") is None
    assert page.is_disabled(CART)


def test_a_late_response_does_not_roll_back_the_live_verdict(
        page: Any, widget_server: Server, pk: str, tmp_path: Path) -> None:
    """The attach response is held back until the stream has already delivered the verdict: the
    stale copy must neither undo the verdict nor leave the widget stuck in "uploading"."""
    import time as _time

    held: list[str] = []

    def slow_attach(route: Any) -> None:
        response = route.fetch()
        held.append(route.request.url)
        _time.sleep(4)  # the worker checks the file and the stream reports it meanwhile
        route.fulfill(response=response)

    page.route("**/element/jobs/*/files", slow_attach)
    open_demo(page, widget_server, pk)
    # A stream is open (the job already exists) while the file is attached.
    page.set_input_files(".pg-zone input[type=file]", str(annotated_pdf(tmp_path / "first.pdf")))
    wait_terminal(page)
    page.set_input_files(".pg-zone input[type=file]", str(clean_pdf(tmp_path / "second.pdf")))
    page.wait_for_function(
        "(() => { const s = window.__events.filter(e => e.type === 'status').slice(-1)[0].detail;"
        " return s.canProceed && s.files.length === 1 && s.files[0].name === 'second.pdf'; })()", timeout=45000)
    assert len(held) == 2
    page.wait_for_timeout(500)
    final = last_status(page)
    assert final["canProceed"] is True and final["status"] in ("ready", "partial")
    assert page.locator(".pg-file").count() == 1
    assert not page.is_disabled(CART)


def test_mount_gates_shopify_and_opencart_buttons(page: Any, widget_server: Server, pk: str, tmp_path: Path) -> None:
    """Printgate.mount finds the platforms' own cart buttons and the product form by itself."""
    page.goto(f"{widget_server.url}/widget/v1/printgate.css")
    page.set_content(f"""<!doctype html><html><body>
      <form action="/cart/add" method="post" id="shopify">
        <input type="hidden" name="id" value="42">
        <button type="submit" name="add" class="product-form__submit">Add to cart</button>
      </form>
      <button id="button-cart" type="button">OpenCart add</button>
      <script src="{widget_server.url}/widget/v1/printgate.js"></script>
      <script>
        window.el = Printgate.mount({{publishableKey: {json.dumps(pk)}, workflowId: 'wf_default',
                                     fieldName: 'properties[_printgate_job]'}});
        window.statuses = [];
        el.on('status', s => statuses.push(s));
      </script></body></html>""")
    page.wait_for_selector(".pg-zone")
    # No mount target on the page: the widget goes right before the first cart button, inside the form.
    assert page.evaluate("document.querySelector('.printgate-slot').nextElementSibling.name") == "add"
    assert page.is_disabled("#shopify button") and page.is_disabled("#button-cart")
    page.set_input_files(".pg-zone input[type=file]", str(clean_pdf(tmp_path / "flyer.pdf")))
    page.wait_for_function("statuses.length && statuses[statuses.length - 1].canProceed", timeout=45000)
    job_id = page.evaluate("statuses[statuses.length - 1].jobId")
    assert not page.is_disabled("#shopify button") and not page.is_disabled("#button-cart")
    assert page.eval_on_selector("#shopify input[name='properties[_printgate_job]']", "i => i.type + ':' + i.value") \
        == f"hidden:{job_id}"


def test_optional_upload_leaves_the_cart_open_until_an_upload_starts(page: Any, widget_server: Server, pk: str,
                                                                      tmp_path: Path) -> None:
    """required: false (a product where the print file is optional): no file, no gate; a bad file closes it."""
    page.goto(f"{widget_server.url}/widget/v1/printgate.css")
    page.set_content(f"""<!doctype html><html><body>
      <form class="cart"><button type="submit" class="single_add_to_cart_button">Add to cart</button></form>
      <script src="{widget_server.url}/widget/v1/printgate.js"></script>
      <script>
        window.el = Printgate.mount({{publishableKey: {json.dumps(pk)}, workflowId: 'wf_default', required: false}});
        window.statuses = [];
        el.on('status', s => statuses.push(s));
      </script></body></html>""")
    page.wait_for_selector(".pg-zone")
    assert not page.is_disabled(".single_add_to_cart_button")
    bad = tmp_path / "notes.pdf"
    bad.write_bytes(b"this is not a pdf")
    page.set_input_files(".pg-zone input[type=file]", str(bad))
    page.wait_for_function("statuses.length && statuses[statuses.length - 1].status === 'rejected'", timeout=45000)
    assert page.is_disabled(".single_add_to_cart_button")


def test_filecheck_script_url_takes_the_key_from_its_path(page: Any, widget_server: Server, pk: str,
                                                          tmp_path: Path) -> None:
    """A shop's Filecheck plugin loads ``/element/{pk}/filecheck.js`` and calls ``Filecheck()``
    without a key (the pk-specific URL carries it): only the base URL changes."""
    page.goto(f"{widget_server.url}/widget/v1/printgate.css")
    page.set_content(f"""<!doctype html><html><body><div id="slot"></div>
      <script src="{widget_server.url}/element/{pk}/filecheck.js"></script>
      <script>
        window.log = [];
        const el = Filecheck().elements.create('intake', {{workflowId: 'wf_default'}});
        el.on('status', s => log.push([s.status, s.jobId]));
        el.mount('#slot');
      </script></body></html>""")
    page.wait_for_function("log.some(s => s[0] === 'idle')")
    # Its stylesheet comes from beside it, and loads.
    css = page.evaluate("document.querySelector('.printgate-element').shadowRoot"
                        ".querySelector('link[rel=stylesheet]').href")
    assert css == f"{widget_server.url}/element/{pk}/filecheck.css"
    assert page.evaluate(f"fetch({json.dumps(css)}).then(r => r.status)") == 200
    page.set_input_files(".pg-zone input[type=file]", str(clean_pdf(tmp_path / "flyer.pdf")))
    page.wait_for_function("log.length && ['ready', 'partial'].includes(log[log.length - 1][0])", timeout=30000)
    job_id = page.evaluate("log[log.length - 1][1]")
    # The job was created under the key from the script's path.
    held = page.evaluate("el.jobToken()")  # the token the widget holds for its job
    assert api(widget_server, pk, "GET", f"/element/jobs/{job_id}", token=held).json()["canProceed"] is True
    assert page.evaluate(f"fetch('{widget_server.url}/element/v1/filecheck.js').then(r => r.status)") == 200
    assert page.evaluate(f"fetch('{widget_server.url}/element/sk_test_secret123/filecheck.js')"
                         ".then(r => r.status)") == 404
