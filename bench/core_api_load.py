"""Issue #2: how many ``GET /jobs/{id}`` (full job) a ``printgate serve`` answers, and how fast.

Starts ``printgate serve`` on its embedded defaults (SQLite, embedded Redis, local files) in a temp
data dir, creates one finished job (1 task, 3 steps: preflight, previews, deliver on a 1-page PDF)
and drives ``GET /jobs/{id}`` from a separate process over loopback: ``wrk`` if installed
(``apt-get install -y wrk``), else an asyncio httpx load generator in a child process. Beside it,
in the same run, the peers: a minimal ASGI app and a one-route FastAPI app on the same uvicorn
(the framework ceiling on this machine).

Targets from the issue: >= 1,500 req/s and p99 < 25 ms on the embedded defaults.

    .venv/bin/python bench/core_api_load.py                       # api-workers 1 and 2
    .venv/bin/python bench/core_api_load.py --api-workers 1 --duration 10 --connections 1,16,64
    .venv/bin/python bench/core_api_load.py --profile             # + py-spy on the API process

The per-key rate limit (default 100 req/s per key) is lifted for the run: it is measured elsewhere.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common
import httpx

TARGET_RPS = 1500.0
TARGET_P99_MS = 25.0


# --- load generators -----------------------------------------------------------------------------

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        return float("nan")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(output: str) -> dict[str, Any]:
    result: dict[str, Any] = {"tool": "wrk"}
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    result["rps"] = float(rps.group(1)) if rps else float("nan")
    for pct in ("50", "75", "90", "99"):
        match = re.search(rf"^\s+{pct}%\s+(\S+)", output, re.M)
        result[f"p{pct}"] = _ms(match.group(1)) if match else float("nan")
    total = re.search(r"(\d+) requests in", output)
    result["requests"] = int(total.group(1)) if total else 0
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    result["non2xx"] = int(non2xx.group(1)) if non2xx else 0
    errors = re.search(r"Socket errors:(.*)", output)
    result["socket_errors"] = errors.group(1).strip() if errors else ""
    return result


def run_wrk(url: str, headers: dict[str, str], connections: int, duration_s: int) -> dict[str, Any]:
    threads = min(2, connections)
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration_s}s", "--latency", "--timeout", "5s"]
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, timeout=duration_s + 30)
    if out.returncode != 0:
        raise RuntimeError(f"wrk failed: {out.stderr or out.stdout}")
    return parse_wrk(out.stdout)


async def _loadgen(url: str, headers: dict[str, str], connections: int, duration_s: float) -> dict[str, Any]:
    latencies: list[float] = []
    bad = 0
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=5.0) as client:
        end = time.perf_counter() + duration_s

        async def one() -> None:
            nonlocal bad
            while time.perf_counter() < end:
                start = time.perf_counter()
                response = await client.get(url)
                latencies.append((time.perf_counter() - start) * 1000.0)
                if response.status_code >= 400:
                    bad += 1

        began = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(connections)))
        elapsed = time.perf_counter() - began
    stats = common.summarize(latencies)
    return {"tool": "httpx-asyncio", "rps": len(latencies) / elapsed, "p50": stats["p50"],
            "p90": common.percentile(latencies, 90), "p99": stats["p99"], "requests": len(latencies),
            "non2xx": bad, "socket_errors": ""}


def run_httpx(url: str, headers: dict[str, str], connections: int, duration_s: int) -> dict[str, Any]:
    """The fallback load generator, in its own process so it does not share a GIL with anything."""
    out = subprocess.run(
        [sys.executable, __file__, "--_loadgen", url, "--_headers", json.dumps(headers),
         "--connections", str(connections), "--duration", str(duration_s)],
        capture_output=True, text=True, timeout=duration_s + 60, check=True,
    )
    return dict(json.loads(out.stdout))


def load(url: str, headers: dict[str, str], connections: int, duration_s: int) -> dict[str, Any]:
    if common.which("wrk"):
        return run_wrk(url, headers, connections, duration_s)
    return run_httpx(url, headers, connections, duration_s)


# --- the subject ---------------------------------------------------------------------------------

def finished_job(server: common.Server, pdf: Path) -> dict[str, Any]:
    with httpx.Client(base_url=server.url, headers=server.auth, timeout=30) as client:
        body = {"sources": [{
            "file": base64.b64encode(pdf.read_bytes()).decode(), "name": pdf.name,
            "steps": [{"type": "preflight"}, {"type": "previews"}, {"type": "deliver"}],
        }]}
        job_id = client.post("/jobs", json=body).raise_for_status().json()["job"]["id"]
        job = common.wait_job(client, job_id, timeout_s=120)
        size = len(client.get(f"/jobs/{job_id}").content)
    tasks: list[dict[str, Any]] = job["tasks"]  # type: ignore[assignment]
    steps = [s["status"] for t in tasks for s in t["steps"]]
    return {"id": job_id, "status": job["status"], "steps": steps, "bytes": size}


def warm(url: str, headers: dict[str, str], n: int = 200) -> None:
    with httpx.Client(headers=headers, timeout=10) as client:
        for _ in range(n):
            client.get(url)


def measure(url: str, headers: dict[str, str], connections: int, duration_s: int, pids: list[int]) -> dict[str, Any]:
    """One load row plus the server's CPU per request: on a shared machine req/s moves with the
    neighbours' load, CPU-ms per request much less so (1000 / cpu_ms = req/s one core could serve)."""
    load_before = common.load_average()
    cpu0 = common.cpu_seconds(pids)
    result = load(url, headers, connections, duration_s)
    cpu = common.cpu_seconds(pids) - cpu0
    result["cpu_ms_per_req"] = 1000.0 * cpu / result["requests"] if result["requests"] else float("nan")
    result["loadavg"] = f"{load_before}->{common.load_average()}"
    return result


