"""One thin wrapper per external program, each with a timeout and a clear error."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence


class ExternalToolError(RuntimeError):
    """An external program failed, timed out or is missing; ``message`` is safe to show."""


def run_tool(args: Sequence[str], *, timeout: float, name: str) -> subprocess.CompletedProcess[str]:
    try:
        proc = subprocess.run(
            list(args), capture_output=True, text=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL
        )
    except FileNotFoundError as exc:
        raise ExternalToolError(f"{name} is not installed on this server") from exc
    except subprocess.TimeoutExpired as exc:
        raise ExternalToolError(f"{name} did not finish within {timeout:.0f} s") from exc
    return proc
