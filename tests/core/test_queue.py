"""The embedded Redis that `printgate serve` starts: stopped for real, queued work kept."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import redis

from printgate.core import queue
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


def test_a_command_beside_serve_reaches_its_embedded_redis(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Found trying `printgate webhooks retry` beside a running serve: the command had no REDIS_URL
    (serve exports it to its own children only), could not queue, and left the retry to the sweeper."""
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("PRINTGATE_REDIS_URL", raising=False)
    monkeypatch.setenv("PRINTGATE_DATA_DIR", str(tmp_path))
    queue.reset_redis()
    with pytest.raises(RuntimeError, match="not configured"):
        queue.get_redis()
    server = EmbeddedRedis(tmp_path / "redis")  # where `printgate serve` puts it for this data dir
    server.start()
    try:
        queue.reset_redis()
        assert queue.get_redis().ping()
        queue.get_redis().rpush("rq:queue:webhooks", "whd-1")
        assert server._server.lrange("rq:queue:webhooks", 0, -1) == [b"whd-1"]
    finally:
        server.stop()
        queue.reset_redis()
    assert queue.embedded_address(tmp_path) is None  # a stopped serve leaves no address behind
    with pytest.raises(RuntimeError, match="not configured"):
        queue.get_redis()
    queue.reset_redis()
