"""qpdf: structural repair and linearisation."""

from __future__ import annotations

from pathlib import Path

from printgate.core.config import get_settings
from printgate.core.fixes._exec import ExternalToolError, run_tool

DEFAULT_TIMEOUT_S = 120.0


def rewrite(src: Path, dst: Path, *, linearize: bool = False, timeout: float = DEFAULT_TIMEOUT_S) -> list[str]:
    """Rewrite (and so repair) a PDF; returns qpdf's warnings. Exit 3 means "done with warnings"."""
    args = [get_settings().qpdf, "--object-streams=generate", "--compress-streams=y"]
    if linearize:
        args.append("--linearize")
    args.extend([str(src), str(dst)])
    proc = run_tool(args, timeout=timeout, name="qpdf")
    if proc.returncode not in (0, 3) or not dst.is_file():
        raise ExternalToolError("qpdf failed: " + (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1])
    return [line for line in proc.stderr.splitlines() if line.strip()]
