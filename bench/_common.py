"""Shared helpers for the bench scripts: a real ``printgate serve`` in a throwaway data dir, an API key,
a small PDF, percentile math and a one-line machine description.

Benchmarks, not tests: they print figures for a person to read and compare; nothing here asserts.
Every process a script starts binds 127.0.0.1 only and is stopped when the script ends.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# The same test PDF and free-port helpers as the test suite (one definition, in tests/support.py, which
# needs no pytest: the README's install has none).
from tests.support import CLI, free_port, make_pdf, source_dir  # noqa: E402, F401  (re-exported for the bench scripts)

RESULTS_DIR = ROOT / "bench" / "results"  # git-ignored: raw JSON of each run

# The per-key token bucket (PRINTGATE_RATE_LIMIT_PER_MINUTE, default 6000 = 100 req/s) would turn a
# load test into a rate-limiter test. Benches that measure throughput lift it and say so.
NO_RATE_LIMIT = {"PRINTGATE_RATE_LIMIT_PER_MINUTE": "100000000", "PRINTGATE_RATE_LIMIT_WIDGET_PER_MINUTE": "0",
                 "PRINTGATE_RATE_LIMIT_UPLOADS_PER_MINUTE": "0"}  # 0: that limit off


# --- numbers -------------------------------------------------------------------------------------

def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100) with linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    if len(ordered) == 1:
        return float(ordered[0])
    rank = (len(ordered) - 1) * p / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (rank - low))


def summarize(values_ms: Sequence[float]) -> dict[str, float]:
    return {
        "n": len(values_ms),
        "p50": percentile(values_ms, 50), "p95": percentile(values_ms, 95), "p99": percentile(values_ms, 99),
        "min": min(values_ms) if values_ms else math.nan, "max": max(values_ms) if values_ms else math.nan,
        "mean": sum(values_ms) / len(values_ms) if values_ms else math.nan,
    }


def machine() -> str:
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (f"{os.cpu_count()} cores{f' ({cpu})' if cpu else ''}, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


def now_utc() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def save_results(name: str, data: dict[str, object]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"{name}-{stamp}.json"
    path.write_text(json.dumps({"date": now_utc(), "machine": machine(), **data}, indent=2, default=str))
    return path


# --- processes -----------------------------------------------------------------------------------

def _child_pids(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def descendants(pid: int) -> list[int]:
    out: list[int] = []
    for child in _child_pids(pid):
        out.append(child)
        out.extend(descendants(child))
    return out


def cpu_seconds(pids: Sequence[int]) -> float:
    """User+system CPU time consumed so far by these processes and the children they reaped (RQ's
    forked work horses) (from /proc; 0 for a gone pid)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(value) for value in fields[11:15]) / tick
    return total


