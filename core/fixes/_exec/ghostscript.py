"""Ghostscript ``pdfwrite``: the engine behind colour conversion, font embedding and outlining."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from core.fixes._exec import ExternalToolError, run_tool

GS = "gs"
DEFAULT_TIMEOUT_S = 300.0


def version() -> str:
    return run_tool([GS, "--version"], timeout=10, name="Ghostscript").stdout.strip()


def pdfwrite(
    src: Path,
    dst: Path,
    options: Sequence[str] = (),
    *,
    compatibility: str | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> None:
    """Re-distill ``src`` into ``dst`` with extra ``-d``/``-s`` options.

    ``-dSAFER`` keeps a hostile PDF from touching the filesystem; fonts are always embedded
    (a print file must never come out with fewer embedded fonts than it went in with).
    """
    args = [
        GS,
        "-q",
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
    args.extend(options)
    # The default distiller params never embed the base-14 fonts; a print file must carry them all.
    args.extend([f"-sOutputFile={dst}", "-c", "<< /NeverEmbed [ ] >> setdistillerparams", "-f", str(src)])
    proc = run_tool(args, timeout=timeout, name="Ghostscript")
    if proc.returncode != 0 or not dst.is_file() or dst.stat().st_size == 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise ExternalToolError("Ghostscript failed: " + (" | ".join(detail) or f"exit {proc.returncode}"))
