"""The dashboard's Jobs page with 100,000 jobs in SQLite: server time p50/p95, CPU, transfer size.

Fills a fresh data dir's SQLite with ``--jobs`` jobs (one file each; a 10 % share of them in a second
account, interleaved; some auto-fixed) by bulk inserts, starts ``printgate serve --workers 0`` on it
(the API alone, one uvicorn process) and a signed-in dashboard session, then requests
``/dashboard/jobs`` one at a time over loopback: the first page, a page 50,000 jobs deep (keyset
cursor), and filtered views. The peer, same run, same database file, same uvicorn flags: a bare
FastAPI app (no session, no templates) running the same page query with ``sqlite3`` and answering a
minimal HTML table. Each row prints wall-time p50/p95 (measured by the client, loopback included) and
the server process's CPU seconds beside the row's wall seconds.

    .venv/bin/python bench/dashboard_jobs.py [--jobs 100000] [--requests 300]
"""

from __future__ import annotations

import argparse
import gzip
import html
import os
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    cpu_seconds,
    load_average,
    machine,
    now_utc,
    percentile,
    save_results,
    start_serve,
    start_uvicorn,
)

ACCOUNT = "bench"  # start_serve's key is made for this account
PAGE = 25

# --- the peer: a bare FastAPI app, the same page query, no session, no templates -----------------

_PEER_SQL = ("SELECT id, kind, status, created_at, order_id, customer_email, customer_id FROM job "
             "WHERE account_id = ? AND deleted_at IS NULL {cursor}ORDER BY created_at DESC, id DESC LIMIT ?")


def _peer_app():  # type: ignore[no-untyped-def]
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse

    db_path, account_id = os.environ["BENCH_DB"], os.environ["BENCH_ACCOUNT_ID"]
    app = FastAPI()

    @app.get("/jobs", response_class=HTMLResponse)
    def jobs(after_c: str | None = None, after_id: str | None = None) -> str:  # sync, like the dashboard's
        conn = sqlite3.connect(db_path)
        try:
            args: list[Any] = [account_id]
            cursor = ""
            if after_c and after_id:
                cursor = "AND created_at <= ? AND (created_at < ? OR (created_at = ? AND id < ?)) "
                args += [after_c, after_c, after_c, after_id]
            rows = conn.execute(_PEER_SQL.format(cursor=cursor), [*args, PAGE + 1]).fetchall()[:PAGE]
            ids = [r[0] for r in rows]
            marks = ",".join("?" * len(ids))
            names: dict[str, list[str]] = {}
            for job_id, name in conn.execute(f"SELECT job_id, name FROM task WHERE job_id IN ({marks}) "
                                             "ORDER BY job_id, position", ids):
                names.setdefault(job_id, []).append(name or "")
            ready = [r[0] for r in rows if r[2] == "ready"]
            fixed = {r[0] for r in conn.execute(
                f"SELECT job_id FROM step WHERE job_id IN ({','.join('?' * len(ready))}) AND type = 'autofix' "
                "AND outcome = 'fixed'", ready)} if ready else set()
        finally:
            conn.close()
        body = "".join(
            f"<tr><td><a href='/jobs/{r[0]}'>{r[0]}</a></td><td>{'Auto-fixed' if r[0] in fixed else r[2]}</td>"
            f"<td>{r[1]}</td><td>{html.escape(', '.join(names.get(r[0], [])))}</td><td>{r[4] or ''}</td>"
            f"<td>{html.escape(r[5] or r[6] or '')}</td><td>{r[3]}</td></tr>" for r in rows)
        return f"<!doctype html><title>Jobs</title><table>{body}</table>"

    return app


def __getattr__(name: str):  # type: ignore[no-untyped-def]
    if name == "peer_app":  # uvicorn dashboard_jobs:peer_app
        return _peer_app()
    raise AttributeError(name)


# --- the data ------------------------------------------------------------------------------------