def _row(label: str, conns: int, r: dict[str, Any]) -> str:
    flag = f"  cpu {r['cpu_ms_per_req']:.2f} ms/req  load {r['loadavg']}"
    if r.get("non2xx"):
        flag += f"  non-2xx={r['non2xx']}"
    if r.get("socket_errors"):
        flag += f"  errors: {r['socket_errors']}"
    return (f"  {label:<44} c={conns:<4} {r['rps']:>8.0f} req/s   p50 {r['p50']:>7.2f} ms   "
            f"p99 {r['p99']:>7.2f} ms{flag}")


# --- profile -------------------------------------------------------------------------------------

def profile_api(server: common.Server, url: str, connections: int, duration_s: int, out_dir: Path) -> Path | None:
    """py-spy the API process while wrk drives it; returns the collapsed-stack file."""
    spy = common.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists() and not common.which("py-spy"):
        print("  py-spy not installed (.venv/bin/pip install py-spy): skipping the profile")
        return None
    pids = server.request_pids()
    if not pids:
        print("  no API process found to profile")
        return None
    out_dir.mkdir(parents=True, exist_ok=True)
    raw = out_dir / f"get_job-api{server.api_workers}.txt"
    flame = out_dir / f"get_job-api{server.api_workers}.svg"
    spy_proc = subprocess.Popen([spy, "record", "-p", str(pids[0]), "-d", str(duration_s), "-r", "250", "-f", "raw",
                                 "-o", str(raw), "--nonblocking"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(1.0)
    load(url, server.auth, connections, duration_s - 2)
    spy_proc.wait(timeout=duration_s + 30)
    if not raw.exists():
        print(f"  py-spy wrote nothing: {spy_proc.stderr.read().decode() if spy_proc.stderr else ''}")
        return None
    _flamegraph(raw, flame)
    return raw


def _flamegraph(raw: Path, svg: Path) -> None:
    """Nothing fancy: the collapsed file is the artefact; an SVG only if inferno/flamegraph exist."""
    tool = common.which("inferno-flamegraph") or common.which("flamegraph.pl")
    if tool:
        with raw.open() as src, svg.open("w") as dst:
            subprocess.run([tool], stdin=src, stdout=dst, check=False)


# Leaf frames of threads that wait for work (anyio's idle pool threads, the event loop's poll).
# (With uvloop the event loop's own C work shows as ``Runner.run``; it stays in, idle or not.)
_IDLE = {"Condition.wait (threading.py)", "EpollSelector.select (selectors.py)"}

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^:()]+)(?::(?P<line>\d+))?\)$")


