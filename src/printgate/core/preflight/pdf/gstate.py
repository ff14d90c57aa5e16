"""The graphics state the content-stream walker tracks, its operator table, and what an ExtGState sets."""

from __future__ import annotations

import math
from typing import Any

import pikepdf

from .colorspaces import CS, CS_GRAY
from .fonts import FontMetrics
from .geometry import Matrix
from .objects import dict_get, num, objkey, pdf_name

RENDER_MARK = "tac_render"  # an ExtGState setting that means: measure this page's ink by rendering


class GState:
    __slots__ = (
        "blend",
        "ctm",
        "fill_alpha",
        "fill_color",
        "fill_cs",
        "font",
        "font_size",
        "lw",
        "op_fill",
        "op_stroke",
        "smask",
        "stroke_alpha",
        "stroke_color",
        "stroke_cs",
        "tc",
        "th",
        "tl",
        "tr",
        "trise",
        "tw",
    )

    def __init__(self, ctm: Matrix) -> None:
        self.ctm = ctm
        self.fill_cs: CS = CS_GRAY
        self.stroke_cs: CS = CS_GRAY
        self.fill_color: tuple[float, ...] = (0.0,)
        self.stroke_color: tuple[float, ...] = (0.0,)
        self.lw = 1.0
        self.fill_alpha = 1.0
        self.stroke_alpha = 1.0
        self.blend = False
        self.smask = False
        self.op_fill = False
        self.op_stroke = False
        self.font: FontMetrics | None = None
        self.font_size = 0.0
        self.tc = 0.0
        self.tw = 0.0
        self.th = 1.0
        self.tl = 0.0
        self.tr = 0
        self.trise = 0.0

    def copy(self) -> GState:
        g = GState.__new__(GState)
        g.ctm = self.ctm
        g.fill_cs = self.fill_cs
        g.stroke_cs = self.stroke_cs
        g.fill_color = self.fill_color
        g.stroke_color = self.stroke_color
        g.lw = self.lw
        g.fill_alpha = self.fill_alpha
        g.stroke_alpha = self.stroke_alpha
        g.blend = self.blend
        g.smask = self.smask
        g.op_fill = self.op_fill
        g.op_stroke = self.op_stroke
        g.font = self.font
        g.font_size = self.font_size
        g.tc = self.tc
        g.tw = self.tw
        g.th = self.th
        g.tl = self.tl
        g.tr = self.tr
        g.trise = self.trise
        return g


PATH_POINT_OPS = frozenset(("m", "l", "c", "v", "y"))
# Operators that change nothing we track (clipping, marked content end, glyph metrics, compat...).
NOOP_OPS = frozenset(("ET", "W", "W*", "h", "EMC", "MP", "DP", "d0", "d1", "J", "j", "M", "d", "i", "BX", "EX"))
PAINT_OPS = {
    "f": (True, False),
    "F": (True, False),
    "f*": (True, False),
    "S": (False, True),
    "s": (False, True),
    "B": (True, True),
    "B*": (True, True),
    "b": (True, True),
    "b*": (True, True),
}


# Operator -> branch of PageWalker.walk (0: nothing we track). Below 20: graphics; from 20: text,
# XObjects, inline images.
OPCODES: dict[str, int] = {
    **{op: 0 for op in NOOP_OPS},  # listed: a look-up that misses costs more than one that finds 0
    **{op: 1 for op in PATH_POINT_OPS},
    "re": 2,
    **{op: 3 for op in PAINT_OPS},
    "n": 4,
    "q": 5,
    "Q": 6,
    "cm": 7,
    "w": 8,
    **{op: 9 for op in ("g", "G", "rg", "RG", "k", "K")},
    "cs": 10,
    "CS": 10,
    **{op: 11 for op in ("sc", "scn", "SC", "SCN")},
    "gs": 12,
    "sh": 13,
    "BDC": 14,
    "BMC": 14,
    "ri": 15,
    **{op: 20 for op in ("Tj", "TJ", "'", '"')},
    "Td": 21,
    "TD": 21,
    "Tf": 22,
    "BT": 23,
    "Tm": 24,
    "T*": 25,
    "TL": 26,
    "Tc": 27,
    "Tw": 28,
    "Tz": 29,
    "Ts": 30,
    "Tr": 31,
    "Do": 32,
    "INLINE IMAGE": 33,
}


def extgstate_settings(doc: Any, resources: Any, name: Any) -> tuple[tuple[str, Any], ...] | None:
    """What ``gs`` with this ExtGState sets on the graphics state, in order: (attribute, value)."""
    gs = dict_get(dict_get(resources, "/ExtGState"), "/" + pdf_name(name))
    if gs is None:
        return None
    key = objkey(gs)
    cache = doc.gstates
    if key is not None and key in cache:
        return cache[key]
    out: list[tuple[str, Any]] = []
    lw = dict_get(gs, "/LW")
    if lw is not None:
        v = num(lw, math.nan)
        if not math.isnan(v):  # not a number: the line width stays
            out.append(("lw", v))
    ca = dict_get(gs, "/ca")
    if ca is not None:
        out.append(("fill_alpha", num(ca, 1.0)))
    ca_s = dict_get(gs, "/CA")
    if ca_s is not None:
        out.append(("stroke_alpha", num(ca_s, 1.0)))
    bm = dict_get(gs, "/BM")
    if bm is not None:
        modes = [pdf_name(x) for x in bm] if isinstance(bm, pikepdf.Array) else [pdf_name(bm)]
        out.append(("blend", bool(modes) and modes[0] not in ("Normal", "Compatible")))
    sm = dict_get(gs, "/SMask")
    if sm is not None:
        out.append(("smask", not (isinstance(sm, pikepdf.Name) and pdf_name(sm) == "None")))
    op_s = dict_get(gs, "/OP")
    if op_s is not None:
        out.append(("op_stroke", bool(op_s)))
        out.append(("op_fill", bool(op_s)))
    op_f = dict_get(gs, "/op")
    if op_f is not None:
        out.append(("op_fill", bool(op_f)))
    if dict_get(gs, "/RI") is not None or dict_get(gs, "/UseBlackPtComp") is not None:
        out.append((RENDER_MARK, True))  # a rendering intent of its own: ink is measured by rendering
    font = dict_get(gs, "/Font")
    if font is not None:
        try:
            out.append(("font", doc.font(font[0], "gs")))
            out.append(("font_size", num(font[1])))
        except Exception:
            pass
    settings = tuple(out)
    if key is not None and len(cache) < 10_000:
        cache[key] = settings
    return settings
