"""The store side of the fault-injection bench (bench/fault_injection.py): a fake WooCommerce store
connected the way a merchant does it, its signed order webhooks posted while faults strike, and each
order checked afterwards (captured once, its job attached, its files written back)."""

from __future__ import annotations

import base64
import hashlib
import json
import random
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from printgate.connectors.base.states import ORDER_FINAL


class Store:
    """The merchant's WooCommerce store (``tests/fakes/woocommerce_store.py``: the REST API and the
    webhook wire format), connected the way a merchant does it: REST keys pasted into
    ``POST /woocommerce/stores``; printgate then creates the store's order webhooks with the secret
    the store signs every delivery with. It runs in the harness, so it outlives every fault."""

    def __init__(self) -> None:
        # Imported here: the fake store's module needs pytest (a dev dependency), ``--orders 0`` does not.
        from tests.fakes.woocommerce_store import FakeWooCommerce, FakeWooServer

        self.fake = FakeWooCommerce()
        self.server = FakeWooServer(self.fake).start()
        self.id = self.shop = self.secret = ""
        self.hook_ids: dict[str, int] = {}

    def connect(self, client: httpx.Client) -> None:
        key, secret = self.fake.issue_keys()
        answer = client.post("/woocommerce/stores", json={"storeUrl": self.fake.base, "consumerKey": key,
                                                           "consumerSecret": secret, "name": "fault injection"})
        if answer.status_code != 201:
            raise RuntimeError(f"connecting the store failed: {answer.status_code} {answer.text[:300]}")
        store = answer.json()["store"]
        self.id, self.shop = str(store["id"]), str(store["shop"])
        hooks = [h for h in self.fake.webhooks.values() if str(h["delivery_url"]).endswith(f"/{self.id}")]
        secrets_ = {h["secret"] for h in hooks}
        if not hooks or len(secrets_) != 1 or not all(secrets_):
            raise RuntimeError(f"printgate made no usable order webhooks on the store: {hooks}")
        self.hook_ids = {str(h["topic"]): int(h["id"]) for h in hooks}
        self.secret = secrets_.pop()

    def order(self, order_id: int, job_id: str) -> dict[str, Any]:
        """A paid order placed now (the documented order 727, renumbered) whose print line carries the
        job as the printgate plugin puts it there (line meta ``_printgate_job_id``)."""
        from tests.fakes.woocommerce_store import order_with_jobs

        order = order_with_jobs({PRINT_LINE: job_id}, order_id=order_id)
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
        order.update(date_created_gmt=now, date_modified_gmt=now, date_paid_gmt=now)
        self.fake.add_order(order)
        return order

    def headers(self, topic: str, body: bytes) -> dict[str, str]:
        """WooCommerce's delivery headers for ``body``: signed, from the topic's webhook, a new delivery id."""
        from tests.fakes.woocommerce_store import wc_headers

        return wc_headers(topic, body, self.secret, source=self.shop, webhook_id=self.hook_ids[topic])

    def notes(self, order_id: int) -> int:
        """printgate's notes on the order: one once its files are written back, never two."""
        return sum("[printgate " in str(n.get("note")) for n in list(self.fake.notes.get(order_id, [])))

    def stop(self) -> None:
        self.server.stop()


PRINT_LINE = 316  # order 727's line item that carries the print job


def deliver_order(base_url: str, store: Store, order: dict[str, Any], topic: str) -> dict[str, Any]:
    """One signed order webhook, sent again (a new delivery id each time, as WooCommerce does) while
    printgate is down or answers 5xx/408/429, for up to 2 minutes; any other answer is final."""
    body = json.dumps(order).encode()
    tries = 0
    for _attempt in range(240):
        tries += 1
        headers = store.headers(topic, body)
        try:
            answer = httpx.post(f"{base_url}/webhooks/woocommerce/{store.id}", content=body, headers=headers, timeout=30)
        except httpx.HTTPError:
            answer = None
        if answer is not None and answer.status_code < 500 and answer.status_code not in (408, 429):
            try:
                duplicate = bool(answer.json().get("duplicate"))
            except (ValueError, AttributeError):
                duplicate = False
            return {"status": answer.status_code, "tries": tries, "duplicate": duplicate,
                    "answer": answer.text[:200] if answer.status_code >= 300 else ""}
        time.sleep(0.5)
    return {"status": None, "tries": tries, "duplicate": False, "answer": "printgate did not answer for 2 minutes"}


def printable_pdf(path: Path, shade: float) -> Path:
    """An order's artwork: 1 page of vector art, A4 with 3 mm bleed, which preflight lets proceed (the
    harness's text PDFs, with an unembedded font, are rejected, and a rejected job is never attached)."""
    import pymupdf

    bleed = 3 / 25.4 * 72
    width, height = 595.28 + 2 * bleed, 841.89 + 2 * bleed
    doc = pymupdf.open()
    page = doc.new_page(width=width, height=height)
    page.draw_rect(page.rect, color=(0, 0, 0), fill=(0.1, 0.4, shade))
    page.set_bleedbox(page.rect)
    page.set_trimbox(pymupdf.Rect(bleed, bleed, width - bleed, height - bleed))
    doc.save(path)
    doc.close()
    return path


def submit_order_jobs(client: httpx.Client, pdf_dir: Path, trial: int, count: int) -> dict[str, str]:
    """The trial's order jobs (job id -> sha256 of the file): the customer's upload before checkout."""
    out: dict[str, str] = {}
    for k in range(count):
        data = printable_pdf(pdf_dir / f"t{trial}-order{k}.pdf", (trial * 7 + k) % 100 / 100).read_bytes()
        body = {"sources": [{"file": base64.b64encode(data).decode(), "name": f"order-{trial}-{k}.pdf",
                             "steps": [{"type": "preflight"}, {"type": "previews"}]}]}
        job_id = submit(client, body)
        if job_id is not None:
            out[job_id] = hashlib.sha256(data).hexdigest()
    return out


