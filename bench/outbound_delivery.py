"""Benchmark: outbound webhook delivery throughput of the webhooks worker, beside plain httpx.

    .venv/bin/python bench/outbound_delivery.py [--count 500] [--rounds 1] [--profile]

What it does, in a temp data dir with its own embedded Redis and SQLite:

1. A receiver in a child process: a threaded HTTP/1.1 server on 127.0.0.1 answering 200 to every POST
   (keep-alive allowed), counting what it got.
2. printgate: one endpoint, ``--count`` events emitted to it (one owed delivery each, queued on the
   ``webhooks`` queue), then RQ's SimpleWorker (what ``printgate worker --no-fork`` runs) drains the
   queue in this process. Deliveries/s over wall time, and the worker thread's CPU ms per delivery.
   ``--real-worker``: a real ``printgate worker --queues webhooks --no-fork`` process instead, idle
   before the events are emitted; wall from the first event to the last success, its process CPU.
3. Peer, same run: one ``httpx.Client`` posting the same signed bodies in a loop to the same receiver.
4. Checks: every delivery ``succeeded`` with one attempt, the receiver got exactly ``--count`` posts
   from printgate, each carrying both signature headers.

``--profile`` prints the top of a cProfile of the worker's drain. A benchmark, not a test: it exits
non-zero only if a check fails. The receiver is on loopback, so the private-address guard is told to
allow it (``PRINTGATE_ALLOW_PRIVATE_URLS=1``), as a shop testing on one machine would.
"""

from __future__ import annotations

import argparse
import cProfile
import multiprocessing as mp
import os
import pstats
import shutil
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


# --- the receiver (a child process, so its CPU is not counted as the worker's) -----------------------

def _receiver(port_out: Any, counts: Any) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as any real web server offers
        # One write per answer (flushed after each request): headers and body in two small writes
        # would meet Nagle and delayed ACK, a 40 ms stall per request on a kept-alive connection.
        wbufsize = 64 * 1024
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            self.rfile.read(length)
            signed = bool(self.headers.get("webhook-signature")) and bool(self.headers.get("x-filecheck-signature"))
            with counts.get_lock():
                counts[0] += 1
                counts[1] += int(signed)
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", "11")
            self.end_headers()
            self.wfile.write(b'{"ok":true}')

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port_out.put(server.server_address[1])
    server.serve_forever()


# --- the two sides ----------------------------------------------------------------------------------

def _setup(data_dir: Path) -> Any:
    os.environ["PRINTGATE_DATA_DIR"] = str(data_dir)
    os.environ["PRINTGATE_ALLOW_PRIVATE_URLS"] = "1"
    os.environ.pop("DATABASE_URL", None)
    from printgate.core.queue import EmbeddedRedis

    redis = EmbeddedRedis(data_dir)
    os.environ["REDIS_URL"] = redis.start()
    from printgate.app import wire
    from printgate.core.db import migrate

    migrate()
    wire()
    return redis


def _owe(url: str, count: int) -> list[str]:
    """One endpoint and ``count`` events to it: ``count`` owed deliveries, each with its queue message."""
    from sqlmodel import Session

    from printgate.core.db import get_engine
    from printgate.core.keys import get_or_create_account
    from printgate.webhooks.endpoints import create_endpoint
    from printgate.webhooks.outbound import emit

    ids: list[str] = []
    with Session(get_engine(), expire_on_commit=False) as session:
        account = get_or_create_account(session, "bench")
        endpoint = create_endpoint(session, account.id, {"url": url})
        for i in range(count):
            ids += emit(session, "job.created", account.id, {"id": f"job_bench{i:05d}", "status": "processing"},
                        endpoints=[endpoint])
    return ids


