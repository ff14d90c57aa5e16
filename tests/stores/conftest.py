"""Shared fixtures for the end-to-end tests in the real store platforms (marker ``real_store``).

Everything runs on loopback, on free ports, in temp dirs, and is started and stopped here:

- :func:`mariadb`: one MariaDB server per session (its own data dir and socket; ``mariadb-install-db``
  + ``mariadbd`` from Debian's ``mariadb-server``), with a user the platforms log in as; each platform
  asks it for a fresh database (:meth:`MariaDB.create_database`).
- :func:`printgate`: one ``printgate serve`` per session (temp data dir, embedded Redis), its public URL
  set so the links it writes onto orders point at it, private URLs allowed (the stores are on
  loopback), a secret and a publishable key of one account. Ask for :func:`printgate_launch` first in
  a platform fixture so printgate boots while the platform installs.
- :class:`PhpServer`: ``php -S`` with forked workers, in its own process group, on the tests' clock.
- :func:`browser`: headless Debian Chromium through Playwright (``executable_path``), per module.
- :func:`stores_dir`: the platform tarballs (``PRINTGATE_STORES_DIR``, default ``../shared/stores``
  beside the checkout).
- :class:`StepClock`: each step's wall and CPU seconds, written to ``bench/results/real_stores.json``
  (read by ``bench/real_stores.py``).

Platform-specific fixtures live in each platform's test module (or its own conftest-free helper).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.clock import php_env
from tests.conftest import CLI, Server, clean_env
from tests.support import free_port, shared_dir

ROOT = Path(__file__).resolve().parents[2]
STORES_DIR_ENV = "PRINTGATE_STORES_DIR"
RESULTS = ROOT / "bench" / "results" / "real_stores.json"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def default_stores_dir() -> Path:
    return Path(os.environ.get(STORES_DIR_ENV) or shared_dir("stores"))


@pytest.fixture(scope="session")
def stores_dir() -> Path:
    path = default_stores_dir()
    if not (path / "SHA256SUMS").is_file():
        raise RuntimeError(f"the store platform tarballs are not in {path} (set {STORES_DIR_ENV})")
    return path


# --- waiting --------------------------------------------------------------------------------------

def wait_port(port: int, timeout: float = 30.0, proc: subprocess.Popen[bytes] | None = None,
              log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
            raise RuntimeError(f"process exited before listening on {port}: {tail}")
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def stop_group(proc: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """Stop a process started with ``start_new_session=True`` and everything it forked."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass


# --- MariaDB --------------------------------------------------------------------------------------

