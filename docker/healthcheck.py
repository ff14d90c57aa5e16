#!/usr/bin/env python3
"""Container health for printgate's image: ``printgate-healthcheck api`` or ``... worker``.

api     GET /health on this container answers, and the API reaches its database and Redis. A 503
        that only says "no workers" is still a healthy API (workers are their own service).
worker  an RQ worker started on this host (container) is registered in Redis.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import urllib.error
import urllib.request


def api() -> int:
    port = os.environ.get("PORT", "8000")
    try:
        token = os.environ.get("PRINTGATE_OPS_TOKEN")  # /health's details need it when it is set
        request = urllib.request.Request(f"http://127.0.0.1:{port}/health",
                                         headers={"Authorization": f"Bearer {token}"} if token else {})
        resp = urllib.request.urlopen(request, timeout=4)
    except urllib.error.HTTPError as exc:
        resp = exc
    except OSError as exc:
        print(f"api unreachable: {exc}")
        return 1
    try:
        checks = json.loads(resp.read()).get("checks", {})
    except ValueError:
        print(f"/health answered {resp.status} without JSON")
        return 1
    queue = checks.get("queue")
    ok = checks.get("api") == "ok" and checks.get("database") == "ok" and isinstance(queue, dict)
    if not ok:
        print(f"unhealthy: {json.dumps(checks)[:500]}")
    return 0 if ok else 1


def worker() -> int:
    from rq import Worker

    from printgate.core.queue import get_redis

    here = socket.gethostname()
    mine = [w for w in Worker.all(connection=get_redis()) if w.hostname == here]
    if not mine:
        print(f"no RQ worker registered from {here}")
    return 0 if mine else 1


if __name__ == "__main__":
    role = sys.argv[1] if len(sys.argv) > 1 else "api"
    sys.exit({"api": api, "worker": worker}[role]())
