"""Text runs measured by ``show_text``'s inline sums (issue 17) move the text position exactly as
the general path does: strings given as pikepdf objects go through ``text_advance``, and both must
equal a plain per-glyph loop over the font's widths (same floats: additions in the same order).
Random strings, simple, Type 3 and Type 0 fonts, with Tc, Tw, Tz, rise and TJ offsets."""

from __future__ import annotations

import random
import struct
from typing import Any

import pikepdf
import pytest

from printgate.core.preflight.pdf.fonts import FontMetrics, load_font
from printgate.core.preflight.pdf.geometry import IDENTITY
from printgate.core.preflight.pdf.gstate import GState
from printgate.core.preflight.pdf.textgeom import show_text, text_advance


def _simple_font(rng: random.Random, subtype: str = "Type1") -> pikepdf.Dictionary:
    first = rng.randrange(0, 64)
    widths = [rng.choice([rng.uniform(0, 1200), float(rng.randrange(0, 1000))]) for _ in range(rng.randrange(1, 180))]
    font = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name("/" + subtype),
                              BaseFont=pikepdf.Name.Test, FirstChar=first, Widths=pikepdf.Array(widths))
    if subtype == "Type3":
        font.FontMatrix = pikepdf.Array([rng.uniform(0.0005, 0.002), 0, 0, 0.001, 0, 0])
    return font


def _type0_font(rng: random.Random) -> pikepdf.Dictionary:
    w: list[Any] = []
    cid = rng.randrange(0, 50)
    for _ in range(rng.randrange(1, 8)):
        if rng.random() < 0.5:  # c [w1 w2 ...]
            n = rng.randrange(1, 40)
            w += [cid, pikepdf.Array([rng.uniform(0, 1000) for _ in range(n)])]
            cid += n + rng.randrange(0, 30)
        else:  # c_first c_last w
            n = rng.randrange(0, 40)
            w += [cid, cid + n, rng.uniform(0, 1000)]
            cid += n + 1 + rng.randrange(0, 30)
    desc = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.CIDFontType2,
                              DW=rng.choice([1000, 500.5]), W=pikepdf.Array(w))
    return pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type0, BaseFont=pikepdf.Name.Test,
                              DescendantFonts=pikepdf.Array([desc]))


def _state(rng: random.Random, fm: FontMetrics | None) -> GState:
    g = GState(IDENTITY)
    g.font = fm
    g.font_size = rng.choice([1.0, 9.96, 12.0, rng.uniform(0.5, 40)])
    g.tc = rng.choice([0.0, rng.uniform(-1, 2)])
    g.tw = rng.choice([0.0, rng.uniform(-1, 4)])
    g.th = rng.choice([1.0, rng.uniform(0.5, 1.5)])  # Tz
    g.tl = rng.uniform(0, 14)
    g.trise = rng.uniform(-3, 3)
    g.tr = 3  # invisible: only the advance is measured, nothing recorded into a walker
    return g


def _glyph_loop(fm: FontMetrics | None, data: bytes, g: GState) -> float:
    """The advance of one string, a Python loop per glyph (PDF 32000-1 9.4.4)."""
    fs = g.font_size
    if fm is None:
        return len(data) * (0.5 * fs + g.tc) * g.th
    total = 0.0
    if fm.two_byte:
        n = len(data) // 2
        for (cid,) in struct.iter_unpack(">H", data[: 2 * n]):
            total += fm.cid_widths.get(cid, fm.default_width)
        if not fm.cid_widths:
            return n * (fm.default_width * fm.scale * fs + g.tc) * g.th
        return (total * fm.scale * fs + n * g.tc) * g.th
    for code in data:
        i = code - fm.first_char
        total += fm.widths[i] if 0 <= i < len(fm.widths) else fm.default_width
    return (total * fm.scale * fs + len(data) * g.tc + data.count(32) * g.tw) * g.th


def _run(rng: random.Random, fm: FontMetrics | None) -> list[Any]:
    items: list[Any] = []
    for _ in range(rng.randrange(1, 12)):
        if rng.random() < 0.3:
            items.append(rng.choice([rng.randrange(-500, 500), rng.uniform(-300, 300)]))
        else:
            n = rng.randrange(0, 40)
            if fm is not None and fm.two_byte and rng.random() < 0.2:
                n |= 1  # an odd byte left over: ignored
            items.append(bytes(rng.choice([32, rng.randrange(256)]) for _ in range(n)))
    return items


