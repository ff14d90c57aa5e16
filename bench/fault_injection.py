"""Fault injection: kill -9 a worker, the API, ``printgate serve`` or Redis, or restart everything, at
random points while jobs stream in and their webhooks go out; then check that nothing was lost.

Per trial: submit ``--jobs`` small PDFs, wait a random moment, inject one fault, bring serve back
when the fault took it down (a killed serve or Redis: the operator's restart), and go on. At the end
it waits for every job and prints:

- every job terminal (none stuck in processing), with its verdict;
- every job's ``job.completed`` webhook received, and never two different deliveries of it
  (a redelivery of the same ``webhook-id`` is a retry, which receivers dedupe; two ids would be the
  event applied twice);
- no file lost: each job's original file downloads with the bytes that were sent;
- CPU seconds of the whole instance beside the wall time.

Inbound store webhooks and the outbound retry schedule are not exercised here yet.

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

FAULTS = ("kill_worker", "kill_api", "kill_serve", "kill_redis", "restart")
TERMINAL = {"ready", "partial", "rejected", "review"}


class Receiver:
    """The merchant's webhook endpoint: records every delivery (webhook-id, event, job)."""

    def __init__(self) -> None:
        self.deliveries: list[dict[str, Any]] = []
        self.lock = threading.Lock()
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
                with receiver.lock:
                    receiver.deliveries.append({"id": self.headers.get("webhook-id"), "type": payload.get("type"),
                                                "job": (job or {}).get("id") or data.get("jobId")})
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"