def fill(data_dir: Path, count: int) -> tuple[str, str, str]:
    """Bulk rows; returns (the bench account's id, a signed-in session token, a cursor 50,000 deep)."""
    os.environ["PRINTGATE_DATA_DIR"] = str(data_dir)
    from sqlalchemy import insert
    from sqlmodel import Session

    from printgate.core.config import reset_settings
    from printgate.core.db import get_engine, migrate
    from printgate.core.ids import new_id
    from printgate.core.jobs.paging import encode_cursor
    from printgate.core.keys import get_or_create_account
    from printgate.core.models import Job, Step, Task
    from printgate.widgets.dashboard import auth

    reset_settings()
    migrate()
    engine = get_engine()
    with Session(engine, expire_on_commit=False) as session:
        mine = get_or_create_account(session, ACCOUNT)
        other = get_or_create_account(session, "other-shop")
        user = auth.create_user(session, mine, "owner@bench.test", "owner", "bench password 1")
        token = auth.start_session(session, user)
    rnd = random.Random(13)
    start = datetime.now(UTC) - timedelta(days=90)
    step_s = 90 * 86400 / count
    statuses = ["ready"] * 70 + ["partial"] * 15 + ["rejected"] * 10 + ["review"] * 3 + ["processing"] * 2
    kinds = ["jobs"] * 5 + ["preflight"] * 3 + ["fix", "workflow"]
    jobs, tasks, steps = [], [], []
    deep: tuple[datetime, str] | None = None
    mine_seen = 0
    t0 = time.perf_counter()
    with engine.begin() as conn:
        for index in range(count):
            created = start + timedelta(seconds=index * step_s)
            account = other.id if index % 10 == 9 else mine.id
            status = rnd.choice(statuses)
            job_id = new_id("job")
            jobs.append({"id": job_id, "account_id": account, "kind": rnd.choice(kinds), "status": status,
                         "outcome": {"ready": "pass", "partial": "warn", "rejected": "fail",
                                     "review": "fail"}.get(status), "channel": "api", "mode": "live",
                         "on_fail": "reject", "order_id": str(100000 + index // 3) if index % 4 else None,
                         "customer_email": f"c{index % 5000}@example.com" if index % 2 else None,
                         "created_at": created, "modified_at": created})
            task_id = new_id("task")
            tasks.append({"id": task_id, "job_id": job_id, "account_id": account, "position": 0, "status": "done",
                          "name": f"artwork-{index}.pdf", "attempts": 0, "created_at": created,
                          "updated_at": created})
            if status == "ready" and index % 5 == 0:
                steps.append({"id": new_id("step"), "task_id": task_id, "job_id": job_id, "position": 1,
                              "type": "autofix", "phase": "intake", "status": "done", "outcome": "fixed"})
            if account == mine.id:
                mine_seen += 1
            if len(jobs) >= 10000 or index == count - 1:
                conn.execute(insert(Job), jobs)
                conn.execute(insert(Task), tasks)
                if steps:
                    conn.execute(insert(Step), steps)
                jobs, tasks, steps = [], [], []
    # The cursor of the page that starts half-way down the account's list.
    with engine.connect() as conn:
        from sqlalchemy import text

        row = conn.execute(text("SELECT created_at, id FROM job WHERE account_id = :a ORDER BY created_at DESC, "
                                "id DESC LIMIT 1 OFFSET :o"), {"a": mine.id, "o": mine_seen // 2}).one()
        deep = (datetime.fromisoformat(str(row[0])), str(row[1]))
        stored_deep = (str(row[0]), str(row[1]))
    print(f"inserted {count:,} jobs ({mine_seen:,} in {ACCOUNT!r}) with their files in "
          f"{time.perf_counter() - t0:.1f} s", flush=True)
    os.environ["BENCH_DEEP_C"], os.environ["BENCH_DEEP_ID"] = stored_deep
    return mine.id, token, encode_cursor(*deep)


# --- measuring -----------------------------------------------------------------------------------

def run(client: httpx.Client, url: str, pids: list[int], n: int, warmup: int) -> dict[str, Any]:
    for _ in range(warmup):
        client.get(url).raise_for_status()
    times, sizes = [], []
    cpu0, wall0 = cpu_seconds(pids), time.perf_counter()
    for _ in range(n):
        t = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - t) * 1000)
        response.raise_for_status()
        sizes.append(len(response.content))
    wall = time.perf_counter() - wall0
    cpu = cpu_seconds(pids) - cpu0
    return {"p50": percentile(times, 50), "p95": percentile(times, 95), "wall_s": wall, "cpu_s": cpu,
            "cpu_ms_per_req": cpu * 1000 / n, "bytes": sizes[-1], "body": response.content}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300, help="measured requests per row")
    parser.add_argument("--warmup", type=int, default=30)
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory(prefix="printgate-bench-dash-")
    data_dir = Path(tmp.name) / "data"
    data_dir.mkdir()
    account_id, token, deep_cursor = fill(data_dir, args.jobs)
    server = start_serve(data_dir=data_dir, workers=0, api_workers=1)
    os.environ.update({"BENCH_DB": str(data_dir / "printgate.db"), "BENCH_ACCOUNT_ID": account_id})
    peer = start_uvicorn("dashboard_jobs:peer_app", path="/jobs")
    rows: list[tuple[str, str, dict[str, Any]]] = []
    try:
        ours = httpx.Client(base_url=server.url, cookies={"pg_dashboard": token}, timeout=30)
        pids = server.request_pids()
        first = ours.get("/dashboard/jobs")
        assert first.status_code == 200 and "table class=\"jobs\"" in first.text, first.text[:500]
        scenarios = [
            ("first page", "/dashboard/jobs"),
            ("page half-way down (cursor)", f"/dashboard/jobs?after={deep_cursor}"),
            ("result = Waiting for review (3 %)", "/dashboard/jobs?result=review"),
            ("result = Auto-fixed (EXISTS on steps)", "/dashboard/jobs?result=autofixed"),
            ("type = fix, order id", "/dashboard/jobs?type=fix&order=100050"),
            ("text search on file name", "/dashboard/jobs?q=artwork-4242"),
        ]
        for label, path in scenarios:
            rows.append(("printgate", label, run(ours, path, pids, args.requests, args.warmup)))
        bare = httpx.Client(base_url=peer.url, timeout=30)
        deep = f"/jobs?after_c={os.environ['BENCH_DEEP_C']}&after_id={os.environ['BENCH_DEEP_ID']}"
        for label, path in (("first page", "/jobs"), ("page half-way down (cursor)", deep)):
            rows.append(("bare FastAPI peer", label, run(bare, path, peer.pids(), args.requests, args.warmup)))
        css = ours.get("/dashboard/static/dashboard.css").content
        js = ours.get("/dashboard/static/dashboard.js").content
    finally:
        peer.stop()
        server.stop()
        tmp.cleanup()

    print(f"\n{now_utc()} · {machine()} · load {load_average()} · {args.jobs:,} jobs in SQLite · "
          f"{args.requests} sequential requests per row after {args.warmup} warm-up")
    print(f"{'':20} {'page':40} {'p50 ms':>8} {'p95 ms':>8} {'CPU s':>7} {'wall s':>7} {'CPU ms/req':>11} "
          f"{'bytes':>7}")
    for who, label, r in rows:
        print(f"{who:20} {label:40} {r['p50']:8.1f} {r['p95']:8.1f} {r['cpu_s']:7.2f} {r['wall_s']:7.2f} "
              f"{r['cpu_ms_per_req']:11.2f} {r['bytes']:7,}")
    page = rows[0][2]["body"]
    print(f"\nJobs page transfer: {len(page):,} bytes of HTML ({len(gzip.compress(page)):,} gzipped; the app "
          f"serves it uncompressed), plus once, cacheable: dashboard.css {len(css):,} B "
          f"({len(gzip.compress(css)):,} gz), dashboard.js {len(js):,} B ({len(gzip.compress(js)):,} gz)")
    save_results("dashboard_jobs", {"jobs": args.jobs, "requests": args.requests, "rows": [
        {"who": who, "page": label, **{k: v for k, v in r.items() if k != "body"}} for who, label, r in rows]})
    return 0


if __name__ == "__main__":
    sys.exit(main())