@dataclass
class MariaDB:
    port: int
    socket_path: Path
    data_dir: Path
    proc: subprocess.Popen[bytes]
    log_path: Path
    host: str = "127.0.0.1"
    user: str = "printgate_e2e"
    password: str = "e2e-pw"

    def sql(self, statement: str, database: str | None = None) -> str:
        """Run SQL as root over the socket; tab-separated rows, no header."""
        cmd = ["mariadb", "--no-defaults", "-uroot", f"--socket={self.socket_path}", "-N", "-B", "-e", statement]
        if database:
            cmd.append(database)
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"mariadb: {done.stderr.strip()} (in: {statement[:200]})")
        return done.stdout

    def create_database(self, name: str) -> str:
        self.sql(f"DROP DATABASE IF EXISTS `{name}`; CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        return name

    def stop(self) -> None:
        stop_group(self.proc, timeout=30)


def _mariadb_binary(name: str) -> str:
    for candidate in (shutil.which(name), f"/usr/sbin/{name}", f"/usr/bin/{name}"):
        if candidate and Path(candidate).exists():
            return candidate
    raise RuntimeError(f"{name} is missing: scripts/setup --test installs mariadb-server (scripts/apt-packages.txt)")


@pytest.fixture(scope="session")
def mariadb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MariaDB]:
    """One MariaDB for the session: own data dir, socket and port, never the machine's server."""
    base = tmp_path_factory.mktemp("mariadb")
    data_dir, sock, log = base / "data", base / "mysqld.sock", base / "mariadbd.log"
    as_root = ["--user=root"] if os.geteuid() == 0 else []
    install = subprocess.run(
        [_mariadb_binary("mariadb-install-db"), "--no-defaults", f"--datadir={data_dir}", *as_root,
         "--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve"],
        capture_output=True, text=True, timeout=120,
    )
    if install.returncode != 0:
        raise RuntimeError(f"mariadb-install-db failed: {install.stdout[-2000:]} {install.stderr[-2000:]}")
    port = free_port()
    proc = subprocess.Popen(
        [_mariadb_binary("mariadbd"), "--no-defaults", f"--datadir={data_dir}", f"--socket={sock}",
         f"--port={port}", "--bind-address=127.0.0.1", *as_root, "--skip-name-resolve",
         f"--pid-file={base / 'mariadbd.pid'}", "--innodb-flush-log-at-trx-commit=0", "--skip-log-bin",
         "--innodb-buffer-pool-size=256M", "--max-connections=200"],
        stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
    )
    db = MariaDB(port=port, socket_path=sock, data_dir=data_dir, proc=proc, log_path=log)
    try:
        wait_port(port, timeout=60, proc=proc, log=log)
        db.sql(f"CREATE USER '{db.user}'@'127.0.0.1' IDENTIFIED BY '{db.password}';"
               f" GRANT ALL ON *.* TO '{db.user}'@'127.0.0.1'")
    except Exception:
        db.stop()
        raise
    yield db
    db.stop()


# --- printgate ------------------------------------------------------------------------------------

@dataclass
class Printgate:
    server: Server
    publishable_key: str

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def secret_key(self) -> str:
        return self.server.secret_key

    def api(self, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.secret_key}", **kw.pop("headers", {})}
        return httpx.request(method, self.url + path, headers=headers, timeout=30, **kw)

    def log_tail(self, chars: int = 4000) -> str:
        return self.server.log_path.read_text(errors="replace")[-chars:]


@dataclass
class _Launch:
    data_dir: Path
    port: int
    secret_key: str
    publishable_key: str
    proc: subprocess.Popen[bytes]
    log_path: Path


@pytest.fixture(scope="session")
def printgate_launch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Launch]:
    """``printgate serve`` started, not yet waited for: a platform's fixture asks for this first, so
    printgate boots while the platform installs."""
    data_dir = tmp_path_factory.mktemp("printgate-serve")
    port = free_port()
    env = clean_env(PRINTGATE_DATA_DIR=str(data_dir), PRINTGATE_ALLOW_PRIVATE_URLS="1",
                    PRINTGATE_PUBLIC_URL=f"http://127.0.0.1:{port}")
    keys = []
    for kind in ("secret", "publishable"):
        out = subprocess.run([*CLI, "keys", "create", "--json", "--account", "acme", "--kind", kind,
                              "--name", f"stores-e2e-{kind}"], env=env, capture_output=True, check=True, cwd=ROOT)
        keys.append(json.loads(out.stdout)["key"])
    log_path = data_dir / "serve.log"
    proc = subprocess.Popen([*CLI, "serve", "--port", str(port), "--workers", "2"], env=env, cwd=ROOT,
                            stdout=log_path.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)
    launch = _Launch(data_dir, port, keys[0], keys[1], proc, log_path)
    yield launch
    server = Server(url=f"http://127.0.0.1:{port}", data_dir=data_dir, secret_key=keys[0], proc=proc,
                    log_path=log_path)
    server.stop()


