"""Where text sits for the size and safe-zone checks: shown text runs, outlined-text marks and text
cut off at the trim.

``walker`` uses these; they record into the walker they are given and read nothing else.
"""

from __future__ import annotations

import math
from itertools import repeat
from struct import unpack
from typing import Any

import pikepdf

from ..model import Mark
from .colorspaces import CS_GRAY
from .fonts import FontMetrics
from .geometry import Matrix, Rect, bbox_of, matrix
from .gstate import GState
from .objects import dict_get, num

# A form XObject carrying this key is text that a fix turned into outlines (``fixes/outline.py``):
# ``<< /Box [x0 y0 x1 y1] >>`` is the text's box in em units of the form's own space (1 = the font
# size), so the CTM where it is painted gives its size and place. Such text is still text for the
# size and safe-zone checks; it is not live text (``text_ops``: the outlining did clear that check).
OUTLINED_TEXT_KEY = "/PrintgateText"
BLEED_PT = 3 * 72 / 25.4  # the bleed assumed on a page without a BleedBox (text there is cut off)


def outlined_box(marker: Any) -> tuple[float, float, float, float]:
    """The em box of an outlined-text mark; a malformed one counts as one em-high glyph at the origin."""
    try:
        x0, y0, x1, y1 = (float(v) for v in dict_get(marker, "/Box"))
    except Exception:
        return (0.0, -0.2, 0.6, 0.8)
    if not all(map(math.isfinite, (x0, y0, x1, y1))):
        return (0.0, -0.2, 0.6, 0.8)
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def edge_distance(edge: Rect, r: Rect) -> float | None:
    """How far inside the trim ``r`` is (negative: it crosses it); None when wholly outside."""
    if r[2] <= edge[0] or r[0] >= edge[2] or r[3] <= edge[1] or r[1] >= edge[3]:
        return None  # entirely outside the trim area (slug, marks)
    return min(r[0] - edge[0], r[1] - edge[1], edge[2] - r[2], edge[3] - r[3])


def text_distance(edge: Rect, bleed: Rect | None, r: Rect) -> float | None:
    """Like :func:`edge_distance`, but text wholly outside the trim that is still on the printed
    sheet (inside the BleedBox, or 3 mm of bleed when there is none) is cut off: a negative
    distance. Text beyond that is slug (job info, marks) and is not judged."""
    d = edge_distance(edge, r)
    if d is not None:
        return d
    e = edge
    wider = bleed is not None and (bleed[0] < e[0] or bleed[1] < e[1] or bleed[2] > e[2] or bleed[3] > e[3])
    zone = bleed if wider and bleed is not None else (e[0] - BLEED_PT, e[1] - BLEED_PT, e[2] + BLEED_PT, e[3] + BLEED_PT)
    if r[2] <= zone[0] or r[0] >= zone[2] or r[3] <= zone[1] or r[1] >= zone[3]:
        return None
    return -max(e[0] - r[2], r[0] - e[2], e[1] - r[3], r[1] - e[3], 0.0)


_PATH_OPS = frozenset({"m", "l", "c", "v", "y", "h", "re", "n", "q", "Q", "cm"})
_FILL_OPS = frozenset({"f", "f*", "F"})


def plain_fill(ops: list[tuple[str, Any]]) -> bool | None:
    """A glyph shape as ``fixes/outline.py`` writes it: paths filled in the colour already set, and
    nothing else (no colour, image, text, state or resource use). True: it fills; False: it paints
    nothing (an outlined-text mark); None: anything more -- such a form is walked like any other."""
    fills = False
    for op, _ in ops:
        if op in _FILL_OPS:
            fills = True
        elif op not in _PATH_OPS:
            return None
    return fills


