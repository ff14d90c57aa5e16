"""Where text sits for the size and safe-zone checks: outlined-text marks and text cut off at the trim.

``walker`` uses these; they read nothing but their arguments.
"""

from __future__ import annotations

import math
from typing import Any

from ..model import Mark
from .geometry import Rect, bbox_of, matrix
from .objects import dict_get

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
