"""The walker's inline fast paths report what its general paths report (issue 17): gray fills
painted without ``paint()``, ``cm`` and path runs read straight from the tokenizer's bytes, text
boxes and the text matrix multiplied inline, font widths read at once.
Each is checked against a known answer and against the same page read through qpdf's parser
(operands as pikepdf objects: the general paths)."""

from __future__ import annotations

import math
import random
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pikepdf
import pytest

from printgate.core.preflight.model import DocFacts
from printgate.core.preflight.pdf import streams
from printgate.core.preflight.pdf.fonts import load_font
from printgate.core.preflight.pdf.reader import DocumentReader

from .pdfgen import BLEED, PageSpec, build_into, embedded_font

B = BLEED  # the trim starts here on both axes (PageSpec's default TrimBox)


def _facts(path: Path, monkeypatch: pytest.MonkeyPatch, *, qpdf: bool) -> Any:
    if qpdf:
        monkeypatch.setattr(streams, "scan_ops", lambda data, prune=False: None)
    try:
        with pikepdf.open(path) as pdf:
            reader = DocumentReader(pdf)
            return reader.safe_page_facts(0, pdf.pages[0], DocFacts(kind="pdf", size_bytes=0))
    finally:
        monkeypatch.undo()


def _page(tmp_path: Path, content: bytes, name: str = "p.pdf") -> Path:
    pdf = pikepdf.new()
    half = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.ExtGState, ca=0.5))
    spec = PageSpec(content=content, fonts={"F1": embedded_font(pdf)}, extgstates={"Half": half})
    return build_into(pdf, tmp_path / name, [spec], intent=False, pdfx=False)


def _mark(distance: float, rect: tuple[float, ...]) -> tuple[float, tuple[float, ...]]:
    return round(distance, 6), tuple(round(v, 6) for v in rect)


def _path_marks(facts: Any) -> list[tuple[float, tuple[float, ...]]]:
    return sorted(_mark(m.distance_pt, m.rect) for m in facts.object_marks if m.kind == "path")


def test_gray_fills_are_marked_as_paint_marks_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    content = (
        f"0.5 g {B + 1} 300 20 20 re f "  # 1 pt inside the trim: marked
        f"{B + 0.3} 350 20 20 re f "  # 0.3 pt inside: too close to be a layout object, not marked
        f"{B + 0.55} 380 20 20 re f "  # 0.55 pt inside: marked
        f"{B - 2} 400 20 20 re f "  # crosses the trim: bleeding on purpose, not marked
        "0 450 5 5 re f "  # wholly outside the trim: not marked
        f"q /Half gs 300 {B + 2} 20 20 re f Q"  # half opaque: through paint(), marked, and transparent
    ).encode()
    path = _page(tmp_path, content)
    for qpdf in (False, True):
        facts = _facts(path, monkeypatch, qpdf=qpdf)
        assert _path_marks(facts) == [_mark(0.55, (B + 0.55, 380.0, B + 20.55, 400.0)),
                                      _mark(1.0, (B + 1, 300.0, B + 21, 320.0)),
                                      _mark(2.0, (300.0, B + 2, 320.0, B + 22))]
        assert facts.modes == {"Gray": 6}
        assert len(facts.mode_rects["Gray"]) == 6
        assert facts.transparency_reasons == ["opacity"] and facts.tac_mixed


