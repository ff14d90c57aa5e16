"""A store order whose job split its PDF into pages gets every page: one link per page file (or, when
the workflow merges into a ZIP, one link to a ZIP holding every page), through the fake WooCommerce."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pymupdf

from tests.connectors.conftest import artwork_pdf, widget_job
from tests.fakes.woocommerce_store import (  # noqa: F401  (fixtures)
    FakeWooCommerce,
    connect_store,
    order_with_jobs,
    post_order_webhook,
    woo_fixture,
    woo_server_fixture,
)


def split_workflow(client: Any, auth: dict[str, str], merge: str) -> str:
    workflow = client.post("/workflows", headers=auth, json={
        "name": "Leaflet pages", "ruleId": "rule_default", "published": True, "trigger": "order_placed",
        "merge": merge, "processing": {
            "pdf": [{"type": "split_pages", "params": {"pattern": "{name}-{page}"}}, {"type": "deliver"}],
            "raster": [{"type": "deliver"}]}})
    assert workflow.status_code == 201, workflow.text
    return str(workflow.json()["workflow"]["id"])


def delivered(client: Any, auth: dict[str, str], instance: Any, woo: FakeWooCommerce, merge: str,
              tmp_path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A 3-page leaflet through the workflow, ordered in the store: the order sync and its meta files."""
    store = connect_store(client, woo, auth)["store"]
    job_id = widget_job(client, "acme", artwork_pdf(tmp_path / "leaflet.pdf", pages=3), instance,
                        workflow_id=split_workflow(client, auth, merge))
    order = order_with_jobs({316: job_id}, status="processing")
    woo.add_order(order)
    assert post_order_webhook(client, store, order).status_code == 200
    for _ in range(3):
        instance.drain()
    sync = client.get(f"/stores/{store['id']}/orders/727", headers=auth).json()
    assert sync["status"] == "written_back", sync
    meta = {m["key"]: m["value"] for m in woo.orders[727]["meta_data"]}
    [entry] = json.loads(meta["_printgate_files"])["jobs"]
    return sync, entry["files"]


def circle_radius(page: Any) -> int:
    """``artwork_pdf`` draws page N's circle with radius 100 + 10 (N - 1): which page this is."""
    circles = [d["rect"] for d in page.get_drawings() if d["rect"].width < page.rect.width / 2]
    return round(circles[0].width / 2)


def follow(client: Any, link: str) -> bytes:
    redirect = client.get(link.removeprefix("http://testserver"), follow_redirects=False)
    assert redirect.status_code == 302, redirect.text
    response = client.get(redirect.headers["location"].removeprefix("http://testserver"))
    assert response.status_code == 200, response.text
    return bytes(response.content)


def test_a_split_job_delivers_one_link_per_page(client: Any, auth: dict[str, str], instance: Any,
                                                woo: FakeWooCommerce, tmp_path: Path) -> None:
    sync, files = delivered(client, auth, instance, woo, "separate", tmp_path)
    assert [f["name"] for f in files] == ["leaflet-1.pdf", "leaflet-2.pdf", "leaflet-3.pdf"]
    assert len({f["link"] for f in files}) == 3 and len({f["runId"] for f in files}) == 3
    assert len(sync["files"]) == 3
    for number, f in enumerate(files, start=1):
        with pymupdf.open(stream=follow(client, f["link"]), filetype="pdf") as doc:
            page = doc[0]
            assert len(doc) == 1 and circle_radius(page) == 100 + 10 * (number - 1)  # that page, in order
    # The note fulfilment staff read lists the three files too.
    [note] = woo.notes[727]
    assert all(f["link"] in note["note"] for f in files)


def test_a_forged_page_link_is_refused(client: Any, auth: dict[str, str], instance: Any,
                                       woo: FakeWooCommerce, tmp_path: Path) -> None:
    _sync, files = delivered(client, auth, instance, woo, "separate", tmp_path)
    # Pointing a signed link at another page breaks its signature.
    forged = files[0]["link"].replace(".p1?", ".p2?")
    assert forged != files[0]["link"]
    assert client.get(forged.removeprefix("http://testserver"), follow_redirects=False).status_code == 403


def test_a_split_job_in_a_zip_workflow_delivers_one_zip_of_every_page(client: Any, auth: dict[str, str],
                                                                      instance: Any, woo: FakeWooCommerce,
                                                                      tmp_path: Path) -> None:
    _sync, files = delivered(client, auth, instance, woo, "zip", tmp_path)
    [only] = files
    with zipfile.ZipFile(io.BytesIO(follow(client, only["link"]))) as zf:
        assert zf.namelist() == ["leaflet-1.pdf", "leaflet-2.pdf", "leaflet-3.pdf"]
        for name in zf.namelist():
            with pymupdf.open(stream=zf.read(name), filetype="pdf") as doc:
                assert len(doc) == 1
