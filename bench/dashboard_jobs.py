"""The dashboard's Jobs page with 100,000 jobs in SQLite or PostgreSQL: server time p50/p95, CPU, transfer size.

Fills a fresh data dir's SQLite (or, with ``--database-url`` / ``--start-postgres``, a fresh PostgreSQL
database) with ``--jobs`` jobs (one file each; a 10 % share of them in a second
account, interleaved; some auto-fixed) by bulk inserts, starts ``printgate serve --workers 0`` on it
(the API alone, one uvicorn process) and a signed-in dashboard session, then requests
``/dashboard/jobs`` one at a time over loopback: the first page, a page 50,000 jobs deep (keyset
cursor), and filtered views. The peer, same run, same database file, same uvicorn flags: a bare
FastAPI app (no session, no templates) running the same page query with ``sqlite3`` and answering a
minimal HTML table. Each row prints wall-time p50/p95 (measured by the client, loopback included) and
the server process's CPU seconds beside the row's wall seconds.

    .venv/bin/python bench/dashboard_jobs.py [--jobs 100000] [--requests 300]
    .venv/bin/python bench/dashboard_jobs.py --start-postgres      # a throwaway local cluster, as .ci/run starts one
    .venv/bin/python bench/dashboard_jobs.py --database-url postgresql://postgres@127.0.0.1:5439/postgres

``--database-url`` is an admin URL (as ``PRINTGATE_TEST_DATABASE_URL``): the bench creates its own
database there and drops it afterwards. The peer reads the same database with the same driver family
(``sqlite3`` / ``psycopg``).
"""

from __future__ import annotations

