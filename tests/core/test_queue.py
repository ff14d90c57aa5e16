"""The embedded Redis that `printgate serve` starts: stopped for real, queued work kept."""

from __future__ import annotations

import os
from pathlib import Path

import redis

from printgate.core.queue import EmbeddedRedis


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:
        return os.waitpid(pid, os.WNOHANG) == (0, 0)
    except ChildProcessError:
        return True


def test_stop_ends_the_server_and_keeps_its_data(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path / "redis")
    url = server.start()
    pid = int(server._server.pid)
    redis.Redis.from_url(url).rpush("rq:queue:intake", "job-1")
    server.stop()
    assert not _alive(pid), "the redis-server process must not outlive stop()"

    again = EmbeddedRedis(tmp_path / "redis")
    url = again.start()
    try:
        assert redis.Redis.from_url(url).lrange("rq:queue:intake", 0, -1) == [b"job-1"]
    finally:
        again.stop()
