"""Benchmark: Shopify ``orders/paid`` -> print files attached to the order, for a 1-page job.

    .venv/bin/python bench/shopify_order_to_files.py [--orders 10] [--workers 2]

What it does, all on loopback, in a throwaway data dir:

1. Starts the fake Shopify (``tests/fakes/shopify_store.py``: real OAuth and Admin GraphQL wire
   format) and a real ``printgate serve`` (API + RQ workers + embedded Redis) pointed at it.
2. Installs the app the way a merchant does (link from printgate -> Shopify callback with a code).
3. Per order: the widget's calls make a 1-page job (publishable key, presigned upload, intake check)
   until it can proceed; then the clock starts, a signed ``orders/paid`` webhook whose line item
   carries ``_printgate_job_id`` is sent, and ``GET /stores/{id}/orders/{orderId}`` is polled until
   the order is ``written_back`` (metafields, note and tag written to the fake shop).

Reported: the webhook's answer time, the time until the job is attached, and the time until the
files are on the order (p50/p95/max), plus how much of it is the processing phase. With
``--api-load N`` the same orders run a second time, each with N API fix jobs (a 2-page PDF)
submitted just before it, so the figure under load sits beside the unloaded one; the CPU seconds
the serve process tree spent are printed beside the wall time of each phase.
A benchmark, not a test: it prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlparse

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import (  # noqa: E402
    CLI,
    cpu_seconds,
    descendants,
    machine,
    now_utc,
    save_results,
    start_serve,
    summarize,
)
from tests.fakes.shopify_store import FakeShopify, FakeShopServer  # noqa: E402

CLIENT_ID = "bench-client-id"
CLIENT_SECRET = "bench-client-secret"
SHOP = "bench-shop.myshopify.com"


def artwork(path: Path) -> Path:
    """1 page, vector art only, A4 with bleed: what the default workflow accepts."""
    import pymupdf

    bleed = 3 / 25.4 * 72
    width, height = 595.28 + 2 * bleed, 841.89 + 2 * bleed
    doc = pymupdf.open()
    page = doc.new_page(width=width, height=height)
    page.draw_rect(page.rect, color=(0, 0, 0), fill=(0.1, 0.4, 0.7))
    page.set_bleedbox(page.rect)
    page.set_trimbox(pymupdf.Rect(bleed, bleed, width - bleed, height - bleed))
    doc.save(path)
    doc.close()
    return path


def signed_query(params: dict[str, str]) -> dict[str, str]:
    message = "&".join(f"{k}={v}" for k, v in sorted(params.items()))
    return {**params, "hmac": hmac.new(CLIENT_SECRET.encode(), message.encode(), hashlib.sha256).hexdigest()}


def webhook(client: httpx.Client, topic: str, payload: dict[str, object]) -> httpx.Response:
    body = json.dumps(payload).encode()
    digest = base64.b64encode(hmac.new(CLIENT_SECRET.encode(), body, hashlib.sha256).digest()).decode()
    headers = {"Content-Type": "application/json", "X-Shopify-Topic": topic, "X-Shopify-Hmac-Sha256": digest,
               "X-Shopify-Shop-Domain": SHOP, "X-Shopify-Webhook-Id": str(uuid.uuid4()),
               "X-Shopify-Triggered-At": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())}
    return client.post("/webhooks/shopify", content=body, headers=headers)


def widget_job(client: httpx.Client, pk: str, pdf: Path) -> str:
    head = {"Authorization": f"Bearer {pk}"}
    job_id = client.post("/element/jobs", json={"workflowId": "wf_default"}, headers=head).raise_for_status().json()["jobId"]
    upload = client.post("/uploads", json={"mimeType": "application/pdf"}, headers=head).raise_for_status().json()
    client.post(upload["upload"]["url"], data=upload["upload"]["fields"],
                files={"file": (pdf.name, pdf.read_bytes(), "application/pdf")}).raise_for_status()
    client.post(f"/element/jobs/{job_id}/files", json={"fileRef": upload["fileRef"]}, headers=head).raise_for_status()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = client.get(f"/element/jobs/{job_id}", headers=head).json()
        if status["terminal"]:
            if not status["canProceed"]:
                raise RuntimeError(f"the bench file was rejected: {status.get('reason')}")
            return str(job_id)
        time.sleep(0.02)
    raise TimeoutError("intake did not finish")


def order_body(order_id: int, job_id: str) -> dict[str, object]:
    return {
        "id": order_id, "name": f"#{order_id}", "financial_status": "paid", "currency": "EUR", "total_price": "25.00",
        "email": "bench@mail.example.com", "customer": {"id": 1, "email": "bench@mail.example.com"},
        "note": None, "note_attributes": [], "cancelled_at": None,
        "line_items": [{"id": order_id * 10, "product_id": None, "name": "Flyer A4", "title": "Flyer A4",
                        "quantity": 100, "sku": "FLY-A4", "price": "25.00",
                        "properties": [{"name": "_printgate_job_id", "value": job_id}]}],
    }


def two_page_pdf(path: Path) -> str:
    """The API load: a 2-page PDF, base64, for POST /jobs/fix."""
    import pymupdf

    doc = pymupdf.open()
    for index in range(2):
        page = doc.new_page(width=595.28, height=841.89)
        page.insert_text((72, 72 + index * 20), f"API job page {index + 1}", fontsize=12)
        page.draw_rect(pymupdf.Rect(100, 200, 400, 500), color=(1, 0, 0), fill=(0, 0.5, 0.2))
    doc.save(path)
    doc.close()
    return base64.b64encode(path.read_bytes()).decode()


def run_orders(client: httpx.Client, server: Any, fake: FakeShopify, pk: str, pdf: Path, store_id: str, *,
               orders: int, first_id: int, api_load: int, load_pdf: str) -> dict[str, Any]:
    """``orders`` paid orders one after another; before each, ``api_load`` fix jobs are queued."""
    accept_ms, attached_ms, done_ms, processing_ms, write_ms = [], [], [], [], []
    cpu_before, wall_before = cpu_seconds([server.proc.pid, *descendants(server.proc.pid)]), time.perf_counter()
    for index in range(orders):
        job_id = widget_job(client, pk, pdf)
        for _ in range(api_load):  # API work waiting in the processing queue when the order arrives
            client.post("/jobs/fix", headers=server.auth, json={"sources": [{"file": load_pdf}]}).raise_for_status()
        order = order_body(first_id + index, job_id)
        fake.add_order(SHOP, order)
        started = time.perf_counter()
        webhook(client, "orders/paid", order).raise_for_status()
        accept_ms.append((time.perf_counter() - started) * 1000)
        attached_at, body, last = None, {}, ""
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            synced = client.get(f"/stores/{store_id}/orders/{order['id']}", headers=server.auth)
            last = f"{synced.status_code} {synced.text[:300]}"
            if synced.status_code == 200:
                body = synced.json()
                if attached_at is None and body["steps"]["attached"]["status"] == "done":
                    attached_at = time.perf_counter()
                if body["status"] in ("written_back", "failed"):
                    break
            time.sleep(0.005)
        finished = time.perf_counter()
        if body.get("status") != "written_back":
            raise RuntimeError(f"order {order['id']} ended {body.get('status')}: {body.get('lastError')}; "
                               f"last answer {last}; serve log: {server.log_path.read_text()[-1500:]}")
        attached_ms.append(((attached_at or finished) - started) * 1000)
        done_ms.append((finished - started) * 1000)
        processing_ms.append((finished - (attached_at or finished)) * 1000)
        steps = body["steps"]  # server-side times: processing done -> write-back done
        write_ms.append((datetime.fromisoformat(steps["written_back"]["at"])
                         - datetime.fromisoformat(steps["processing"]["at"])).total_seconds() * 1000)
    return {
        "api_jobs_queued_per_order": api_load, "webhook_answer_ms": summarize(accept_ms),
        "to_attached_ms": summarize(attached_ms), "attached_to_written_back_ms": summarize(processing_ms),
        "paid_to_files_on_order_ms": summarize(done_ms), "processed_to_written_back_ms": summarize(write_ms),
        "wall_s": round(time.perf_counter() - wall_before, 2),
        "serve_cpu_s": round(cpu_seconds([server.proc.pid, *descendants(server.proc.pid)]) - cpu_before, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--api-load", type=int, default=24, help="API fix jobs queued before each loaded order (0: skip)")
    args = parser.parse_args()

    fake = FakeShopify(CLIENT_ID, CLIENT_SECRET)
    shop_server = FakeShopServer(fake).start()
    env = {"PRINTGATE_SHOPIFY_API_KEY": CLIENT_ID, "PRINTGATE_SHOPIFY_API_SECRET": CLIENT_SECRET,
           "PRINTGATE_SHOPIFY_ADMIN_BASE": fake.base + "/{shop}",
           # The fake Shopify is on loopback, which printgate's outbound guard refuses by default.
           "PRINTGATE_ALLOW_PRIVATE_URLS": "1"}
    server = start_serve(workers=args.workers, extra_env=env)
    import subprocess

    from bench._common import _bench_env

    pk = json.loads(subprocess.run(
        [*CLI, "keys", "create", "--json", "--account", "bench", "--kind", "publishable"],
        env=_bench_env(server.data_dir, env), capture_output=True, check=True, cwd=ROOT).stdout)["key"]
    pdf = artwork(server.data_dir / "bench.pdf")
    load_pdf = two_page_pdf(server.data_dir / "api-load.pdf")
    phases: dict[str, dict[str, Any]] = {}
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            linked = client.post("/stores/shopify/link", json={"shop": SHOP}, headers=server.auth).raise_for_status().json()
            state = dict(parse_qsl(urlparse(linked["installUrl"]).query))["state"]
            client.get("/shopify/callback", params=signed_query({
                "code": fake.issue_code(SHOP), "shop": SHOP, "state": state, "timestamp": str(int(time.time()))}))
            store_id = linked["store"]["id"]
            for name, load, first in (("unloaded", 0, 9000), ("loaded", args.api_load, 19000)):
                if name == "loaded" and not load:
                    continue
                phases[name] = run_orders(client, server, fake, pk, pdf, store_id, orders=args.orders,
                                          first_id=first, api_load=load, load_pdf=load_pdf)
            writes = [c["operation"] for c in fake.shop(SHOP).calls]
    finally:
        server.stop()
        shop_server.stop()

    results = {"bench": "shopify_order_to_files", "at": now_utc(), "machine": machine(), "orders": args.orders,
               "workers": args.workers, "phases": phases,
               "shopify_calls_per_order": len(writes) / max(args.orders * len(phases), 1)}
    print(f"machine: {results['machine']}")
    print(f"{args.orders} orders per phase, {args.workers} workers, 1-page PDF, fake Shopify on loopback")
    for name, phase in phases.items():
        print(f"{name}: {phase['api_jobs_queued_per_order']} API fix jobs queued before each order; "
              f"wall {phase['wall_s']:.1f} s, serve CPU {phase['serve_cpu_s']:.1f} s")
        for label, key in (("webhook answered", "webhook_answer_ms"), ("job attached", "to_attached_ms"),
                           ("attached -> written back", "attached_to_written_back_ms"),
                           ("  of which: processed -> written", "processed_to_written_back_ms"),
                           ("orders/paid -> files on order", "paid_to_files_on_order_ms")):
            s = phase[key]
            print(f"  {label:32s} p50 {s['p50']:7.1f} ms  p95 {s['p95']:7.1f} ms  max {s['max']:7.1f} ms")
    print(f"  Shopify GraphQL calls per order: {results['shopify_calls_per_order']:.1f}")
    print(f"results: {save_results('shopify_order_to_files', results)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
