"""One pass over a PDF that turns it into facts (``DocFacts`` + one ``PageFacts`` per page).

Nothing here judges: checks read the facts. The content-stream walker tracks the graphics state
(CTM, colours, line width, text state, ExtGState) through pages, form XObjects and tiling
patterns, and keeps only bounded summaries (the worst N objects of each kind), so memory does not
grow with content size or page count. Streams are decoded with a cap (decompression bombs) and
every recursion is bounded (depth, operator budget, cycle guard).
"""

from __future__ import annotations

import gc
import heapq
import math
import re
import struct
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf

from printgate.core.errors import UnreadableFile

from .content import PName, fast_parse
from .model import DocFacts, FontInfo, ImageUse, Mark, PageFacts, Rect

Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)

MAX_CONTENT_BYTES = 64 * 1024 * 1024  # decoded size of one page's content (all streams)
MAX_OPS_PER_PAGE = 2_000_000
MAX_FORM_DEPTH = 12
KEEP = 24  # worst objects kept per kind per page
FORM_CACHE_OPS = 200_000  # parsed form/pattern operators kept per document
PROCESS_COLORANTS = {"Cyan", "Magenta", "Yellow", "Black"}
SUBSET_RE = re.compile(r"^[A-Z]{6}\+")

MAGIC_RASTER = (
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"II+\x00", "tiff"),
    (b"MM\x00+", "tiff"),
)


# --------------------------------------------------------------------------- file kind