def outlined_text(walker: Any, g: Any, xobj: Any, key: tuple[int, int] | None, marker: Any, geometry: bool) -> bool:
    """Measure a form marked as outlined text (``walker.PageWalker``'s ``Do``) as ``_show`` measures
    live text: its size, its box for the safe zone. True when the form is a plain glyph shape
    (:func:`plain_fill`), which is then painted as text without being walked."""
    known = walker.plain_forms.get(key) if key is not None else None
    if known is None:
        plain: bool | None = None
        if dict_get(xobj, "/Resources") is None:
            try:
                plain = plain_fill(walker._ops(xobj, key))
            except Exception:
                plain = None  # unreadable: walked as any form, which reports it
        box = outlined_box(marker)
        if plain:  # what a form paints is clipped to its BBox: the mark covers at least that
            clip = bbox_of(matrix(dict_get(xobj, "/Matrix")), *outlined_box({"/Box": dict_get(xobj, "/BBox")}))
            box = (min(box[0], clip[0]), min(box[1], clip[1]), max(box[2], clip[2]), max(box[3], clip[3]))
        known = (box, plain)
        if key is not None:
            walker.plain_forms[key] = known
    box, plain = known
    m = g.ctm
    size = math.hypot(m[2], m[3])
    rect = bbox_of(m, *box) if size else None
    if rect is not None:
        f = walker.facts
        if f.min_font_size is None or size < f.min_font_size:
            f.min_font_size = size
        if walker.small_text.wants(size):
            walker.small_text.push(size, (round(size, 2), rect))
        d = text_distance(walker.edge, f.bleed, rect) if geometry else None
        if d is not None and walker.text_marks.wants(d):
            walker.text_marks.push(d, Mark("text", d, rect))
    if plain is None:
        return False
    if plain and rect is not None:
        walker.paint(g, rect, True, False, text=True)
    return True


