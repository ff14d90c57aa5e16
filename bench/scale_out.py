"""Benchmark: printgate scaled out on real redis-server, PostgreSQL and an S3 server, on loopback (issue 17).

    .venv/bin/python bench/scale_out.py [--jobs 100] [--workers 1,2,4] [--api-workers 1,2] [--webhooks 1000]
                                        [--database postgres|sqlite] [--profile-dir DIR] [--load wrk|python]

``--database sqlite``: one SQLite file every process shares instead of the PostgreSQL cluster (the
single-host setup, same load, same figures). ``--profile-dir``: the webhooks workers run under a
CPU-time cProfile, one stats file each (``python -m pstats FILE``), to see where a delivery's CPU goes.

What it starts, each in a temp dir, all bound to 127.0.0.1 and all stopped at the end (also on Ctrl-C):
its own ``redis-server`` (private port, no persistence), its own PostgreSQL cluster (``initdb`` +
``pg_ctl``, as ``.ci/run`` does; as user postgres when run as root), and moto's S3 server (the one the
test suite uses) in a process of its own. printgate then runs the scale-out way, each process with a
data dir of its own (as on separate hosts) and the shared settings in its environment: the API as
``printgate serve --workers 0 --api-workers N`` and the workers as separate ``printgate worker``
processes on all four queues: the compose file's general pool (``fork``: a work horse forked per job)
and the same with ``--no-fork`` (jobs run in the worker process), ``--modes``.

Measured:

1. Jobs, with 1, 2 and 4 workers (one API process): ``--jobs`` ``POST /jobs/preflight`` of a 1-page PDF
   (base64 in the body; the API stores it in the bucket, a worker reads it back) from a concurrent
   httpx client. Intake jobs/s: answers per second. Processing jobs/s: jobs per second from the first
   request until every job is terminal (read from PostgreSQL). Peers in the same run: a bare FastAPI
   app taking the same POST (decode the file, answer 201), and Ghostscript interpreting the same PDF
   (``-sDEVICE=nullpage``) as many times, as many at once as there are workers.
2. Store order webhooks, with 1 and 2 API processes: ``--webhooks`` signed Shopify ``orders/paid``
   deliveries for an installed shop (the fake Shopify of the tests) to ``POST /webhooks/shopify``.
   Stored/s: 200s per second. Handled/s: deliveries per second from the first request until every one
   is ``done`` (the order recorded by the connector pipeline), by ``--webhook-workers`` workers on the
   ``webhooks`` queue run as ``printgate serve`` runs its own (no fork). Backlog drained: as many more
   stored while the workers are suspended (``rq suspend``), then drained once they resume (the workers'
   own CPU per queued-up delivery). Peer: a bare FastAPI route reading the same bodies (same uvicorn
   worker count, same client). ``--load wrk`` (the default): wrk replays the pre-signed deliveries,
   each once, with clients x concurrency connections (``bench/_load.py``, ``bench/_wrk_replay.lua``),
   so the receiver meets real bursts; ``--load python``: the Python client processes.

Every row has wall seconds, the CPU seconds of printgate's processes (API and worker trees, from
/proc, forked work horses included) and, apart, of Redis + PostgreSQL + S3, the load average, and the
CPU milliseconds per job or delivery of each part: on a shared machine the CPU is the steady figure.
A benchmark, not a test: it prints figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import hmac
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlparse

import httpx
from fastapi import FastAPI
from fastapi import Request as HTTPRequest
from fastapi.responses import JSONResponse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._common import (  # noqa: E402
    CLI,
    NO_RATE_LIMIT,
    cpu_seconds,
    descendants,
    free_port,
    load_average,
    machine,
    now_utc,
    save_results,
)
from bench._load import LOADS, Call, Fired, fire_load  # noqa: E402
from bench._profiled import PROFILED, PROFILED_API, other_threads_cpu  # noqa: E402

BUCKET = "printgate-bench"
SHOPIFY_ID, SHOPIFY_SECRET, SHOP = "bench-client-id", "bench-client-secret", "bench-shop.myshopify.com"
TERMINAL = ("ready", "partial", "rejected")


# --- processes ----------------------------------------------------------------------------------------

@dataclass
class Proc:
    """A process started in its own session: stopped with its whole group, its tree's CPU readable."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path | None = None

    def pids(self) -> list[int]:
        return [self.popen.pid, *descendants(self.popen.pid)]

    def stop(self, timeout_s: float = 20) -> None:
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()

    def tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-2000:] if self.log_path and self.log_path.exists() else ""


def spawn(name: str, cmd: list[str], env: dict[str, str], log_dir: Path) -> Proc:
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    popen = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log_path.open("ab"), stderr=subprocess.STDOUT,
                             start_new_session=True)
    return Proc(name, popen, log_path)


def wait_until(check: Callable[[], bool], what: str, timeout_s: float = 60, procs: tuple[Proc, ...] = ()) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for proc in procs:
            if proc.popen.poll() is not None:
                raise RuntimeError(f"{proc.name} exited ({proc.popen.returncode}): {proc.tail()}")
        with contextlib.suppress(Exception):
            if check():
                return
        time.sleep(0.2)
    raise RuntimeError(f"timed out waiting for {what}" + "".join(f"\n{p.name}: {p.tail()}" for p in procs))