def detect_kind(path: Path) -> str:
    """``pdf`` or ``raster`` by content, never by extension. Raises UnreadableFile otherwise."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UnreadableFile(f"The file could not be read ({exc.strerror or exc}).") from exc
    if size == 0:
        raise UnreadableFile("The file is empty (0 bytes).")
    with path.open("rb") as fh:
        head = fh.read(1024)
    if b"%PDF-" in head:
        return "pdf"
    for magic, _ in MAGIC_RASTER:
        if head.startswith(magic):
            return "raster"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "raster"
    raise UnreadableFile(
        "The file is not a PDF or a supported image (JPEG, PNG, TIFF, WebP), so it can't be checked."
    )


def open_pdf(path: Path) -> pikepdf.Pdf:
    try:
        return pikepdf.open(path)
    except pikepdf.PasswordError as exc:
        raise UnreadableFile(
            "The PDF is password-protected. Remove the password and upload an unlocked PDF."
        ) from exc
    except (pikepdf.PdfError, RuntimeError, ValueError, OSError) as exc:
        raise UnreadableFile(
            "The PDF is damaged or truncated beyond repair and can't be opened. "
            "Re-export it from your design application."
        ) from exc


def page_count(pdf: pikepdf.Pdf) -> int:
    try:
        n = len(pdf.pages)
    except (pikepdf.PdfError, RuntimeError, RecursionError) as exc:
        raise UnreadableFile(
            "The PDF's page tree is broken (it loops or cannot be read), so its pages can't be found."
        ) from exc
    if n == 0:
        raise UnreadableFile("The PDF has no pages.")
    return n


# --------------------------------------------------------------------------- small helpers


def _num(x: Any, default: float = 0.0) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return default
    return v if math.isfinite(v) else default


def _name(x: Any) -> str:
    if x is None:
        return ""
    try:
        s = str(x)
    except Exception:
        return ""
    return s[1:] if s.startswith("/") else s


def _text(x: Any) -> str:
    if x is None:
        return ""
    try:
        return str(x)
    except Exception:
        try:
            return bytes(x).decode("latin-1", "replace")
        except Exception:
            return ""


def _get(d: Any, key: str) -> Any:
    try:
        return d.get(key)
    except Exception:
        return None


def _objkey(obj: Any) -> tuple[int, int] | None:
    try:
        og = obj.objgen
    except Exception:
        return None
    return og if og != (0, 0) else None


def mat_mul(m1: Matrix, m2: Matrix) -> Matrix:
    a1, b1, c1, d1, e1, f1 = m1
    a2, b2, c2, d2, e2, f2 = m2
    return (
        a1 * a2 + b1 * c2,
        a1 * b2 + b1 * d2,
        c1 * a2 + d1 * c2,
        c1 * b2 + d1 * d2,
        e1 * a2 + f1 * c2 + e2,
        e1 * b2 + f1 * d2 + f2,
    )


def apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    return (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])


def bbox_of(m: Matrix, x0: float, y0: float, x1: float, y1: float) -> Rect:
    a, b, c, d, e, f = m
    if b == 0 and c == 0:  # no rotation/skew: the common case
        ax0, ax1 = a * x0 + e, a * x1 + e
        dy0, dy1 = d * y0 + f, d * y1 + f
        return (min(ax0, ax1), min(dy0, dy1), max(ax0, ax1), max(dy0, dy1))
    xs = (a * x0 + c * y0 + e, a * x1 + c * y0 + e, a * x0 + c * y1 + e, a * x1 + c * y1 + e)
    ys = (b * x0 + d * y0 + f, b * x1 + d * y0 + f, b * x0 + d * y1 + f, b * x1 + d * y1 + f)
    return (min(xs), min(ys), max(xs), max(ys))


def _matrix(obj: Any) -> Matrix:
    if type(obj) is list and len(obj) == 6:
        a, b, c, d, e, f = obj
        if type(a) is float and type(b) is float and type(c) is float and type(d) is float and type(e) is float and type(f) is float:
            return (a, b, c, d, e, f)  # from our tokenizer: already finite floats
    try:
        vals = [float(v) for v in obj]
        if len(vals) == 6 and all(math.isfinite(v) for v in vals):
            return (vals[0], vals[1], vals[2], vals[3], vals[4], vals[5])
    except Exception:
        pass
    return IDENTITY


def rect_of(obj: Any) -> Rect | None:
    try:
        vals = [float(v) for v in obj]
    except Exception:
        return None
    if len(vals) != 4 or not all(math.isfinite(v) for v in vals):
        return None
    x0, y0, x1, y1 = vals
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def _intersect(a: Rect, b: Rect) -> Rect:
    return (max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3]))


def round_rect(r: Rect) -> list[float]:
    return [round(v, 1) for v in r]


class Smallest:
    """Keep the n items with the smallest key (bounded memory)."""

    def __init__(self, n: int = KEEP) -> None:
        self.n = n
        self._heap: list[tuple[float, int, Any]] = []
        self._i = 0

    def push(self, key: float, item: Any) -> None:
        self._i += 1
        entry = (-key, self._i, item)
        if len(self._heap) < self.n:
            heapq.heappush(self._heap, entry)
        elif -key > self._heap[0][0]:
            heapq.heapreplace(self._heap, entry)

    def wants(self, key: float) -> bool:
        """Would ``push(key, ...)`` keep the item? Lets callers skip building it."""
        return len(self._heap) < self.n or -key > self._heap[0][0]

    def items(self) -> list[tuple[float, Any]]:
        return sorted(((-k, it) for k, _, it in self._heap), key=lambda t: t[0])


# --------------------------------------------------------------------------- ICC


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
        key = _objkey(stream)
        if key is not None and key in self._icc_cache:
            return self._icc_cache[key]
        n = int(_num(_get(stream, "/N"), 0))
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
            nm = _name(obj)
            if nm in DEVICE:
                return DEVICE[nm]
            csdict = _get(resources, "/ColorSpace") if resources is not None else None
            sub = _get(csdict, "/" + nm) if csdict is not None else None
            if sub is None:
                return CS(nm, "None", 0)
            return self.resolve(sub, resources, depth + 1)
        key = _objkey(obj)
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
        fam = _name(items[0])
        if fam in ("DeviceGray", "DeviceRGB", "DeviceCMYK", "Pattern") and len(items) == 1:
            return DEVICE[fam]
        if fam == "ICCBased" and len(items) > 1:
            desc, n = self.icc_info(items[1])
            mode = {1: "Gray", 3: "RGB", 4: "CMYK"}.get(n, "None")
            return CS("ICCBased", mode, n, icc=desc)
        if fam in ("CalRGB", "CalGray", "Lab"):
            return DEVICE[fam]
        if fam == "Separation" and len(items) > 1:
            spot = _name(items[1])
            if spot == "None":
                return CS("Separation", "None", 1)
            if spot == "All":
                return CS("Separation", "CMYK", 1)
            if spot in PROCESS_COLORANTS:
                return CS("Separation", "CMYK", 1)
            return CS("Separation", "Spot", 1, spots=(spot,))
        if fam in ("DeviceN", "NChannel") and len(items) > 1:
            try:
                names = [_name(n) for n in items[1]]
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


# --------------------------------------------------------------------------- fonts


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
    subtype = _name(_get(font, "/Subtype"))
    target = font
    if subtype == "Type0":
        desc_fonts = _get(font, "/DescendantFonts")
        try:
            target = desc_fonts[0]
        except Exception:
            target = None
    if subtype == "Type3":
        return subtype, "Type 3", True, None
    fd = _get(target, "/FontDescriptor") if target is not None else None
    ff1 = _get(fd, "/FontFile") if fd is not None else None
    ff2 = _get(fd, "/FontFile2") if fd is not None else None
    ff3 = _get(fd, "/FontFile3") if fd is not None else None
    # A FontFile key pointing at a missing object is not an embedded font.
    embedded = any(isinstance(x, pikepdf.Stream) for x in (ff1, ff2, ff3))
    ff3_sub = _name(_get(ff3, "/Subtype")) if ff3 is not None else ""
    if subtype == "Type0":
        cid_sub = _name(_get(target, "/Subtype")) if target is not None else ""
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
    base_font = _name(_get(font, "/BaseFont")) or _name(_get(font, "/Name")) or key
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
        fm = _matrix(_get(font, "/FontMatrix"))
        scale = fm[0] if fm != IDENTITY else 0.001
    widths: list[float] = []
    first = int(_num(_get(font, "/FirstChar"), 0))
    cid_widths: dict[int, float] = {}
    default_width = 500.0 if subtype != "Type3" else 0.0
    if two_byte:
        default_width = 1000.0
        try:
            desc = _get(font, "/DescendantFonts")[0]
            default_width = _num(_get(desc, "/DW"), 1000.0)
            w = _get(desc, "/W")
            if w is not None:
                items = list(w)[:4000]
                i = 0
                while i + 1 < len(items) and len(cid_widths) < 20000:
                    c0 = int(_num(items[i]))
                    nxt = items[i + 1]
                    if isinstance(nxt, pikepdf.Array):
                        for j, v in enumerate(list(nxt)[:5000]):
                            cid_widths[c0 + j] = _num(v)
                        i += 2
                    elif i + 2 < len(items):
                        c1 = int(_num(nxt))
                        wv = _num(items[i + 2])
                        for c in range(c0, min(c1, c0 + 5000) + 1):
                            cid_widths[c] = wv
                        i += 3
                    else:
                        break
        except Exception:
            pass
    else:
        try:
            w = _get(font, "/Widths")
            if w is not None:
                widths = [_num(v) for v in list(w)[:512]]
        except Exception:
            widths = []
        if not widths:
            first = 0
    return FontMetrics(info, two_byte, first, widths, default_width, cid_widths, scale)


# --------------------------------------------------------------------------- graphics state


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


def _is_white(cs: CS, color: tuple[float, ...]) -> bool:
    if cs.mode == "CMYK" and cs.family != "Separation" and len(color) >= 4:
        return all(c <= 0.001 for c in color[:4])
    if cs.mode == "Gray" and color:
        return color[0] >= 0.999
    if cs.mode == "RGB" and len(color) >= 3:
        return all(c >= 0.999 for c in color[:3])
    if cs.mode == "Spot" and color:
        return all(c <= 0.001 for c in color)
    return False


def _is_rich_black(cs: CS, color: tuple[float, ...]) -> bool:
    if cs.mode != "CMYK" or cs.family in ("Separation", "DeviceN") or len(color) < 4:
        return False
    c, m, y, k = color[:4]
    return k >= 0.85 and max(c, m, y) > 0.02


# --------------------------------------------------------------------------- page walker


PATH_POINT_OPS = frozenset(("m", "l", "c", "v", "y"))
# Operators that change nothing we track (clipping, marked content end, glyph metrics, compat...).
NOOP_OPS = frozenset(("ET", "W", "W*", "h", "EMC", "MP", "DP", "d0", "d1", "J", "j", "M", "d", "ri", "i", "BX", "EX"))
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
NAME_TYPES = (pikepdf.Name, PName)


class _Budget(Exception):
    pass


class PageWalker:
    """Interprets a page's content streams into a ``PageFacts``."""

    def __init__(self, doc: DocumentReader, facts: PageFacts, edge: Rect) -> None:
        self.doc = doc
        self.facts = facts
        self.edge = edge
        self.ops = 0
        self.stack: list[tuple[int, int]] = []
        self.small_text = Smallest()
        self.thin = Smallest()
        self.text_marks = Smallest()
        self.obj_marks = Smallest()
        self.rich = 0
        self.images: list[ImageUse] = []
        self.mode_counts: dict[str, int] = {}
        self.mode_rects: dict[str, list[Rect]] = {}
        self.spots: set[str] = set()
        self.iccs: set[str] = set()
        self.fonts: set[str] = set()
        self.transp: set[str] = set()

    # ---------------------------------------------------------------- recording

    def _mode(self, cs: CS, rect: Rect | None) -> None:
        if cs.mode == "Pattern" and cs.base is not None:
            cs = cs.base
        if cs.mode in ("None", "Pattern"):
            return
        self.mode_counts[cs.mode] = self.mode_counts.get(cs.mode, 0) + 1
        if rect is not None:
            lst = self.mode_rects.setdefault(cs.mode, [])
            if len(lst) < 10:
                lst.append(rect)
        if cs.spots:
            self.spots.update(cs.spots)
        if cs.icc:
            self.iccs.add(cs.icc)
        elif cs.family == "ICCBased":
            self.iccs.add("(unnamed ICC profile)")

    def _edge_distance(self, r: Rect) -> float | None:
        e = self.edge
        if r[2] <= e[0] or r[0] >= e[2] or r[3] <= e[1] or r[1] >= e[3]:
            return None  # entirely outside the trim area (slug, marks)
        return min(r[0] - e[0], r[1] - e[1], e[2] - r[2], e[3] - r[3])

    def _object_mark(self, kind: str, r: Rect) -> None:
        d = self._edge_distance(r)
        if d is None or d < 0.5:
            return  # bleeding objects and backgrounds intentionally touch or cross the edge
        if self.obj_marks.wants(d):
            self.obj_marks.push(d, Mark(kind, d, r))

    def paint(self, g: GState, rect: Rect | None, fill: bool, stroke: bool, text: bool = False) -> None:
        if fill:
            self._paint_one(g, g.fill_cs, g.fill_color, g.op_fill, rect, text, g.fill_alpha)
        if stroke:
            self._paint_one(g, g.stroke_cs, g.stroke_color, g.op_stroke, rect, text, g.stroke_alpha)
            if not text:
                lw = g.lw * math.sqrt(abs(g.ctm[0] * g.ctm[3] - g.ctm[1] * g.ctm[2]))
                if rect is not None:
                    self.thin.push(lw, (round(lw, 3), rect))
                f = self.facts
                f.min_stroke = lw if f.min_stroke is None else min(f.min_stroke, lw)
        if g.blend or g.smask or (fill and g.fill_alpha < 1) or (stroke and g.stroke_alpha < 1):
            self.facts.tac_needs_render = True
            if g.blend:
                self.transp.add("blend mode")
            if g.smask:
                self.transp.add("soft mask")
            if (fill and g.fill_alpha < 1) or (stroke and g.stroke_alpha < 1):
                self.transp.add("opacity")
        if rect is not None and not text:
            self._object_mark("path", rect)

    def _paint_one(
        self,
        g: GState,
        cs: CS,
        color: tuple[float, ...],
        overprint: bool,
        rect: Rect | None,
        text: bool,
        alpha: float,
    ) -> None:
        self._mode(cs, rect)
        f = self.facts
        if cs.family == "DeviceCMYK" and len(color) >= 4:
            tac = (color[0] + color[1] + color[2] + color[3]) * 100.0
            if tac > f.tac_vector:
                f.tac_vector = tac
                f.tac_vector_rect = rect
        elif cs.mode != "Gray" or cs.family == "ICCBased":
            f.tac_needs_render = True
        if overprint or alpha < 1:
            f.tac_needs_render = True
        if _is_rich_black(cs, color):
            f = self.facts
            if text:
                f.rich_black_text += 1
            else:
                f.rich_black_other += 1
            if rect is not None and len(f.rich_black_rects) < 10:
                f.rich_black_rects.append(rect)
        if overprint:
            f = self.facts
            if _is_white(cs, color):
                f.overprint_white += 1
                if rect is not None and len(f.overprint_rects) < 10:
                    f.overprint_rects.append(rect)
            elif (cs.mode == "CMYK" and len(color) >= 4 and max(color[:3]) > 0.001) or cs.mode in ("RGB", "Lab"):
                f.overprint_color += 1

    # ---------------------------------------------------------------- content

    def _ops(self, stream: Any, cache_key: tuple[int, int] | None) -> list[tuple[str, Any]]:
        cache = self.doc.form_ops
        if cache_key is not None and cache_key in cache:
            return cache[cache_key]
        data = read_stream_capped(stream, MAX_CONTENT_BYTES)
        ops = _parse(self.doc, data)
        # Forms and patterns repeat across pages (logos, backgrounds): keep their parsed operators
        # for the whole document, within a budget.
        if cache_key is not None and self.doc.form_ops_size + len(ops) <= FORM_CACHE_OPS:
            cache[cache_key] = ops
            self.doc.form_ops_size += len(ops)
        return ops

    def run_page(self, page: pikepdf.Page, base: Matrix) -> None:
        f = self.facts
        try:
            data = page_content_bytes(page.obj)
            problems: list[str] = []
            ops = _parse(self.doc, data, problems)
            if problems:
                f.content_error = "content stream is damaged: " + "; ".join(dict.fromkeys(problems))
        except _Budget as exc:
            f.content_error = str(exc)
            return
        except Exception as exc:  # broken content stream: a finding, not a crash
            f.content_error = f"content stream could not be parsed ({type(exc).__name__})"
            return
        resources = _get(page.obj, "/Resources")
        if resources is None:
            resources = _inherited(page.obj, "/Resources")
        try:
            self.walk(ops, resources, GState(base), 0, geometry=True)
        except _Budget as exc:
            f.content_error = str(exc)
        except RecursionError:
            f.content_error = "content nested too deeply"
        except Exception as exc:
            f.content_error = f"content stream could not be interpreted ({type(exc).__name__}: {exc})"[:200]

    def walk(self, ops: list[Any], resources: Any, g: GState, depth: int, geometry: bool) -> None:
        stack: list[GState] = []
        path: list[float] = []  # xmin, ymin, xmax, ymax in user space
        tm: Matrix = IDENTITY
        tlm: Matrix = IDENTITY
        cs_res = self.doc.colorspaces
        f = self.facts
        self.ops += len(ops)
        if self.ops > MAX_OPS_PER_PAGE:
            raise _Budget("page content too complex to analyse completely (operator limit reached)")
        # Resource look-ups by name, for this content stream (its resources do not change).
        fonts: dict[str, FontMetrics | None] = {}
        gstates: dict[str, tuple[tuple[str, Any], ...] | None] = {}
        spaces: dict[str, CS] = {}
        opcode = OPCODES.get
        for op, a in ops:
            code = opcode(op, 0)
            if code == 0:
                continue
            if code < 20:  # path construction and painting, graphics state
                if code == 1:  # m l c v y
                    if a and type(a[0]) is float:  # our tokenizer: all finite floats
                        for i in range(0, len(a) - 1, 2):
                            _extend(path, a[i], a[i + 1])
                    else:
                        for i in range(0, len(a) - 1, 2):
                            _extend(path, _num(a[i]), _num(a[i + 1]))
                elif code == 2:  # re
                    if len(a) >= 4:
                        try:
                            x, y, w, h = float(a[0]), float(a[1]), float(a[2]), float(a[3])
                        except (TypeError, ValueError):
                            continue
                        _extend(path, x, y)
                        _extend(path, x + w, y + h)
                elif code == 3:  # painting
                    rect = bbox_of(g.ctm, path[0], path[1], path[2], path[3]) if geometry and len(path) == 4 else None
                    fill, stroke = PAINT_OPS[op]
                    self.paint(g, rect, fill, stroke)
                    path = []
                elif code == 4:  # n
                    path = []
                elif code == 5:  # q
                    stack.append(g.copy())
                    if len(stack) > 4096:
                        raise _Budget("graphics state nested too deeply")
                elif code == 6:  # Q
                    if stack:
                        g = stack.pop()
                elif code == 7:  # cm
                    if len(a) == 6:
                        g.ctm = mat_mul(_matrix(a), g.ctm)
                elif code == 8:  # w
                    if a:
                        g.lw = _num(a[0], 1.0)
                elif code == 9:  # g G rg RG k K
                    try:
                        vals = tuple(map(float, a))
                    except (TypeError, ValueError):
                        vals = tuple(_num(v) for v in a)
                    cs = CS_GRAY if op in ("g", "G") else CS_RGB if op in ("rg", "RG") else CS_CMYK
                    if op.islower():
                        g.fill_cs, g.fill_color = cs, vals
                    else:
                        g.stroke_cs, g.stroke_color = cs, vals
                elif code == 10:  # cs CS
                    if a:
                        name = a[0]
                        if type(name) is PName:
                            cs = spaces.get(name)  # type: ignore[assignment]
                            if cs is None:
                                cs = spaces[name] = cs_res.resolve(name, resources)
                        else:
                            cs = cs_res.resolve(name, resources)
                        init = (0.0,) * max(cs.n, 1)
                        if cs.mode == "CMYK" and cs.family == "DeviceCMYK":
                            init = (0.0, 0.0, 0.0, 1.0)
                        if op == "cs":
                            g.fill_cs, g.fill_color = cs, init
                        else:
                            g.stroke_cs, g.stroke_color = cs, init
                elif code == 11:  # sc scn SC SCN
                    vals = tuple(_num(v) for v in a if not isinstance(v, NAME_TYPES))
                    pat = next((v for v in a if isinstance(v, NAME_TYPES)), None)
                    if op in ("sc", "scn"):
                        g.fill_color = vals
                        if pat is not None:
                            g.fill_cs = self._pattern_cs(pat, resources, g.fill_cs, depth)
                    else:
                        g.stroke_color = vals
                        if pat is not None:
                            g.stroke_cs = self._pattern_cs(pat, resources, g.stroke_cs, depth)
                elif code == 12:  # gs
                    if a:
                        key = a[0]
                        if type(key) is PName:
                            if key in gstates:
                                settings = gstates[key]
                            else:
                                settings = gstates[key] = self._extgstate_settings(resources, key)
                        else:
                            settings = self._extgstate_settings(resources, key)
                        if settings:
                            for attr, value in settings:
                                setattr(g, attr, value)
                elif code == 13:  # sh
                    if a:
                        sh = _get(_get(resources, "/Shading"), "/" + _name(a[0]))
                        if sh is not None:
                            f.tac_needs_render = True
                            self._mode(cs_res.resolve(_get(sh, "/ColorSpace"), resources), None)
                elif code == 14 and a and _name(a[0]) == "OC":  # BDC BMC
                    f.oc_used = True
            else:  # text, XObjects, inline images
                if code == 20:  # Tj TJ ' "
                    if op != "Tj" and op != "TJ":
                        tm = tlm = mat_mul((1, 0, 0, 1, 0, -g.tl), tlm)
                        if op == '"' and len(a) >= 3:
                            g.tw, g.tc = _num(a[0]), _num(a[1])
                            a = a[2:]
                    tm = self._show(g, tm, a, op == "TJ", geometry)
                elif code == 21:  # Td TD
                    if len(a) >= 2:
                        tx, ty = _num(a[0]), _num(a[1])
                        if op == "TD":
                            g.tl = -ty
                        tm = tlm = mat_mul((1, 0, 0, 1, tx, ty), tlm)
                elif code == 22:  # Tf
                    if len(a) >= 2:
                        name = a[0]
                        if type(name) is PName and name in fonts:
                            fm = fonts[name]
                            if fm is not None:
                                self.fonts.add(fm.info.key)
                        else:
                            fm, cacheable = self._font(resources, name)
                            if cacheable and type(name) is PName:
                                fonts[name] = fm
                        g.font = fm
                        g.font_size = _num(a[1])
                elif code == 23:  # BT
                    tm = tlm = IDENTITY
                elif code == 24:  # Tm
                    if len(a) == 6:
                        tm = tlm = _matrix(a)
                elif code == 25:  # T*
                    tm = tlm = mat_mul((1, 0, 0, 1, 0, -g.tl), tlm)
                elif code == 26:  # TL
                    if a:
                        g.tl = _num(a[0])
                elif code == 27:  # Tc
                    if a:
                        g.tc = _num(a[0])
                elif code == 28:  # Tw
                    if a:
                        g.tw = _num(a[0])
                elif code == 29:  # Tz
                    if a:
                        g.th = _num(a[0], 100.0) / 100.0
                elif code == 30:  # Ts
                    if a:
                        g.trise = _num(a[0])
                elif code == 31:  # Tr
                    if a:
                        g.tr = int(_num(a[0]))
                elif code == 32:  # Do
                    if a:
                        self._do(g, resources, a[0], depth, geometry)
                elif code == 33 and a:  # inline image
                    self._inline_image(g, a[0], resources, geometry)

    def _pattern_cs(self, name: Any, resources: Any, current: CS, depth: int) -> CS:
        pat = _get(_get(resources, "/Pattern"), "/" + _name(name))
        if pat is None:
            return current
        ptype = int(_num(_get(pat, "/PatternType"), 0))
        if ptype == 2:
            sh = _get(pat, "/Shading")
            cs = self.doc.colorspaces.resolve(_get(sh, "/ColorSpace"), resources) if sh is not None else None
            if cs is not None:
                return CS("Pattern", "Pattern", cs.n, base=cs)
        elif ptype == 1 and depth < MAX_FORM_DEPTH:
            key = _objkey(pat)
            if key is not None and key not in self.stack:
                self.stack.append(key)
                try:
                    ops = self._ops(pat, key)
                    res = _get(pat, "/Resources") or resources
                    self.walk(ops, res, GState(IDENTITY), depth + 1, geometry=False)
                except _Budget:
                    raise
                except Exception:
                    pass
                finally:
                    self.stack.pop()
        return current

    def _extgstate_settings(self, resources: Any, name: Any) -> tuple[tuple[str, Any], ...] | None:
        """What ``gs`` with this ExtGState sets on the graphics state, in order: (attribute, value)."""
        gs = _get(_get(resources, "/ExtGState"), "/" + _name(name))
        if gs is None:
            return None
        key = _objkey(gs)
        cache = self.doc.gstates
        if key is not None and key in cache:
            return cache[key]
        out: list[tuple[str, Any]] = []
        lw = _get(gs, "/LW")
        if lw is not None:
            v = _num(lw, math.nan)
            if not math.isnan(v):  # not a number: the line width stays
                out.append(("lw", v))
        ca = _get(gs, "/ca")
        if ca is not None:
            out.append(("fill_alpha", _num(ca, 1.0)))
        ca_s = _get(gs, "/CA")
        if ca_s is not None:
            out.append(("stroke_alpha", _num(ca_s, 1.0)))
        bm = _get(gs, "/BM")
        if bm is not None:
            modes = [_name(x) for x in bm] if isinstance(bm, pikepdf.Array) else [_name(bm)]
            out.append(("blend", bool(modes) and modes[0] not in ("Normal", "Compatible")))
        sm = _get(gs, "/SMask")
        if sm is not None:
            out.append(("smask", not (isinstance(sm, pikepdf.Name) and _name(sm) == "None")))
        op_s = _get(gs, "/OP")
        if op_s is not None:
            out.append(("op_stroke", bool(op_s)))
            out.append(("op_fill", bool(op_s)))
        op_f = _get(gs, "/op")
        if op_f is not None:
            out.append(("op_fill", bool(op_f)))
        font = _get(gs, "/Font")
        if font is not None:
            try:
                out.append(("font", self.doc.font(font[0], "gs")))
                out.append(("font_size", _num(font[1])))
            except Exception:
                pass
        settings = tuple(out)
        if key is not None and len(cache) < 10_000:
            cache[key] = settings
        return settings

    def _font(self, resources: Any, name: Any) -> tuple[FontMetrics | None, bool]:
        """The font and whether the same name may reuse it (direct font objects are read each time)."""
        fdict = _get(_get(resources, "/Font"), "/" + _name(name))
        if fdict is None:
            return None, True
        fm = self.doc.font(fdict, _name(name))
        self.fonts.add(fm.info.key)
        return fm, _objkey(fdict) is not None

    def _show(self, g: GState, tm: Matrix, operands: Any, is_tj: bool, geometry: bool) -> Matrix:
        fm = g.font
        fs = g.font_size
        items: list[Any] = []
        if is_tj:
            try:
                items = list(operands[0]) if operands else []
            except Exception:
                items = []
        else:
            items = [operands[0]] if operands else []
        tx = 0.0
        # Simple fonts inline (the common case); same arithmetic as _advance.
        table = fm.byte_table() if fm is not None and not fm.two_byte else None
        for it in items:
            t = type(it)
            if t is bytes:
                if table is not None:
                    tx += (sum(map(table.__getitem__, it)) * fm.scale * fs  # type: ignore[union-attr]
                           + len(it) * g.tc + it.count(32) * g.tw) * g.th
                else:
                    tx += self._advance(fm, it, g)
            elif t is float or t is int:
                tx -= it / 1000.0 * fs * g.th
            elif isinstance(it, pikepdf.String):
                tx += self._advance(fm, bytes(it), g)
            else:
                tx -= _num(it) / 1000.0 * fs * g.th
        visible = g.tr not in (3, 7)
        trm = mat_mul(tm, g.ctm)
        if visible and fs:
            f = self.facts
            f.text_ops += 1
            size = abs(fs) * math.hypot(trm[2], trm[3])
            rect = bbox_of(trm, min(0.0, tx), g.trise - 0.2 * abs(fs), max(0.0, tx), g.trise + 0.8 * abs(fs))
            f.min_font_size = size if f.min_font_size is None else min(f.min_font_size, size)
            if self.small_text.wants(size):
                self.small_text.push(size, (round(size, 2), rect))
            fill = g.tr in (0, 2, 4, 6)
            stroke = g.tr in (1, 2, 5, 6)
            self.paint(g, rect, fill, stroke, text=True)
            if geometry:
                d = self._edge_distance(rect)
                if d is not None and self.text_marks.wants(d):
                    self.text_marks.push(d, Mark("text", d, rect))
        return mat_mul((1, 0, 0, 1, tx, 0), tm)

    @staticmethod
    def _advance(fm: FontMetrics | None, data: bytes, g: GState) -> float:
        fs = g.font_size
        if fm is None:
            return len(data) * (0.5 * fs + g.tc) * g.th
        total = 0.0
        if fm.two_byte:
            n = len(data) // 2
            if fm.cid_widths:
                get = fm.cid_widths.get
                dw = fm.default_width
                cids = struct.unpack(f">{n}H", data[: 2 * n])
                total = sum(get(c, dw) for c in cids) * fm.scale * fs + n * g.tc
            else:
                total = n * (fm.default_width * fm.scale * fs + g.tc)
            return total * g.th
        total = sum(map(fm.byte_table().__getitem__, data))
        spaces = data.count(32)
        return (total * fm.scale * fs + len(data) * g.tc + spaces * g.tw) * g.th

    def _do(self, g: GState, resources: Any, name: Any, depth: int, geometry: bool) -> None:
        xobj = _get(_get(resources, "/XObject"), "/" + _name(name))
        if xobj is None:
            return
        sub = _name(_get(xobj, "/Subtype"))
        if sub == "Image":
            self._image(g, xobj, resources, geometry, inline=False)
        elif sub == "Form":
            if depth >= MAX_FORM_DEPTH:
                raise _Budget("form XObjects nested too deeply")
            key = _objkey(xobj)
            if key is not None and key in self.stack:
                self.doc.warn("form XObject refers to itself (loop ignored)")
                return
            if key is not None:
                self.stack.append(key)
            try:
                ops = self._ops(xobj, key)
                res = _get(xobj, "/Resources")
                if res is None:
                    res = resources
                inner = g.copy()
                inner.ctm = mat_mul(_matrix(_get(xobj, "/Matrix")), g.ctm)
                self.walk(ops, res, inner, depth + 1, geometry)
            except (_Budget, RecursionError):
                raise
            except Exception as exc:
                self.doc.warn(f"form XObject could not be read ({type(exc).__name__})")
            finally:
                if key is not None:
                    self.stack.pop()

    def _image(self, g: GState, img: Any, resources: Any, geometry: bool, inline: bool) -> None:
        info = self.doc.image_info(img, resources)
        w, h, bits, cs, filters, is_mask, has_smask = info
        m = g.ctm
        sx = math.hypot(m[0], m[1])
        sy = math.hypot(m[2], m[3])
        dpi_x = w / (sx / 72.0) if sx > 1e-6 else 0.0
        dpi_y = h / (sy / 72.0) if sy > 1e-6 else 0.0
        rect = bbox_of(m, 0, 0, 1, 1)
        f = self.facts
        f.image_count += 1
        f.tac_needs_render = True
        f.max_image_pixels = max(f.max_image_pixels, w * h)
        if is_mask:
            self._paint_one(g, g.fill_cs, g.fill_color, g.op_fill, rect, False, g.fill_alpha)
        else:
            self._mode(cs, rect)
        if has_smask:
            self.transp.add("image soft mask")
        if g.smask or g.blend or g.fill_alpha < 1:
            self.transp.add("opacity" if g.fill_alpha < 1 else "soft mask" if g.smask else "blend mode")
        if len(self.images) < 500:
            self.images.append(
                ImageUse(
                    page=f.page,
                    width_px=w,
                    height_px=h,
                    bits=bits,
                    color_space=cs.family if not is_mask else "ImageMask",
                    mode=cs.mode if not is_mask else "Mask",
                    filters=filters,
                    image_mask=is_mask,
                    has_smask=has_smask,
                    rect=rect,
                    dpi_x=dpi_x,
                    dpi_y=dpi_y,
                    inline=inline,
                )
            )
        if geometry:
            self._object_mark("image", rect)

    def _inline_image(self, g: GState, inline: Any, resources: Any, geometry: bool) -> None:
        try:
            d = inline.obj
        except Exception:
            return
        self._image(g, d, resources, geometry, inline=True)

    def finish(self) -> None:
        f = self.facts
        f.small_text_rects = [it for _, it in self.small_text.items()]
        f.thin_stroke_rects = [it for _, it in self.thin.items()]
        f.text_marks = [it for _, it in self.text_marks.items()]
        f.object_marks = [it for _, it in self.obj_marks.items()]
        f.images = self.images
        f.modes = self.mode_counts
        f.mode_rects = self.mode_rects
        f.spot_names = sorted(self.spots)
        f.icc_profiles = sorted(self.iccs)
        f.font_keys = sorted(self.fonts)
        f.content_ops = self.ops
        if self.transp:
            f.transparency = True
            f.transparency_reasons = sorted(self.transp)


