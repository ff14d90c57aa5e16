"""What the signal outbox (``printgate.core.outbox``, issue 14) costs per event, and what it saves.

In one process, on a throwaway database (SQLite by default, ``--database-url`` for PostgreSQL), with
every room wired as a worker wires them (listeners find no webhook endpoint and no store order, so
they read and return): each event is one job row changed and committed, then announced. Three ways,
interleaved in rounds so a loaded machine hurts them alike:

- ``commit only``: the change alone (the floor);
- ``signal (before)``: the change, then ``signals.send`` (the path before the outbox: nothing owed);
- ``outbox (now)``: the change and its ``signal_outbox`` row in one commit, ``dispatch_owed``, the row
  marked done.

Then the crash between the two commits, ``--lost`` times per way: the change is committed and the
process "dies" before announcing it; how many of those events a listener ever gets (before: none;
now: the outbox sweep delivers them after its grace). CPU seconds (this process) beside wall time.

    .venv/bin/python bench/signal_outbox.py [--events 300] [--rounds 3] [--lost 50] [--database-url URL]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import machine, now_utc, percentile, save_results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=300, help="events per way and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--lost", type=int, default=50, help="crashes between the two commits, per way")
    parser.add_argument("--database-url", default=None, help="a PostgreSQL URL (its database is used as is)")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="pg-outbox-bench-"))
    os.environ["PRINTGATE_DATA_DIR"] = str(data_dir)
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url

    from sqlmodel import Session

    from printgate.app import wire
    from printgate.core import outbox, signals
    from printgate.core.clock import utcnow
    from printgate.core.db import get_engine, migrate
    from printgate.core.ids import new_id
    from printgate.core.models import Account, Job

    migrate()
    wire()
    engine = get_engine()
    with Session(engine) as session:
        account = Account(id=new_id("acct"), name=f"bench-{new_id('x')}")
        session.add(account)
        session.commit()
        job_ids = [new_id("job") for _ in range(args.events)]
        session.add_all([Job(id=job_id, account_id=account.id, status="ready") for job_id in job_ids])
        session.commit()

    heard: list[str] = []

    def count(job_id: str, **_: Any) -> None:
        heard.append(job_id)

    signals.connect(signals.JOB_COMPLETED, count)

    def one(way: str, job_id: str, *, dies: bool = False) -> None:
        with Session(engine) as session:
            job = session.get(Job, job_id)
            assert job is not None
            job.modified_at = utcnow()
            session.add(job)
            if way == "outbox (now)":
                outbox.owe(session, signals.JOB_COMPLETED, job_id=job_id)
            session.commit()
            if dies:
                session.info.clear()  # nothing after the commit runs
                return
            if way == "signal (before)":
                signals.send(signals.JOB_COMPLETED, job_id=job_id)
            elif way == "outbox (now)":
                outbox.dispatch_owed(session)

    ways = ("commit only", "signal (before)", "outbox (now)")
    walls: dict[str, list[float]] = {way: [] for way in ways}
    cpus: dict[str, float] = dict.fromkeys(ways, 0.0)
    for _ in range(args.rounds):
        for way in ways:
            cpu0 = time.process_time()
            for job_id in job_ids:
                t0 = time.perf_counter()
                one(way, job_id)
                walls[way].append((time.perf_counter() - t0) * 1000)
            cpus[way] += time.process_time() - cpu0

    logging.getLogger("printgate.outbox").setLevel(logging.ERROR)  # one warning per crashed event otherwise
    lost: dict[str, tuple[int, int]] = {}
    for way in ("signal (before)", "outbox (now)"):
        heard.clear()
        for job_id in job_ids[: args.lost]:
            one(way, job_id, dies=True)
        outbox.sweep(now=utcnow() + timedelta(seconds=outbox.GRACE_S + 1), limit=args.lost + 10)
        lost[way] = (args.lost - len(set(heard) & set(job_ids[: args.lost])), args.lost)

    n = args.events * args.rounds
    print(f"signal outbox bench, {now_utc()}, {machine()}")
    print(f"database: {'PostgreSQL' if args.database_url else 'SQLite (WAL)'}; {n} events per way "
          f"({args.rounds} rounds of {args.events}); every room wired, no endpoint or order listening")
    print(f"{'way':<18}{'wall p50 ms':>12}{'wall p95 ms':>12}{'CPU ms/event':>14}{'CPU s':>8}{'wall s':>8}")
    results: dict[str, Any] = {}
    for way in ways:
        wall_s = sum(walls[way]) / 1000
        row = {"p50_ms": percentile(walls[way], 50), "p95_ms": percentile(walls[way], 95),
               "cpu_ms_per_event": cpus[way] * 1000 / n, "cpu_s": cpus[way], "wall_s": wall_s}
        results[way] = row
        print(f"{way:<18}{row['p50_ms']:>12.2f}{row['p95_ms']:>12.2f}{row['cpu_ms_per_event']:>14.3f}"
              f"{row['cpu_s']:>8.2f}{wall_s:>8.2f}")
    print(f"killed between the change's commit and its announcement ({args.lost} each):")
    for way, (missing, total) in lost.items():
        print(f"  {way:<18} {missing}/{total} events never reached a listener")
    results["lost"] = {way: {"lost": m, "of": t} for way, (m, t) in lost.items()}
    print(f"raw: {save_results('signal_outbox', results)}")


if __name__ == "__main__":
    main()