# --- the shared services (reusable: each returns a URL and a Proc-like handle to stop) -------------

@dataclass
class Service:
    name: str
    url: str
    pids: Callable[[], list[int]]
    stop: Callable[[], None]


def start_redis(work: Path) -> Service:
    """A real redis-server on a private port, no persistence."""
    exe = shutil.which("redis-server")
    if not exe:
        raise SystemExit("redis-server is missing: apt-get install -y redis-server")
    port = free_port()
    proc = spawn("redis", [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                           "--dir", str(work)], dict(os.environ), work)
    url = f"redis://127.0.0.1:{port}/0"

    def ping() -> bool:
        import redis

        return bool(redis.Redis.from_url(url).ping())

    wait_until(ping, "redis-server", procs=(proc,))
    return Service("redis", url, proc.pids, proc.stop)


def _pg_bin() -> Path:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if not versions:
        raise SystemExit("PostgreSQL is missing: apt-get install -y postgresql")
    return versions[-1].parent


def start_postgres(work: Path) -> Service:
    """A private PostgreSQL cluster (initdb + pg_ctl), as .ci/run starts it; as user postgres when root."""
    bindir, data, port = _pg_bin(), work / "pgdata", free_port()
    as_root = os.geteuid() == 0
    work.mkdir(parents=True, exist_ok=True)
    if as_root:
        shutil.chown(work, "postgres")

    def run(*args: str) -> None:
        cmd = [str(bindir / args[0]), *args[1:]]
        if as_root:
            cmd = ["su", "postgres", "-c", " ".join(f"'{a}'" for a in cmd)]
        subprocess.run(cmd, check=True, capture_output=True, start_new_session=True)

    run("initdb", "-D", str(data), "-A", "trust", "-U", "postgres")
    run("pg_ctl", "-D", str(data), "-l", str(work / "pg.log"), "-w", "start", "-o",
        f"-p {port} -k {work} -c listen_addresses=127.0.0.1 -c max_connections=300")

    def pids() -> list[int]:
        with contextlib.suppress(OSError, ValueError):
            postmaster = int((data / "postmaster.pid").read_text().split()[0])
            return [postmaster, *descendants(postmaster)]
        return []

    def stop() -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            run("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")

    return Service("postgres", f"postgresql://postgres@127.0.0.1:{port}/postgres", pids, stop)


def start_s3(work: Path) -> Service:
    """moto's S3 server (what tests/core/test_s3_storage.py uses) in a process of its own, with a bucket."""
    import boto3

    port = free_port()
    proc = spawn("s3", [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                 dict(os.environ), work)
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: httpx.get(url, timeout=2).status_code < 500, "moto S3 server", procs=(proc,))
    boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing",
                 aws_secret_access_key="testing").create_bucket(Bucket=BUCKET)
    return Service("s3", url, proc.pids, proc.stop)