def _short(frame: str) -> str:
    match = _FRAME.match(frame)
    if not match:
        return frame
    path = match.group("file")
    for marker in ("site-packages/", "/work/main/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{match.group('func')} ({path}{':' + match.group('line') if match.group('line') else ''})"


def _stacks(raw: Path) -> list[tuple[list[str], int]]:
    out = []
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        frames = [re.sub(r":\d+\)$", ")", _short(f)) for f in stack.split(";")]
        frames = [f for f in frames if not f.startswith(("process ", "thread "))]
        if frames and frames[-1] not in _IDLE:
            out.append((frames, int(count_text)))
    return out


def top_self(raw: Path, top: int = 15) -> list[tuple[float, str]]:
    own: collections.Counter[str] = collections.Counter()
    for frames, count in _stacks(raw):
        own[frames[-1]] += count
    total = sum(own.values()) or 1
    return [(100.0 * n / total, f) for f, n in own.most_common(top)]


def connection_churn(raw: Path) -> float:
    """Share of samples spent connecting (the PRAGMA hook included) or closing DB connections."""
    marks = ("_sqlite_pragmas", "DefaultDialect.connect (", "DefaultDialect.do_close (")
    stacks = _stacks(raw)
    total = sum(n for _, n in stacks) or 1
    return 100.0 * sum(n for frames, n in stacks if any(m in f for f in frames for m in marks)) / total


def summarize_profile(raw: Path, top: int = 30) -> list[tuple[float, float, str]]:
    """Inclusive and self share of samples per function (line numbers folded), busy samples only;
    the frames of printgate's own code first, since those are the ones we can change."""
    inclusive: collections.Counter[str] = collections.Counter()
    self_: collections.Counter[str] = collections.Counter()
    total = 0
    for frames, count in _stacks(raw):
        total += count
        for frame in set(frames):
            inclusive[frame] += count
        self_[frames[-1]] += count
    total = total or 1
    ours = [f for f, _ in inclusive.most_common() if f.split(" (", 1)[-1].startswith(("core/", "webhooks/",
                                                                                     "connectors/", "widgets/"))]
    return [(100.0 * inclusive[f] / total, 100.0 * self_[f] / total, f) for f in ours[:top]]


# --- main ----------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--api-workers", default="1,2",
                        help="comma list of uvicorn worker counts to try (default 1,2; serve's default is 2)")
    parser.add_argument("--workers", type=int, default=2, help="RQ workers of printgate serve (default 2)")
    parser.add_argument("--connections", default="1,16,64", help="comma list of concurrent connections")
    parser.add_argument("--duration", type=int, default=12, help="seconds per measurement (default 12)")
    parser.add_argument("--no-peers", action="store_true", help="skip the hello-world peers")
    parser.add_argument("--profile", action="store_true", help="py-spy record the API process under load")
    parser.add_argument("--_loadgen", help=argparse.SUPPRESS)
    parser.add_argument("--_headers", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args._loadgen:
        result = asyncio.run(_loadgen(args._loadgen, json.loads(args._headers), int(args.connections),
                                      float(args.duration)))
        print(json.dumps(result))
        return 0

    worker_counts = [int(x) for x in args.api_workers.split(",") if x.strip()]
    conns = [int(x) for x in args.connections.split(",") if x.strip()]
    tool = "wrk" if common.which("wrk") else "httpx asyncio load generator (wrk not installed)"
    print(f"core_api_load: {common.now_utc()}, {common.machine()}")
    print(f"load generator: {tool}, {args.duration}s per row, loopback, separate process")
    print(f"targets (issue #2): >= {TARGET_RPS:.0f} req/s, p99 < {TARGET_P99_MS:.0f} ms\n")

    results: dict[str, Any] = {"tool": tool, "duration_s": args.duration, "rows": []}
    with tempfile.TemporaryDirectory(prefix="printgate-bench-pdf-") as tmp:
        pdf = common.make_pdf(Path(tmp) / "artwork.pdf")
        for api_workers in worker_counts:
            server = common.start_serve(api_workers=api_workers, workers=args.workers, extra_env=common.NO_RATE_LIMIT)
            peers: list[tuple[str, common.Peer, str]] = []
            try:
                job = finished_job(server, pdf)
                print(f"printgate serve --api-workers {api_workers} --workers {args.workers}: job {job['id']} "
                      f"{job['status']}, steps {job['steps']}, response {job['bytes']} bytes")
                job_url = f"{server.url}/jobs/{job['id']}"
                if not args.no_peers:
                    peers = [
                        ("uvicorn minimal ASGI app (floor)", common.start_uvicorn("_common:hello_app",
                                                                                 workers=api_workers), "/"),
                        ("FastAPI one sync route", common.start_uvicorn("_common:hello_fastapi", workers=api_workers,
                                                                        path="/hello"), "/hello"),
                    ]
                subjects = [(f"printgate GET /jobs/{{id}} (api-workers {api_workers})", job_url, server.auth,
                             server.api_pids())]
                subjects += [(f"{label} (workers {api_workers})", peer.url + path, {}, peer.pids())
                             for label, peer, path in peers]
                for label, url, headers, pids in subjects:
                    warm(url, headers)
                    for c in conns:
                        r = measure(url, headers, c, args.duration, pids)
                        results["rows"].append({"subject": label, "connections": c, **r})
                        print(_row(label, c, r), flush=True)
                if args.profile:
                    raw = profile_api(server, job_url, 16, max(args.duration, 12), common.RESULTS_DIR / "profiles")
                    if raw:
                        print(f"\n  py-spy (api-workers {api_workers}, 16 connections), inclusive/self % of samples "
                              f"-> {raw}")
                        for incl, own, frame in summarize_profile(raw):
                            print(f"    {incl:5.1f}% {own:5.1f}%  {frame}")
                        churn = connection_churn(raw)
                        print(f"  opening/closing SQLite connections (pool overflow): {churn:.1f}% of samples")
                        print("  where the time is spent (self %), top 15:")
                        for own, frame in top_self(raw):
                            print(f"    {own:5.1f}%  {frame}")
                print()
            finally:
                for _label, peer, _path in peers:
                    peer.stop()
                server.stop()

    job_rows = [r for r in results["rows"] if r["subject"].startswith("printgate")]
    if job_rows:
        best = max(job_rows, key=lambda r: r["rps"])
        met = best["rps"] >= TARGET_RPS and best["p99"] < TARGET_P99_MS
        print(f"best printgate row: {best['rps']:.0f} req/s, p99 {best['p99']:.2f} ms ({best['subject']}, "
              f"c={best['connections']}): target {'met' if met else 'NOT met'}")
    path = common.save_results("core_api_load", results)
    print(f"raw results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