def load_average() -> str:
    """The 1-minute load average: on a shared machine, read every figure beside it."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


@dataclass
class Server:
    """A running ``printgate serve``: API (uvicorn), RQ workers and embedded Redis."""

    url: str
    data_dir: Path
    secret_key: str
    proc: subprocess.Popen[bytes]
    log_path: Path
    api_workers: int
    _tmp: tempfile.TemporaryDirectory[str] | None = field(default=None, repr=False)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret_key}"}

    def api_pids(self) -> list[int]:
        """The uvicorn process and, with --api-workers > 1, its worker children (all the API's CPU)."""
        uvicorn = [p for p in _child_pids(self.proc.pid) if "uvicorn" in cmdline(p)]
        return [uvicorn[0], *descendants(uvicorn[0])] if uvicorn else []

    def request_pids(self) -> list[int]:
        """The processes that run requests: uvicorn's workers, or uvicorn itself with one worker."""
        pids = self.api_pids()
        workers = [p for p in pids[1:] if "spawn_main" in cmdline(p)]
        return workers or pids[:1]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


def _bench_env(data_dir: Path, extra_env: dict[str, str] | None) -> dict[str, str]:
    drop = ("REDIS_URL", "DATABASE_URL", "PRINTGATE_PUBLIC_URL", "PRINTGATE_DATA_DIR")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update({"PRINTGATE_DATA_DIR": str(data_dir), "PRINTGATE_LOG_LEVEL": "WARNING", **(extra_env or {})})
    return env


def start_serve(*, api_workers: int = 1, workers: int = 2, data_dir: Path | None = None,
                extra_env: dict[str, str] | None = None, timeout_s: float = 60.0) -> Server:
    """``printgate serve`` with its embedded defaults (SQLite, embedded Redis, local files) on a free
    loopback port, in ``data_dir`` or a temporary directory removed by ``stop()``."""
    tmp = None
    if data_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="printgate-bench-")
        data_dir = Path(tmp.name) / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = _bench_env(data_dir, extra_env)
    key_out = subprocess.run([*CLI, "keys", "create", "--json", "--account", "bench"],
                             env=env, capture_output=True, check=True, cwd=ROOT)
    key = json.loads(key_out.stdout)["key"]
    port = free_port()
    log_path = data_dir / "serve.log"
    proc = subprocess.Popen(
        [*CLI, "serve", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers), "--api-workers", str(api_workers)],
        env=env, cwd=ROOT, stdout=log_path.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    server = Server(url=url, data_dir=data_dir, secret_key=key, proc=proc, log_path=log_path,
                    api_workers=api_workers, _tmp=tmp)
    # /health says 503 while no RQ worker is registered: with --workers 0 the API alone is the subject.
    healthy = (200,) if workers else (200, 503)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log = log_path.read_text()[-3000:]
            server.stop()
            raise RuntimeError(f"printgate serve exited: {log}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code in healthy:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    log = log_path.read_text()[-3000:]
    server.stop()
    raise RuntimeError(f"printgate serve did not become healthy: {log}")


@contextlib.contextmanager
def serving(**kwargs: object) -> Iterator[Server]:
    server = start_serve(**kwargs)  # type: ignore[arg-type]
    try:
        yield server
    finally:
        server.stop()


def wait_job(client: httpx.Client, job_id: str, *, timeout_s: float = 60.0, interval_s: float = 0.01,
             terminal: tuple[str, ...] = ("ready", "partial", "rejected", "error")) -> dict[str, object]:
    """Poll ``GET /jobs/{id}`` until the job reaches a terminal status; return the job."""
    deadline = time.monotonic() + timeout_s
    while True:
        job = client.get(f"/jobs/{job_id}").raise_for_status().json()["job"]
        if job["status"] in terminal:
            return dict(job)
        if time.monotonic() > deadline:
            raise TimeoutError(f"job {job_id} still {job['status']} after {timeout_s}s")
        time.sleep(interval_s)


# --- a floor for HTTP benchmarks -------------------------------------------------------------------

_HELLO_BODY = b'{"hello":"world"}'


async def hello_app(scope, receive, send):  # type: ignore[no-untyped-def]
    """The smallest ASGI app: what uvicorn itself can serve on this machine (the framework floor)."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"17")]})
    await send({"type": "http.response.body", "body": _HELLO_BODY})


def _hello_fastapi():  # type: ignore[no-untyped-def]
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/hello")
    def hello() -> dict[str, str]:  # sync, like printgate's routes: runs in the threadpool
        return {"hello": "world"}

    return app


def __getattr__(name: str):  # type: ignore[no-untyped-def]
    # ``uvicorn _common:hello_fastapi`` builds the FastAPI app only when asked for it.
    if name == "hello_fastapi":
        return _hello_fastapi()
    raise AttributeError(name)


@dataclass
class Peer:
    url: str
    proc: subprocess.Popen[bytes]

    def pids(self) -> list[int]:
        """uvicorn and its worker children, if any (all the peer's CPU)."""
        return [self.proc.pid, *descendants(self.proc.pid)]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_uvicorn(app: str, *, workers: int = 1, path: str = "/") -> Peer:
    """uvicorn serving ``app`` from this folder (``_common:hello_app``), same flags as printgate's API."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", app, "--app-dir", str(Path(__file__).parent), "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(workers), "--no-access-log", "--log-level", "warning"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + path, timeout=1).status_code < 500:
                return Peer(url=url, proc=proc)
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"uvicorn {app} did not start")


def which(name: str) -> str | None:
    return shutil.which(name)