def printgate_env(redis: Service, postgres: Service, s3: Service, extra: dict[str, str]) -> dict[str, str]:
    """What every printgate process of the deployment shares (each adds its own PRINTGATE_DATA_DIR)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRINTGATE_")}
    env.update({
        "REDIS_URL": redis.url, "DATABASE_URL": postgres.url,
        "PRINTGATE_STORAGE": "s3", "PRINTGATE_S3_BUCKET": BUCKET, "PRINTGATE_S3_ENDPOINT_URL": s3.url,
        "PRINTGATE_S3_REGION": "us-east-1", "PRINTGATE_S3_ACCESS_KEY_ID": "testing",
        "PRINTGATE_S3_SECRET_ACCESS_KEY": "testing",
        "PRINTGATE_SIGNING_SECRET": "scale-out-bench-" + "s" * 32,  # the same on every host
        "PRINTGATE_LOG_LEVEL": "WARNING", **NO_RATE_LIMIT, **extra,
    })
    return env


@dataclass
class Deployment:
    """printgate's processes on the shared services; each process has a data dir of its own."""

    env: dict[str, str]
    work: Path
    api: Proc | None = None
    api_url: str = ""
    workers: list[Proc] = field(default_factory=list)

    def host_env(self, name: str) -> dict[str, str]:
        data = self.work / f"host-{name}"
        data.mkdir(parents=True, exist_ok=True)
        return {**self.env, "PRINTGATE_DATA_DIR": str(data)}

    def cli(self, *args: str) -> str:
        return subprocess.run([*CLI, *args], env=self.host_env("admin"), cwd=ROOT, capture_output=True,
                              check=True).stdout.decode()

    def start_api(self, api_workers: int, profile_dir: Path | None = None) -> None:
        port = free_port()
        name = f"api-{api_workers}"
        cmd = [*CLI, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "0",
               "--api-workers", str(api_workers)]
        if profile_dir is not None and api_workers == 1:  # uvicorn itself in this process, under cProfile
            profile_dir.mkdir(parents=True, exist_ok=True)
            cmd = [sys.executable, "-c", PROFILED_API.format(out=str(profile_dir / f"{name}.prof")),
                   "printgate.asgi:app", "--host", "127.0.0.1", "--port", str(port), "--no-access-log"]
        self.api = spawn(name, cmd, self.host_env(name), self.work)
        self.api_url = f"http://127.0.0.1:{port}"
        wait_until(lambda: httpx.get(f"{self.api_url}/health", timeout=2).status_code in (200, 503),
                   f"the API ({name})", procs=(self.api,))

    def start_workers(self, count: int, queues: str, no_fork: bool, profile_dir: Path | None = None) -> None:
        for _ in range(count):
            name = f"worker-{len(self.workers)}"
            cmd = [*CLI, "worker", "--queues", queues, "--name-prefix", name, *(["--no-fork"] if no_fork else [])]
            if profile_dir is not None:  # CPU-time cProfile, its stats written when the worker stops
                profile_dir.mkdir(parents=True, exist_ok=True)
                cmd = [sys.executable, "-c", PROFILED.format(module="printgate",
                                                              out=str(profile_dir / f"{name}-{queues}.prof")), *cmd[3:]]
            self.workers.append(spawn(name, cmd, self.host_env(name), self.work))
        wait_until(lambda: self.registered_workers() >= count, f"{count} worker(s) registered",
                   procs=tuple(self.workers))

    def registered_workers(self) -> int:
        body = httpx.get(f"{self.api_url}/health", timeout=5).json()
        return int(body["checks"]["workers"]["count"])

    def stop_workers(self) -> None:
        for proc in self.workers:
            proc.stop()
        self.workers = []

    def stop(self) -> None:
        self.stop_workers()
        if self.api is not None:
            self.api.stop()
            self.api = None

    def pids(self) -> list[int]:
        return [pid for proc in [*([self.api] if self.api else []), *self.workers] for pid in proc.pids()]


# --- the load (bench/_load.py: the Python client, or wrk replaying pre-signed requests) -------------------

def wait_count(database_url: str, sql: str, ids: list[str], timeout_s: float) -> int:
    """Poll ``sql`` (a count over ``ids``) until it reaches ``len(ids)``: one connection, 10 reads a second,
    so the watching adds little to the database's CPU."""
    deadline, done = time.monotonic() + timeout_s, 0
    with _connect(database_url) as query:
        while time.monotonic() < deadline:
            row = query(sql, ids)
            done = int(row[0][0]) if row else 0
            if done >= len(ids):
                break
            time.sleep(0.1)
    return done


@contextlib.contextmanager
def _connect(database_url: str) -> Any:
    """``query(sql, ids)`` -> rows, on PostgreSQL or on the shared SQLite file; ``sql`` is written for
    PostgreSQL (``= any(%s)`` over the ids), rewritten to ``in (?, ...)`` for SQLite."""
    if database_url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=30)
        try:
            yield lambda sql, ids: conn.execute(
                sql.replace("= any(%s)", f"in ({', '.join('?' * len(ids))})").replace("left(", "substr(")
                .replace(", 90)", ", 1, 90)"), ids).fetchall()
        finally:
            conn.close()
        return
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as pg:
        yield lambda sql, ids: pg.execute(sql, (ids,)).fetchall()


# --- peers -----------------------------------------------------------------------------------------------

def peer_app():  # type: ignore[no-untyped-def]
    """The peer for the API side: bare FastAPI routes taking the same requests (uvicorn factory)."""

    app = FastAPI()

    @app.post("/jobs/preflight")
    async def preflight(request: HTTPRequest) -> JSONResponse:
        body = await request.json()
        size = sum(len(base64.b64decode(s["file"])) for s in body["sources"])
        return JSONResponse({"job": {"id": uuid.uuid4().hex, "bytes": size}}, status_code=201)

    @app.post("/webhooks/shopify")
    async def webhook(request: HTTPRequest) -> dict[str, bool]:
        await request.body()
        return {"received": True}

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def run_peer(api_workers: int, requests: list[Call], work: Path, *, clients: int, concurrency: int,
             load: str = "python") -> tuple[float, int, float]:
    """(elapsed s, 200/201 answers, CPU s) of the bare FastAPI app under the same client."""
    port = free_port()
    proc = spawn(f"peer-{api_workers}", [sys.executable, "-m", "uvicorn", "scale_out:peer_app", "--factory",
                                         "--app-dir", str(ROOT / "bench"), "--host", "127.0.0.1", "--port", str(port),
                                         "--workers", str(api_workers), "--no-access-log", "--log-level", "warning"],
                 dict(os.environ), work)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: httpx.get(f"{url}/health", timeout=2).status_code == 200, "the peer", procs=(proc,))
        cpu0 = cpu_seconds(proc.pids())
        fired = fire_load(load, url, requests, clients=clients, concurrency=concurrency)
        return fired.elapsed, fired.ok((200, 201)), cpu_seconds(proc.pids()) - cpu0
    finally:
        proc.stop()


