"""Colour spaces as the checks see them: a family, a colour mode, a component count and spot names.

``ColorSpaces`` resolves a content stream's colour-space operand (a device name, a resource name
or an array such as ``[/ICCBased ...]``, ``[/Separation ...]``, ``[/DeviceN ...]``, ``[/Indexed
...]``) to a small frozen ``CS`` with a per-document cache, reading embedded ICC profiles only for
their description and component count (``icc_description`` is also used for raster files). The
colour predicates the walker needs (white, rich black) live here because they are questions about
a colour in a ``CS``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pikepdf

from ..content import PName
from ..model import PageFacts
from .objects import dict_get, num, objkey, pdf_name

PROCESS_COLORANTS = {"Cyan", "Magenta", "Yellow", "Black"}


def icc_description(data: bytes) -> str:
    """The profile's description tag ('desc' v2 or 'mluc' v4), or '' if unreadable."""
    try:
        if len(data) < 132:
            return ""
        count = int.from_bytes(data[128:132], "big")
        for i in range(min(count, 100)):
            off = 132 + 12 * i
            sig = data[off : off + 4]
            if sig != b"desc":
                continue
            start = int.from_bytes(data[off + 4 : off + 8], "big")
            size = int.from_bytes(data[off + 8 : off + 12], "big")
            tag = data[start : start + size]
            if tag[:4] == b"desc":
                n = int.from_bytes(tag[8:12], "big")
                return tag[12 : 12 + n].split(b"\x00")[0].decode("latin-1", "replace").strip()
            if tag[:4] == b"mluc":
                recs = int.from_bytes(tag[8:12], "big")
                if recs:
                    ln = int.from_bytes(tag[20:24], "big")
                    so = int.from_bytes(tag[24:28], "big")
                    return tag[so : so + ln].decode("utf-16-be", "replace").strip("\x00 ")
        return ""
    except Exception:
        return ""


# --------------------------------------------------------------------------- colour spaces


@dataclass(frozen=True)
class CS:
    family: str  # DeviceRGB, ICCBased, Separation, ...
    mode: str  # RGB, CMYK, Gray, Lab, Spot, Pattern, None
    n: int
    spots: tuple[str, ...] = ()
    icc: str = ""
    base: CS | None = None  # for Pattern/Indexed

    @property
    def label(self) -> str:
        return self.family


# Colour spaces whose every colour lands in the CMYK render with at most ``tac.RGB_INK_BOUND`` ink.
BOUNDED_FAMILIES = frozenset(("DeviceRGB", "DeviceGray"))

CS_GRAY = CS("DeviceGray", "Gray", 1)
CS_RGB = CS("DeviceRGB", "RGB", 3)
CS_CMYK = CS("DeviceCMYK", "CMYK", 4)
CS_PATTERN = CS("Pattern", "Pattern", 0)
DEVICE = {
    "DeviceGray": CS_GRAY,
    "G": CS_GRAY,
    "CalGray": CS("CalGray", "Gray", 1),
    "DeviceRGB": CS_RGB,
    "RGB": CS_RGB,
    "CalRGB": CS("CalRGB", "RGB", 3),
    "DeviceCMYK": CS_CMYK,
    "CMYK": CS_CMYK,
    "Lab": CS("Lab", "Lab", 3),
    "Pattern": CS_PATTERN,
    "I": CS("Indexed", "RGB", 1),
}