def _extend(path: list[float], x: float, y: float) -> None:
    if not path:
        path.extend((x, y, x, y))
        return
    if x < path[0]:
        path[0] = x
    if y < path[1]:
        path[1] = y
    if x > path[2]:
        path[2] = x
    if y > path[3]:
        path[3] = y


def _parse(reader: DocumentReader, data: bytes, problems: list[str] | None = None) -> list[tuple[str, Any]]:
    """``[(operator, operands), ...]``: our tokenizer for well-formed streams, else pikepdf's parser
    (which also reports the damage); operands are then pikepdf objects, which the walker also reads."""
    if not data.strip():
        return []
    fast = fast_parse(data)
    if fast is not None:
        return fast
    stream = reader.scratch_stream(data)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ops = [(str(instr.operator), instr.operands) for instr in pikepdf.parse_content_stream(stream)]
    if caught and problems is not None:
        problems.extend(str(w.message) for w in caught[:5])
    return ops


def read_stream_capped(stream: Any, cap: int) -> bytes:
    """Decode a stream without letting a decompression bomb take the memory."""
    filt = _get(stream, "/Filter")
    names: list[str] = []
    if isinstance(filt, pikepdf.Array):
        names = [_name(x) for x in filt]
    elif filt is not None:
        names = [_name(filt)]
    if names in (["FlateDecode"], ["Fl"]) and _get(stream, "/DecodeParms") is None:
        raw = stream.read_raw_bytes()
        dec = zlib.decompressobj()
        try:
            out = dec.decompress(raw, cap + 1)
        except zlib.error:
            # Let qpdf try its more forgiving decoder (it recovers partial data).
            out = b""
            data = stream.read_bytes()
            if len(data) > cap:
                raise _Budget("content stream too large to analyse (decompression limit)") from None
            return bytes(data)
        if len(out) > cap:
            raise _Budget("content stream too large to analyse (decompression limit)")
        return out
    raw_len = int(_num(_get(stream, "/Length"), 0))
    if names and raw_len * 200 > cap * 4:
        raise _Budget("content stream too large to analyse (decompression limit)")
    data = stream.read_bytes()
    if len(data) > cap:
        raise _Budget("content stream too large to analyse (decompression limit)")
    return bytes(data)