def run_gs_peer(pdf: Path, count: int, parallel: int) -> tuple[float, float] | None:
    """Ghostscript interpreting the PDF ``count`` times, ``parallel`` at once: (wall s, CPU s)."""
    gs = shutil.which("gs")
    if not gs:
        return None
    cmd = [gs, "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=nullpage", str(pdf)]
    before = os.times()
    started = time.perf_counter()
    with ThreadPoolExecutor(parallel) as pool:
        list(pool.map(lambda _: subprocess.run(cmd, check=True, capture_output=True), range(count)))
    after = os.times()
    return time.perf_counter() - started, (after.children_user - before.children_user
                                           + after.children_system - before.children_system)


# --- the two measurements ------------------------------------------------------------------------------

def jobs_requests(pdf: Path, count: int, auth: dict[str, str]) -> list[Call]:
    body = json.dumps({"sources": [{"file": base64.b64encode(pdf.read_bytes()).decode(), "name": "flyer.pdf"}]})
    headers = {**auth, "Content-Type": "application/json"}
    return [("/jobs/preflight", body.encode(), headers) for _ in range(count)]


def cpu_split(dep: Deployment, services: list[Service]) -> dict[str, float]:
    """CPU seconds so far of each part: the API tree, the worker trees, and each shared service."""
    workers = [pid for proc in dep.workers for pid in proc.pids()]
    return {"api": cpu_seconds(dep.api.pids() if dep.api else []), "workers": cpu_seconds(workers),
            **{service.name: cpu_seconds(service.pids()) for service in services}}


def _delta(after: dict[str, float], before: dict[str, float]) -> dict[str, float]:
    return {name: round(after[name] - before.get(name, 0.0), 3) for name in after}


def per_item_ms(cpu: dict[str, float], count: int) -> str:
    """``api 12 ms, workers 68 ms, ...`` per request or job."""
    return ", ".join(f"{name} {seconds / max(count, 1) * 1000:.1f}" for name, seconds in cpu.items())


def api_ms(phase: dict[str, Any]) -> str:
    count = max(phase["accepted"], 1)
    threads = phase["api_threads_cpu_s"]
    return (f"API {phase['answer_cpu']['api'] / count * 1000:.1f} ms CPU per request (event loops "
            f"{(phase['answer_cpu']['api'] - threads) / count * 1000:.1f} + threads {threads / count * 1000:.1f})")


def _accepted(fired: Fired, requests: list[Call], ok: tuple[int, ...], id_of: Callable[[str, Call], str],
              stored_sql: str | None, database_url: str) -> tuple[list[str], list[str]]:
    """(ids of the accepted requests, a few errors). wrk gives statuses, not which request got which:
    when some were refused, the accepted ones are those ``stored_sql`` finds (their ids, from the requests)."""
    if fired.results is not None:
        return ([id_of(text, req) for (status, _, text), req in zip(fired.results, requests, strict=True)
                 if status in ok], [f"{status} {text[:200]}" for status, _, text in fired.results if status not in ok])
    ids = [id_of("", req) for req in requests]
    if fired.ok(ok) < len(requests):
        if stored_sql is None:
            raise SystemExit("this load needs --load python: its ids come from the answers' bodies")
        with _connect(database_url) as query:
            stored = {str(row[0]) for row in query(stored_sql, ids)}
        ids = [i for i in ids if i in stored]
    return ids, fired.errors


def _phase(dep: Deployment, services: list[Service], requests: list[Call], ok: tuple[int, ...],
           id_of: Callable[[str, Call], str], done_sql: str, *, clients: int, concurrency: int,
           timeout_s: float, load: str = "python", stored_sql: str | None = None) -> dict[str, Any]:
    """Fire the requests; then wait until every accepted one is done in PostgreSQL. Wall and CPU of both legs."""
    api_pids = dep.api.pids() if dep.api else []
    cpu0, load0, threads0 = cpu_split(dep, services), os.getloadavg()[0], other_threads_cpu(api_pids)
    fired = fire_load(load, dep.api_url, requests, clients=clients, concurrency=concurrency)
    cpu1, threads1 = cpu_split(dep, services), other_threads_cpu(api_pids)
    ids, errors = _accepted(fired, requests, ok, id_of, stored_sql, dep.env["DATABASE_URL"])
    done = wait_count(dep.env["DATABASE_URL"], done_sql, ids, timeout_s)
    total, elapsed = time.monotonic() - fired.began, fired.elapsed
    cpu2 = cpu_split(dep, services)
    answer_cpu, total_cpu = _delta(cpu1, cpu0), _delta(cpu2, cpu0)
    own = ("api", "workers")
    return {"sent": len(requests), "accepted": len(ids), "errors": errors[:5], "error_count": len(errors),
            "done": done, "answer_s": elapsed, "total_s": total, "answer_cpu": answer_cpu, "total_cpu": total_cpu,
            "answer_cpu_s": sum(answer_cpu[k] for k in own), "total_cpu_s": sum(total_cpu[k] for k in own),
            "api_threads_cpu_s": round(threads1 - threads0, 3),
            "answer_services_cpu_s": sum(v for k, v in answer_cpu.items() if k not in own),
            "total_services_cpu_s": sum(v for k, v in total_cpu.items() if k not in own),
            "load_before": f"{load0:.1f}", "load_after": load_average(), "ids": ids}