import argparse
import gzip
import html
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (
    cpu_seconds,
    descendants,
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

    postgres = db_path.startswith("postgresql://")

    local = threading.local()

    def connect() -> Any:
        if postgres:  # one kept connection per thread, as a pool would give (connecting costs ms in PostgreSQL)
            import psycopg

            if getattr(local, "conn", None) is None:
                local.conn = _PgConnection(psycopg.connect(db_path, autocommit=True))
            return local.conn
        return sqlite3.connect(db_path)

    @app.get("/jobs", response_class=HTMLResponse)
    def jobs(after_c: str | None = None, after_id: str | None = None) -> str:  # sync, like the dashboard's
        conn = connect()
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


class _PgConnection:
    """sqlite3's ``execute(sql, params)`` with ``?`` marks, on a psycopg connection."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Any = ()) -> Any:
        return self.conn.execute(sql.replace("?", "%s"), list(params))

    def close(self) -> None:
        """Kept open for the thread's next request."""


def __getattr__(name: str):  # type: ignore[no-untyped-def]
    if name == "peer_app":  # uvicorn dashboard_jobs:peer_app
        return _peer_app()
    raise AttributeError(name)


# --- the data ------------------------------------------------------------------------------------

_POSTMASTER: int | None = None  # the local cluster's, when the bench started one: its backends' CPU is counted


def db_pids() -> list[int]:
    return [_POSTMASTER, *descendants(_POSTMASTER)] if _POSTMASTER else []


@contextmanager
def local_postgres() -> Iterator[str]:
    """A throwaway PostgreSQL cluster on a free port, started as ``.ci/run`` starts one (trust auth,
    fsync off); yields its admin URL and removes it afterwards."""
    from _common import free_port

    versions = sorted(Path("/usr/lib/postgresql").iterdir(), key=lambda p: [int(x) for x in p.name.split(".")])
    bin_dir = versions[-1] / "bin"
    root = Path(tempfile.mkdtemp(prefix="printgate-bench-pg-"))
    port = free_port()
    as_postgres = ["su", "postgres", "-c"] if os.geteuid() == 0 else ["sh", "-c"]
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    subprocess.run([*as_postgres, f"{bin_dir}/initdb -D {root}/data -A trust -U postgres"], check=True,
                   capture_output=True)
    subprocess.run([*as_postgres, f"{bin_dir}/pg_ctl -D {root}/data -o '-p {port} -k /tmp -c listen_addresses=127.0.0.1 "
                                  f"-c fsync=off' -l {root}/log -w start"], check=True, capture_output=True)
    global _POSTMASTER
    _POSTMASTER = int((root / "data" / "postmaster.pid").read_text().split()[0])
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        _POSTMASTER = None
        subprocess.run([*as_postgres, f"{bin_dir}/pg_ctl -D {root}/data -m fast stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def bench_database(admin_url: str) -> Iterator[str]:
    """A fresh database on the server of ``admin_url``, dropped afterwards; yields its URL."""
    import sqlalchemy as sa

    name = f"printgate_bench_dash_{os.getpid()}"
    admin = sa.create_engine(admin_url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    try:
        yield f"{admin_url.rsplit('/', 1)[0]}/{name}"
    finally:
        from printgate.core.db import reset_engine

        reset_engine()
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def fill(data_dir: Path, count: int, database_url: str | None = None) -> tuple[str, str, str]:
    """Bulk rows; returns (the bench account's id, a signed-in session token, a cursor 50,000 deep)."""
    os.environ["PRINTGATE_DATA_DIR"] = str(data_dir)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
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
    from sqlalchemy import text

    if database_url:  # as autovacuum would soon: the planner's statistics of the freshly filled tables
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    # The cursor of the page that starts half-way down the account's list.
    with engine.connect() as conn:

        row = conn.execute(text("SELECT created_at, id FROM job WHERE account_id = :a ORDER BY created_at DESC, "
                                "id DESC LIMIT 1 OFFSET :o"), {"a": mine.id, "o": mine_seen // 2}).one()
        moment = row[0] if isinstance(row[0], datetime) else datetime.fromisoformat(str(row[0]))
        deep = (moment, str(row[1]))
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
    db = db_pids()
    db0 = cpu_seconds(db)
    cpu0, wall0 = cpu_seconds(pids), time.perf_counter()
    for _ in range(n):
        t = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - t) * 1000)
        response.raise_for_status()
        sizes.append(len(response.content))
    wall = time.perf_counter() - wall0
    cpu = cpu_seconds(pids) - cpu0
    db_cpu = cpu_seconds(db) - db0
    return {"p50": percentile(times, 50), "p95": percentile(times, 95), "wall_s": wall, "cpu_s": cpu,
            "db_cpu_s": db_cpu,
            "cpu_ms_per_req": cpu * 1000 / n, "bytes": sizes[-1], "body": response.content}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300, help="measured requests per row")
    parser.add_argument("--warmup", type=int, default=30)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--database-url", help="PostgreSQL admin URL: the bench makes (and drops) its own database there")
    where.add_argument("--start-postgres", action="store_true", help="start a throwaway local PostgreSQL for the run")
    args = parser.parse_args()
    if args.start_postgres:
        with local_postgres() as admin_url, bench_database(admin_url) as url:
            return measure(args, url)
    if args.database_url:
        with bench_database(args.database_url) as url:
            return measure(args, url)
    return measure(args, None)


def measure(args: argparse.Namespace, database_url: str | None) -> int:
    tmp = tempfile.TemporaryDirectory(prefix="printgate-bench-dash-")
    data_dir = Path(tmp.name) / "data"
    data_dir.mkdir()
    account_id, token, deep_cursor = fill(data_dir, args.jobs, database_url)
    server = start_serve(data_dir=data_dir, workers=0, api_workers=1,
                         extra_env={"DATABASE_URL": database_url} if database_url else None)
    os.environ.update({"BENCH_DB": database_url or str(data_dir / "printgate.db"), "BENCH_ACCOUNT_ID": account_id})
    peer = start_uvicorn("dashboard_jobs:peer_app", path="/jobs")
    engine_name = "PostgreSQL" if database_url else "SQLite"
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
        deep = "/jobs?" + urlencode({"after_c": os.environ["BENCH_DEEP_C"], "after_id": os.environ["BENCH_DEEP_ID"]})
        for label, path in (("first page", "/jobs"), ("page half-way down (cursor)", deep)):
            rows.append(("bare FastAPI peer", label, run(bare, path, peer.pids(), args.requests, args.warmup)))
        css = ours.get("/dashboard/static/dashboard.css").content
        js = ours.get("/dashboard/static/dashboard.js").content
    finally:
        peer.stop()
        server.stop()
        tmp.cleanup()

    print(f"\n{now_utc()} · {machine()} · load {load_average()} · {args.jobs:,} jobs in {engine_name} · "
          f"{args.requests} sequential requests per row after {args.warmup} warm-up")
    print(f"{'':20} {'page':40} {'p50 ms':>8} {'p95 ms':>8} {'CPU s':>7} {'DB CPU s':>9} {'wall s':>7} "
          f"{'CPU ms/req':>11} {'bytes':>7}")
    for who, label, r in rows:
        db_cpu = f"{r['db_cpu_s']:9.2f}" if _POSTMASTER else f"{'(in app)' if not database_url else 'n/a':>9}"
        print(f"{who:20} {label:40} {r['p50']:8.1f} {r['p95']:8.1f} {r['cpu_s']:7.2f} {db_cpu} {r['wall_s']:7.2f} "
              f"{r['cpu_ms_per_req']:11.2f} {r['bytes']:7,}")
    print("CPU s: the serving process(es); DB CPU s: PostgreSQL's server processes (SQLite runs inside the app).")
    page = rows[0][2]["body"]
    print(f"\nJobs page transfer: {len(page):,} bytes of HTML ({len(gzip.compress(page)):,} gzipped; the app "
          f"serves it uncompressed), plus once, cacheable: dashboard.css {len(css):,} B "
          f"({len(gzip.compress(css)):,} gz), dashboard.js {len(js):,} B ({len(gzip.compress(js)):,} gz)")
    first_visit = len(page) + len(css) + len(js)
    print(f"First visit of the Jobs page, everything transferred: {first_visit:,} bytes "
          f"({'under' if first_visit < 100_000 else 'OVER'} the 100 kB aim; no CDN, no fonts, no images)")
    save_results(f"dashboard_jobs_{engine_name.lower()}", {"jobs": args.jobs, "requests": args.requests,
                                                           "database": engine_name, "rows": [
        {"who": who, "page": label, **{k: v for k, v in r.items() if k != "body"}} for who, label, r in rows]})
    return 0


if __name__ == "__main__":
    sys.exit(main())