def _drain(profile: bool) -> tuple[float, float]:
    from rq import SimpleWorker

    from printgate.core.queue import WEBHOOKS, get_redis

    worker = SimpleWorker([WEBHOOKS], connection=get_redis())
    profiler = cProfile.Profile() if profile else None
    wall, cpu = time.perf_counter(), time.thread_time()
    if profiler:
        profiler.enable()
    worker.work(burst=True, logging_level="WARNING")
    if profiler:
        profiler.disable()
    wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
    return wall, cpu


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _real_worker(url: str, count: int) -> tuple[list[str], float, float, float]:
    """A real ``printgate worker --queues webhooks --no-fork`` (as ``serve`` starts it), warmed up
    and idle before the deliveries are owed; wall from the first event to the last success."""
    import subprocess

    from rq import Worker
    from sqlmodel import Session, col, func, select

    from printgate.core.db import get_engine
    from printgate.core.queue import get_redis
    from printgate.webhooks.models import OutboundDelivery

    proc = subprocess.Popen([str(Path(sys.executable).parent / "printgate"), "worker", "--queues", "webhooks",
                             "--no-fork"], env=dict(os.environ), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not any(w.pid == proc.pid and w.get_state() == "idle" for w in Worker.all(connection=get_redis())):
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("the worker did not start")
            time.sleep(0.1)
        time.sleep(1.0)
        cpu0, wall0 = _cpu_s(proc.pid), time.perf_counter()
        ids = _owe(url, count)
        owed_s = time.perf_counter() - wall0
        while True:
            with Session(get_engine()) as session:
                done = session.exec(select(func.count()).where(col(OutboundDelivery.id).in_(ids),
                                                               col(OutboundDelivery.status) == "succeeded")).one()
            if done >= len(ids) or time.monotonic() > deadline + 600:
                break
            time.sleep(0.02)
        return ids, owed_s, time.perf_counter() - wall0, _cpu_s(proc.pid) - cpu0
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def _peer(url: str, delivery_ids: list[str]) -> tuple[float, float]:
    """Plain httpx, one client, the same signed bodies (signed here, as the worker signs them)."""
    import httpx
    from sqlmodel import Session

    from printgate.core.db import get_engine
    from printgate.webhooks.models import OutboundDelivery, WebhookEndpoint, WebhookEvent
    from printgate.webhooks.outbound import endpoint_secrets, signature_headers

    with Session(get_engine()) as session:
        rows = [session.get(OutboundDelivery, d) for d in delivery_ids]
        first = rows[0]
        assert first is not None and first.endpoint_id
        endpoint = session.get(WebhookEndpoint, first.endpoint_id)
        assert endpoint is not None
        secrets = endpoint_secrets(endpoint)
        bodies = []
        for row in rows:
            assert row is not None
            event = session.get(WebhookEvent, row.event_id)
            assert event is not None
            bodies.append((event.id, (row.payload or event.payload).encode()))
    wall, cpu = time.perf_counter(), time.thread_time()
    with httpx.Client(timeout=10) as client:
        for msg_id, body in bodies:
            headers = {"content-type": "application/json",
                       **signature_headers(secrets, msg_id, body, int(time.time()))}
            client.post(url, content=body, headers=headers).raise_for_status()
    return time.perf_counter() - wall, time.thread_time() - cpu


def _check(delivery_ids: list[str]) -> list[str]:
    from sqlmodel import Session, col, select

    from printgate.core.db import get_engine
    from printgate.webhooks.models import OutboundDelivery

    with Session(get_engine()) as session:
        rows = session.exec(select(OutboundDelivery).where(col(OutboundDelivery.id).in_(delivery_ids))).all()
        return [f"{r.id}: {r.status} after {r.attempts} attempts" for r in rows
                if r.status != "succeeded" or r.attempts != 1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the worker's drain")
    parser.add_argument("--real-worker", action="store_true",
                        help="a real `printgate worker --no-fork` process instead of SimpleWorker in this one")
    args = parser.parse_args()

    ctx = mp.get_context("spawn")
    port_q: Any = ctx.Queue()
    counts: Any = ctx.Array("i", 2)
    receiver = ctx.Process(target=_receiver, args=(port_q, counts), daemon=True)
    receiver.start()
    url = f"http://127.0.0.1:{port_q.get(timeout=30)}/hook"
    data_dir = Path(tempfile.mkdtemp(prefix="pg-outbound-bench-"))
    redis = None
    try:
        redis = _setup(data_dir)
        started = time.perf_counter()
        if args.real_worker:
            delivery_ids, owed_s, wall, cpu = _real_worker(url, args.count)
            side = "printgate worker (process)"
        else:
            delivery_ids = _owe(url, args.count)
            owed_s, side = time.perf_counter() - started, "printgate webhooks worker"
            wall, cpu = _drain(args.profile)
        got, signed = counts[0], counts[1]
        peer_wall, peer_cpu = _peer(url, delivery_ids)
        problems = _check(delivery_ids)
        n = len(delivery_ids)
        print(f"{n} owed deliveries to a loopback receiver (written and queued in {owed_s:.2f} s)")
        print(f"{'':34}{'deliveries/s':>13}{'wall s':>9}{'CPU s':>9}{'CPU ms/delivery':>17}")
        print(f"{side:34}{n / wall:>13.1f}{wall:>9.2f}{cpu:>9.2f}{cpu * 1000 / n:>17.2f}")
        print(f"{'peer: httpx.Client loop':34}{n / peer_wall:>13.1f}{peer_wall:>9.2f}{peer_cpu:>9.2f}"
              f"{peer_cpu * 1000 / n:>17.2f}")
        print(f"worker/peer: {peer_wall / wall:.2f}x the peer's rate, {cpu / peer_cpu:.1f}x its CPU per delivery")
        if got != n or signed != n:
            problems.append(f"the receiver got {got} posts from the worker ({signed} with both signatures), not {n}")
        for line in problems[:10]:
            print("CHECK FAILED:", line)
        return 1 if problems else 0
    finally:
        receiver.terminate()
        receiver.join(5)
        if redis is not None:
            redis.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
