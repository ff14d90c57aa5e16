from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest


@pytest.fixture
def make_pdf(tmp_path: Path):
    """Build a small colourful PDF: ``sizes`` is a list of (width_pt, height_pt) per page."""

    def _make(name: str = "in.pdf", sizes: list[tuple[float, float]] | None = None, rotate: int = 0) -> Path:
        doc = pymupdf.open()
        for w, h in sizes or [(595, 842)]:
            page = doc.new_page(width=w, height=h)
            page.draw_rect(page.rect, color=None, fill=(0.1, 0.4, 0.8))
            page.draw_rect(pymupdf.Rect(w * 0.25, h * 0.25, w * 0.75, h * 0.75), color=None, fill=(1, 0.8, 0))
            page.insert_text((20, 40), "printgate", fontsize=18, color=(1, 1, 1))
            if rotate:
                page.set_rotation(rotate)
        path = tmp_path / name
        doc.save(path)
        doc.close()
        return path

    return _make
