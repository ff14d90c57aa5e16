"""Fault injection: kill -9 a worker, the API, ``printgate serve`` or Redis, or restart everything, at
random points while jobs stream in and their webhooks go out; then check that nothing was lost.

Per trial: submit ``--jobs`` small PDFs, wait a random moment, inject one fault, bring serve back
when the fault took it down (a killed serve or Redis: the operator's restart; the harness goes on
as soon as the API answers, while the workers warm up, which keeps a trial at ~25 s on a loaded
machine), and go on. The merchant's endpoint refuses the first POST of every event (503), so every
event is retried once. At the end it waits for every job and prints, per fault kind (a job counts
under the fault of the trial it was submitted in) and in all:

- every job terminal (none stuck in processing), with its verdict;
- every job's ``job.completed`` webhook received, and never two different deliveries of it
  (a redelivery of the same ``webhook-id`` is a retry, which receivers dedupe; two ids would be the
  event applied twice);
- retries on schedule: each event's first retry comes no earlier than its delay (4 s here, +-10%
  jitter) allows, and how many came more than 30 s late;
- no file lost: each job's original file downloads with the bytes that were sent;
- inbound store webhooks (``--orders``, default 2 per trial; 0 leaves them out): a fake WooCommerce
  store (``tests/fakes/woocommerce_store.py``, needs the dev dependencies) is connected once the way
  a merchant does it (REST keys pasted into ``POST /woocommerce/stores``; printgate makes the
  store's order webhooks and their secret). Per trial, one printable job per order is submitted
  (tallied with the trial's jobs), then a signed ``order.created`` webhook in WooCommerce's wire
  format whose print line carries the job (``_printgate_job_id``) is posted in the background while
  the fault strikes, sent again while printgate is down or answers 5xx, and half of the orders are
  delivered a second time (a store's redelivery). Every order must be captured exactly once (one
  row in ``GET /stores/{id}/orders``, one printgate note on the store's order) with its job attached
  and its files written back: "orders lost" (accepted and missing, or never accepted), "orders
  twice", "unlinked" (without its job, or still open at the end);
- CPU seconds of the whole instance beside the wall time.

A 3-trial CI version was withdrawn until the lost-job defect it caught (issue 14) is fixed.

    .venv/bin/python bench/fault_injection.py --trials 100      # default 100; --trials 3 for a smoke run
    .venv/bin/python bench/fault_injection.py --trials 3 --jobs 2 --in-order --faults kill_worker,kill_api,kill_serve
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    CLI,
    ROOT,
    _bench_env,
    cpu_seconds,
    descendants,
    free_port,
    machine,
    make_pdf,
    now_utc,
    save_results,
)

from printgate.connectors.base.states import ORDER_FINAL

FAULTS = ("kill_worker", "kill_api", "kill_serve", "kill_redis", "restart")
TERMINAL = {"ready", "partial", "rejected", "review"}
# A short outbound retry schedule, so every event's first retry (the receiver refuses each first
# POST) falls inside the run; a retry is early below delay * (1 - jitter), and reported as late
# past delay * (1 + jitter) + LATE_S (a restart or a lease in between delays it, legitimately).
RETRY_SCHEDULE = (4.0, 8.0, 16.0, 32.0, 64.0)
RETRY_JITTER = 0.1
LATE_S = 30.0


class Receiver:
    """The merchant's webhook endpoint: records every delivery (webhook-id, event, job, arrival time).

    With ``fail_first`` it answers the first POST of every webhook-id 503, so every event goes
    through one retry and the retry's timing can be checked against the schedule."""

    def __init__(self, fail_first: bool = False) -> None:
        self.deliveries: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.fail_first = fail_first
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                try:
                    payload = json.loads(body)
                except ValueError:
                    payload = {}
                data = payload.get("data") or {}
                job = data.get("job") if isinstance(data.get("job"), dict) else data
                hook_id = self.headers.get("webhook-id")
                with receiver.lock:
                    first = not any(d["id"] == hook_id for d in receiver.deliveries)
                    answer = 503 if receiver.fail_first and first else 200
                    receiver.deliveries.append({"id": hook_id, "type": payload.get("type"),
                                                "job": (job or {}).get("id") or data.get("jobId"),
                                                "at": time.monotonic(), "answer": answer})
                self.send_response(answer)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def completed(self) -> dict[str, set[str]]:
        """job id -> the webhook-ids of its ``job.completed`` deliveries that were answered 200."""
        by_job: dict[str, set[str]] = defaultdict(set)
        with self.lock:
            for d in self.deliveries:
                if d["type"] == "job.completed" and d["job"] and d["answer"] == 200:
                    by_job[d["job"]].add(d["id"])
        return by_job

    def retry_gaps(self) -> dict[str, float]:
        """webhook-id -> seconds between the refused first POST and the next one (the first retry)."""
        times: dict[str, list[float]] = defaultdict(list)
        with self.lock:
            for d in self.deliveries:
                times[d["id"]].append(d["at"])
        return {hook: at[1] - at[0] for hook, at in times.items() if len(at) > 1}


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
ORDER_WAIT_S = 330  # beyond the webhook wait: connector_tick_s (300 s) and a little


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
        job_id = _submit(client, body)
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