@pytest.fixture(scope="session")
def printgate(printgate_launch: _Launch) -> Printgate:
    """``printgate serve`` as a merchant runs it, for the whole session (account ``acme``), healthy
    (API and workers up; a loaded machine can take a minute to get there)."""
    launch = printgate_launch
    url = f"http://127.0.0.1:{launch.port}"
    deadline = time.monotonic() + 180
    while True:
        if launch.proc.poll() is not None:
            raise RuntimeError(f"printgate serve exited: {launch.log_path.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=5).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"printgate serve did not become healthy: {launch.log_path.read_text()[-3000:]}")
        time.sleep(0.3)
    server = Server(url=url, data_dir=launch.data_dir, secret_key=launch.secret_key, proc=launch.proc,
                    log_path=launch.log_path)
    return Printgate(server=server, publishable_key=launch.publishable_key)


# --- php -S ---------------------------------------------------------------------------------------

@dataclass
class PhpServer:
    """``php -S 127.0.0.1:PORT -t DOCROOT [ROUTER]`` with forked workers, in its own process group."""

    docroot: Path
    log_path: Path
    router: Path | None = None
    workers: int = 3
    ini: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> PhpServer:
        settings = {"display_errors": "0", "memory_limit": "512M", "max_execution_time": "120",
                    "opcache.enable_cli": "1", "opcache.validate_timestamps": "1", **self.ini}
        cmd = ["php", *[a for k, v in settings.items() for a in ("-d", f"{k}={v}")],
               "-S", f"127.0.0.1:{self.port}", "-t", str(self.docroot)]
        if self.router:
            cmd.append(str(self.router))
        env = php_env({**os.environ, "PHP_CLI_SERVER_WORKERS": str(self.workers)})
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.log_path.open("ab"), stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True, cwd=self.docroot)
        wait_port(self.port, proc=self.proc, log=self.log_path)
        return self

    def stop(self) -> None:
        if self.proc is not None:
            stop_group(self.proc)

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""


def run_php(args: list[str], *, cwd: Path | None = None, timeout: float = 300,
            check: bool = True) -> subprocess.CompletedProcess[str]:
    """A php-cli command on the tests' clock; a failure names its output."""
    done = subprocess.run(["php", *args], cwd=cwd, env=php_env(), capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise AssertionError(f"php {' '.join(args[:4])} ... exited {done.returncode}:\n"
                             f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


# --- Chromium -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Per module, not per session: Playwright's sync API marks its event loop as running between
    calls; stopping it at the end of the module clears that (see tests/widget/conftest.py)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# --- step timings ---------------------------------------------------------------------------------

def _cpu_s() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class StepClock:
    """Times a platform's steps (wall and CPU seconds: this process and its finished children, so
    php-cli installs count, long-running servers do not) and writes them to the shared results file
    under the platform's name, keeping the other platforms' rows."""

    def __init__(self, platform: str, results: Path = RESULTS) -> None:
        self.platform = platform
        self.results = results
        self.steps: list[dict[str, Any]] = []
        self._started = time.monotonic()

    def step(self, name: str) -> _Step:
        return _Step(self, name)

    def record(self, name: str, wall: float, cpu: float) -> None:
        self.steps.append({"step": name, "wall_s": round(wall, 3), "cpu_s": round(cpu, 3)})

    def write(self) -> None:
        self.results.parent.mkdir(parents=True, exist_ok=True)
        try:
            table = json.loads(self.results.read_text())
        except (OSError, ValueError):
            table = {}
        if not isinstance(table, dict):
            table = {}
        table[self.platform] = {
            "steps": self.steps,
            "total_wall_s": round(sum(s["wall_s"] for s in self.steps), 3),
            "total_cpu_s": round(sum(s["cpu_s"] for s in self.steps), 3),
            "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        tmp = self.results.with_suffix(".tmp")
        tmp.write_text(json.dumps(table, indent=2, sort_keys=True) + "\n")
        tmp.replace(self.results)


class _Step:
    def __init__(self, clock: StepClock, name: str) -> None:
        self.clock, self.name = clock, name

    def __enter__(self) -> _Step:
        self._wall, self._cpu = time.monotonic(), _cpu_s()
        return self

    def __exit__(self, *exc: object) -> None:
        self.clock.record(self.name, time.monotonic() - self._wall, _cpu_s() - self._cpu)
