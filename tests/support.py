"""Test PDFs and free ports, without pytest: the bench/ scripts use them too, after the README's
install (which has no pytest)."""

from __future__ import annotations

import importlib.util
import socket
import sys
from pathlib import Path

# printgate's command line as the tests and bench/ start it: the installed package, not a path here.
CLI = [sys.executable, "-m", "printgate"]


def shared_dir(*parts: str) -> Path:
    """The workplace's shared material (spec, fixtures, store tarballs, corpus): ``../shared`` beside
    this checkout, else ``/work/shared`` (a clone elsewhere, as CI makes); ``PRINTGATE_SHARED_DIR``
    overrides both."""
    import os

    here = Path(__file__).resolve().parents[1].parent / "shared"
    base = Path(os.environ.get("PRINTGATE_SHARED_DIR") or (here if here.is_dir() else "/work/shared"))
    return base.joinpath(*parts)


def source_dir(room: str, *parts: str) -> Path:
    """A folder of what printgate ships (``source_dir("widgets", "static")``), found where the
    package is imported from, so no test names a path of this checkout's layout."""
    spec = importlib.util.find_spec(f"printgate.{room}")
    if spec is None or not spec.submodule_search_locations:
        raise LookupError(f"printgate room {room!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations))).joinpath(*parts)


def make_pdf(path: Path, *, pages: int = 1, width_pt: float = 595.28, height_pt: float = 841.89,
             text: str = "printgate") -> Path:
    """A small, valid PDF drawn with PyMuPDF (fonts: the built-in Helvetica)."""
    import pymupdf

    doc = pymupdf.open()
    for index in range(pages):
        page = doc.new_page(width=width_pt, height=height_pt)
        page.insert_text((72, 72), f"{text} page {index + 1}", fontsize=12)
    doc.save(path)
    doc.close()
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
