"""Ghostscript ``pdfwrite``: the engine behind colour conversion, font embedding and outlining."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
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
    on_pages: Callable[[int, int], None] | None = None,
) -> str:
    """Re-distill ``src`` into ``dst`` with extra ``-d``/``-s`` options; returns Ghostscript's messages
    (with ``quiet=False`` they include which font file was loaded for each font name).

    ``-dSAFER`` keeps a hostile PDF from touching the filesystem; fonts are always embedded
    (a print file must never come out with fewer embedded fonts than it went in with).
    ``postscript`` runs after the defaults, before the file (e.g. ``setdistillerparams`` with
    dictionaries, which ``-d``/``-s`` cannot express).
    ``on_pages`` is told (pages done, pages in all) as Ghostscript reports each page (its own
    ``Page N`` lines, so the run is not quiet then).
    """
    args = [
        _binary(),
        *(["-q"] if quiet and on_pages is None else []),
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
    lines = _PageLines(on_pages) if on_pages is not None else None
    proc = run_tool(args, timeout=timeout or _timeout(), name="Ghostscript", on_line=lines)
    if proc.returncode != 0 or not dst.is_file() or dst.stat().st_size == 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise ExternalToolError("Ghostscript failed: " + (" | ".join(detail) or f"exit {proc.returncode}"))
    if lines is not None:
        lines.finished()
    return (proc.stdout or "") + (proc.stderr or "")


_PAGES = re.compile(r"^Processing pages (\d+) through (\d+)\.")
_PAGE = re.compile(r"^Page (\d+)$")


class _PageLines:
    """Turns Ghostscript's ``Processing pages 1 through N.`` and ``Page n`` lines into (done, total)."""

    def __init__(self, on_pages: Callable[[int, int], None]) -> None:
        self.on_pages = on_pages
        self.first = 1
        self.total = 0

    def __call__(self, line: str) -> None:
        line = line.strip()
        found = _PAGES.match(line)
        if found:
            self.first, last = int(found.group(1)), int(found.group(2))
            self.total = last - self.first + 1
            self.on_pages(0, self.total)
            return
        page = _PAGE.match(line)
        if page and self.total:
            # ``Page n`` starts page n: the pages before it are done.
            self.on_pages(min(int(page.group(1)) - self.first, self.total), self.total)

    def finished(self) -> None:
        if self.total:
            self.on_pages(self.total, self.total)
