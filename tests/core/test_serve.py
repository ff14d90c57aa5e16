"""`printgate serve` for real: API + workers + embedded Redis in one process tree."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import httpx

from tests.conftest import ROOT, b64, clean_env, make_pdf, start_server, wait_for
from tests.support import CLI


def test_sync_preflight_and_health(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data")
    try:
        headers = {"Authorization": f"Bearer {server.secret_key}"}
        health = wait_for(lambda: (h := httpx.get(f"{server.url}/health").json())["checks"]["workers"]["count"] == 3
                          and h)
        assert isinstance(health, dict) and health["status"] == "ok"
        queues = sorted(",".join(w["queues"]) for w in health["checks"]["workers"]["list"])
        assert queues == ["intake", "orders,processing,intake", "webhooks"]
        pdf = make_pdf(tmp_path / "a.pdf")
        started = time.monotonic()
        response = httpx.post(f"{server.url}/jobs/preflight", headers=headers, timeout=60,
                              json={"sync": True, "sources": [{"file": b64(pdf), "name": "a.pdf"}]})
        assert response.status_code == 200, response.text
        assert time.monotonic() - started < 10
        job = response.json()["job"]
        assert job["status"] in ("ready", "partial", "rejected")
        assert job["results"]["preflight"][0]["report"]["pdf"]["page_count"] == 1
        metrics = httpx.get(f"{server.url}/metrics").text
        assert 'printgate_jobs{status="' in metrics and "printgate_queue_depth" in metrics
        assert "printgate_step_duration_seconds_count" in metrics
        spec = httpx.get(f"{server.url}/openapi.json").json()
        assert "/jobs/{id}" in spec["paths"] and "/element/jobs" in " ".join(spec["paths"])
    finally:
        server.stop()
    assert server.proc.returncode == 0
    assert "printgate: stopped" in server.log_path.read_text()


def test_jobs_queued_before_a_restart_complete_after_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = start_server(data, workers=0)  # nobody works: jobs stay queued
    headers = {"Authorization": f"Bearer {server.secret_key}"}
    pdf = make_pdf(tmp_path / "a.pdf")
    ids = []
    for _ in range(3):
        response = httpx.post(f"{server.url}/jobs/preflight", headers=headers,
                              json={"sources": [{"file": b64(pdf)}]})
        assert response.status_code == 201
        ids.append(response.json()["job"]["id"])
    server.stop()

    server = start_server(data, workers=2)
    try:
        headers = {"Authorization": f"Bearer {server.secret_key}"}

        def all_done() -> bool:
            statuses = [httpx.get(f"{server.url}/jobs/{i}", headers=headers).json()["job"]["status"] for i in ids]
            return all(s in ("ready", "partial", "rejected") for s in statuses)

        wait_for(all_done, timeout=60)
    finally:
        server.stop()


def test_cli_keys_and_check(tmp_path: Path) -> None:
    env_args = ["--data-dir", str(tmp_path / "d")]

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=ROOT,
                              env=clean_env())

    created = cli("keys", "create", "--json", "--account", "globex", *env_args)
    assert created.returncode == 0, created.stderr
    key = json.loads(created.stdout)
    assert key["key"].startswith("sk_test_") and key["account"] == "globex"
    listed = json.loads(cli("keys", "list", "--json", *env_args).stdout)
    assert [k["id"] for k in listed] == [key["id"]] and listed[0]["revokedAt"] is None
    assert key["key"] not in json.dumps(listed)
    assert cli("keys", "revoke", key["id"], *env_args).returncode == 0
    assert json.loads(cli("keys", "list", "--json", *env_args).stdout)[0]["revokedAt"] is not None

    pdf = make_pdf(tmp_path / "a.pdf", pages=2)
    checked = cli("check", str(pdf), "--json", *env_args)
    verdict = json.loads(checked.stdout)
    assert verdict["report"]["pdf"]["page_count"] == 2 and verdict["pages"] == 2
    assert checked.returncode == (0 if verdict["canProceed"] else 1)
    human = cli("check", str(pdf), *env_args)
    assert "2 page(s)" in human.stdout
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"garbage")
    bad = cli("check", str(broken), "--json", *env_args)
    assert bad.returncode == 1
    assert json.loads(bad.stdout)["status"] == "rejected"
    assert cli("check", str(tmp_path / "missing.pdf"), *env_args).returncode == 2


def test_health_counts_only_live_workers(tmp_path: Path) -> None:
    """A worker killed with -9 stays registered in Redis; /health must stop counting it once it has
    missed its heartbeat (issue 14, medium 5), while serve's restarted worker is counted."""
    server = start_server(tmp_path / "data", workers=1, extra_env={"PRINTGATE_WORKER_TTL_S": "3"})
    try:
        def names() -> list[str]:
            return [w["name"] for w in httpx.get(f"{server.url}/health", timeout=10).json()["checks"]["workers"]["list"]]

        first = wait_for(lambda: (n := names()) and n, timeout=60)
        assert isinstance(first, list) and len(first) == 1
        os.kill(int(first[0].rsplit("-", 1)[1]), signal.SIGKILL)
        # Its replacement is live; the killed one drops out within a few heartbeat intervals.
        after = wait_for(lambda: (n := names()) and first[0] not in n and n, timeout=30)
        assert isinstance(after, list) and len(after) == 1 and after != first
    finally:
        server.stop()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").exists() and Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"