class Instance:
    """One data dir and port, served by a ``printgate serve`` that the harness kills and restarts."""

    def __init__(self, data_dir: Path, workers: int) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.workers = workers
        # The code under test is a copy of src/ taken now: the checkout may change (or be mid-edit)
        # during an hour of trials, and every restart would import whatever it holds then.
        self.source = source = Path(tempfile.mkdtemp(prefix="printgate-faults-src-"))
        shutil.copytree(ROOT / "src" / "printgate", source / "printgate",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"), dirs_exist_ok=True)
        # The copy first; what the environment already puts on the path stays after it (under the test
        # suite that is the clock's sitecustomize, so serve runs on the same clock as the harness).
        path = os.pathsep.join([str(source), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))])
        self.env = _bench_env(data_dir, {"PYTHONPATH": path, "PRINTGATE_ALLOW_PRIVATE_URLS": "1", "PRINTGATE_STALE_TASK_S": "15",
                                         "PRINTGATE_WORKER_TTL_S": "10", "PRINTGATE_RATE_LIMIT_PER_MINUTE": "100000",
                                         "PRINTGATE_WEBHOOK_RETRY_SCHEDULE": ",".join(map(str, RETRY_SCHEDULE)),
                                         "PRINTGATE_WEBHOOK_RETRY_JITTER": str(RETRY_JITTER)})
        out = subprocess.run([*CLI, "keys", "create", "--json", "--account", "faults"], env=self.env,
                             capture_output=True, check=True, cwd=ROOT)
        self.auth = {"Authorization": f"Bearer {json.loads(out.stdout)['key']}"}
        self.proc: subprocess.Popen[bytes] | None = None
        self.cpu_s = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 180, healthy: bool = True) -> None:
        """Start serve; wait until it is healthy (workers in), or with ``healthy=False`` only until its
        API answers and its workers are started (an operator's restart: traffic resumes while the
        workers warm up, which keeps a trial cheap and puts the next fault at a random point of it)."""
        before = self.pids()  # the earlier serve's record: this serve ends its leftovers, then writes its own
        log = (self.data_dir / "serve.log").open("ab")
        self.proc = subprocess.Popen([*CLI, "serve", "--host", "127.0.0.1", "--port", str(self.port),
                                      "--workers", str(self.workers), "--api-workers", "1"],
                                     env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                code = httpx.get(f"{self.url}/health", timeout=2).status_code
                now = self.pids()
                if code == 200 or (not healthy and code == 503 and now != before
                                   and any(n.startswith("worker") for n in now)):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError("serve did not come back: " + (self.data_dir / "serve.log").read_text()[-2000:])

    def sample_cpu(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.cpu_s = max(self.cpu_s, 0.0)
            self._last = cpu_seconds([self.proc.pid, *descendants(self.proc.pid)])

    def account_cpu(self) -> None:
        """Add the CPU of the serve about to die (its process tree, measured just before)."""
        self.cpu_s += getattr(self, "_last", 0.0)
        self._last = 0.0

    def pids(self) -> dict[str, int]:
        try:
            entries = json.loads((self.data_dir / "serve.pids.json").read_text())
        except (OSError, ValueError):
            return {}
        return {name: int(e["pid"]) for name, e in entries.items()}

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.sample_cpu()
            self.account_cpu()
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def inject(inst: Instance, fault: str, rng: random.Random) -> str:
    pids = inst.pids()
    inst.sample_cpu()
    if fault == "kill_worker":
        workers = [n for n in pids if n.startswith("worker")]
        if not workers:
            return "no worker to kill"
        name = rng.choice(workers)
        _kill(pids[name])
        return f"kill -9 {name}"
    if fault == "kill_api":
        _kill(pids.get("api", 0))
        return "kill -9 api"
    if fault == "kill_serve":
        assert inst.proc is not None
        inst.account_cpu()
        _kill(inst.proc.pid)
        inst.proc.wait()
        inst.start(healthy=False)
        return "kill -9 serve, then start"
    if fault == "kill_redis":
        _kill(pids.get("redis", 0))
        time.sleep(2)
        inst.stop()  # Redis is not supervised by serve: the operator restarts the instance
        inst.start(healthy=False)
        return "kill -9 redis, then restart"
    inst.stop()
    inst.start(healthy=False)
    return "full restart"


def _kill(pid: int) -> None:
    if pid:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=2, help="jobs submitted per trial (default 2)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--faults", default=",".join(FAULTS), help=f"the faults to draw from (default {','.join(FAULTS)})")
    parser.add_argument("--in-order", action="store_true", help="inject the faults in the order given, not drawn")
    parser.add_argument("--webhook-wait", type=float, default=120,
                        help="seconds to wait for the last job.completed webhooks (default 120)")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--orders", type=int, default=2,
                        help="signed WooCommerce order webhooks per trial, one per job (default 2; 0: none)")
    args = parser.parse_args()
    result = run(args.trials, jobs=args.jobs, workers=args.workers, seed=args.seed,
                 faults=tuple(args.faults.split(",")), data_dir=args.data_dir, in_order=args.in_order,
                 webhook_wait_s=args.webhook_wait, orders=args.orders)
    save_results("fault_injection", result)
    return 0 if held(result) else 1