def page_content_bytes(page_obj: Any) -> bytes:
    contents = _get(page_obj, "/Contents")
    if contents is None:
        return b""
    parts: list[bytes] = []
    total = 0
    streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
    for s in streams:
        if not isinstance(s, pikepdf.Stream):
            continue
        data = read_stream_capped(s, MAX_CONTENT_BYTES - total)
        total += len(data)
        parts.append(data)
    return b"\n".join(parts)


def _inherited(page_obj: Any, key: str) -> Any:
    node = page_obj
    for _ in range(64):
        val = _get(node, key)
        if val is not None:
            return val
        node = _get(node, "/Parent")
        if node is None:
            return None
    return None


# --------------------------------------------------------------------------- document reader

_XV = rb"(?:\s*=\s*[\"']|(?:\s[^>]*)?>)\s*"  # attribute form or element form
XMP_PATTERNS = {
    "pdfa_part": re.compile(rb"pdfaid:part" + _XV + rb"(\d)"),
    "pdfa_conf": re.compile(rb"pdfaid:conformance" + _XV + rb"([A-Za-z])"),
    "pdfua": re.compile(rb"pdfuaid:part" + _XV + rb"(\d)"),
    "pdfx": re.compile(rb"GTS_PDFXVersion" + _XV + rb"([^<\"']+)"),
    "pdfvt": re.compile(rb"GTS_PDFVTVersion" + _XV + rb"([^<\"']+)"),
}