def job_outcomes(database_url: str, ids: list[str]) -> dict[str, int]:
    """How the jobs ended: ``status`` (with the reason's start for a rejected one) -> count."""
    with _connect(database_url) as query:
        rows = query("select status, left(coalesce(reason, ''), 90), count(*) from job where id = any(%s) "
                     "group by 1, 2", ids)
    return {f"{status}{f' ({reason})' if reason else ''}": int(n) for status, reason, n in rows}


def measure_jobs(dep: Deployment, services: list[Service], requests: list[Call], *, clients: int,
                 concurrency: int, timeout_s: float) -> dict[str, Any]:
    terminal = ", ".join(f"'{s}'" for s in TERMINAL)
    phase = _phase(dep, services, requests, (200, 201, 202), lambda text, _req: str(json.loads(text)["job"]["id"]),
                   f"select count(*) from job where id = any(%s) and status in ({terminal})",
                   clients=clients, concurrency=concurrency, timeout_s=timeout_s)
    phase["statuses"] = job_outcomes(dep.env["DATABASE_URL"], phase.pop("ids"))
    return phase


# --- Shopify: the shop installed the way a merchant does it, then signed orders/paid deliveries -----------

def install_shop(dep: Deployment, fake: Any, auth: dict[str, str]) -> str:
    with httpx.Client(base_url=dep.api_url, timeout=60) as client:
        linked = client.post("/stores/shopify/link", json={"shop": SHOP}, headers=auth).raise_for_status().json()
        state = dict(parse_qsl(urlparse(linked["installUrl"]).query))["state"]
        params = {"code": fake.issue_code(SHOP), "shop": SHOP, "state": state, "timestamp": str(int(time.time()))}
        message = "&".join(f"{k}={v}" for k, v in sorted(params.items()))
        params["hmac"] = hmac.new(SHOPIFY_SECRET.encode(), message.encode(), hashlib.sha256).hexdigest()
        client.get("/shopify/callback", params=params)
        return str(linked["store"]["id"])


def order_requests(fake: Any, first_id: int, count: int) -> list[Call]:
    """Paid orders of a plain product (no print file on them), each signed as Shopify signs it."""
    requests: list[Call] = []
    for order_id in range(first_id, first_id + count):
        order = {"id": order_id, "name": f"#{order_id}", "financial_status": "paid", "currency": "EUR",
                 "total_price": "25.00", "email": "bench@mail.example.com",
                 "customer": {"id": 1, "email": "bench@mail.example.com"}, "note": None, "note_attributes": [],
                 "cancelled_at": None,
                 "line_items": [{"id": order_id * 10, "product_id": None, "name": "Flyer A4", "title": "Flyer A4",
                                 "quantity": 100, "sku": "FLY-A4", "price": "25.00", "properties": []}]}
        fake.add_order(SHOP, order)
        body = json.dumps(order).encode()
        digest = base64.b64encode(hmac.new(SHOPIFY_SECRET.encode(), body, hashlib.sha256).digest()).decode()
        requests.append(("/webhooks/shopify", body, {
            "Content-Type": "application/json", "X-Shopify-Topic": "orders/paid", "X-Shopify-Hmac-Sha256": digest,
            "X-Shopify-Shop-Domain": SHOP, "X-Shopify-Webhook-Id": str(uuid.uuid4()),
            "X-Shopify-Triggered-At": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())}))
    return requests


def measure_webhooks(dep: Deployment, services: list[Service], requests: list[Call], *, clients: int,
                     concurrency: int, timeout_s: float, load: str = "python") -> dict[str, Any]:
    phase = _phase(dep, services, requests, (200,), _webhook_id, WEBHOOKS_DONE_SQL, clients=clients,
                   concurrency=concurrency, timeout_s=timeout_s, load=load, stored_sql=WEBHOOKS_STORED_SQL)
    phase.pop("ids")
    return phase


WEBHOOKS_DONE_SQL = ("select count(*) from webhook_inbound_delivery where platform = 'shopify' "
                     "and delivery_id = any(%s) and status = 'done'")
WEBHOOKS_STORED_SQL = "select delivery_id from webhook_inbound_delivery where platform = 'shopify' and delivery_id = any(%s)"


def _webhook_id(_text: str, request: Call) -> str:
    return request[2]["X-Shopify-Webhook-Id"]


