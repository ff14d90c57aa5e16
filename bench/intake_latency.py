"""Issue #2: end-to-end intake latency of a 1-page PDF, as a client sees it.

Per job, sequentially, against a fresh ``printgate serve`` (embedded defaults) on loopback:

    POST /uploads  ->  form POST of the file to the returned URL  ->  POST /jobs/preflight {fileRef}
    ->  poll GET /jobs/{id} every --poll-ms until ready / partial / rejected

then the same with ``"sync": true`` (the POST answers with the finished job; no polling). Reported:
p50/p95 of the whole path and of each leg. The SSE stream (``/element/jobs/{id}/events``) serves
widget (workflow) jobs only, so API jobs are polled, as a Filecheck API client does.

Peers in the same run, on the same file: what merely touching it costs. Ghostscript interpreting
it (``gs -q -dNOPAUSE -dBATCH -sDEVICE=nullpage``) and ``qpdf --check``, each a process per run.

Aim from the issue: p50 < 300 ms.

    .venv/bin/python bench/intake_latency.py               # 100 async + 100 sync jobs
    .venv/bin/python bench/intake_latency.py --jobs 30 --poll-ms 10
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common
import httpx

TARGET_P50_MS = 300.0
TERMINAL = ("ready", "partial", "rejected")
LEGS = {
    "uploads": "client: POST /uploads", "form_post": "client: form POST of the file",
    "submit": "client: POST /jobs/preflight", "wait": "client: polling until terminal",
    "queued": "server: created -> first step started", "running": "server: steps running",
    "finishing": "server: last step ended -> job final",
}


def _ms_between(start: str | None, end: str | None) -> float:
    if not start or not end:
        return float("nan")
    a = datetime.fromisoformat(start.replace("Z", "+00:00"))
    b = datetime.fromisoformat(end.replace("Z", "+00:00"))
    return (b - a).total_seconds() * 1000


def server_side(job: dict[str, Any]) -> dict[str, float]:
    """Where the server spent the job's life, from its own timestamps (ms resolution): queued
    (created -> first step started), running (first step started -> last step ended), finishing
    (last step ended -> job modified)."""
    steps = [s for t in job.get("tasks", []) for s in t.get("steps", [])]
    starts = sorted(s["started"] for s in steps if s.get("started"))
    ends = sorted(s["ended"] for s in steps if s.get("ended"))
    if not starts or not ends:
        return {}
    return {"queued": _ms_between(job["createdAt"], starts[0]), "running": _ms_between(starts[0], ends[-1]),
            "finishing": _ms_between(ends[-1], job["modifiedAt"])}


def one_intake(client: httpx.Client, uploader: httpx.Client, pdf: bytes, name: str, *, sync: bool,
               poll_s: float) -> dict[str, Any]:
    """One file through the whole intake; times in ms per leg."""
    t0 = time.perf_counter()
    upload = client.post("/uploads", json={"mimeType": "application/pdf", "sizeBytes": len(pdf)})
    upload.raise_for_status()
    ticket = upload.json()
    t1 = time.perf_counter()
    form = ticket["upload"]
    # The policy fields first, the file part last (as with S3 presigned POSTs).
    posted = uploader.post(form["url"], data=form["fields"], files={"file": (name, pdf, "application/pdf")})
    posted.raise_for_status()
    t2 = time.perf_counter()
    body: dict[str, Any] = {"sources": [{"fileRef": ticket["fileRef"], "name": name}]}
    if sync:
        body["sync"] = True
    created = client.post("/jobs/preflight", json=body)
    created.raise_for_status()
    job = created.json()["job"]
    t3 = time.perf_counter()
    polls = 0
    while job["status"] not in TERMINAL:
        time.sleep(poll_s)
        job = client.get(f"/jobs/{job['id']}").raise_for_status().json()["job"]
        polls += 1
    t4 = time.perf_counter()
    return {"total": (t4 - t0) * 1000, "uploads": (t1 - t0) * 1000, "form_post": (t2 - t1) * 1000,
            "submit": (t3 - t2) * 1000, "wait": (t4 - t3) * 1000, "polls": polls, "status": job["status"],
            "job": job["id"], **server_side(job)}


def run_series(server: common.Server, pdf: bytes, *, jobs: int, sync: bool, poll_s: float,
               warmup: int) -> list[dict[str, Any]]:
    rows = []
    # Two kept-alive clients, as a real integration has: the API one (with the key) and a plain one
    # for the presigned form POST (no key: the URL's signature is the credential).
    with httpx.Client(base_url=server.url, headers=server.auth, timeout=60) as client, \
            httpx.Client(timeout=60) as uploader:
        for index in range(warmup + jobs):
            row = one_intake(client, uploader, pdf, "artwork.pdf", sync=sync, poll_s=poll_s)
            if index >= warmup:
                rows.append(row)
    return rows


def time_command(cmd: list[str], runs: int, ok_codes: tuple[int, ...] = (0,)) -> list[float] | None:
    if not common.which(cmd[0]):
        return None
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True)
        times.append((time.perf_counter() - start) * 1000)
        if done.returncode not in ok_codes:
            raise RuntimeError(f"{' '.join(cmd)} exited {done.returncode}: {done.stderr.decode()[-500:]}")
    return times


def _line(label: str, values: list[float]) -> str:
    s = common.summarize(values)
    return f"  {label:<52} p50 {s['p50']:>7.1f} ms   p95 {s['p95']:>7.1f} ms   (n={s['n']}, max {s['max']:.1f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=100, help="jobs per series (default 100)")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured jobs before each series")
    parser.add_argument("--poll-ms", type=float, default=10.0, help="GET /jobs/{id} poll interval (default 10)")
    parser.add_argument("--workers", type=int, default=2, help="RQ workers of printgate serve (default 2)")
    parser.add_argument("--api-workers", type=int, default=2, help="uvicorn workers (default 2, as serve)")
    args = parser.parse_args(argv)

    print(f"intake_latency: {common.now_utc()}, {common.machine()}, load average {common.load_average()}")
    print(f"printgate serve --workers {args.workers} --api-workers {args.api_workers} (SQLite, embedded Redis, "
          f"local files); {args.jobs} sequential jobs per series, poll every {args.poll_ms:g} ms\n")
    results: dict[str, Any] = {"jobs": args.jobs, "poll_ms": args.poll_ms}
    with tempfile.TemporaryDirectory(prefix="printgate-bench-pdf-") as tmp:
        pdf_path = common.make_pdf(Path(tmp) / "artwork.pdf")
        pdf = pdf_path.read_bytes()
        print(f"file: 1-page A4 PDF, {len(pdf)} bytes (PyMuPDF, Helvetica text)\n")

        # Peers first, on a quiet server-less machine state.
        gs = time_command(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=nullpage", str(pdf_path)],
                          args.jobs)
        # qpdf --check exits 3 for warnings only; that still counts as having read the file.
        qpdf = time_command(["qpdf", "--check", str(pdf_path)], args.jobs, ok_codes=(0, 3))

        server = common.start_serve(api_workers=args.api_workers, workers=args.workers,
                                    extra_env=common.NO_RATE_LIMIT)
        try:
            series = {}
            for sync in (False, True):
                label = "sync" if sync else "async"
                series[label] = run_series(server, pdf, jobs=args.jobs, sync=sync, poll_s=args.poll_ms / 1000,
                                           warmup=args.warmup)
        finally:
            server.stop()

    statuses = {row["status"] for rows in series.values() for row in rows}
    print(f"printgate intake (job statuses seen: {', '.join(sorted(statuses))}), load average "
          f"{common.load_average()}:")
    for label, rows in series.items():
        print(_line(f"{label}: upload + preflight, end to end", [r["total"] for r in rows]))
        for leg in LEGS:
            print(_line(f"    {LEGS[leg]}", [r[leg] for r in rows if leg in r]))
        results[label] = {"total": common.summarize([r["total"] for r in rows]),
                          **{leg: common.summarize([r[leg] for r in rows if leg in r]) for leg in LEGS},
                          "polls_mean": sum(r["polls"] for r in rows) / len(rows)}
    print("\npeers (same file, one process per run):")
    for label, values in (("gs -sDEVICE=nullpage (interpret only)", gs), ("qpdf --check", qpdf)):
        if values is None:
            print(f"  {label:<52} not installed")
        else:
            print(_line(label, values))
            results[label] = common.summarize(values)
    p50 = results["async"]["total"]["p50"]
    print(f"\nasync intake p50 {p50:.0f} ms: aim p50 < {TARGET_P50_MS:.0f} ms {'met' if p50 < TARGET_P50_MS else 'NOT met'}")
    print(f"raw results: {common.save_results('intake_latency', results)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
