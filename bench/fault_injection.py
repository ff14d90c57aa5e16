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
- retries on schedule: each fault's down window is recorded (from the kill until ``/health``
  answers 200 with every worker serve runs heartbeating again, ``bench/_fault_windows.py``), and
  each event's first retry is judged against it: "early" before its delay (4 s here, +-10% jitter),
  "on schedule" within 30 s (twice the workers' 15 s maintenance) of the later of its due time and
  printgate's back-up time after a fault that struck before the retry was overdue, else "late
  after recovery", with the worst lateness after recovery;
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

After each trial a line gives the running tally (jobs, webhooks received, retries early / on
schedule / late, orders accepted), so a run cut short still says how it went; ``--stop-after S``
starts no trial after S seconds and runs every check on the trials done. The CI version is
``tests/core/test_fault_injection.py`` (3 trials, 1 order each, a 20 s connectors' tick).

    .venv/bin/python bench/fault_injection.py --trials 100      # default 100; --trials 3 for a smoke run
    .venv/bin/python bench/fault_injection.py --trials 3 --jobs 2 --in-order --faults kill_worker,kill_api,kill_serve
    nice -n 10 .venv/bin/python bench/fault_injection.py --trials 100 --orders 2 --seed 1414 --stop-after 2400
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
from _fault_orders import Store, check_orders, plan_orders, send_orders, submit, submit_order_jobs
from _fault_windows import BACKLOG, DownWatch, QueueSampler, judge_retries, mark_backlog, tally

from printgate.connectors.base.pipeline import LEASE_S

FAULTS = ("kill_worker", "kill_api", "kill_serve", "kill_redis", "restart")
TERMINAL = {"ready", "partial", "rejected", "review"}
# A short outbound retry schedule, so every event's first retry (the receiver refuses each first
# POST) falls inside the run; a retry is early below delay * (1 - jitter), on schedule up to LATE_S
# past the later of delay * (1 + jitter) and printgate's back-up time after a fault that struck
# before it was overdue (bench/_fault_windows.py), and late after recovery past that. LATE_S: the
# workers' maintenance (which takes over a dead scheduler) runs every 15 s, twice that is the margin.
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

    def arrivals(self) -> dict[str, list[float]]:
        """webhook-id -> the arrival times of its POSTs (the first refused, the second its first retry)."""
        times: dict[str, list[float]] = defaultdict(list)
        with self.lock:
            for d in self.deliveries:
                times[d["id"]].append(d["at"])
        return dict(times)


class Instance:
    """One data dir and port, served by a ``printgate serve`` that the harness kills and restarts."""

    def __init__(self, data_dir: Path, workers: int, connector_tick_s: float = 300.0) -> None:
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
                                         "PRINTGATE_WEBHOOK_RETRY_JITTER": str(RETRY_JITTER),
                                         "PRINTGATE_CONNECTOR_TICK_S": str(connector_tick_s)})
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


def inject(inst: Instance, fault: str, rng: random.Random) -> tuple[str, set[int]]:
    """Strike ``fault``; return what was done and the processes it ended (printgate is back once
    serve's record names none of them)."""
    pids = inst.pids()
    inst.sample_cpu()
    everything = {*pids.values(), *([inst.proc.pid] if inst.proc is not None else [])}
    if fault == "kill_worker":
        workers = [n for n in pids if n.startswith("worker")]
        if not workers:
            return "no worker to kill", set()
        name = rng.choice(workers)
        _kill(pids[name])
        return f"kill -9 {name}", {pids[name]}
    if fault == "kill_api":
        _kill(pids.get("api", 0))
        return "kill -9 api", {pids.get("api", 0)}
    if fault == "kill_serve":
        assert inst.proc is not None
        inst.account_cpu()
        _kill(inst.proc.pid)
        inst.proc.wait()
        inst.start(healthy=False)
        return "kill -9 serve, then start", everything
    if fault == "kill_redis":
        _kill(pids.get("redis", 0))
        time.sleep(2)
        inst.stop()  # Redis is not supervised by serve: the operator restarts the instance
        inst.start(healthy=False)
        return "kill -9 redis, then restart", everything
    inst.stop()
    inst.start(healthy=False)
    return "full restart", everything


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
    parser.add_argument("--connector-tick", type=float, default=300.0,
                        help="the connectors' tick (PRINTGATE_CONNECTOR_TICK_S; default 300 s, as shipped)")
    parser.add_argument("--stop-after", type=float, default=None,
                        help="start no trial after this many seconds; the checks then run on the trials done")
    args = parser.parse_args()
    result = run(args.trials, jobs=args.jobs, workers=args.workers, seed=args.seed,
                 faults=tuple(args.faults.split(",")), data_dir=args.data_dir, in_order=args.in_order,
                 webhook_wait_s=args.webhook_wait, orders=args.orders, connector_tick_s=args.connector_tick,
                 stop_after_s=args.stop_after)
    save_results("fault_injection", result)
    return 0 if held(result) else 1


