"""Font dictionaries read into what the checks and the text walker need: type, embedding, widths.

``font_type_of`` names a font's technology (Type 1, TrueType, CID, OpenType, Type 3) and tells
whether its program is embedded; ``load_font`` builds ``FontMetrics`` (the ``model.FontInfo``
reported to checks plus glyph widths and the glyph-to-text scale) so the walker can measure text
runs for the size, safe-zone and edge checks without rendering. Width tables are capped so a hostile
font cannot make them large.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import pikepdf

from ..model import FontInfo
from .geometry import IDENTITY, matrix
from .objects import dict_get, num, pdf_name

SUBSET_RE = re.compile(r"^[A-Z]{6}\+")


@dataclass
class FontMetrics:
    info: FontInfo
    two_byte: bool
    first_char: int
    widths: list[float]
    default_width: float
    cid_widths: dict[int, float]
    scale: float  # glyph space -> text space
    table: list[float] | None = None  # simple fonts: width per byte code (glyph space)

    def byte_table(self) -> list[float]:
        if self.table is None:
            self.table = [
                self.widths[c - self.first_char] if 0 <= c - self.first_char < len(self.widths) else self.default_width
                for c in range(256)
            ]
        return self.table


def font_type_of(font: Any) -> tuple[str, str, bool, Any]:
    """(subtype, human font type, embedded, descriptor) for a font dictionary."""
    subtype = pdf_name(dict_get(font, "/Subtype"))
    target = font
    if subtype == "Type0":
        desc_fonts = dict_get(font, "/DescendantFonts")
        try:
            target = desc_fonts[0]
        except Exception:
            target = None
    if subtype == "Type3":
        return subtype, "Type 3", True, None
    fd = dict_get(target, "/FontDescriptor") if target is not None else None
    ff1 = dict_get(fd, "/FontFile") if fd is not None else None
    ff2 = dict_get(fd, "/FontFile2") if fd is not None else None
    ff3 = dict_get(fd, "/FontFile3") if fd is not None else None
    # A FontFile key pointing at a missing object is not an embedded font.
    embedded = any(isinstance(x, pikepdf.Stream) for x in (ff1, ff2, ff3))
    ff3_sub = pdf_name(dict_get(ff3, "/Subtype")) if ff3 is not None else ""
    if subtype == "Type0":
        cid_sub = pdf_name(dict_get(target, "/Subtype")) if target is not None else ""
        if ff3_sub == "OpenType":
            kind = "OpenType"
        elif cid_sub == "CIDFontType2":
            kind = "CID Type 2"
        else:
            kind = "CID Type 0"
    elif subtype == "TrueType":
        kind = "OpenType" if ff3_sub == "OpenType" else "TrueType"
    elif subtype in ("Type1", "MMType1"):
        kind = "OpenType" if ff3_sub == "OpenType" else "Type 1"
    else:
        kind = subtype or "Unknown"
    return subtype, kind, embedded, fd


def load_font(font: Any, key: str) -> FontMetrics:
    base_font = pdf_name(dict_get(font, "/BaseFont")) or pdf_name(dict_get(font, "/Name")) or key
    subtype, kind, embedded, _ = font_type_of(font)
    name = SUBSET_RE.sub("", base_font)
    info = FontInfo(
        key=key,
        name=name,
        base_font=base_font,
        subtype=subtype,
        font_type=kind,
        embedded=embedded,
        subset=bool(SUBSET_RE.match(base_font)),
    )
    two_byte = subtype == "Type0"
    scale = 0.001
    if subtype == "Type3":
        fm = matrix(dict_get(font, "/FontMatrix"))
        scale = fm[0] if fm != IDENTITY else 0.001
    widths: list[float] = []
    first = int(num(dict_get(font, "/FirstChar"), 0))
    cid_widths: dict[int, float] = {}
    default_width = 500.0 if subtype != "Type3" else 0.0
    if two_byte:
        default_width = 1000.0
        try:
            desc = dict_get(font, "/DescendantFonts")[0]
            default_width = num(dict_get(desc, "/DW"), 1000.0)
            w = dict_get(desc, "/W")
            if w is not None:
                items = list(w)[:4000]
                i = 0
                while i + 1 < len(items) and len(cid_widths) < 20000:
                    c0 = int(num(items[i]))
                    nxt = items[i + 1]
                    if isinstance(nxt, pikepdf.Array):
                        for j, v in enumerate(list(nxt)[:5000]):
                            cid_widths[c0 + j] = num(v)
                        i += 2
                    elif i + 2 < len(items):
                        c1 = int(num(nxt))
                        wv = num(items[i + 2])
                        for c in range(c0, min(c1, c0 + 5000) + 1):
                            cid_widths[c] = wv
                        i += 3
                    else:
                        break
        except Exception:
            pass
    else:
        try:
            w = dict_get(font, "/Widths")
            if w is not None:
                items = list(w)[:512]
                try:  # all numbers, all finite (nearly every font): what num() gives each, at once
                    widths = [*map(float, items)]
                    if not all(map(math.isfinite, widths)):
                        raise ValueError
                except (TypeError, ValueError):
                    widths = [num(v) for v in items]
        except Exception:
            widths = []
        if not widths:
            first = 0
    return FontMetrics(info, two_byte, first, widths, default_width, cid_widths, scale)
