"""``printgate``: serve, worker, keys, signals, webhooks, check, fix, migrate, users.

Every command takes ``--data-dir`` (or ``PRINTGATE_DATA_DIR``) so independent instances can run
side by side.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from printgate.core import logs
from printgate.core.jobs.dialect import DEFAULT_DIALECT, DIALECTS


def _private_files(data_dir: Path) -> None:
    """Everything printgate writes is its own: files 0600, folders 0700 (the database, stored files,
    the Redis dump and the generated signing key held customers' artwork and secrets world-readable).
    The umask is inherited by the API, the workers and Redis; an existing data dir is tightened."""
    os.umask(0o077)
    if data_dir.exists():
        for path in (data_dir, *data_dir.glob("*")):
            with contextlib.suppress(OSError):
                path.chmod(0o700 if path.is_dir() else 0o600)


class _LogsFromSettingsOnFirstRecord(logging.Handler):
    """A local command's logging, set up from the settings when the first record arrives: reading
    the settings took half a one-file ``printgate check``'s start-up, and most checks log nothing.
    Until then records at INFO and above reach it (the settings' default level)."""

    def emit(self, record: logging.LogRecord) -> None:
        from printgate.core.config import get_settings

        settings = get_settings()
        logs.setup(settings.log_level, settings.log_json)  # replaces this handler
        root = logging.getLogger()
        if record.levelno >= root.level:
            for handler in list(root.handlers):
                if record.levelno >= handler.level:
                    handler.handle(record)


def _apply_common(args: argparse.Namespace) -> None:
    """Flags become environment so child processes (API, workers) see the same instance. A local
    command (``check``) opens no instance: it reads the settings only when it needs them."""
    if getattr(args, "data_dir", None):
        os.environ["PRINTGATE_DATA_DIR"] = str(Path(args.data_dir).resolve())
    if getattr(args, "local", False):
        os.umask(0o077)
        root = logging.getLogger()
        root.handlers[:] = [_LogsFromSettingsOnFirstRecord()]
        root.setLevel(logging.INFO)
        logging.getLogger("pikepdf").setLevel(logging.WARNING)  # as logs.setup: its INFO is start-up chatter
        return
    from printgate.core.config import get_settings, reset_settings

    reset_settings()
    settings = get_settings()
    os.environ.setdefault("PRINTGATE_DATA_DIR", str(settings.data_dir.resolve()))
    _private_files(settings.data_dir)
    logs.setup(settings.log_level, settings.log_json)


# --- serve -------------------------------------------------------------------------------------

def cmd_serve(args: argparse.Namespace) -> int:
    from printgate import process_tree
    from printgate.core.config import get_settings, reset_settings
    from printgate.core.db import migrate
    from printgate.core.queue import EmbeddedRedis

    os.environ.setdefault("PRINTGATE_PUBLIC_URL", f"http://{_display_host(args.host)}:{args.port}")
    reset_settings()
    settings = get_settings()
    try:
        lock = process_tree.hold_data_dir(settings.data_dir)  # noqa: F841  (held until this process ends)
    except process_tree.AlreadyServing as exc:
        print(f"printgate: {exc}", file=sys.stderr, flush=True)
        return 1
    ended, exited = process_tree.end_leftovers(settings.data_dir)
    if ended:
        print(f"printgate: ended what an earlier serve of this data dir left running: {', '.join(ended)}", flush=True)
    if exited:
        print(f"printgate: recorded by an earlier serve, already exited: {', '.join(exited)}", flush=True)
    migrate()
    embedded: EmbeddedRedis | None = None
    if not settings.redis_url:
        embedded = EmbeddedRedis(settings.data_dir / "redis")
        os.environ["REDIS_URL"] = embedded.start()
        reset_settings()

    def remember() -> None:
        pids = {name: proc.pid for name, proc in children.items() if proc.poll() is None}
        if embedded is not None and embedded.pid:
            pids["redis"] = embedded.pid
        process_tree.record(settings.data_dir, pids)
    from printgate.app import wire
    from printgate.core import periodic
    from printgate.core.demo import demo_publishable_key

    wire()
    resumed = periodic.run_startup().get("recovery.sweep")
    if isinstance(resumed, dict) and (resumed.get("pending") or resumed.get("requeued")):
        print(f"printgate: resumed {resumed['pending'] + resumed['requeued']} unfinished task(s)", flush=True)
    demo_key = demo_publishable_key()
    env = dict(os.environ)
    exe = [sys.executable, "-m", "printgate"]
    children: dict[str, subprocess.Popen[bytes]] = {}

    def spawn(name: str) -> None:
        if name == "api":
            cmd = [sys.executable, "-m", "uvicorn", "printgate.asgi:app", "--host", args.host, "--port", str(args.port),
                   "--workers", str(args.api_workers), "--no-access-log", "--timeout-graceful-shutdown", "5",
                   # uvicorn's 5 s default killed API processes still importing on a loaded machine
                   "--timeout-worker-healthcheck", "30"]
        else:
            cmd = [*exe, "worker", "--name-prefix", name, *_worker_args(name, args.workers)]
        children[name] = subprocess.Popen(cmd, env=env, preexec_fn=process_tree.die_with_parent)
        remember()

    remember()
    spawn("api")
    _wait_for_port(args.host, args.port, timeout_s=30)  # the API first: workers' imports compete for CPU
    for name in _worker_names(args.workers):
        spawn(name)
    url = f"http://{_display_host(args.host)}:{args.port}"
    print(f"printgate: serving on {url}  (API docs {url}/docs, demo {url}/demo?pk={demo_key})", flush=True)
    print(f"printgate: data in {settings.data_dir.resolve()}; queue {'embedded Redis' if embedded else 'REDIS_URL'}; "
          f"{args.workers} worker(s). Ctrl-C stops everything.", flush=True)

    stopping = False

    def stop(_signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping:
            time.sleep(0.5)
            for name, proc in list(children.items()):
                if proc.poll() is not None and not stopping:
                    print(f"printgate: {name} exited ({proc.returncode}); restarting", file=sys.stderr, flush=True)
                    spawn(name)
    finally:
        for proc in children.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in children.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
        if embedded is not None:
            embedded.stop()
        (settings.data_dir / process_tree.PIDS_FILE).unlink(missing_ok=True)
        print("printgate: stopped", flush=True)
    return 0


def _worker_names(workers: int) -> list[str]:
    """One worker: it does everything. Two or more: a latency worker for intake, forking workers for
    processing, and a webhooks worker, so slow PDFs delay neither customers nor deliveries."""
    if workers <= 0:
        return []
    if workers == 1:
        return ["worker-0"]
    return ["worker-intake"] + [f"worker-{i}" for i in range(1, workers)] + ["worker-webhooks"]


def _worker_args(name: str, workers: int) -> list[str]:
    if name == "worker-intake":  # in-process (no fork per job), recycled every 500 jobs
        return ["--queues", "intake", "--no-fork", "--max-jobs", "500"]
    if name == "worker-webhooks":
        return ["--queues", "webhooks", "--no-fork", "--max-jobs", "5000"]
    if workers == 1:
        return ["--queues", "intake,orders,processing,webhooks"]
    return ["--queues", "orders,processing,intake"]


def _wait_for_port(host: str, port: int, timeout_s: float) -> None:
    import socket

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((_display_host(host), port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)


def _display_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "") else host


# --- worker ------------------------------------------------------------------------------------

def cmd_worker(args: argparse.Namespace) -> int:
    from printgate import worker

    queues = [q.strip() for q in args.queues.split(",") if q.strip()]
    return worker.run(queues, name_prefix=args.name_prefix, no_fork=args.no_fork, max_jobs=args.max_jobs)


# --- keys --------------------------------------------------------------------------------------

def cmd_keys(args: argparse.Namespace) -> int:
    from sqlmodel import Session, select

    from printgate.core.clock import iso
    from printgate.core.db import get_engine, migrate
    from printgate.core.keys import create_key, get_or_create_account, revoke_key, set_status_dialect
    from printgate.core.models import Account, ApiKey

    migrate()
    with Session(get_engine(), expire_on_commit=False) as session:
        if args.keys_cmd == "create":
            account = get_or_create_account(session, args.account)
            issued = create_key(session, account, kind=args.kind, mode=args.mode, name=args.name,
                                status_dialect=args.status_dialect)
            data = {"id": issued.row.id, "key": issued.key, "kind": issued.row.kind, "mode": issued.row.mode,
                    "statusDialect": issued.row.status_dialect, "account": account.name, "accountId": account.id}
            if args.json:
                print(json.dumps(data))
            else:
                print(f"Created {args.kind} key {issued.row.id} for account {account.name!r}:\n\n  {issued.key}\n")
                print("Store it now: it is not shown again.")
            return 0
        if args.keys_cmd == "list":
            query = select(ApiKey, Account).where(ApiKey.account_id == Account.id)
            if args.account:
                query = query.where(Account.name == args.account)
            rows = [{"id": k.id, "hint": k.hint, "kind": k.kind, "mode": k.mode, "name": k.name,
                     "statusDialect": k.status_dialect, "account": a.name, "createdAt": iso(k.created_at),
                     "revokedAt": iso(k.revoked_at)}
                    for k, a in session.exec(query).all()]
            if args.json:
                print(json.dumps(rows))
            else:
                for row in rows:
                    state = "revoked" if row["revokedAt"] else "active"
                    print(f"{row['id']}  {row['hint']:<24} {row['account']:<16} {state:<7}  "
                          f"{row['statusDialect']:<9}  {row['name'] or ''}")
            return 0
        if args.keys_cmd == "set-dialect":
            changed = set_status_dialect(session, args.key, args.dialect)
            print(json.dumps({"id": changed.id, "statusDialect": changed.status_dialect}) if args.json
                  else f"Key {changed.id} now answers in the {changed.status_dialect} status dialect")
            return 0
        revoked = revoke_key(session, args.key_id)
        print(json.dumps({"id": revoked.id, "revoked": True}) if args.json else f"Revoked {revoked.id}")
        return 0


# --- signals (core's outbox) -------------------------------------------------------------------

def cmd_signals(args: argparse.Namespace) -> int:
    """What core's signal outbox still owes: list it, or put given-up rows back (``core.outbox``)."""
    from printgate.core import outbox
    from printgate.core.clock import iso
    from printgate.core.db import migrate

    migrate()
    if args.signals_cmd == "list":
        rows = [{"id": r.id, "signal": r.signal, "kwargs": r.kwargs or {}, "attempts": r.attempts,
                 "status": "failed" if r.failed_at else "owed", "createdAt": iso(r.created_at),
                 "nextAttemptAt": None if r.failed_at else iso(r.next_attempt_at),
                 "failedAt": iso(r.failed_at), "lastError": r.last_error or ""}
                for r in outbox.rows(failed_only=args.failed, limit=args.limit)]
        if args.json:
            print(json.dumps(rows))
        elif not rows:
            print("No failed signals." if args.failed else "No signals owed: every one was delivered.")
        for row in rows if not args.json else []:
            when = row["failedAt"] if row["status"] == "failed" else f"next {row['nextAttemptAt']}"
            print(f"{row['id']}  {row['signal']:<16} {row['status']:<6} {row['attempts']} attempt(s)  {when}  "
                  f"{json.dumps(row['kwargs'])}  {str(row['lastError'])[:120]}")
        return 0
    if not args.ids and not args.all_failed:
        print("printgate: name the signals to retry (ids from `printgate signals list`), or --all-failed",
              file=sys.stderr)
        return 2
    retried, missing = outbox.retry(args.ids, all_failed=args.all_failed)
    if args.json:
        print(json.dumps({"retried": retried, "notFound": missing}))
    else:
        print(f"Put {len(retried)} signal(s) back: the outbox sweep delivers them within {outbox.SWEEP_EVERY_S} s.")
        for row_id in missing:
            print(f"printgate: no undelivered signal {row_id} (unknown, or already delivered)", file=sys.stderr)
    return 2 if missing else 0


# --- check / fix -------------------------------------------------------------------------------

def _local_files(names: list[str]) -> list[Path] | None:
    missing = [name for name in names if not Path(name).is_file()]
    for name in missing:
        print(f"printgate: no such file: {name}", file=sys.stderr)
    return None if missing else [Path(name) for name in names]


def cmd_check(args: argparse.Namespace) -> int:
    """Preflight local files in-process: no database, no queue (see ``printgate.batch``)."""
    from functools import partial

    from printgate import batch

    files = _local_files(args.files)
    if files is None:
        return 2
    profile = batch.resolve_profile(args.profile)
    live = not args.json and (args.jobs <= 1 or len(files) < 2)  # the pages bar runs where the file is read
    verdicts = batch.run_many(files, partial(batch.check_file, profile=profile, live=live), args.jobs,
                              batch.warm_engine)
    return batch.report(verdicts, len(files), as_json=args.json, detailed=len(files) == 1 or args.verbose)


def cmd_fix(args: argparse.Namespace) -> int:
    """Preflight, autofix, re-check and deliver local files; one file may name its output file,
    several go into the ``-o`` folder under their own names."""
    from functools import partial

    from printgate import batch

    files = _local_files(args.files)
    if files is None:
        return 2
    out = Path(args.output)
    if len(files) > 1 or out.is_dir() or args.output.endswith(("/", os.sep)):  # "-o out/" is a folder
        if out.exists() and not out.is_dir():
            print(f"printgate: -o must be a folder for several files: {out}", file=sys.stderr)
            return 2
        names = [f.name for f in files]
        if len(set(names)) != len(names):
            print("printgate: two of the files have the same name; fix them in separate runs", file=sys.stderr)
            return 2
        targets = {f: out / f.name for f in files}
    else:
        targets = {files[0]: out}
    if args.pdfa and args.pdfx:
        print("printgate: --pdfa and --pdfx are two different conversions; choose one", file=sys.stderr)
        return 2
    if args.pdfa or args.pdfx:  # conversion to PDF/A, or PDF/X identification, instead of the profile's fixes
        from printgate.core.fixes import conformance_cli

        standard: conformance_cli.Standard = "pdfa" if args.pdfa else "pdfx"
        return conformance_cli.run(standard, targets, args.pdfa or args.pdfx, as_json=args.json)
    profile_id = batch.prepare_jobs(args.profile)  # once, before the workers share the database
    # The bar within a file runs where the file is fixed: in this process (one job at a time).
    live = not args.json and (args.jobs <= 1 or len(files) < 2)
    work = partial(_fix_one, targets=targets, profile_id=profile_id, live=live)
    return batch.report(batch.run_many(files, work, args.jobs), len(files), as_json=args.json, detailed=True)


def _fix_one(file: Path, *, targets: dict[Path, Path], profile_id: str | None, live: bool = False) -> Any:
    from printgate import batch

    bar = batch.file_progress(file.name, sys.stderr) if live else None
    try:
        return batch.fix_file(file, targets[file], profile_id, bar)
    finally:
        if bar is not None:
            bar.close()


def cmd_validate(args: argparse.Namespace) -> int:
    """PDF/A and PDF/UA validation of local files (``printgate.core.validation``)."""
    from printgate.core.validation.cli import run

    return run(args.files, args.flavour, as_json=args.json)


def cmd_migrate(_args: argparse.Namespace) -> int:
    from printgate.core.db import migrate

    migrate()
    print("printgate: database is up to date")
    return 0


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", help="instance data directory (env PRINTGATE_DATA_DIR; default ./data)")
    parser = argparse.ArgumentParser(prog="printgate", description="Print-file gate for online print shops")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", parents=[common], help="run API, workers and embedded Redis together")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=2,
                       help="worker processes for jobs (default 2: one for intake, one for processing; "
                            "with 2 or more a webhooks worker is added); 0 runs none")
    serve.add_argument("--api-workers", type=int, default=2, help="uvicorn worker processes (default 2)")
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", parents=[common], help="run one RQ worker (needs REDIS_URL)")
    worker.add_argument("--queues", default="intake,orders,processing,webhooks")
    worker.add_argument("--name-prefix", default=None)
    worker.add_argument("--no-fork", action="store_true", help="run jobs in the worker process (lower latency)")
    worker.add_argument("--max-jobs", type=int, default=None, help="exit after this many jobs (recycling)")
    worker.set_defaults(func=cmd_worker)

    keys = sub.add_parser("keys", parents=[common], help="create, list and revoke API keys; set their status dialect")
    keys_sub = keys.add_subparsers(dest="keys_cmd", required=True)
    create = keys_sub.add_parser("create", parents=[common])
    create.add_argument("--account", default="default", help="account (tenant) name; created if needed")
    create.add_argument("--kind", choices=["secret", "publishable"], default="secret")
    create.add_argument("--mode", choices=["test", "live"], default="test")
    create.add_argument("--name", default=None)
    create.add_argument("--status-dialect", choices=list(DIALECTS), default=DEFAULT_DIALECT,
                        help="job status words in this key's answers: lifecycle (idle ... rejected, the default) "
                             "or filecheck (pending running done skipped error + outcome, as Filecheck's SDKs expect)")
    create.add_argument("--json", action="store_true")
    lst = keys_sub.add_parser("list", parents=[common])
    lst.add_argument("--account", default=None)
    lst.add_argument("--json", action="store_true")
    revoke = keys_sub.add_parser("revoke", parents=[common])
    revoke.add_argument("key_id")
    revoke.add_argument("--json", action="store_true")
    dialect = keys_sub.add_parser("set-dialect", parents=[common], help="change a key's status dialect")
    dialect.add_argument("key", help="the key's id (keys list), a unique start of it, or the key itself")
    dialect.add_argument("dialect", choices=list(DIALECTS))
    dialect.add_argument("--json", action="store_true")
    keys.set_defaults(func=cmd_keys)

    sigs = sub.add_parser("signals", parents=[common],
                          help="list the signals core's outbox still owes or gave up on; put them back")
    sigs_sub = sigs.add_subparsers(dest="signals_cmd", required=True)
    sig_list = sigs_sub.add_parser("list", parents=[common], help="signals not delivered yet, oldest first")
    sig_list.add_argument("--failed", action="store_true", help="only those given up after every attempt")
    sig_list.add_argument("--limit", type=int, default=100)
    sig_list.add_argument("--json", action="store_true")
    sig_retry = sigs_sub.add_parser("retry", parents=[common],
                                    help="deliver these again at the next sweep, with a fresh set of attempts")
    sig_retry.add_argument("ids", nargs="*", metavar="ID")
    sig_retry.add_argument("--all-failed", action="store_true", help="every signal given up")
    sig_retry.add_argument("--json", action="store_true")
    sigs.set_defaults(func=cmd_signals)

    check = sub.add_parser("check", parents=[common], help="preflight local files (no server needed)")
    check.add_argument("files", nargs="+", metavar="FILE")
    check.add_argument("--profile", help="profile id or a profile .json file")
    check.add_argument("-j", "--jobs", type=int, default=1, help="files checked side by side (processes)")
    check.add_argument("-v", "--verbose", action="store_true", help="every finding, also for several files")
    check.add_argument("--json", action="store_true", help="one JSON object per file (JSON Lines)")
    check.set_defaults(func=cmd_check, local=True)

    fix = sub.add_parser("fix", parents=[common], help="preflight, autofix and re-check local files")
    fix.add_argument("files", nargs="+", metavar="FILE")
    fix.add_argument("-o", "--output", required=True, help="the output file, or a folder for several files")
    fix.add_argument("--profile", help="profile id or a profile .json file")
    fix.add_argument("-j", "--jobs", type=int, default=1, help="files fixed side by side (processes)")
    fix.add_argument("--json", action="store_true", help="one JSON object per file (JSON Lines)")
    fix.add_argument("--pdfa", metavar="LEVEL", help="convert to PDF/A (1b, 2b, 2u, 3b, 3u, 4, 4f) and re-validate, "
                     "instead of the profile's fixes")
    fix.add_argument("--pdfx", metavar="LEVEL", help="convert to PDF/X (1a, 3, 4: RGB to the intent's CMYK, transparency "
                     "flattened for 1a/3) and identify it; written only when the validator confirms it")
    fix.set_defaults(func=cmd_fix)

    val = sub.add_parser("validate", parents=[common], help="PDF/A, PDF/UA and PDF/X validation of local files")
    val.add_argument("files", nargs="+", metavar="FILE")
    val.add_argument("--flavour", "--flavor", "--profile", dest="flavour", default="auto",
                     help="pdfa-1a|1b|2a|2b|2u|3a|3b|3u|4|4e|4f, pdfua-1|2, pdfx-1a|3|4, "
                          "or auto (what the file claims)")
    val.add_argument("--json", action="store_true", help="one JSON object per file (JSON Lines)")
    val.set_defaults(func=cmd_validate)

    mig = sub.add_parser("migrate", parents=[common], help="create or upgrade the database schema")
    mig.set_defaults(func=cmd_migrate)

    from printgate.widgets.dashboard.cli import add_parser as add_users_parser  # printgate users ...

    add_users_parser(sub, common)
    from printgate.webhooks.operator import add_parser as add_webhooks_parser  # printgate webhooks ...

    add_webhooks_parser(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _apply_common(args)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # "printgate check *.pdf | head": the reader left; stop quietly, as a Unix tool does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as exc:
        from printgate.core.errors import PrintgateError

        if isinstance(exc, PrintgateError):
            print(f"printgate: {exc.message}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