class ColorSpaces:
    """Resolves colour-space objects to ``CS`` with a per-document cache."""

    def __init__(self) -> None:
        self._cache: dict[tuple[int, int], CS] = {}
        self._icc_cache: dict[tuple[int, int], tuple[str, int]] = {}

    def icc_info(self, stream: Any) -> tuple[str, int]:
        key = objkey(stream)
        if key is not None and key in self._icc_cache:
            return self._icc_cache[key]
        n = int(num(dict_get(stream, "/N"), 0))
        desc = ""
        try:
            raw = stream.read_bytes()
            desc = icc_description(raw[:65536] if len(raw) > 65536 else raw)
            if not n and len(raw) >= 20:
                sig = raw[16:20]
                n = {b"GRAY": 1, b"RGB ": 3, b"CMYK": 4, b"Lab ": 3}.get(sig, 0)
        except Exception:
            pass
        out = (desc, n)
        if key is not None:
            self._icc_cache[key] = out
        return out

    def resolve(self, obj: Any, resources: Any, depth: int = 0) -> CS:
        if depth > 6 or obj is None:
            return CS("Unknown", "None", 0)
        if isinstance(obj, (pikepdf.Name, PName)):
            nm = pdf_name(obj)
            if nm in DEVICE:
                return DEVICE[nm]
            csdict = dict_get(resources, "/ColorSpace") if resources is not None else None
            sub = dict_get(csdict, "/" + nm) if csdict is not None else None
            if sub is None:
                return CS(nm, "None", 0)
            return self.resolve(sub, resources, depth + 1)
        key = objkey(obj)
        if key is not None and key in self._cache:
            return self._cache[key]
        out = self._resolve_array(obj, resources, depth)
        if key is not None:
            self._cache[key] = out
        return out

    def _resolve_array(self, obj: Any, resources: Any, depth: int) -> CS:
        try:
            items = list(obj)
        except Exception:
            return CS("Unknown", "None", 0)
        if not items:
            return CS("Unknown", "None", 0)
        fam = pdf_name(items[0])
        if fam in ("DeviceGray", "DeviceRGB", "DeviceCMYK", "Pattern") and len(items) == 1:
            return DEVICE[fam]
        if fam == "ICCBased" and len(items) > 1:
            desc, n = self.icc_info(items[1])
            mode = {1: "Gray", 3: "RGB", 4: "CMYK"}.get(n, "None")
            return CS("ICCBased", mode, n, icc=desc)
        if fam in ("CalRGB", "CalGray", "Lab"):
            return DEVICE[fam]
        if fam == "Separation" and len(items) > 1:
            spot = pdf_name(items[1])
            if spot == "None":
                return CS("Separation", "None", 1)
            if spot == "All":
                return CS("Separation", "CMYK", 1)
            if spot in PROCESS_COLORANTS:
                return CS("Separation", "CMYK", 1)
            return CS("Separation", "Spot", 1, spots=(spot,))
        if fam in ("DeviceN", "NChannel") and len(items) > 1:
            try:
                names = [pdf_name(n) for n in items[1]]
            except Exception:
                names = []
            spots = tuple(n for n in names if n not in PROCESS_COLORANTS and n not in ("None", "All"))
            mode = "Spot" if spots else "CMYK"
            return CS("DeviceN", mode, len(names), spots=spots)
        if fam in ("Indexed", "I") and len(items) > 1:
            base = self.resolve(items[1], resources, depth + 1)
            return CS("Indexed", base.mode, 1, spots=base.spots, icc=base.icc, base=base)
        if fam == "Pattern" and len(items) > 1:
            base = self.resolve(items[1], resources, depth + 1)
            return CS("Pattern", "Pattern", base.n, base=base)
        if fam in DEVICE:
            return DEVICE[fam]
        return CS(fam or "Unknown", "None", 0)


def is_white(cs: CS, color: tuple[float, ...]) -> bool:
    if cs.mode == "CMYK" and cs.family != "Separation" and len(color) >= 4:
        return all(c <= 0.001 for c in color[:4])
    if cs.mode == "Gray" and color:
        return color[0] >= 0.999
    if cs.mode == "RGB" and len(color) >= 3:
        return all(c >= 0.999 for c in color[:3])
    if cs.mode == "Spot" and color:
        return all(c <= 0.001 for c in color)
    return False


def is_rich_black(cs: CS, color: tuple[float, ...]) -> bool:
    if cs.mode != "CMYK" or cs.family in ("Separation", "DeviceN") or len(color) < 4:
        return False
    c, m, y, k = color[:4]
    return k >= 0.85 and max(c, m, y) > 0.02


def redefines_device_spaces(resources: Any) -> bool:
    """Whether these resources redefine a device colour space (/DefaultGray, /DefaultRGB, /DefaultCMYK)."""
    spaces = dict_get(resources, "/ColorSpace")
    if spaces is None:
        return False
    try:
        return any(k in spaces for k in ("/DefaultRGB", "/DefaultCMYK", "/DefaultGray"))
    except Exception:
        return True  # unreadable: let the renderer judge it


def note_group(facts: PageFacts, group: Any) -> None:
    """A transparency group composites its content in its own colour space: in RGB or gray the
    result is bounded like RGB content; in any other (ICC, Lab...) only a render knows the ink."""
    if group is None:
        return
    cs = dict_get(group, "/CS")
    if cs is None:
        return
    name = pdf_name(cs) if isinstance(cs, pikepdf.Name) else ""
    if name in BOUNDED_FAMILIES:
        facts.tac_rgb_any = True
    elif name != "DeviceCMYK":
        facts.tac_needs_render = True
