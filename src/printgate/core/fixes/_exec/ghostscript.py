"""Ghostscript ``pdfwrite``: the engine behind colour conversion, font embedding and outlining."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from printgate.core.config import get_settings
from printgate.core.fixes._exec import ExternalToolError, run_tool

DEFAULT_TIMEOUT_S = 300.0


def _binary() -> str:
    # Overridable so a deployment can point at its own build (and tests can inject a failing one).
    return get_settings().ghostscript


def _timeout() -> float:
    configured = get_settings().ghostscript_timeout_s
    return configured if configured is not None else DEFAULT_TIMEOUT_S


def version() -> str:
    return run_tool([_binary(), "--version"], timeout=10, name="Ghostscript").stdout.strip()


def pdfwrite(
    src: Path,
    dst: Path,
    options: Sequence[str] = (),
    *,
    compatibility: str | None = None,
    timeout: float | None = None,
    font_dirs: Sequence[Path] = (),
    quiet: bool = True,
    postscript: Sequence[str] = (),
) -> str:
    """Re-distill ``src`` into ``dst`` with extra ``-d``/``-s`` options; returns Ghostscript's messages
    (with ``quiet=False`` they include which font file was loaded for each font name).

    ``-dSAFER`` keeps a hostile PDF from touching the filesystem; fonts are always embedded
    (a print file must never come out with fewer embedded fonts than it went in with).
    ``postscript`` runs after the defaults, before the file (e.g. ``setdistillerparams`` with
    dictionaries, which ``-d``/``-s`` cannot express).
    """
    args = [
        _binary(),
        *(["-q"] if quiet else []),
        "-dSAFER",
        "-dBATCH",
        "-dNOPAUSE",
        "-sDEVICE=pdfwrite",
        "-dAutoRotatePages=/None",
        "-dEmbedAllFonts=true",
        "-dPDFSETTINGS=/default",
        "-dDetectDuplicateImages=true",
        "-dAutoFilterColorImages=false",
        "-dAutoFilterGrayImages=false",
        "-sColorImageFilter=FlateEncode",
        "-sGrayImageFilter=FlateEncode",
        "-dDownsampleColorImages=false",
        "-dDownsampleGrayImages=false",
        "-dDownsampleMonoImages=false",
        "-dPassThroughJPEGImages=true",
    ]
    if compatibility:
        args.append(f"-dCompatibilityLevel={compatibility}")
    if font_dirs:
        args.append("-sFONTPATH=" + os.pathsep.join(str(d) for d in dict.fromkeys(font_dirs)))
    args.extend(options)
    # The default distiller params never embed the base-14 fonts; a print file must carry them all.
    ps = " ".join(["<< /NeverEmbed [ ] >> setdistillerparams", *postscript])
    args.extend([f"-sOutputFile={dst}", "-c", ps, "-f", str(src)])
    proc = run_tool(args, timeout=timeout or _timeout(), name="Ghostscript")
    if proc.returncode != 0 or not dst.is_file() or dst.stat().st_size == 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise ExternalToolError("Ghostscript failed: " + (" | ".join(detail) or f"exit {proc.returncode}"))
    return (proc.stdout or "") + (proc.stderr or "")