def held(result: dict[str, Any]) -> bool:
    """Every invariant held: all jobs terminal, every webhook received once, files intact, no early retry,
    and every store order captured once with its job."""
    orders = result.get("store_orders") or {}
    return not (result["stuck"] or result["lost_webhooks"] or result["applied_twice"] or result["lost_files"]
                or result["early_retries"] or orders.get("refused") or orders.get("lost") or orders.get("twice")
                or orders.get("unlinked") or orders.get("open"))


def run(trials: int, *, jobs: int = 2, workers: int = 2, seed: int = 14, faults: tuple[str, ...] = FAULTS,
        data_dir: Path | None = None, in_order: bool = False, webhook_wait_s: float = 120,
        quiet: bool = False, orders: int = 0, connector_tick_s: float = 300.0,
        stop_after_s: float | None = None) -> dict[str, Any]:
    """The harness; ``in_order`` injects ``faults`` one after another instead of drawing them;
    ``orders`` store order webhooks per trial (the command line's default is 2, a caller's 0);
    ``stop_after_s`` starts no trial past that many seconds (a partial run still gets every check).

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
    inst = Instance(data_dir, workers, connector_tick_s)
    started = time.monotonic()
    cpu_start = resource.getrusage(resource.RUSAGE_CHILDREN)
    inst.start()
    down = DownWatch(inst.url, inst.pids)
    sampler = QueueSampler(inst.url)
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
    say(f"fault injection: {trials} trials x {jobs} jobs (+{orders} order jobs), {workers} workers; "
        f"{machine()}; {now_utc()}")
    for trial in range(trials):
        if stop_after_s is not None and time.monotonic() - started > stop_after_s:
            say(f"stopping after {trial} trials (--stop-after {stop_after_s:g} s)")
            break
        fault = faults_list[trial % len(faults_list)] if in_order else rng.choice(faults_list)
        for n in range(jobs):
            path = make_pdf(pdf_dir / f"t{trial}-{n}.pdf", pages=1 + (n % 3), text=f"trial {trial} job {n}")
            data = path.read_bytes()
            body = {"sources": [{"file": base64.b64encode(data).decode(), "name": path.name,
                                 "steps": [{"type": "preflight"}, {"type": "previews"}]}]}
            job_id = submit(client, body)
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
        window = down.begin(fault, trial)
        what, gone = inject(inst, fault, rng)
        down.watch(window, gone)
        if sender is not None:
            sender.join(timeout=300)
        say(f"trial {trial + 1}/{trials}: {what} ({time.monotonic() - began:.1f} s; "
            f"{time.monotonic() - started:.0f} s in) | {_running_tally(receiver, down, sent, order_sends)}")

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

    # The last deliveries, and any retried after a fault: waited for while they keep coming (a burst
    # of events drains at the webhooks worker's pace), up to ``webhook_wait_s`` without progress.
    hook_deadline = time.monotonic() + webhook_wait_s
    received = len(receiver.deliveries)
    while time.monotonic() < hook_deadline and any(j not in receiver.completed() for j in sent):
        time.sleep(1)
        if len(receiver.deliveries) > received:
            received, hook_deadline = len(receiver.deliveries), time.monotonic() + webhook_wait_s
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
    # Retries on schedule: each event's first retry against its due time and printgate's back-up time.
    down.wait()
    hook_job = {d["id"]: d["job"] for d in receiver.deliveries}
    judged = _judge(receiver, down)
    mark_backlog(judged, receiver.arrivals(), sampler, RETRY_SCHEDULE[0], RETRY_JITTER)
    early = {h: j["gap_s"] for h, j in judged.items() if j["verdict"] == "early"}
    late = {h: j["after_recovery_s"] for h, j in judged.items() if j["verdict"] == "late"}
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
    # An order whose job was still being checked when it came in moves when the job's verdict comes;
    # one whose handler was killed waits out its lease, then the connectors' next tick.
    order_check = (check_orders(client, store, order_job, order_sends, status,
                                webhook_wait_s + connector_tick_s + LEASE_S + 30)
                   if store is not None else None)
    wall = time.monotonic() - started
    sampler.stop()
    inst.stop()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = inst.cpu_s + (children.ru_utime - cpu_start.ru_utime) + (children.ru_stime - cpu_start.ru_stime)
    verdicts = Counter(s.get("status") for s in status.values())
    windows = {fault: [round((w["end"] or w["gave_up"]) - w["start"], 1) for w in down.windows if w["fault"] == fault]
               for fault in faults_done}
    per_fault: dict[str, dict[str, Any]] = {}
    for fault in faults_done:
        mine = {j for j, f in fault_of.items() if f == fault}
        mine_hooks = {h for h, j in hook_job.items() if j in mine}
        retries = tally(judged, mine_hooks)
        per_fault[fault] = {"trials": faults_done[fault], "jobs": len(mine),
                            "stuck": len(mine.intersection(stuck)), "lost_webhooks": len(mine.intersection(lost_hooks)),
                            "applied_twice": len(mine.intersection(twice)), "lost_files": len(mine.intersection(lost_files)),
                            "early_retries": retries["early"], "on_schedule": retries["on_schedule"],
                            "late_retries": retries["late"], "delayed_by_fault": retries["delayed_by_fault"],
                            "late_behind_backlog": retries["late_behind_backlog"],
                            "max_late_after_recovery_s": retries["max_late_after_recovery_s"],
                            "down_s_max": max(windows[fault], default=0.0),
                            "never_back": sum(w["end"] is None for w in down.windows if w["fault"] == fault)}
        if order_check is not None:
            my_orders = {o for o, j in order_job.items() if j in mine}
            per_fault[fault].update({
                "orders": len(my_orders), "orders_twice": len(my_orders.intersection(order_check["twice"])),
                "orders_lost": len(my_orders & {*order_check["lost"], *order_check["refused"]}),
                "orders_unlinked": len(my_orders & {*order_check["unlinked"], *order_check["open"]})})
    say("")
    _print_table(say, per_fault, order_check is not None)
    say(f"jobs: {len(sent)} submitted, {len(sent) - len(stuck)} terminal ({dict(verdicts)}), {len(stuck)} stuck")
    say(f"job.completed webhooks: {len(sent) - len(lost_hooks)} received, {len(lost_hooks)} not received "
        f"({len(pending)} deliveries still pending a retry: {pending[:5]}), "
        f"{len(twice)} delivered under two ids (applied twice); {len(receiver.deliveries)} POSTs in all")
    every = tally(judged)
    gaps = sorted(j["gap_s"] for j in judged.values())
    say(f"first retries: {len(judged)} (each event's first POST is answered 503), due {RETRY_SCHEDULE[0]:g} s "
        f"+-{RETRY_JITTER:.0%} later: {every['early']} early, {every['on_schedule']} on schedule (within {LATE_S:g} s "
        f"of the later of due and back-up time; {every['delayed_by_fault']} of them due while printgate was down), "
        f"{every['late']} late after recovery (max {every['max_late_after_recovery_s']:.1f} s after it; "
        f"{every['late_behind_backlog']} of them with >= {BACKLOG} webhooks messages queued ahead, deepest "
        f"{max((j.get('queue_ahead', 0) for j in judged.values()), default=0)}); "
        f"gap min {gaps[0] if gaps else float('nan'):.1f} s, max {gaps[-1] if gaps else float('nan'):.1f} s")
    if late:
        say(f"  late after recovery (webhook-id: s after back-up): {dict(list(late.items())[:10])}")
    spans = [(w["end"] or w["gave_up"]) - w["start"] for w in down.windows]
    say(f"down windows (kill until /health ok with every worker back): {len(spans)}, max {max(spans, default=0):.1f} s, "
        f"{sum(w['end'] is None for w in down.windows)} never back within {down.limit_s:g} s")
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
    return {"trials": sum(faults_done.values()), "faults": dict(faults_done), "per_fault": per_fault,
            "jobs": len(sent), "verdicts": dict(verdicts), "stuck": stuck, "lost_webhooks": lost_hooks,
            "pending_deliveries": pending, "applied_twice": twice, "lost_files": lost_files,
            "first_retries": len(judged), "early_retries": early, "late_retries": late, "retries": every,
            "late_queue_ahead": {h: j["queue_ahead"] for h, j in judged.items() if "queue_ahead" in j},
            "down_windows": spans, "wall_s": wall, "cpu_s": cpu, "store_orders": order_check}


def _judge(receiver: Receiver, down: DownWatch) -> dict[str, dict[str, Any]]:
    return judge_retries(receiver.arrivals(), down.closed(), delay_s=RETRY_SCHEDULE[0], jitter=RETRY_JITTER,
                         tolerance_s=LATE_S)


def _running_tally(receiver: Receiver, down: DownWatch, sent: dict[str, str],
                   order_sends: dict[int, list[dict[str, Any]]]) -> str:
    """One line after each trial, so a run cut short still says how it went so far (a retry whose
    down window is still open is judged against the window so far)."""
    retries = tally(_judge(receiver, down))
    accepted = sum(any(s["status"] is not None and s["status"] < 300 for s in v) for v in order_sends.values())
    last = down.windows[-2] if len(down.windows) > 1 else None
    back = (f"previous fault down {(last['end'] or last['gave_up'] or time.monotonic()) - last['start']:.1f} s; "
            if last else "")
    return (f"{back}so far {len(sent)} jobs, {len(receiver.completed())} job.completed received, retries "
            f"{retries['early']} early / {retries['on_schedule']} on schedule / {retries['late']} late "
            f"(max {retries['max_late_after_recovery_s']:.1f} s after recovery), orders accepted "
            f"{accepted}/{len(order_sends)}")


def _print_table(say: Any, per_fault: dict[str, dict[str, Any]], with_orders: bool) -> None:
    say(f"{'fault':<12} {'trials':>6} {'jobs':>5} {'stuck':>5} {'hook lost':>9} {'twice':>5} {'file lost':>9} "
        f"{'down max s':>10} {'early':>5} {'on sched':>8} {'late':>4} {'backlog':>7} {'max after s':>11}"
        + (f" {'orders':>6} {'orders lost':>11} {'orders twice':>12} {'unlinked':>8}" if with_orders else ""))
    for fault, row in sorted(per_fault.items()):
        say(f"{fault:<12} {row['trials']:>6} {row['jobs']:>5} {row['stuck']:>5} {row['lost_webhooks']:>9} "
            f"{row['applied_twice']:>5} {row['lost_files']:>9} {row['down_s_max']:>10.1f} {row['early_retries']:>5} "
            f"{row['on_schedule']:>8} {row['late_retries']:>4} {row['late_behind_backlog']:>7} "
            f"{row['max_late_after_recovery_s']:>11.1f}"
            + (f" {row['orders']:>6} {row['orders_lost']:>11} {row['orders_twice']:>12} {row['orders_unlinked']:>8}"
               if with_orders else ""))


if __name__ == "__main__":
    raise SystemExit(main())
