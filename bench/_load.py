"""The benches' HTTP load: every request POSTed once, by Python client processes or by wrk.

``python``: ``clients`` processes of an httpx asyncio client, ``concurrency`` connections each; it
returns each answer (a job's id is read from its 201). Each such process delivers only 50-160 requests
a second, so a server that batches concurrent requests sees batches of one or two, and the bench
measures the client. ``wrk``: pre-signed requests replayed each exactly once by
``bench/_wrk_replay.lua`` (C, epoll, one thread, a few ms of CPU per thousand requests), with as many
in flight as the Python load has connections, so the server meets real bursts; it returns the
answers' statuses, not their bodies. Both time from the first send to the last answer on the
monotonic clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing as mp
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

SCRIPT = Path(__file__).resolve().parent / "_wrk_replay.lua"

Call = tuple[str, bytes, dict[str, str]]  # path, body, headers (all POST)
Result = tuple[int, float, str]  # status (0: no answer), latency s, the answer's text
LOADS = ("python", "wrk")


@dataclass
class Fired:
    """One load run: first send (monotonic s), elapsed to the last answer, and the answers: each
    one (``results``, in the order of the requests: python) or only their statuses (wrk)."""

    began: float
    elapsed: float
    statuses: dict[int, int]
    results: list[Result] | None = None
    errors: list[str] = field(default_factory=list)

    def ok(self, codes: tuple[int, ...]) -> int:
        return sum(n for status, n in self.statuses.items() if status in codes)


def fire_load(load: str, url: str, requests: list[Call], *, clients: int, concurrency: int) -> Fired:
    """POST every request once with the chosen load (``clients x concurrency`` in flight either way)."""
    if load == "wrk":
        run = replay(url, requests, connections=clients * concurrency)
        return Fired(run.first_sent, run.elapsed, run.statuses, None, run.errors)
    if load != "python":
        raise SystemExit(f"--load: one of {', '.join(LOADS)}, not {load!r}")
    began = time.monotonic()
    elapsed, results = fire(url, requests, clients=clients, concurrency=concurrency)
    statuses: dict[int, int] = {}
    for status, _, _ in results:
        statuses[status] = statuses.get(status, 0) + 1
    return Fired(began, elapsed, statuses, results)


@dataclass
class WrkRun:
    """One replay: when the first request went out and the last answer came in (monotonic s)."""

    first_sent: float
    last_answer: float
    sent: int
    statuses: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def elapsed(self) -> float:
        return self.last_answer - self.first_sent

    @property
    def ok(self) -> int:
        return sum(n for status, n in self.statuses.items() if 200 <= status < 300)


def lua_string(data: bytes) -> str:
    """A Lua string literal holding exactly these bytes (printable ASCII as is, the rest as \\ddd)."""
    out = ['"']
    for byte in data:
        char = chr(byte)
        if char in '"\\':
            out.append("\\" + char)
        elif 32 <= byte < 127:
            out.append(char)
        else:
            out.append(f"\\{byte:03d}")
    out.append('"')
    return "".join(out)


def write_requests(requests: list[Call], path: Path) -> None:
    """The Lua chunk the replay script loads: ``return {{"POST", path, {headers}, body}, ...}``."""
    with path.open("w") as out:
        out.write("return {\n")
        for url_path, body, headers in requests:
            fields = ", ".join(f"[{lua_string(k.encode())}] = {lua_string(v.encode())}" for k, v in headers.items())
            out.write(f'{{"POST", {lua_string(url_path.encode())}, {{{fields}}}, {lua_string(body)}}},\n')
        out.write("}\n")


def replay(url: str, requests: list[Call], *, connections: int, timeout_s: float = 900) -> WrkRun:
    """POST every request exactly once through wrk with ``connections`` connections (at most one per request)."""
    exe = shutil.which("wrk")
    if exe is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk (scripts/apt-packages.txt lists it)")
    if not requests:
        now = time.monotonic()
        return WrkRun(now, now, 0)
    with tempfile.TemporaryDirectory(prefix="printgate-wrk-") as tmp:
        data, result = Path(tmp) / "requests.lua", Path(tmp) / "result.txt"
        write_requests(requests, data)
        connections = max(1, min(connections, len(requests)))
        cmd = [exe, "-t1", f"-c{connections}", f"-d{int(timeout_s)}s", "--timeout", "60s", "-s", str(SCRIPT),
               url, "--", str(data), str(result)]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout_s + 10
        try:
            # The thread stops after the last answer; wrk's main thread sleeps out -d unless interrupted.
            while not result.exists() and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.01)
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGINT)
            output, _ = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if not result.exists():
            raise RuntimeError(f"wrk ended without answers for every request: {output.decode(errors='replace')[-2000:]}")
        return _parse(result.read_text())


def _parse(text: str) -> WrkRun:
    values: dict[str, float] = {}
    statuses: dict[int, int] = {}
    errors: list[str] = []
    for line in text.splitlines():
        key, _, rest = line.partition(" ")
        if key == "status":
            code, count = rest.split()
            statuses[int(code)] = int(count)
        elif key == "error":
            errors.append(rest)
        elif key:
            values[key] = float(rest)
    return WrkRun(values["first_sent"], values["last_answer"], int(values["sent"]), statuses, errors)


# --- the Python client ----------------------------------------------------------------------------------

def _client_proc(url: str, requests: list[tuple[int, Call]], concurrency: int, out: Any) -> None:
    async def run() -> list[tuple[int, Result]]:
        results: list[tuple[int, Result]] = []
        queue: asyncio.Queue[tuple[int, Call]] = asyncio.Queue()
        for item in requests:
            queue.put_nowait(item)
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
            async def one() -> None:
                while not queue.empty():
                    index, (path, body, headers) = queue.get_nowait()
                    started = time.perf_counter()
                    try:
                        answer = await client.post(path, content=body, headers=headers)
                        status, text = answer.status_code, answer.text
                    except httpx.HTTPError as exc:
                        status, text = 0, f"{type(exc).__name__}: {exc}"
                    results.append((index, (status, time.perf_counter() - started, text)))
            await asyncio.gather(*(one() for _ in range(concurrency)))
        return results

    out.put(asyncio.run(run()))


def fire(url: str, requests: list[Call], *, clients: int, concurrency: int) -> tuple[float, list[Result]]:
    """POST every request once from ``clients`` processes x ``concurrency`` connections; (elapsed s, the
    results in the order of ``requests``)."""
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    numbered = list(enumerate(requests))
    procs = [ctx.Process(target=_client_proc, args=(url, numbered[i::clients], concurrency, out))
             for i in range(clients)]
    started = time.perf_counter()
    for proc in procs:
        proc.start()
    results: list[tuple[int, Result]] = []
    try:
        for _ in procs:
            results.extend(out.get(timeout=900))
    finally:
        for proc in procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
    return time.perf_counter() - started, [result for _, result in sorted(results, key=lambda r: r[0])]