def measure_backlog(dep: Deployment, services: list[Service], requests: list[Call], *, clients: int,
                    concurrency: int, timeout_s: float, load: str = "python") -> dict[str, Any]:
    """A burst stored while the workers are suspended (``rq suspend``), then drained once they resume:
    the workers' own CPU per delivery for a backlog (rows a worker took before it saw the suspension left out).
    The wall clock starts when a worker claims its first row: a worker notices the resumption at its
    next once-a-second poll, which would otherwise count as up to a second of draining."""
    from redis import Redis
    from rq.suspension import resume, suspend

    suspend(redis := Redis.from_url(dep.env["REDIS_URL"]))
    try:
        fired = fire_load(load, dep.api_url, requests, clients=clients, concurrency=concurrency)
        ids, _ = _accepted(fired, requests, (200,), _webhook_id, WEBHOOKS_STORED_SQL, dep.env["DATABASE_URL"])
        time.sleep(2)  # a worker polls its suspension once a second
        with _connect(dep.env["DATABASE_URL"]) as query:
            before = int(query(WEBHOOKS_DONE_SQL, ids)[0][0])
        cpu0 = cpu_split(dep, services)
    finally:
        resume(redis)
    began = _first_claim(dep.env["DATABASE_URL"], ids, before)
    done = wait_count(dep.env["DATABASE_URL"], WEBHOOKS_DONE_SQL, ids, timeout_s)
    wall, cpu = time.perf_counter() - began, _delta(cpu_split(dep, services), cpu0)
    return {"stored": len(ids), "drained": done - before, "wall_s": wall, "cpu": cpu, "workers_cpu_s": cpu["workers"],
            "services_cpu_s": sum(v for k, v in cpu.items() if k not in ("api", "workers"))}


def _first_claim(database_url: str, ids: list[str], handled: int, timeout_s: float = 10) -> float:
    """``time.perf_counter()`` once more than ``handled`` of these deliveries left ``pending`` (polled
    every 5 ms: a read of the status index, no lock)."""
    sql = WEBHOOKS_DONE_SQL.replace("status = 'done'", "status <> 'pending'")
    deadline = time.monotonic() + timeout_s
    with _connect(database_url) as query:
        while int(query(sql, ids)[0][0]) <= handled and time.monotonic() < deadline:
            time.sleep(0.005)
    return time.perf_counter()


# --- the run -----------------------------------------------------------------------------------------------

def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def _row(config: str, count: float, wall: float, cpu: float, services_cpu: float | None, load: str, note: str = "") -> str:
    rate = count / wall if wall > 0 else float("nan")
    svc = f"{services_cpu:7.2f}" if services_cpu is not None else "      -"
    return f"{config:<50} {rate:8.1f} {wall:7.2f} {cpu:7.2f} {svc} {load:>5}  {note}"


HEADER = f"{'config':<50} {'per s':>8} {'wall s':>7} {'CPU s':>7} {'svc CPU':>7} {'load':>5}"