class Instance:
    """One data dir and port, served by a ``printgate serve`` that the harness kills and restarts."""

    def __init__(self, data_dir: Path, workers: int) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.workers = workers
        self.env = _bench_env(data_dir, {"PRINTGATE_ALLOW_PRIVATE_URLS": "1", "PRINTGATE_STALE_TASK_S": "15",
                                         "PRINTGATE_WORKER_TTL_S": "10", "PRINTGATE_RATE_LIMIT_PER_MINUTE": "100000"})
        out = subprocess.run([*CLI, "keys", "create", "--json", "--account", "faults"], env=self.env,
                             capture_output=True, check=True, cwd=ROOT)
        self.auth = {"Authorization": f"Bearer {json.loads(out.stdout)['key']}"}
        self.proc: subprocess.Popen[bytes] | None = None
        self.cpu_s = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 90) -> None:
        log = (self.data_dir / "serve.log").open("ab")
        self.proc = subprocess.Popen([*CLI, "serve", "--host", "127.0.0.1", "--port", str(self.port),
                                      "--workers", str(self.workers), "--api-workers", "1"],
                                     env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
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
                self.proc.wait(timeout=40)
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
        time.sleep(1)
        inst.start()
        return "kill -9 serve, then start"
    if fault == "kill_redis":
        _kill(pids.get("redis", 0))
        time.sleep(2)
        inst.stop()  # Redis is not supervised by serve: the operator restarts the instance
        inst.start()
        return "kill -9 redis, then restart"
    inst.stop()
    inst.start()
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
    parser.add_argument("--jobs", type=int, default=3, help="jobs submitted per trial")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--faults", default=",".join(FAULTS), help=f"the faults to draw from (default {','.join(FAULTS)})")
    parser.add_argument("--in-order", action="store_true", help="inject the faults in the order given, not drawn")
    parser.add_argument("--webhook-wait", type=float, default=120,
                        help="seconds to wait for the last job.completed webhooks (default 120)")
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    result = run(args.trials, jobs=args.jobs, workers=args.workers, seed=args.seed,
                 faults=tuple(args.faults.split(",")), data_dir=args.data_dir, in_order=args.in_order,
                 webhook_wait_s=args.webhook_wait)
    save_results("fault_injection", result)
    return 0 if not (result["stuck"] or result["lost_webhooks"] or result["applied_twice"] or result["lost_files"]) else 1


def run(trials: int, *, jobs: int = 3, workers: int = 2, seed: int = 14, faults: tuple[str, ...] = FAULTS,
        data_dir: Path | None = None, in_order: bool = False, webhook_wait_s: float = 120) -> dict[str, Any]:
    """The harness; ``in_order`` injects ``faults`` one after another instead of drawing them."""
    unknown = set(faults) - set(FAULTS)
    if unknown:
        raise ValueError(f"unknown faults: {sorted(unknown)}")
    args = argparse.Namespace(trials=trials, jobs=jobs, workers=workers, data_dir=data_dir, seed=seed)
    rng = random.Random(args.seed)
    tmp = tempfile.TemporaryDirectory(prefix="printgate-faults-")
    data_dir = args.data_dir or Path(tmp.name) / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    receiver = Receiver()
    inst = Instance(data_dir, args.workers)
    started = time.monotonic()
    inst.start()
    client = httpx.Client(base_url=inst.url, headers=inst.auth, timeout=30)
    created = client.post("/webhook-endpoints", json={"url": receiver.url, "events": ["job.completed"]})
    created.raise_for_status()
    sent: dict[str, str] = {}  # job id -> sha256 of the file sent
    faults_done: Counter[str] = Counter()
    faults_list = list(faults)
    pdf_dir = data_dir.parent / "pdfs"
    pdf_dir.mkdir(exist_ok=True)
    print(f"fault injection: {args.trials} trials x {args.jobs} jobs, {args.workers} workers; {machine()}; {now_utc()}",
          flush=True)
    for trial in range(args.trials):
        for n in range(args.jobs):
            path = make_pdf(pdf_dir / f"t{trial}-{n}.pdf", pages=1 + (n % 3), text=f"trial {trial} job {n}")
            data = path.read_bytes()
            body = {"sources": [{"file": base64.b64encode(data).decode(), "name": path.name,
                                 "steps": [{"type": "preflight"}, {"type": "previews"}]}]}
            for _attempt in range(30):  # the API may be the process that was just killed
                try:
                    response = client.post("/jobs", json=body)
                    if response.status_code == 201:
                        sent[response.json()["job"]["id"]] = hashlib.sha256(data).hexdigest()
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.5)
        time.sleep(rng.uniform(0.0, 2.0))
        fault = faults_list[trial % len(faults_list)] if in_order else rng.choice(faults_list)
        faults_done[fault] += 1
        what = inject(inst, fault, rng)
        print(f"trial {trial + 1}/{args.trials}: {what}", flush=True)

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

    def received() -> dict[str, set[str]]:
        by_job: dict[str, set[str]] = defaultdict(set)
        with receiver.lock:
            for d in receiver.deliveries:
                if d["type"] == "job.completed" and d["job"]:
                    by_job[d["job"]].add(d["id"])
        return by_job

    # The last deliveries, and any retried after a fault (the first retries come within minutes).
    hook_deadline = time.monotonic() + webhook_wait_s
    while time.monotonic() < hook_deadline and any(j not in received() for j in sent):
        time.sleep(1)
    by_job = received()
    lost_hooks = [j for j in sent if j not in by_job]
    pending: list[dict[str, Any]] = []
    try:
        listed = client.get(f"/webhook-endpoints/{created.json()['endpoint']['id']}/deliveries",
                            params={"status": "pending", "limit": 200}).json()["deliveries"]
        pending = [{"attempts": d["attemptCount"], "next": d["nextAttemptAt"], "error": d["lastError"]} for d in listed]
    except (httpx.HTTPError, KeyError, ValueError):
        pass
    twice = [j for j, ids in by_job.items() if len(ids) > 1]
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
    wall = time.monotonic() - started
    inst.stop()
    verdicts = Counter(s.get("status") for s in status.values())
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    print()
    print(f"faults injected: {dict(faults_done)}")
    print(f"jobs: {len(sent)} submitted, {len(sent) - len(stuck)} terminal ({dict(verdicts)}), {len(stuck)} stuck")
    print(f"job.completed webhooks: {len(sent) - len(lost_hooks)} received, {len(lost_hooks)} not received "
          f"({len(pending)} deliveries still pending a retry: {pending[:5]}), "
          f"{len(twice)} delivered under two ids (applied twice); {len(receiver.deliveries)} POSTs in all")
    print(f"files: {len(sent) - len(lost_files)} intact, {len(lost_files)} lost or changed")
    print(f"wall {wall:.0f} s; CPU {inst.cpu_s + children.ru_utime + children.ru_stime:.0f} s (serve trees and "
          f"the CLI calls; peer: none, this is a robustness run)")
    client.close()
    receiver.server.shutdown()
    tmp.cleanup()
    return {"trials": args.trials, "faults": dict(faults_done), "jobs": len(sent), "verdicts": dict(verdicts),
            "stuck": stuck, "lost_webhooks": lost_hooks, "pending_deliveries": pending, "applied_twice": twice,
            "lost_files": lost_files,
            "wall_s": wall}


if __name__ == "__main__":
    raise SystemExit(main())
