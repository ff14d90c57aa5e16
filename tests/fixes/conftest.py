from __future__ import annotations

from pathlib import Path

import pikepdf
import pymupdf
import pytest

from tests.fixes.fixkit import gradient_png


@pytest.fixture
def pdfs(tmp_path: Path):
    class Maker:
        def art(self, name: str = "art.pdf", w: float = 200, h: float = 100, pages: int = 1) -> Path:
            """Artwork touching every edge: left half red, right half blue, a green band at the top."""
            doc = pymupdf.open()
            for _ in range(pages):
                page = doc.new_page(width=w, height=h)
                page.draw_rect(pymupdf.Rect(0, 0, w / 2, h), color=None, fill=(1, 0, 0))
                page.draw_rect(pymupdf.Rect(w / 2, 0, w, h), color=None, fill=(0, 0, 1))
                page.draw_rect(pymupdf.Rect(0, 0, w, h / 5), color=None, fill=(0, 0.8, 0))
            path = tmp_path / name
            doc.save(path)
            return path

        def text(self, name: str = "text.pdf", font: str = "helv") -> Path:
            doc = pymupdf.open()
            page = doc.new_page(width=300, height=200)
            page.insert_text((20, 50), "Hello printgate", fontname=font, fontsize=20)
            path = tmp_path / name
            doc.save(path)
            return path

        def raw(self, name: str, content: bytes, resources: dict | None = None, size=(200, 200)) -> Path:
            pdf = pikepdf.new()
            pdf.add_blank_page(page_size=size)
            page = pdf.pages[0]
            page.obj.Contents = pikepdf.Stream(pdf, content)
            if resources:
                page.obj.Resources = pikepdf.Dictionary(resources)
            path = tmp_path / name
            pdf.save(path)
            return path

        def image(self, name: str = "img.pdf", px: int = 1200, inches: float = 1.0) -> Path:
            doc = pymupdf.open()
            page = doc.new_page(width=300, height=300)
            page.insert_image(pymupdf.Rect(20, 20, 20 + 72 * inches, 20 + 72 * inches), stream=gradient_png(px, px))
            path = tmp_path / name
            doc.save(path)
            return path

    return Maker()