def _interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=100, help="preflight jobs per worker count")
    parser.add_argument("--workers", default="1,2,4", help="worker counts for the jobs (comma-separated)")
    parser.add_argument("--jobs-api-workers", type=int, default=1, help="API processes during the jobs runs")
    parser.add_argument("--modes", default="fork,no-fork",
                        help="job workers as the compose file's general pool (fork: a work horse per job) "
                             "and/or with --no-fork (jobs in the worker process), comma-separated")
    parser.add_argument("--webhooks", type=int, default=1000, help="order webhooks per API process count (0: skip)")
    parser.add_argument("--api-workers", default="1,2", help="API process counts for the webhooks")
    parser.add_argument("--webhook-workers", type=int, default=1, help="workers on the webhooks queue (no fork)")
    parser.add_argument("--load", choices=LOADS, default="wrk",
                        help="the webhooks' load (and their peer's): wrk replaying pre-signed deliveries, or the "
                             "Python client processes (jobs always use the Python client: ids come from the answers)")
    parser.add_argument("--clients", type=int, default=2, help="client processes (wrk: clients x concurrency connections)")
    parser.add_argument("--concurrency", type=int, default=16, help="connections per client process")
    parser.add_argument("--timeout", type=float, default=900, help="give up waiting for processing after this")
    parser.add_argument("--database", choices=("postgres", "sqlite"), default="postgres",
                        help="the shared database: a private PostgreSQL cluster, or one SQLite file")
    parser.add_argument("--profile-dir", type=Path, default=None,
                        help="run the webhooks workers, and a single webhooks API process, under cProfile (CPU time), "
                             "stats written here (read with pstats)")
    args = parser.parse_args()
    # SIGTERM, a closed terminal, and SIGINT also when a shell started us in the background (which
    # ignores it there) end the run the way Ctrl-C does: through the finally below.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)

    from bench.shopify_order_to_files import artwork
    from tests.fakes.shopify_store import FakeShopify, FakeShopServer

    work = Path(tempfile.mkdtemp(prefix="printgate-scale-out-"))
    work.chmod(0o711)  # PostgreSQL runs as user postgres when we are root: it must reach its dir inside
    stack = contextlib.ExitStack()
    results: dict[str, Any] = {"bench": "scale_out", "at": now_utc(), "machine": machine(), "args": vars(args)}
    lines: list[str] = []

    def say(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    try:
        stack.callback(shutil.rmtree, work, ignore_errors=True)
        services = []
        starts = (start_redis, start_postgres, start_s3) if args.database == "postgres" else (start_redis, start_s3)
        for start in starts:
            service = start(work / start.__name__.removeprefix("start_"))
            stack.callback(service.stop)
            services.append(service)
        if args.database == "sqlite":  # one file every process shares (they stay on one host then)
            services.insert(1, Service("sqlite", f"sqlite:///{work / 'shared.db'}", lambda: [], lambda: None))
        fake = FakeShopify(SHOPIFY_ID, SHOPIFY_SECRET)
        shop_server = FakeShopServer(fake).start()
        stack.callback(shop_server.stop)
        redis, postgres, s3 = services
        env = printgate_env(redis, postgres, s3, {
            "PRINTGATE_SHOPIFY_API_KEY": SHOPIFY_ID, "PRINTGATE_SHOPIFY_API_SECRET": SHOPIFY_SECRET,
            "PRINTGATE_SHOPIFY_ADMIN_BASE": fake.base + "/{shop}", "PRINTGATE_ALLOW_PRIVATE_URLS": "1"})
        dep = Deployment(env=env, work=work)
        stack.callback(dep.stop)
        dep.cli("migrate")
        key = json.loads(dep.cli("keys", "create", "--json", "--account", "bench"))["key"]
        auth = {"Authorization": f"Bearer {key}"}
        pdf = artwork(work / "flyer.pdf")  # A4 with bleed, vector only: the default profile passes it
        say(f"scale-out bench, {now_utc()}; {machine()}")
        say(f"redis-server {redis.url}, {'PostgreSQL' if args.database == 'postgres' else 'SQLite'} {postgres.url}, "
            f"S3 (moto) {s3.url}; each printgate process "
            "with its own data dir; CPU s: printgate's processes; svc CPU: Redis + PostgreSQL + S3")

        # 1. jobs: intake and processing with 1, 2, 4 workers
        dep.start_api(args.jobs_api_workers)
        queues = "intake,orders,processing,webhooks"
        say(f"\n1. {args.jobs} x POST /jobs/preflight (1-page PDF, base64), {args.clients} clients x "
            f"{args.concurrency} connections; {args.jobs_api_workers} API process(es); workers: "
            f"`printgate worker --queues {queues}` (fork: a forked work horse per job; no-fork: `--no-fork`)")
        say(HEADER)
        job_rows: list[dict[str, Any]] = []
        configs = [(mode, n) for mode in args.modes.split(",") if mode.strip() for n in _ints(args.workers)] \
            if args.jobs else []  # --jobs 0: the webhooks alone
        for mode, workers in configs:
            if mode not in ("fork", "no-fork"):
                raise SystemExit(f"--modes: fork or no-fork, not {mode!r}")
            dep.start_workers(workers, queues, mode == "no-fork")
            measure_jobs(dep, services, jobs_requests(pdf, 2 * workers, auth), clients=1, concurrency=4,
                         timeout_s=120)  # warm-up: imports done, S3 and database connections open
            phase = measure_jobs(dep, services, jobs_requests(pdf, args.jobs, auth), clients=args.clients,
                                 concurrency=args.concurrency, timeout_s=args.timeout)
            dep.stop_workers()
            phase["workers"], phase["mode"] = workers, mode
            job_rows.append(phase)
            note = f"{phase['accepted']}/{phase['sent']} accepted; {api_ms(phase)}" + (
                f", errors e.g. {phase['errors'][0]}" if phase["errors"] else "")
            say(_row(f"intake, {workers} worker(s), {mode}", phase["accepted"], phase["answer_s"], phase["answer_cpu_s"],
                     phase["answer_services_cpu_s"], phase["load_after"], note))
            statuses = ", ".join(f"{n} {s}" for s, n in sorted(phase["statuses"].items()))
            say(_row(f"processing (to all terminal), {workers} worker(s), {mode}", phase["done"],
                     phase["total_s"], phase["total_cpu_s"], phase["total_services_cpu_s"], phase["load_after"],
                     f"{phase['done']}/{phase['accepted']} terminal: {statuses}; ms CPU per job: "
                     + per_item_ms(phase["total_cpu"], phase["done"])))
        results["jobs"] = job_rows
        if args.jobs:
            peer = run_peer(args.jobs_api_workers, jobs_requests(pdf, args.jobs, auth), work, clients=args.clients,
                            concurrency=args.concurrency)
            say(_row(f"peer: bare FastAPI POST (decode, 201), {args.jobs_api_workers} proc", peer[1], peer[0], peer[2],
                     None, load_average()))
            results["jobs_peer"] = {"wall_s": peer[0], "ok": peer[1], "cpu_s": peer[2]}
            for workers in _ints(args.workers):
                gs = run_gs_peer(pdf, args.jobs, workers)
                if gs:
                    say(_row(f"peer: gs -sDEVICE=nullpage, {workers} at a time", args.jobs, gs[0], gs[1], None,
                             load_average()))
                    results.setdefault("gs_peer", []).append({"parallel": workers, "wall_s": gs[0], "cpu_s": gs[1]})
        dep.stop()

        # 2. store order webhooks with 1 and 2 API processes
        if args.webhooks:
            say(f"\n2. {args.webhooks} x Shopify orders/paid (signed, a plain line item) to POST /webhooks/shopify, "
                + (f"wrk replaying them (one thread, {args.clients * args.concurrency} connections)" if args.load == "wrk"
                   else f"{args.clients} Python clients x {args.concurrency} connections")
                + f"; {args.webhook_workers} worker(s) "
                "`--queues webhooks --no-fork`")
            say(HEADER)
            hook_rows: list[dict[str, Any]] = []
            first_id = 100_000
            for api_workers in _ints(args.api_workers):
                dep.start_api(api_workers, args.profile_dir)
                if not hook_rows:
                    install_shop(dep, fake, auth)
                dep.start_workers(args.webhook_workers, "webhooks", True, args.profile_dir)
                measure_webhooks(dep, services, order_requests(fake, first_id, 200), clients=args.clients,
                                 concurrency=args.concurrency, timeout_s=120, load=args.load)  # warm-up: every API process
                first_id += 200
                phase = measure_webhooks(dep, services, order_requests(fake, first_id, args.webhooks),
                                         clients=args.clients, concurrency=args.concurrency, timeout_s=args.timeout,
                                         load=args.load)
                first_id += args.webhooks
                backlog = measure_backlog(dep, services, order_requests(fake, first_id, args.webhooks),
                                          clients=args.clients, concurrency=args.concurrency, timeout_s=args.timeout,
                                          load=args.load)
                first_id += args.webhooks
                dep.stop()
                phase["api_workers"] = api_workers
                phase["backlog"] = backlog
                hook_rows.append(phase)
                note = f"{phase['accepted']}/{phase['sent']} x 200; {api_ms(phase)}" + (
                    f", errors e.g. {phase['errors'][0]}" if phase["errors"] else "")
                say(_row(f"stored (answered 200), {api_workers} API proc", phase["accepted"], phase["answer_s"],
                         phase["answer_cpu_s"], phase["answer_services_cpu_s"], phase["load_after"], note))
                say(_row(f"handled (first POST -> all done), {api_workers} API proc", phase["done"],
                         phase["total_s"], phase["total_cpu_s"], phase["total_services_cpu_s"], phase["load_after"],
                         f"{phase['done']}/{phase['accepted']} done; ms CPU per delivery: "
                         + per_item_ms(phase["total_cpu"], phase["done"])))
                say(_row(f"backlog drained (worker resumed), {api_workers} API proc", backlog["drained"],
                         backlog["wall_s"], backlog["workers_cpu_s"], backlog["services_cpu_s"], load_average(),
                         f"{backlog['drained']}/{backlog['stored']} drained; ms CPU per delivery: "
                         + per_item_ms(backlog["cpu"], backlog["drained"])))
                peer = run_peer(api_workers, order_requests(fake, 900_000 + first_id, args.webhooks), work,
                                clients=args.clients, concurrency=args.concurrency, load=args.load)
                say(_row(f"peer: bare FastAPI POST (read body), {api_workers} proc", peer[1], peer[0], peer[2], None,
                         load_average()))
                hook_rows[-1]["peer"] = {"wall_s": peer[0], "ok": peer[1], "cpu_s": peer[2]}
            results["webhooks"] = hook_rows
            results["shopify_calls"] = len(fake.shop(SHOP).calls)
            say(f"(the fake Shopify answered {results['shopify_calls']} Admin API calls in all)")
        say("\n" + what_a_worker_buys(results))
        results["lines"] = lines
        print(f"results: {save_results('scale_out', results)}")
        return 0
    except KeyboardInterrupt:
        print("interrupted: stopping everything", file=sys.stderr, flush=True)
        return 130
    finally:
        stack.close()


def what_a_worker_buys(results: dict[str, Any]) -> str:
    """The closing lines: processing jobs/s per worker count, against the cores there are."""
    out = []
    cores = os.cpu_count() or 1
    for mode in dict.fromkeys(r["mode"] for r in results.get("jobs") or []):
        rows = [r for r in results["jobs"] if r["mode"] == mode]
        base = rows[0]["done"] / rows[0]["total_s"]
        parts = [f"{r['workers']} worker(s) {r['done'] / r['total_s']:.1f} jobs/s "
                 f"({r['done'] / r['total_s'] / base:.2f}x; {r['total_cpu_s'] / max(r['done'], 1) * 1000:.0f} ms "
                 "CPU per job)" for r in rows]
        out.append(f"what one more worker buys ({mode}, {cores} cores): " + "; ".join(parts))
    if out:
        out.append(f"Past {cores} workers the jobs share {cores} cores with the API, Redis, PostgreSQL, S3 and the "
                   "client: another worker adds jobs in flight, not CPU. Read jobs/s beside the load average.")
    return "\n".join(out)


if __name__ == "__main__":
    raise SystemExit(main())
