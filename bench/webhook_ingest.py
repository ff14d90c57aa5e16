"""Benchmark: inbound webhook ingest (verify + persist + queue) over loopback, and zero loss when the
worker stops mid-run.

    .venv/bin/python bench/webhook_ingest.py [--count 5000] [--api-workers N] [--clients 4] [--threads 16]

What it does, in a temp data dir with its own embedded Redis:

1. Peer: a bare uvicorn hello-world (raw ASGI, same worker count, same client) -> requests/s.
2. printgate's app under uvicorn, with a ``bench`` platform registered (Standard Webhooks signed,
   verified with ``printgate.webhooks.signing.standard_verify``) and one RQ worker on the ``webhooks`` queue.
   Client processes fire ``--count`` signed deliveries to ``POST /webhooks/bench``; every 200 means
   verified and committed. The worker is killed (SIGKILL) a third of the way in and restarted once
   every delivery is answered; on start it runs the sweep, as ``printgate serve`` does.
3. Checks: rows stored == sent, rows done == sent, handler side effects == sent (once each).

A benchmark, not a test: it prints figures and exits non-zero only if a delivery was lost.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing as mp
import os
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECRET = "whsec_" + "YmVuY2gtc2VjcmV0LWZvci13ZWJob29rLWluZ2VzdA=="  # base64("bench-secret-for-webhook-ingest")
PLATFORM = "bench"


# --- the bench platform (imported by the API and worker processes) --------------------------------

def _register() -> None:
    from datetime import UTC, datetime

    from printgate.core.models import Account
    from printgate.webhooks import inbound
    from printgate.webhooks.signing import standard_verify

    def verify(headers, body, connection_id):  # type: ignore[no-untyped-def]
        msg_id = standard_verify(SECRET, headers, body)
        ts = int(headers.get("webhook-timestamp", "0"))
        return inbound.Verified(account_id=None, connection_id=connection_id, delivery_id=msg_id,
                                topic="bench.event", triggered_at=datetime.fromtimestamp(ts, UTC))

    def handle(session, delivery):  # type: ignore[no-untyped-def]
        # A side effect with a unique key: a delivery handled twice would fail loudly here.
        session.add(Account(id=f"acct_{delivery.id}", name=f"bench-{delivery.delivery_id}"))

    inbound.register_platform(PLATFORM, verify=verify, handle=handle)


def make_app():  # type: ignore[no-untyped-def]
    """uvicorn factory for the printgate app with the bench platform."""
    from printgate.app import create_app

    _register()
    return create_app()


async def hello_app(scope, receive, send):  # type: ignore[no-untyped-def]
    """The peer: the smallest ASGI app uvicorn can serve."""
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b'{"received":true}'})


def run_worker() -> None:
    from rq import SimpleWorker

    from printgate.core.queue import get_redis
    from printgate.webhooks.recovery import sweep

    _register()
    counts = sweep(requeue_pending=True)  # what `printgate serve` does at start-up
    print(f"worker {os.getpid()}: start-up sweep {counts}", flush=True)

    def reaper() -> None:  # what core's Reaper does every 15 s (here 2 s, to keep the bench short)
        while True:
            time.sleep(2)
            sweep()

    threading.Thread(target=reaper, daemon=True).start()
    SimpleWorker(["webhooks"], connection=get_redis()).work(logging_level="ERROR")


# --- load generation ----------------------------------------------------------------------------------

def _client_proc(port: int, path: str, ids: list[str], threads: int, sign: bool, out: mp.Queue) -> None:
    from printgate.webhooks.signing import standard_headers

    results: list[tuple[int, float]] = []
    lock = threading.Lock()
    chunks = [ids[i::threads] for i in range(threads)]

    def run(chunk: list[str]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        local: list[tuple[int, float]] = []
        for msg_id in chunk:
            body = b'{"id":"%s","topic":"orders/paid","total":"12.00"}' % msg_id.encode()
            headers = {"content-type": "application/json"}
            if sign:
                headers.update(standard_headers(SECRET, msg_id, body))
            started = time.perf_counter()
            for _try in range(3):
                try:
                    conn.request("POST", path, body=body, headers=headers)
                    resp = conn.getresponse()
                    resp.read()
                    status = resp.status
                    break
                except (ConnectionError, http.client.HTTPException, OSError):
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                    status = 0
            local.append((status, time.perf_counter() - started))
        conn.close()
        with lock:
            results.extend(local)

    workers = [threading.Thread(target=run, args=(c,)) for c in chunks]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    out.put(results)


def fire(port: int, path: str, ids: list[str], clients: int, threads: int, sign: bool,
         on_progress: tuple[float, threading.Event] | None = None) -> tuple[float, list[tuple[int, float]]]:
    """Send every id once from ``clients`` processes; return (elapsed s, [(status, latency)])."""
    ctx = mp.get_context("fork")
    queue: mp.Queue = ctx.Queue()
    slices = [ids[i::clients] for i in range(clients)]
    started = time.perf_counter()
    procs = [ctx.Process(target=_client_proc, args=(port, path, s, threads, sign, queue)) for s in slices]
    for p in procs:
        p.start()
    results: list[tuple[int, float]] = []
    for _ in procs:
        results.extend(queue.get())
    elapsed = time.perf_counter() - started
    for p in procs:
        p.join()
    return elapsed, results


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answers on port {port}")


def uvicorn(target: str, port: int, workers: int, env: dict[str, str], factory: bool = False) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "uvicorn", target, "--app-dir", str(ROOT / "bench"), "--host", "127.0.0.1",
           "--port", str(port), "--workers", str(workers), "--no-access-log", "--log-level", "warning"]
    if factory:
        cmd.append("--factory")
    return subprocess.Popen(cmd, env=env, cwd=ROOT, start_new_session=True)


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def summary(name: str, elapsed: float, results: list[tuple[int, float]]) -> tuple[str, float]:
    ok = sum(1 for status, _ in results if status == 200)
    lat = sorted(latency for _, latency in results)
    p50 = statistics.median(lat) * 1000
    p99 = lat[max(0, int(len(lat) * 0.99) - 1)] * 1000
    return (f"{name:<58} {ok / elapsed:8.0f} /s   ({ok}/{len(results)} x 200 in {elapsed:.2f} s; "
            f"p50 {p50:.1f} ms, p99 {p99:.1f} ms)"), ok / elapsed


def count(db: Path, sql: str) -> int:
    with sqlite3.connect(db, timeout=30) as conn:
        return int(conn.execute(sql).fetchone()[0])


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a live process so far (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _end_to_end(args: argparse.Namespace, db: Path, began: float, elapsed: float, results: list[tuple[int, float]],
                worker: subprocess.Popen[bytes], worker_cpu0: float, peer_line: str, peer_rate: float) -> int:
    """The worker ran throughout: time from the first request until every delivery is handled."""
    deadline = time.monotonic() + args.timeout
    done = 0
    while time.monotonic() < deadline:
        done = count(db, "select count(*) from webhook_inbound_delivery where status='done'")
        if done >= args.count:
            break
        time.sleep(0.05)
    total = time.perf_counter() - began
    worker_cpu = cpu_s(worker.pid) - worker_cpu0
    pg_line, _pg_rate = summary("printgate POST /webhooks/{platform}: verified+persisted", elapsed, results)
    handled = count(db, "select count(*) from account where name like 'bench-%'")
    print(peer_line)
    print(pg_line)
    print(f"end to end: {done} of {args.count} handled {total:.2f} s after the first request "
          f"({done / total:.0f} /s wall; the worker's CPU {worker_cpu:.2f} s, {done / max(worker_cpu, 1e-9):.0f} "
          f"deliveries per CPU second); the bare server took {args.count / peer_rate:.2f} s to answer them")
    print(f"handler side effects {handled}; lost {args.count - done}")
    return 0 if done == handled == args.count else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--role", choices=["bench", "worker"], default="bench")
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--api-workers", type=int, default=min(4, os.cpu_count() or 1),
                        help="uvicorn worker processes for both servers (default: CPUs, at most 4)")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--timeout", type=float, default=600, help="give up waiting for processing after this")
    parser.add_argument("--no-kill", action="store_true",
                        help="keep the worker running: the end-to-end figure (first request to last delivery handled)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.role == "worker":
        run_worker()
        return 0

    tmp = Path(tempfile.mkdtemp(prefix="pg-bench-webhooks-"))
    data = tmp / "data"
    os.environ["PRINTGATE_DATA_DIR"] = str(data)
    os.environ.pop("DATABASE_URL", None)
    from printgate.core.config import reset_settings
    from printgate.core.db import migrate
    from printgate.core.queue import EmbeddedRedis

    reset_settings()
    migrate()
    redis = EmbeddedRedis(tmp / "redis")
    env = {**os.environ, "PRINTGATE_DATA_DIR": str(data), "REDIS_URL": redis.start(),
           "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'bench'}", "PRINTGATE_LOG_LEVEL": "WARNING",
           # a killed worker's claim lapses quickly, so the bench need not wait 2.5 minutes
           "PRINTGATE_WEBHOOK_INBOUND_HANDLER_TIMEOUT_S": "5"}
    db = data / "printgate.db"
    procs: list[subprocess.Popen[bytes]] = []
    print(f"webhook ingest bench: {args.count} deliveries, {args.api_workers} uvicorn worker(s), "
          f"{args.clients} client processes x {args.threads} connections, loopback; "
          f"{os.cpu_count()} CPUs; SQLite (WAL) + embedded Redis", flush=True)
    try:
        # 1. the peer
        port = free_port()
        peer = uvicorn("webhook_ingest:hello_app", port, args.api_workers, env)
        procs.append(peer)
        wait_http(port)
        elapsed, results = fire(port, "/", [f"warm_{i}" for i in range(500)], args.clients, args.threads, False)
        elapsed, results = fire(port, "/", [f"peer_{i}" for i in range(args.count)], args.clients, args.threads,
                                True)
        peer_line, peer_rate = summary("peer: uvicorn hello-world (raw ASGI, client signs too)", elapsed, results)
        stop(peer)

        # 2. printgate
        port = free_port()
        api = uvicorn("webhook_ingest:make_app", port, args.api_workers, env, factory=True)
        procs.append(api)
        worker_cmd = [sys.executable, str(ROOT / "bench" / "webhook_ingest.py"), "--role", "worker"]
        worker = subprocess.Popen(worker_cmd, env=env, cwd=ROOT, start_new_session=True)
        procs.append(worker)
        wait_http(port)
        ids = [f"msg_{i:07d}" for i in range(args.count)]
        killed_at: dict[str, int] = {}

        def killer() -> None:
            # stop the worker (SIGKILL: no clean shutdown) once a third of the deliveries are stored
            while count(db, "select count(*) from webhook_inbound_delivery") < args.count // 3:
                time.sleep(0.02)
            killed_at["done"] = count(db, "select count(*) from webhook_inbound_delivery where status='done'")
            stop(worker, signal.SIGKILL)

        watcher = threading.Thread(target=killer, daemon=True)
        if not args.no_kill:
            watcher.start()
        worker_cpu0 = cpu_s(worker.pid)
        began = time.perf_counter()
        elapsed, results = fire(port, f"/webhooks/{PLATFORM}", ids, args.clients, args.threads, True)
        if args.no_kill:
            return _end_to_end(args, db, began, elapsed, results, worker, worker_cpu0, peer_line, peer_rate)
        watcher.join(timeout=30)
        pg_line, pg_rate = summary("printgate POST /webhooks/{platform}: verified+persisted", elapsed, results)
        stored = count(db, "select count(*) from webhook_inbound_delivery")
        done_at_end = count(db, "select count(*) from webhook_inbound_delivery where status='done'")

        # 3. restart the worker; it sweeps, then drains
        restart = time.perf_counter()
        worker = subprocess.Popen(worker_cmd, env=env, cwd=ROOT, start_new_session=True)
        procs.append(worker)
        deadline = time.monotonic() + args.timeout
        done = 0
        while time.monotonic() < deadline:
            done = count(db, "select count(*) from webhook_inbound_delivery where status='done'")
            if done >= args.count:
                break
            time.sleep(0.2)
        drain_s = time.perf_counter() - restart
        drain_cpu = cpu_s(worker.pid)
        stop(worker)  # so the final counts are one consistent picture
        handled = count(db, "select count(*) from account where name like 'bench-%'")
        done = count(db, "select count(*) from webhook_inbound_delivery where status='done'")
        failed = count(db, "select count(*) from webhook_inbound_delivery where status='failed'")

        print(peer_line)
        print(pg_line)
        print(f"{'':<58} printgate reaches {pg_rate / peer_rate:.0%} of the bare server's rate")
        print(f"worker killed with {killed_at.get('done', '?')} handled; {done_at_end} done when the last 200 "
              f"came back; restarted: the rest processed in {drain_s:.1f} s "
              f"({(done - done_at_end) / drain_s:.0f} /s, one SimpleWorker; its CPU {drain_cpu:.2f} s, "
              f"{(done - done_at_end) / max(drain_cpu, 1e-9):.0f} deliveries per CPU second)")
        print(f"sent {args.count}, answered 200 {sum(1 for s, _ in results if s == 200)}, stored {stored}, "
              f"done {done}, failed {failed}, handler side effects {handled}; lost {args.count - stored}"
              + (f", still pending at the {args.timeout:.0f} s deadline {stored - done}" if done < stored else ""))
        return 0 if stored == done == handled == args.count else 1
    finally:
        for proc in procs:
            stop(proc)
        redis.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