def plan_orders(store: Store, rng: random.Random, trial: int, job_ids: list[str],
                order_job: dict[int, str]) -> list[tuple[float, dict[str, Any]]]:
    """The trial's orders, one per order job, each posted 0-2.5 s after the jobs (the
    fault comes 0-2 s after them) and half of them delivered again 2.5-6 s later (a store redelivers)."""
    plan: list[tuple[float, dict[str, Any]]] = []
    for k, job_id in enumerate(job_ids):
        order_id = 10_000 + trial * 100 + k
        order = store.order(order_id, job_id)
        order_job[order_id] = job_id
        plan.append((rng.uniform(0.0, 2.5), order))
        if rng.random() < 0.5:
            plan.append((rng.uniform(2.5, 6.0), order))
    return plan


def send_orders(base_url: str, store: Store, plan: list[tuple[float, dict[str, Any]]],
                sends: dict[int, list[dict[str, Any]]]) -> threading.Thread:
    """Post ``plan`` (seconds from now, order) in the background, in time order, so the trial's fault
    strikes while deliveries are in flight or waiting to be sent again; results go to ``sends``."""

    def post_all() -> None:
        start = time.monotonic()
        for at, order in sorted(plan, key=lambda p: p[0]):
            time.sleep(max(0.0, at - (time.monotonic() - start)))
            sends[int(order["id"])].append(deliver_order(base_url, store, order, "order.created"))

    thread = threading.Thread(target=post_all, daemon=True)
    thread.start()
    return thread


def check_orders(client: httpx.Client, store: Store, orders: dict[int, str], sends: dict[int, list[dict[str, Any]]],
                 jobs: dict[str, dict[str, Any]], wait_s: float) -> dict[str, Any]:
    """Each order (id -> its job) captured exactly once and its job linked, read back through
    ``GET /stores/{id}/orders[/{orderId}]`` and from the store (printgate's notes on the order).

    - lost: a delivery was accepted (2xx) and printgate has no such order;
    - refused: no delivery of it was accepted (a 4xx, or printgate down for 2 minutes);
    - twice: listed more than once, or more than one printgate note written on it;
    - unlinked: its line does not carry the job, or (the job can proceed) the job is not attached and
      the files not written back, or (it cannot) the order did not fail with the reason;
    - open: still moving at the end (neither written back, failed, cancelled nor without jobs)."""
    syncs: dict[int, dict[str, Any]] = {}
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        for order_id in orders:
            if syncs.get(order_id, {}).get("status") in ORDER_FINAL:
                continue
            try:
                answer = client.get(f"/stores/{store.id}/orders/{order_id}")
                if answer.status_code == 200:
                    syncs[order_id] = answer.json()
            except (httpx.HTTPError, ValueError):
                pass
        if len(syncs) == len(orders) and all(s.get("status") in ORDER_FINAL for s in syncs.values()):
            break
        time.sleep(1)
    listed: Counter[str] = Counter()
    try:
        data = client.get(f"/stores/{store.id}/orders", params={"limit": 200}).json()["data"]
        listed.update(str(s["orderId"]) for s in data)
    except (httpx.HTTPError, KeyError, ValueError):
        pass
    accepted = {o for o in orders if any(s["status"] is not None and s["status"] < 300 for s in sends.get(o, []))}
    refused = {o: [s for s in sends.get(o, []) if s["status"] is None or s["status"] >= 300] for o in orders if o not in accepted}
    lost = sorted(o for o in accepted if o not in syncs)
    twice = sorted(o for o in orders if listed[str(o)] > 1 or store.notes(o) > 1)
    open_ = sorted(o for o, s in syncs.items() if s.get("status") not in ORDER_FINAL)
    unlinked = []
    for order_id, sync in syncs.items():
        job_id = orders[order_id]
        line = next((ln for ln in sync.get("lines") or [] if ln.get("jobId") == job_id), None)
        if jobs.get(job_id, {}).get("canProceed"):
            ok = line is not None and line.get("attached") is True and sync.get("status") == "written_back" \
                and store.notes(order_id) >= 1
        else:
            ok = line is not None and line.get("attached") is not True and sync.get("status") == "failed"
        if not ok and sync.get("status") in ORDER_FINAL:
            unlinked.append(order_id)
    return {"orders": len(orders), "accepted": len(accepted), "refused": refused, "lost": lost, "twice": sorted(twice),
            "unlinked": sorted(unlinked), "open": open_,
            "statuses": dict(Counter(str(s.get("status")) for s in syncs.values())),
            "sends": sum(len(v) for v in sends.values()), "tries": sum(s["tries"] for v in sends.values() for s in v),
            "duplicates_answered": sum(s["duplicate"] for v in sends.values() for s in v),
            "details": {o: {"status": s.get("status"), "lastError": s.get("lastError"), "steps": s.get("steps")}
                        for o, s in syncs.items() if o in set(lost) | set(twice) | set(unlinked) | set(open_)}}


def submit(client: httpx.Client, body: dict[str, Any]) -> str | None:
    """``POST /jobs``, retried while the API is down (it may be the process that was just killed)."""
    for _attempt in range(240):
        try:
            response = client.post("/jobs", json=body)
            if response.status_code == 201:
                return str(response.json()["job"]["id"])
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    return None