# An XMP packet may be UTF-8, UTF-16 or UTF-32, either byte order, with or without a BOM (XMP part 1,
# 7.3.2). Without a BOM the packet's first character, "<", tells them apart.
_XMP_BOMS = ((b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe\x00\x00", "utf-32-le"),
             (b"\xfe\xff", "utf-16-be"), (b"\xff\xfe", "utf-16-le"), (b"\xef\xbb\xbf", "utf-8"))
_XMP_FIRST_CHAR = ((b"\x00\x00\x00<", "utf-32-be"), (b"<\x00\x00\x00", "utf-32-le"),
                   (b"\x00<", "utf-16-be"), (b"<\x00", "utf-16-le"))


def xmp_as_utf8(xmp: bytes) -> bytes:
    """The packet re-encoded as UTF-8, which is what ``XMP_PATTERNS`` read."""
    for bom, codec in _XMP_BOMS:
        if xmp.startswith(bom):
            return xmp[len(bom):].decode(codec, "replace").encode("utf-8")
    for start, codec in _XMP_FIRST_CHAR:
        if xmp.startswith(start):
            return xmp.decode(codec, "replace").encode("utf-8")
    return xmp


class DocumentReader:
    """Holds an open pikepdf document and the per-document caches (fonts, images, colour spaces)."""

    def __init__(self, pdf: pikepdf.Pdf) -> None:
        self.pdf = pdf
        self.scratch = pikepdf.new()
        self._scratch_stream: pikepdf.Stream | None = None
        self.form_ops: dict[tuple[int, int], list[tuple[str, Any]]] = {}
        self.form_ops_size = 0
        self.colorspaces = ColorSpaces()
        self.gstates: dict[tuple[int, int], tuple[tuple[str, Any], ...]] = {}
        self.fonts: dict[str, FontMetrics] = {}
        self._font_by_obj: dict[tuple[int, int], str] = {}
        self._images: dict[tuple[int, int], tuple[int, int, int, CS, list[str], bool, bool]] = {}
        self.warnings: list[str] = []
        # Order sizes (mm) from the SDK context: a page without a TrimBox that is exactly
        # size + bleed gets its safety edges measured from the inferred trim.
        self.trim_sizes: list[tuple[float, float]] = []

    def scratch_stream(self, data: bytes) -> pikepdf.Stream:
        """One reusable stream to parse decoded bytes with (new qpdf streams would pile up)."""
        if self._scratch_stream is None:
            self._scratch_stream = pikepdf.Stream(self.scratch, data)
        else:
            self._scratch_stream.write(data)
        return self._scratch_stream

    def warn(self, msg: str) -> None:
        if len(self.warnings) < 200 and msg not in self.warnings:
            self.warnings.append(msg)

    def font(self, fdict: Any, resname: str) -> FontMetrics:
        og = _objkey(fdict)
        if og is not None and og in self._font_by_obj:
            return self.fonts[self._font_by_obj[og]]
        base = _name(_get(fdict, "/BaseFont")) or resname
        key = f"{base}#{og[0]}" if og is not None else f"{base}#direct-{len(self.fonts)}"
        fm = load_font(fdict, key)
        self.fonts[key] = fm
        if og is not None:
            self._font_by_obj[og] = key
        return fm

    def image_info(self, img: Any, resources: Any) -> tuple[int, int, int, CS, list[str], bool, bool]:
        og = _objkey(img)
        if og is not None and og in self._images:
            return self._images[og]
        w = int(_num(_get(img, "/Width") if _get(img, "/Width") is not None else _get(img, "/W")))
        h = int(_num(_get(img, "/Height") if _get(img, "/Height") is not None else _get(img, "/H")))
        is_mask = bool(_get(img, "/ImageMask") or _get(img, "/IM") or False)
        bpc_obj = _get(img, "/BitsPerComponent")
        if bpc_obj is None:
            bpc_obj = _get(img, "/BPC")
        bits = int(_num(bpc_obj, 1 if is_mask else 8))
        filt = _get(img, "/Filter")
        if filt is None:
            filt = _get(img, "/F")
        filters: list[str] = []
        if isinstance(filt, pikepdf.Array):
            filters = [_name(x) for x in filt]
        elif filt is not None:
            filters = [_name(filt)]
        filters = [{"AHx": "ASCIIHexDecode", "A85": "ASCII85Decode", "LZW": "LZWDecode", "Fl": "FlateDecode",
                    "RL": "RunLengthDecode", "CCF": "CCITTFaxDecode", "DCT": "DCTDecode"}.get(x, x) for x in filters]
        cs_obj = _get(img, "/ColorSpace")
        if cs_obj is None:
            cs_obj = _get(img, "/CS")
        if cs_obj is None and "JPXDecode" in filters:
            cs = CS("JPX", "RGB", 3)
        elif is_mask:
            cs = CS("ImageMask", "None", 1)
        else:
            cs = self.colorspaces.resolve(cs_obj, resources)
        has_smask = _get(img, "/SMask") is not None or int(_num(_get(img, "/SMaskInData"), 0)) > 0
        out = (max(w, 0), max(h, 0), bits, cs, filters, is_mask, has_smask)
        if og is not None:
            self._images[og] = out
        return out

    # ---------------------------------------------------------------- document facts

    def doc_facts(self, path: Path, size: int) -> DocFacts:
        pdf = self.pdf
        root = pdf.Root
        d = DocFacts(kind="pdf", size_bytes=size)
        version = str(pdf.pdf_version)
        cat_ver = _name(_get(root, "/Version"))
        if cat_ver and _vkey(cat_ver) > _vkey(version):
            version = cat_ver
        d.version = version
        d.encrypted = bool(pdf.is_encrypted)
        if d.encrypted:
            allow = pdf.allow
            d.permissions = {
                "print": bool(allow.print_lowres or allow.print_highres),
                "print_highres": bool(allow.print_highres),
                "copy": bool(allow.extract),
                "modify": bool(allow.modify_other),
            }
        mark = _get(root, "/MarkInfo")
        d.tagged = bool(_get(mark, "/Marked")) if mark is not None else False
        d.linearized = bool(pdf.is_linearized)
        info = pdf.trailer.get("/Info")
        if info is not None:
            d.producer = _text(_get(info, "/Producer"))
            d.creator = _text(_get(info, "/Creator"))
            gts = _get(info, "/GTS_PDFXVersion")
            if gts is not None:
                d.pdfx = _text(gts)
        xmp = b""
        meta = _get(root, "/Metadata")
        if isinstance(meta, pikepdf.Stream):
            try:
                xmp = xmp_as_utf8(read_stream_capped(meta, 4 * 1024 * 1024))
            except Exception:
                xmp = b""
        if xmp:
            mp = XMP_PATTERNS["pdfa_part"].search(xmp)
            if mp:
                mc = XMP_PATTERNS["pdfa_conf"].search(xmp)
                d.pdfa = f"PDF/A-{mp.group(1).decode()}{mc.group(1).decode().lower() if mc else ''}"
            mu = XMP_PATTERNS["pdfua"].search(xmp)
            if mu:
                d.pdfua = f"PDF/UA-{mu.group(1).decode()}"
            mx = XMP_PATTERNS["pdfx"].search(xmp)
            if mx and not d.pdfx:
                d.pdfx = mx.group(1).decode("latin-1").strip()
            mv = XMP_PATTERNS["pdfvt"].search(xmp)
            if mv:
                d.pdfvt = mv.group(1).decode("latin-1").strip()
        try:
            self._output_intents(d, root)
        except (pikepdf.PdfError, TypeError, ValueError, KeyError, AttributeError) as exc:
            self.warn(f"output intents could not be read ({type(exc).__name__})")
        try:
            ocp = _get(root, "/OCProperties")
            if ocp is not None:
                for ocg in list(_get(ocp, "/OCGs") or [])[:500]:
                    d.ocgs.append(_text(_get(ocg, "/Name")) or "(unnamed layer)")
                default = _get(ocp, "/D")
                for ocg in list(_get(default, "/OFF") or [])[:500] if default is not None else []:
                    d.ocgs_hidden.append(_text(_get(ocg, "/Name")) or "(unnamed layer)")
        except (pikepdf.PdfError, TypeError, ValueError, KeyError, AttributeError) as exc:
            self.warn(f"layers could not be read ({type(exc).__name__})")
        for scan in (self._scan_actions, self._scan_forms):
            try:
                scan(d)
            except (pikepdf.PdfError, TypeError, ValueError, KeyError, AttributeError, RecursionError) as exc:
                self.warn(f"document structure could not be read completely ({type(exc).__name__})")
        try:
            names = _get(root, "/Names")
            ef = _get(names, "/EmbeddedFiles") if names is not None else None
            if ef is not None:
                d.attachments.extend(_name_tree_keys(ef, 200))
        except Exception:
            self.warn("embedded files name tree could not be read")
        return d

    def _output_intents(self, d: DocFacts, root: Any) -> None:
        for oi in _get(root, "/OutputIntents") or []:
            entry: dict[str, Any] = {
                "subtype": _name(_get(oi, "/S")),
                "identifier": _text(_get(oi, "/OutputConditionIdentifier")),
                "condition": _text(_get(oi, "/OutputCondition")),
                "info": _text(_get(oi, "/Info")),
                "registry": _text(_get(oi, "/RegistryName")),
            }
            prof = _get(oi, "/DestOutputProfile")
            if isinstance(prof, pikepdf.Stream):
                desc, n = self.colorspaces.icc_info(prof)
                entry["profile"] = desc
                entry["components"] = n
            else:
                entry["profile"] = None
            d.output_intents.append(entry)

    def _scan_actions(self, d: DocFacts) -> None:
        root = self.pdf.Root
        names = _get(root, "/Names")
        js = _get(names, "/JavaScript") if names is not None else None
        if js is not None:
            keys = _name_tree_keys(js, 100)
            d.javascript.extend(f"document script {k}" for k in keys or ["(unnamed)"])
        oa = _get(root, "/OpenAction")
        if isinstance(oa, pikepdf.Dictionary) and _action_is_script(oa):
            d.javascript.append("open action")
        aa = _get(root, "/AA")
        if isinstance(aa, pikepdf.Dictionary) and any(_action_is_script(v) for v in aa.values()):
            d.javascript.append("document additional action")

    def _scan_forms(self, d: DocFacts) -> None:
        af = _get(self.pdf.Root, "/AcroForm")
        if not isinstance(af, pikepdf.Dictionary):
            return
        d.xfa = _get(af, "/XFA") is not None
        d.need_appearances = bool(_get(af, "/NeedAppearances"))
        count = 0
        sigs = 0
        todo = list(_get(af, "/Fields") or [])[:5000]
        seen: set[tuple[int, int]] = set()
        while todo and count < 10000:
            fld = todo.pop()
            key = _objkey(fld)
            if key is not None:
                if key in seen:
                    continue
                seen.add(key)
            count += 1
            if _name(_get(fld, "/FT")) == "Sig" and _get(fld, "/V") is not None:
                sigs += 1
            aa = _get(fld, "/AA")
            if isinstance(aa, pikepdf.Dictionary) and any(_action_is_script(v) for v in aa.values()):
                d.javascript.append("form field action")
            kids = _get(fld, "/Kids")
            if kids is not None:
                todo.extend(list(kids)[:5000])
        d.acroform_fields = count
        d.signatures = sigs

    def safe_page_facts(self, index: int, page: Any, doc: DocFacts, content: bool = True) -> PageFacts:
        """page_facts that never raises: a page we can't read becomes a structure problem.

        The cyclic garbage collector is paused for the page: parsing allocates millions of small
        lists and tuples (no cycles, freed by reference counting), and the collector's passes over
        them took as long as the parsing itself.
        """
        paused = gc.isenabled()
        if paused:
            gc.disable()
        try:
            facts = self.page_facts(index, page, content, doc)
            facts.inspected = content
            return facts
        except Exception as exc:  # hostile page dictionaries: report, don't crash
            facts = PageFacts(page=index + 1, media=(0.0, 0.0, 0.0, 0.0), crop=(0.0, 0.0, 0.0, 0.0),
                              bleed=None, trim=None, art=None, rotation=0)
            facts.content_error = f"page could not be read ({type(exc).__name__})"
            return facts
        finally:
            if paused:
                gc.enable()

    def page_facts(self, index: int, page: pikepdf.Page, content: bool, doc: DocFacts) -> PageFacts:
        obj = page.obj
        media = rect_of(_inherited(obj, "/MediaBox")) or (0.0, 0.0, 612.0, 792.0)
        crop = rect_of(_inherited(obj, "/CropBox"))
        crop = _intersect(crop, media) if crop else media
        bleed = rect_of(_get(obj, "/BleedBox"))
        trim = rect_of(_get(obj, "/TrimBox"))
        art = rect_of(_get(obj, "/ArtBox"))
        rot = int(_num(_inherited(obj, "/Rotate"), 0))
        facts = PageFacts(
            page=index + 1,
            media=media,
            crop=crop,
            bleed=bleed,
            trim=trim,
            art=art,
            rotation=rot % 360,
        )
        self._annotations(facts, obj, doc)
        if content:
            edge = facts.trim_or_media
            if facts.trim is None and self.trim_sizes:
                from .checks.geometry import effective_trim

                edge, _ = effective_trim(facts, {}, self.trim_sizes)
            walker = PageWalker(self, facts, edge)
            walker.run_page(page, IDENTITY)
            walker.finish()
            for key in facts.font_keys:
                doc.fonts.setdefault(key, self.fonts[key].info)
        return facts

    def _annotations(self, facts: PageFacts, obj: Any, doc: DocFacts) -> None:
        annots = _get(obj, "/Annots")
        if annots is None:
            return
        try:
            items = list(annots)[:2000]
        except Exception:
            return
        for an in items:
            if not isinstance(an, pikepdf.Dictionary):
                continue
            sub = _name(_get(an, "/Subtype"))
            rect = rect_of(_get(an, "/Rect")) or (0.0, 0.0, 0.0, 0.0)
            action = _get(an, "/A")
            if isinstance(action, pikepdf.Dictionary) and _action_is_script(action):
                doc.javascript.append(f"annotation action on page {facts.page}")
            aa = _get(an, "/AA")
            if isinstance(aa, pikepdf.Dictionary) and any(_action_is_script(v) for v in aa.values()):
                doc.javascript.append(f"annotation action on page {facts.page}")
            if sub == "FileAttachment":
                fs = _get(an, "/FS")
                nm = _text(_get(fs, "/UF") or _get(fs, "/F")) if fs is not None else ""
                doc.attachments.append(nm or f"attachment on page {facts.page}")
            if sub in ("Link", "Widget", "Popup", "PrinterMark", "TrapNet"):
                continue
            facts.annotations.append((sub, rect))


def _action_is_script(action: Any) -> bool:
    if not isinstance(action, pikepdf.Dictionary):
        return False
    return _name(_get(action, "/S")) in ("JavaScript", "Launch")


def _name_tree_keys(node: Any, limit: int) -> list[str]:
    out: list[str] = []
    todo = [node]
    seen: set[tuple[int, int]] = set()
    steps = 0
    while todo and len(out) < limit and steps < 10000:
        steps += 1
        n = todo.pop()
        key = _objkey(n)
        if key is not None:
            if key in seen:
                continue
            seen.add(key)
        names = _get(n, "/Names")
        if names is not None:
            items = list(names)
            for i in range(0, len(items) - 1, 2):
                out.append(_text(items[i]))
        kids = _get(n, "/Kids")
        if kids is not None:
            todo.extend(list(kids)[:1000])
    return out


def _vkey(v: str) -> tuple[int, int]:
    try:
        major, minor = v.split(".")[:2]
        return int(major), int(minor)
    except Exception:
        return (0, 0)


def version_key(v: str) -> tuple[int, int]:
    return _vkey(v)
