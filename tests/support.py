"""Test PDFs and free ports, without pytest: the bench/ scripts use them too, after the README's
install (which has no pytest)."""

from __future__ import annotations

import socket
from pathlib import Path


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
