"""One ``printgate serve`` per data dir, and nothing left behind by a ``kill -9`` of it.

A killed serve used to orphan its API processes, workers and embedded Redis; the next start printed
"serving on ..." and looped on "Address already in use" beside a second set of workers. Now:

- serve holds an exclusive lock on ``serve.lock`` in the data dir (released by the kernel however it
  dies); a second serve on the same data dir is refused with the first one's pid;
- its children die with it (Linux parent-death signal);
- the processes it started are recorded in ``serve.pids.json`` with their start times, and the next
  serve ends whichever of them still run (the daemonized Redis, or anything that outlived its
  parent) before it starts its own.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import os
import signal
import time
from pathlib import Path
from typing import IO

LOCK_FILE = "serve.lock"
PIDS_FILE = "serve.pids.json"
_PR_SET_PDEATHSIG = 1


class AlreadyServing(RuntimeError):
    """Another printgate serve holds this data dir."""


def hold_data_dir(data_dir: Path) -> IO[str]:
    """Take the data dir's serve lock (keep the returned file open for serve's lifetime)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    handle = (data_dir / LOCK_FILE).open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise AlreadyServing(f"another printgate serve (pid {holder}) is running on {data_dir.resolve()}; "
                             "stop it first, or use another --data-dir") from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def die_with_parent() -> None:
    """``preexec_fn`` for a child: SIGTERM it when the process that started it dies (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (a recycled pid has another one); None when
    it does not run. A zombie does not: a killed serve's children can stay unreaped for a while, and
    counting them made the next start wait out its grace period and say it had ended them."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if fields[0] in ("Z", "X") else fields[19]


def runs(pid: int) -> bool:
    """Whether ``pid`` is a running process: one that exited and waits to be reaped does not."""
    return _start_time(pid) is not None


def record(data_dir: Path, pids: dict[str, int]) -> None:
    """Remember what this serve started (name -> pid), for the next start to clean up after a crash."""
    entries = {name: {"pid": pid, "start": _start_time(pid)} for name, pid in pids.items() if pid}
    tmp = data_dir / (PIDS_FILE + ".tmp")
    tmp.write_text(json.dumps(entries))
    tmp.replace(data_dir / PIDS_FILE)


def end_leftovers(data_dir: Path, grace_s: float = 5.0) -> tuple[list[str], list[str]]:
    """End the processes an earlier serve of this data dir recorded and that still run. Returns the
    names of those ended and of those recorded that had already exited. Only a pid whose start time
    matches the record is touched."""
    path = data_dir / PIDS_FILE
    try:
        entries = json.loads(path.read_text())
    except (OSError, ValueError):
        return [], []
    alive = {name: int(e["pid"]) for name, e in entries.items()
             if isinstance(e, dict) and e.get("start") and _start_time(int(e["pid"])) == e["start"]}
    for pid in alive.values():
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and any(_start_time(pid) for pid in alive.values()):
        time.sleep(0.1)
    for pid in alive.values():
        if _start_time(pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
    path.unlink(missing_ok=True)
    return sorted(alive), sorted(set(entries) - set(alive))