def test_a_killed_serve_leaves_nothing_running_and_a_second_serve_is_refused(tmp_path: Path) -> None:
    """kill -9 of serve (issue 14, medium 4): its API and workers die with it, the next serve on the
    data dir ends the daemonized Redis it left and comes up on the same port; while one serve runs,
    another on its data dir is refused with a clear message."""
    data = tmp_path / "data"
    server = start_server(data, workers=1)
    port = int(server.url.rsplit(":", 1)[1])
    try:
        second = subprocess.run([*CLI, "serve", "--port", str(port + 1), "--workers", "0"], capture_output=True,
                                text=True, timeout=60, env=clean_env(PRINTGATE_DATA_DIR=str(data)), cwd=ROOT)
        assert second.returncode == 1
        assert f"another printgate serve (pid {server.proc.pid})" in second.stderr

        started = json.loads((data / "serve.pids.json").read_text())
        assert {"api", "worker-0", "redis"} <= set(started), started
        server.proc.kill()
        server.proc.wait()
        children = [started[name]["pid"] for name in ("api", "worker-0")]
        assert wait_for(lambda: not any(_alive(pid) for pid in children), timeout=30), "children outlived serve"
        assert _alive(started["redis"]["pid"])  # daemonized: only the next start can end it

        again = start_server(data, port=port, workers=1)
        try:
            assert not _alive(started["redis"]["pid"])
            log = again.log_path.read_text()
            assert "ended what an earlier serve of this data dir left running: redis" in log, (started, log[-3000:])
            assert httpx.get(f"{again.url}/health", timeout=10).status_code == 200
        finally:
            again.stop()
    finally:
        server.stop()
    assert "Address already in use" not in (data / "serve.log").read_text()


def _children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def test_a_killed_api_takes_its_worker_processes_with_it(tmp_path: Path) -> None:
    """kill -9 of the API (uvicorn's supervisor, issue 14): its worker processes lived on as orphans,
    still answering on the port beside the API serve restarted. They now die with it."""
    server = start_server(tmp_path / "data", workers=0)
    try:
        api = json.loads((server.data_dir / "serve.pids.json").read_text())["api"]["pid"]
        workers = wait_for(lambda: len(c := _children_of(api)) >= 2 and c, timeout=60)
        assert isinstance(workers, list)
        os.kill(api, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [pid for pid in workers if _alive(pid)], "API workers outlived the API"
        # serve starts a new API, which answers on the same port.
        deadline = time.monotonic() + 90
        while not _answers(f"{server.url}/health") and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _answers(f"{server.url}/health"), "serve did not bring the API back"
        again = json.loads((server.data_dir / "serve.pids.json").read_text())["api"]["pid"]
        assert again != api
    finally:
        server.stop()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=5).status_code in (200, 503)
    except httpx.HTTPError:
        return False


def test_what_printgate_writes_is_private(tmp_path: Path) -> None:
    """Issue 14, medium 8: the database, stored files, the Redis dump and the signing key were 0644."""
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    server = start_server(data, workers=0)
    try:
        headers = {"Authorization": f"Bearer {server.secret_key}"}
        response = httpx.post(f"{server.url}/jobs/preflight", headers=headers, timeout=30,
                              json={"sources": [{"file": b64(make_pdf(tmp_path / "a.pdf")), "name": "a.pdf"}]})
        assert response.status_code == 201, response.text
    finally:
        server.stop()
    loose = sorted(f"{p.relative_to(data)} {oct(p.stat().st_mode & 0o777)}" for p in [data, *data.rglob("*")]
                   if p.stat().st_mode & 0o077 and p.name != "serve.log")
    assert loose == []
    assert (data / "printgate.db").exists() and any((data / "files").rglob("*"))