def test_rotated_matrices_give_the_rotated_boxes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    content = (
        b"q 0 1 -1 0 300 100 cm 0 0 50 10 re f Q "  # a quarter turn: x' = 300 - y, y' = 100 + x
        b"q 1 0 0.5 1 0 0 cm 400 400 20 20 re f Q "  # slanted: x' = x + y / 2
        b"q 1 0 -0 1 10 -0 cm 100 200 m 120 200 l 120 230 l f Q "  # -0 operands read as qpdf reads them
        b"BT /F1 10 Tf 0 1 -1 0 200 300 Tm (A) Tj ET "  # text turned a quarter: its box too
        b"BT /F1 8 Tf 100 500 Td 20 -0 Td (B) Tj ET "  # moved twice: starts at (120, 500)
        b"BT /F1 12 Tf 1 0 0.5 1 300 600 Tm (C) Tj ET"  # slanted: its box starts left of 300
    )
    path = _page(tmp_path, content)
    facts = [_facts(path, monkeypatch, qpdf=qpdf) for qpdf in (False, True)]
    assert asdict(facts[0]) == asdict(facts[1])
    rects = facts[0].mode_rects["Gray"]
    assert (290.0, 100.0, 300.0, 150.0) in rects
    assert (110.0, 200.0, 130.0, 230.0) in rects
    assert (600.0, 400.0, 630.0, 420.0) in rects
    assert facts[0].min_font_size == pytest.approx(8.0)
    texts = dict(facts[0].small_text_rects)
    turned, moved = texts[10.0], texts[8.0]
    assert turned[0] < 200.0 < turned[2] and turned[1] == pytest.approx(300.0)  # spans x, starts at y
    assert moved[0] == pytest.approx(120.0) and moved[1] == pytest.approx(500.0 - 0.2 * 8)
    slanted = texts[round(12 * math.hypot(0.5, 1.0), 2)]  # the size along the slanted vertical
    assert slanted[0] == pytest.approx(300.0 - 0.5 * 0.2 * 12) and slanted[1] == pytest.approx(600.0 - 0.2 * 12)


STATE = ["0 g", "0.2 0.4 0.6 rg", "0 0 0 1 k", "0.5 0 0 1 K", "0.1 w", "2 w", "1 0 0 1 30 40 cm",
         "0.7071 0.7071 -0.7071 0.7071 100 -0 cm", "-1 0 0 1 400 0 cm", "0.5 0 0 0.5 -0 0 cm", "/Half gs"]
PAINT = ["10 10 m 200 12 l S", f"{B + 0.7} {B + 0.7} 40 40 re f", "0 0 m 300 300 l 10 300 l h f*",
         f"{B + 1} 50 m {B + 1} 90 l {B + 30} 90 l f", "-5 -5 m 20 -5 l 20 20 l b",
         "BT /F1 5 Tf 20 20 Td (Hi)Tj 0 -6 TD (there) Tj T* (again)' ET",
         f"BT /F1 9 Tf 1 0 0 1 {B - 4} 250 Tm [(a)-20(b) 300 (c)]TJ ET",
         "BT /F1 7 Tf 3 Tr 50 50 Td (hidden) Tj 1 Tr (outline) Tj 0 Tr ET", "0 0 m 1 1 l n"]


def _random_content(rng: random.Random, depth: int = 0) -> str:
    parts: list[str] = []
    for _ in range(rng.randint(2, 9)):
        r = rng.random()
        if r < 0.3 and depth < 5:
            parts.append("q " + _random_content(rng, depth + 1) + " Q")
        elif r < 0.65:
            parts.append(rng.choice(STATE))
        else:
            parts.append(rng.choice(PAINT))
    return " ".join(parts)


@pytest.mark.parametrize("seed", range(16))
def test_our_tokenizer_and_qpdf_operands_give_the_same_facts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    path = _page(tmp_path, _random_content(random.Random(seed)).encode(), f"r{seed}.pdf")
    ours, general = (_facts(path, monkeypatch, qpdf=qpdf) for qpdf in (False, True))
    assert ours.content_error is None and ours.content_ops > 0
    assert asdict(ours) == asdict(general)


def test_font_widths_read_at_once_keep_the_per_entry_defaults() -> None:
    pdf = pikepdf.new()
    font = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica,
                              FirstChar=32, Widths=pikepdf.Array([278, 333.5, 500]))
    assert load_font(pdf.make_indirect(font), "F").widths == [278.0, 333.5, 500.0]
    font.Widths = pikepdf.Array([278, pikepdf.Name.Bad, 500])  # not a number: that entry reads as 0
    assert load_font(font, "F").widths == [278.0, 0.0, 500.0]
