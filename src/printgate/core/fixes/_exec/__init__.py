"""One thin wrapper per external program, each with a timeout and a clear error."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Sequence


class ExternalToolError(RuntimeError):
    """An external program failed, timed out or is missing; the message is safe to show."""


def run_tool(args: Sequence[str], *, timeout: float, name: str) -> subprocess.CompletedProcess[str]:
    """Run ``args`` in its own process group; on timeout the whole group is killed (no orphans
    holding our pipes open)."""
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
