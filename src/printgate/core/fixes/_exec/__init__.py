"""One thin wrapper per external program, each with a timeout and a clear error."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Callable, Sequence


class ExternalToolError(RuntimeError):
    """An external program failed, timed out or is missing; the message is safe to show."""


def run_tool(args: Sequence[str], *, timeout: float, name: str,
             on_line: Callable[[str], None] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``args`` in its own process group; on timeout the whole group is killed (no orphans
    holding our pipes open). With ``on_line``, each stdout line is handed over as it is printed
    (a long run can report its progress) and still returned in ``stdout``."""
    if on_line is not None:
        return _run_streaming(args, timeout=timeout, name=name, on_line=on_line)
    try:
        proc = subprocess.Popen(
            list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
            text=True, start_new_session=True,
        )
    except FileNotFoundError as exc:
        raise ExternalToolError(f"{name} is not installed on this server") from exc
    except PermissionError as exc:
        raise ExternalToolError(f"{name} cannot be executed on this server") from exc
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.communicate()
        raise ExternalToolError(f"{name} did not finish within {timeout:g} s") from exc
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _run_streaming(args: Sequence[str], *, timeout: float, name: str,
                   on_line: Callable[[str], None]) -> subprocess.CompletedProcess[str]:
    try:
        proc = subprocess.Popen(
            list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
            text=True, bufsize=1, start_new_session=True,
        )
    except FileNotFoundError as exc:
        raise ExternalToolError(f"{name} is not installed on this server") from exc
    except PermissionError as exc:
        raise ExternalToolError(f"{name} cannot be executed on this server") from exc
    timed_out = threading.Event()

    def kill() -> None:
        timed_out.set()
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    err: list[str] = []
    assert proc.stdout is not None and proc.stderr is not None
    stderr = proc.stderr
    drain = threading.Thread(target=lambda: err.append(stderr.read()), daemon=True)
    timer = threading.Timer(timeout, kill)
    drain.start()
    timer.start()
    out: list[str] = []
    try:
        for line in proc.stdout:
            out.append(line)
            try:
                on_line(line)
            except Exception:  # a progress display must never break the tool run
                pass
        proc.wait()
    finally:
        timer.cancel()
        if proc.poll() is None:
            kill()
            proc.wait()
        drain.join()
    if timed_out.is_set():
        raise ExternalToolError(f"{name} did not finish within {timeout:g} s")
    return subprocess.CompletedProcess(proc.args, proc.returncode, "".join(out), "".join(err))