def held(result: dict[str, Any]) -> bool:
    """Every invariant held: all jobs terminal, every webhook received once, files intact, no early retry,
    and every store order captured once with its job."""
    orders = result.get("store_orders") or {}
    return not (result["stuck"] or result["lost_webhooks"] or result["applied_twice"] or result["lost_files"]
                or result["early_retries"] or orders.get("refused") or orders.get("lost") or orders.get("twice")
                or orders.get("unlinked") or orders.get("open"))


def _submit(client: httpx.Client, body: dict[str, Any]) -> str | None:
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


def run(trials: int, *, jobs: int = 2, workers: int = 2, seed: int = 14, faults: tuple[str, ...] = FAULTS,
        data_dir: Path | None = None, in_order: bool = False, webhook_wait_s: float = 120,
        quiet: bool = False, orders: int = 0) -> dict[str, Any]:
    """The harness; ``in_order`` injects ``faults`` one after another instead of drawing them;
    ``orders`` store order webhooks per trial (the command line's default is 2, a caller's 0).

    A job's fate is tallied under the fault of the trial it was submitted in (the fault that struck
    while it was queued or running)."""
    unknown = set(faults) - set(FAULTS)
    if unknown:
        raise ValueError(f"unknown faults: {sorted(unknown)}")
    say = (lambda *a: None) if quiet else (lambda *a: print(*a, flush=True))
    rng = random.Random(seed)
    tmp = tempfile.TemporaryDirectory(prefix="printgate-faults-")
    data_dir = data_dir or Path(tmp.name) / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    receiver = Receiver(fail_first=True)
    inst = Instance(data_dir, workers)
    started = time.monotonic()
    cpu_start = resource.getrusage(resource.RUSAGE_CHILDREN)
    inst.start()
    client = httpx.Client(base_url=inst.url, headers=inst.auth, timeout=30)
    created = client.post("/webhook-endpoints", json={"url": receiver.url, "events": ["job.completed"]})
    created.raise_for_status()
    store = Store() if orders else None  # inbound: a connected WooCommerce store posts paid orders
    if store is not None:
        store.connect(client)
    order_rng = random.Random(seed + 1)  # its own draws: a seed strikes the same faults with or without orders
    order_job: dict[int, str] = {}  # order id -> the job on its print line
    order_sends: dict[int, list[dict[str, Any]]] = defaultdict(list)
    sent: dict[str, str] = {}  # job id -> sha256 of the file sent
    fault_of: dict[str, str] = {}  # job id -> the fault of its trial
    faults_done: Counter[str] = Counter()
    faults_list = list(faults)
    pdf_dir = data_dir.parent / "pdfs"
    pdf_dir.mkdir(exist_ok=True)
    say(f"fault injection: {trials} trials x {jobs} jobs, {workers} workers; {machine()}; {now_utc()}")
    for trial in range(trials):
        fault = faults_list[trial % len(faults_list)] if in_order else rng.choice(faults_list)
        for n in range(jobs):
            path = make_pdf(pdf_dir / f"t{trial}-{n}.pdf", pages=1 + (n % 3), text=f"trial {trial} job {n}")
            data = path.read_bytes()
            body = {"sources": [{"file": base64.b64encode(data).decode(), "name": path.name,
                                 "steps": [{"type": "preflight"}, {"type": "previews"}]}]}
            job_id = _submit(client, body)
            if job_id is not None:
                sent[job_id] = hashlib.sha256(data).hexdigest()
                fault_of[job_id] = fault
        sender = None
        if store is not None:
            order_jobs = submit_order_jobs(client, pdf_dir, trial, orders)  # tallied with the trial's jobs
            sent.update(order_jobs)
            fault_of.update(dict.fromkeys(order_jobs, fault))
            plan = plan_orders(store, order_rng, trial, list(order_jobs), order_job)
            sender = send_orders(inst.url, store, plan, order_sends)
        time.sleep(rng.uniform(0.0, 2.0))
        faults_done[fault] += 1
        began = time.monotonic()
        what = inject(inst, fault, rng)
        if sender is not None:
            sender.join(timeout=300)
        say(f"trial {trial + 1}/{trials}: {what} ({time.monotonic() - began:.1f} s; {time.monotonic() - started:.0f} s in)")

    # Everything submitted must end: wait for it.
    deadline = time.monotonic() + 300 + 5 * len(sent)
    status: dict[str, dict[str, Any]] = {}
    while time.monotonic() < deadline:
        for job_id in sent:
            if status.get(job_id, {}).get("status") in TERMINAL:
                continue
            try:
                status[job_id] = client.get(f"/jobs/{job_id}").json()["job"]
            except (httpx.HTTPError, ValueError, KeyError):
                pass
        if all(s.get("status") in TERMINAL for s in status.values()) and len(status) == len(sent):
            break
        time.sleep(1)
    stuck = [j for j in sent if status.get(j, {}).get("status") not in TERMINAL]

    # The last deliveries, and any retried after a fault.
    hook_deadline = time.monotonic() + webhook_wait_s
    while time.monotonic() < hook_deadline and any(j not in receiver.completed() for j in sent):
        time.sleep(1)
    by_job = receiver.completed()
    lost_hooks = [j for j in sent if j not in by_job]
    pending: list[dict[str, Any]] = []
    try:
        listed = client.get(f"/webhook-endpoints/{created.json()['endpoint']['id']}/deliveries",
                            params={"status": "pending", "limit": 200}).json()["deliveries"]
        pending = [{"attempts": d["attemptCount"], "next": d["nextAttemptAt"], "error": d["lastError"]} for d in listed]
    except (httpx.HTTPError, KeyError, ValueError):
        pass
    twice = [j for j, ids in by_job.items() if len(ids) > 1]
    # Retries on schedule: the first retry of each event comes no earlier than its delay allows.
    first_delay = RETRY_SCHEDULE[0]
    hook_job = {d["id"]: d["job"] for d in receiver.deliveries}
    gaps = receiver.retry_gaps()
    early = {h: round(g, 2) for h, g in gaps.items() if g < first_delay * (1 - RETRY_JITTER) - 0.5}
    late = {h: round(g, 1) for h, g in gaps.items() if g > first_delay * (1 + RETRY_JITTER) + LATE_S}
    lost_files = []
    for job_id, digest in sent.items():
        job = status.get(job_id) or {}
        url = ((job.get("tasks") or [{}])[0].get("originalArtifact") or {}).get("downloadUrl")
        try:
            got = httpx.get(url, timeout=30) if url else None
        except httpx.HTTPError:
            got = None
        if got is None or got.status_code != 200 or hashlib.sha256(got.content).hexdigest() != digest:
            lost_files.append(job_id)
    # An order whose job was still being checked when it came in is looked at again by the
    # connectors' tick (every 5 minutes), and one whose handler was killed after its lease (150 s).
    order_check = (check_orders(client, store, order_job, order_sends, status, webhook_wait_s + ORDER_WAIT_S)
                   if store is not None else None)
    wall = time.monotonic() - started
    inst.stop()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = inst.cpu_s + (children.ru_utime - cpu_start.ru_utime) + (children.ru_stime - cpu_start.ru_stime)
    verdicts = Counter(s.get("status") for s in status.values())
    per_fault: dict[str, dict[str, int]] = {}
    for fault in faults_done:
        mine = {j for j, f in fault_of.items() if f == fault}
        mine_hooks = {h for h, j in hook_job.items() if j in mine}
        per_fault[fault] = {"trials": faults_done[fault], "jobs": len(mine),
                            "stuck": len(mine.intersection(stuck)), "lost_webhooks": len(mine.intersection(lost_hooks)),
                            "applied_twice": len(mine.intersection(twice)), "lost_files": len(mine.intersection(lost_files)),
                            "early_retries": len(mine_hooks.intersection(early)),
                            "late_retries": len(mine_hooks.intersection(late))}
        if order_check is not None:
            my_orders = {o for o, j in order_job.items() if j in mine}
            per_fault[fault].update({
                "orders": len(my_orders), "orders_twice": len(my_orders.intersection(order_check["twice"])),
                "orders_lost": len(my_orders & {*order_check["lost"], *order_check["refused"]}),
                "orders_unlinked": len(my_orders & {*order_check["unlinked"], *order_check["open"]})})
    say("")
    say(f"{'fault':<12} {'trials':>6} {'jobs':>5} {'stuck':>5} {'hook lost':>9} {'twice':>5} {'file lost':>9} "
        f"{'early retry':>11} {'late retry':>10}" + (f" {'orders':>6} {'orders lost':>11} {'orders twice':>12} "
                                                      f"{'unlinked':>8}" if order_check is not None else ""))
    for fault, row in sorted(per_fault.items()):
        say(f"{fault:<12} {row['trials']:>6} {row['jobs']:>5} {row['stuck']:>5} {row['lost_webhooks']:>9} "
            f"{row['applied_twice']:>5} {row['lost_files']:>9} {row['early_retries']:>11} {row['late_retries']:>10}"
            + (f" {row['orders']:>6} {row['orders_lost']:>11} {row['orders_twice']:>12} {row['orders_unlinked']:>8}"
               if order_check is not None else ""))
    say(f"jobs: {len(sent)} submitted, {len(sent) - len(stuck)} terminal ({dict(verdicts)}), {len(stuck)} stuck")
    say(f"job.completed webhooks: {len(sent) - len(lost_hooks)} received, {len(lost_hooks)} not received "
        f"({len(pending)} deliveries still pending a retry: {pending[:5]}), "
        f"{len(twice)} delivered under two ids (applied twice); {len(receiver.deliveries)} POSTs in all")
    sorted_gaps = sorted(gaps.values())
    say(f"first retries: {len(gaps)} (each event's first POST is answered 503), due after {first_delay:g} s "
        f"+-{RETRY_JITTER:.0%}: {len(early)} early, {len(late)} more than {LATE_S:g} s late; gap min "
        f"{sorted_gaps[0] if sorted_gaps else float('nan'):.1f} s, max {sorted_gaps[-1] if sorted_gaps else float('nan'):.1f} s")
    say(f"files: {len(sent) - len(lost_files)} intact, {len(lost_files)} lost or changed")
    if order_check is not None:
        say(f"store orders: {order_check['orders']} placed, {order_check['accepted']} accepted "
            f"({order_check['sends']} deliveries, {order_check['tries']} POSTs, {order_check['duplicates_answered']} "
            f"answered as duplicates), {len(order_check['refused'])} never accepted, {len(order_check['lost'])} lost, "
            f"{len(order_check['twice'])} captured or written twice, {len(order_check['unlinked'])} without their job, "
            f"{len(order_check['open'])} still open; end states {order_check['statuses']}")
        for order_id, detail in {**order_check["refused"], **order_check["details"]}.items():
            say(f"  order {order_id} (job {order_job[order_id]}): {detail}")
    say(f"wall {wall:.0f} s; CPU {cpu:.0f} s (serve trees and the CLI calls; peer: none, this is a robustness run)")
    client.close()
    receiver.server.shutdown()
    if store is not None:
        store.stop()
    shutil.rmtree(inst.source, ignore_errors=True)
    tmp.cleanup()
    return {"trials": trials, "faults": dict(faults_done), "per_fault": per_fault, "jobs": len(sent),
            "verdicts": dict(verdicts), "stuck": stuck, "lost_webhooks": lost_hooks, "pending_deliveries": pending,
            "applied_twice": twice, "lost_files": lost_files, "first_retries": len(gaps), "early_retries": early,
            "late_retries": late, "wall_s": wall, "cpu_s": cpu, "store_orders": order_check}


if __name__ == "__main__":
    raise SystemExit(main())