def _advance_fast(g: GState, items: list[Any]) -> float:
    return show_text(None, g, IDENTITY, [items], True, False)[4]


def _advance_general(g: GState, items: list[Any]) -> float:
    """The same run with its strings as pikepdf objects: ``show_text`` hands each to ``text_advance``."""
    general = [pikepdf.String(it) if type(it) is bytes else it for it in items]
    return show_text(None, g, IDENTITY, [general], True, False)[4]


def _advance_loop(fm: FontMetrics | None, g: GState, items: list[Any]) -> float:
    tx = 0.0
    for it in items:
        if type(it) is bytes:
            tx += _glyph_loop(fm, it, g)
        else:
            tx -= it / 1000.0 * g.font_size * g.th
    return tx


@pytest.mark.parametrize("kind", ["Type1", "TrueType", "Type3", "Type0", "none"])
def test_random_runs_advance_exactly_as_a_glyph_loop(kind: str) -> None:
    rng = random.Random(f"issue17-{kind}")
    nonzero = 0
    for case in range(300):
        if kind == "none":
            fm = None
        elif kind == "Type0":
            fm = load_font(_type0_font(rng), "F1")
            assert fm.two_byte and fm.cid_widths
        else:
            fm = load_font(_simple_font(rng, kind), "F1")
            assert not fm.two_byte and fm.widths
        g = _state(rng, fm)
        items = _run(rng, fm)
        expected = _advance_loop(fm, g, items)
        assert _advance_fast(g, items) == expected, (kind, case)
        assert _advance_general(g, items) == expected, (kind, case)
        nonzero += expected != 0.0
    assert nonzero > 250  # the runs did move the text position


def test_type0_codes_read_big_endian_with_dw_for_unlisted_cids() -> None:
    desc = pikepdf.Dictionary(Subtype=pikepdf.Name.CIDFontType0, DW=700,
                              W=pikepdf.Array([0x0102, pikepdf.Array([250, 333.5]), 0x0200, 0x0201, 900]))
    fm = load_font(pikepdf.Dictionary(Subtype=pikepdf.Name.Type0, DescendantFonts=pikepdf.Array([desc])), "F")
    g = GState(IDENTITY)
    g.font, g.font_size, g.tc, g.th, g.tr = fm, 10.0, 0.5, 0.8, 3
    data = b"\x01\x02\x01\x03\x02\x01\x00\x07\x09"  # 0x0102, 0x0103, 0x0201, 0x0007 (DW), a stray byte
    expected = ((250.0 + 333.5 + 900.0 + 700.0) * 0.001 * 10.0 + 4 * 0.5) * 0.8
    assert text_advance(fm, data, g) == expected
    assert show_text(None, g, IDENTITY, [data], False, False)[4] == expected
    assert show_text(None, g, IDENTITY, [[data, 100]], True, False)[4] == expected - 100 / 1000.0 * 10.0 * 0.8


def test_type0_without_widths_and_simple_font_table_edges() -> None:
    fm0 = load_font(pikepdf.Dictionary(Subtype=pikepdf.Name.Type0, DescendantFonts=pikepdf.Array(
        [pikepdf.Dictionary(Subtype=pikepdf.Name.CIDFontType2, DW=600)])), "F")
    g = GState(IDENTITY)
    g.font, g.font_size, g.tr = fm0, 12.0, 3
    assert show_text(None, g, IDENTITY, [b"\x00\x01\x00\x02"], False, False)[4] == 2 * (600 * 0.001 * 12.0)
    fm1 = load_font(pikepdf.Dictionary(Subtype=pikepdf.Name.Type1, FirstChar=65,
                                       Widths=pikepdf.Array([100, 200])), "F")
    g.font, g.tw = fm1, 3.0  # Tw counts byte 32 in a simple font; 32 is below FirstChar: width 500
    assert show_text(None, g, IDENTITY, [b"AB C"], False, False)[4] == (
        (100.0 + 200.0 + 500.0 + 500.0) * 0.001 * 12.0 + 1 * 3.0)