def show_text(walker: Any, g: GState, tm: Matrix, operands: Any, is_tj: bool, geometry: bool) -> Matrix:
    """A text-showing operator (``Tj TJ ' "``) for ``walker.PageWalker``: the run's size, box, paint
    and place beside the trim; the text matrix after it. Simple fonts add widths from a per-byte table."""
    fm = g.font
    fs = g.font_size
    th = g.th
    items: list[Any] = []
    if is_tj:
        first = operands[0] if operands else None
        if type(first) is list:
            items = first  # our tokenizer's array: read, never changed
        elif first is not None:
            try:
                items = list(first)
            except Exception:
                items = []
    else:
        items = [operands[0]] if operands else []
    tx = 0.0
    # Simple fonts and Type0 fonts with /W widths inline (the common cases): the same arithmetic,
    # in the same order, as text_advance, with the per-glyph sum done by C-level sum(map(...)).
    table = cid_get = None
    if fm is not None:
        if not fm.two_byte:
            table = fm.byte_table()
            width = table.__getitem__
        elif fm.cid_widths:
            cid_get = fm.cid_widths.get
            dws = repeat(fm.default_width)  # endless: map() stops with the codes
        scale = fm.scale
        tc = g.tc
        tw = g.tw
    for it in items:
        t = type(it)
        if t is bytes:
            if table is not None:
                tx += (sum(map(width, it)) * scale * fs + len(it) * tc + it.count(32) * tw) * th
            elif cid_get is not None:
                n = len(it) >> 1
                tx += (sum(map(cid_get, unpack(f">{n}H", it[: 2 * n]), dws)) * scale * fs + n * tc) * th
            else:
                tx += text_advance(fm, it, g)
        elif t is float or t is int:
            tx -= it / 1000.0 * fs * th
        elif isinstance(it, pikepdf.String):
            tx += text_advance(fm, bytes(it), g)
        else:
            tx -= num(it) / 1000.0 * fs * g.th
    ta, tb, tc_, td, te, tf = tm
    if g.tr != 3 and g.tr != 7 and fs:  # visible
        ca, cb, cc, cd, ce, cf = g.ctm  # trm = mat_mul(tm, g.ctm), inline
        ra, rb, rc, rd = ta * ca + tb * cc, ta * cb + tb * cd, tc_ * ca + td * cc, tc_ * cb + td * cd
        re_, rf = te * ca + tf * cc + ce, te * cb + tf * cd + cf
        f = walker.facts
        f.text_ops += 1
        afs = abs(fs)  # min(), max() below as conditionals: the same values, without the calls
        size = afs * math.hypot(rc, rd)
        trise = g.trise
        x0, y0, x1, y1 = tx if tx < 0.0 else 0.0, trise - 0.2 * afs, tx if tx > 0.0 else 0.0, trise + 0.8 * afs
        if rb == 0 and rc == 0:  # bbox_of, inline for its common case
            ax0, ax1 = ra * x0 + re_, ra * x1 + re_
            dy0, dy1 = rd * y0 + rf, rd * y1 + rf
            rect = (ax1 if ax1 < ax0 else ax0, dy1 if dy1 < dy0 else dy0, ax1 if ax1 > ax0 else ax0,
                    dy1 if dy1 > dy0 else dy0)
        else:
            rect = bbox_of((ra, rb, rc, rd, re_, rf), x0, y0, x1, y1)
        low = f.min_font_size
        if low is None or size < low:
            f.min_font_size = size
        small = walker.small_text
        if small.free or -size > small.top:  # small.wants(size)
            small.push(size, (round(size, 2), rect))
        tr = g.tr
        if tr == 0 and g.fill_cs is CS_GRAY and not (g.op_fill or g.blend or g.smask or g.fill_alpha < 1):
            counts = walker.mode_counts  # paint(g, rect, True, False, True), inline for a gray fill
            counts["Gray"] = counts.get("Gray", 0) + 1
            lst = walker.mode_rects.get("Gray")
            if lst is None:
                lst = walker.mode_rects["Gray"] = []
            if len(lst) < 10:
                lst.append(rect)
        else:
            walker.paint(g, rect, tr == 0 or tr == 2 or tr == 4 or tr == 6, tr == 1 or tr == 2 or tr == 5 or tr == 6,
                         True)
        if geometry:
            e = walker.edge  # text_distance: edge_distance inline, the rest when outside the trim
            r0, r1, r2, r3 = rect
            if r2 <= e[0] or r0 >= e[2] or r3 <= e[1] or r1 >= e[3]:
                d = text_distance(e, f.bleed, rect)
            else:
                d = r0 - e[0]  # min() of the four, in its order
                v = r1 - e[1]
                if v < d:
                    d = v
                v = e[2] - r2
                if v < d:
                    d = v
                v = e[3] - r3
                if v < d:
                    d = v
            marks = walker.text_marks
            if d is not None and (marks.free or -d > marks.top):
                marks.push(d, Mark("text", d, rect))
    # mat_mul((1, 0, 0, 1, tx, 0), tm), inline with the same arithmetic
    return (ta + 0 * tc_, tb + 0 * td, 0 * ta + tc_, 0 * tb + td, tx * ta + 0 * tc_ + te, tx * tb + 0 * td + tf)

def text_advance(fm: FontMetrics | None, data: bytes, g: GState) -> float:
    """How far a string moves the text position (text space, before the text matrix)."""
    fs = g.font_size
    if fm is None:
        return len(data) * (0.5 * fs + g.tc) * g.th
    total = 0.0
    if fm.two_byte:
        n = len(data) // 2
        if fm.cid_widths:
            get = fm.cid_widths.get
            dw = fm.default_width
            cids = unpack(f">{n}H", data[: 2 * n])
            total = sum(map(get, cids, repeat(dw))) * fm.scale * fs + n * g.tc
        else:
            total = n * (fm.default_width * fm.scale * fs + g.tc)
        return total * g.th
    total = sum(map(fm.byte_table().__getitem__, data))
    spaces = data.count(32)
    return (total * fm.scale * fs + len(data) * g.tc + spaces * g.tw) * g.th
