"""Text to outlines with shared glyph shapes: one Form XObject per glyph of a font, placed by each use.

Ghostscript's ``-dNoOutputFonts`` writes every occurrence of a glyph as its own path in page
coordinates: a 313-page book went from 1.6 to 169 MB. Here each (font, glyph) becomes one small
form XObject in em units, stored once in the file, and every shown glyph becomes a placement
(``cm`` + ``Do``; within one text operator only the move from the previous glyph).

MuPDF does the font work: its SVG device with ``text_as_path`` emits one outline per glyph of each
font and, in content order, one ``<use>`` per painted glyph with its full text rendering matrix.
This module walks each content stream itself (CTM, text render mode, current font), counts the
glyphs each text operator shows, and takes that many ``<use>`` entries for it. Anything it cannot
account for exactly -- stroked or clipping text, Type 3 fonts, a CMap it cannot read, fonts in
annotation appearances, a count that does not match -- raises :class:`Unsupported`, and the caller
falls back to Ghostscript: the result is either exact or not produced.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pikepdf
import pymupdf

from printgate.core.fixes._content import IDENTITY, Matrix, as_matrix, multiply
from printgate.core.preflight.pdf.textgeom import OUTLINED_TEXT_KEY

# The em box recorded for outlined text: what the preflight measures for live text (advance width
# by -0.2 .. 0.8 em), so the size and safe-zone checks judge outlined text as they judged the text.
_EM_LOW, _EM_HIGH = -0.2, 0.8


class Unsupported(Exception):
    """This file needs the general (Ghostscript) outliner; ``str(exc)`` says why."""


@dataclass
class Stats:
    glyph_shapes: int = 0  # form XObjects written
    placements: int = 0  # glyphs painted
    dropped_invisible: int = 0  # text operators in render mode 3 (no appearance)
    pages: list[int] = field(default_factory=list)


# --- matrices ----------------------------------------------------------------------------------

def invert(m: Matrix) -> Matrix:
    a, b, c, d, e, f = m
    det = a * d - b * c
    if abs(det) < 1e-12:
        raise Unsupported("a degenerate transformation matrix")
    ia, ib, ic, id_ = d / det, -b / det, -c / det, a / det
    return (ia, ib, ic, id_, -(e * ia + f * ic), -(e * ib + f * id_))


def _num(x: float, digits: int = 4) -> str:
    """Short PDF number: fixed decimals, no trailing zeros."""
    text = f"{x:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _sig(x: float) -> str:
    """A matrix coefficient with about 6 significant digits."""
    if x == 0:
        return "0"
    digits = max(0, 5 - math.floor(math.log10(abs(x))))
    return _num(x, min(digits, 9))


# --- MuPDF's glyphs ----------------------------------------------------------------------------

_DEF = re.compile(r'<path id="font_(\d+)_(\d+)" d="([^"]*)"')
_USE = re.compile(r'<use data-text="[^"]*" xlink:href="#font_(\d+)_(\d+)"([^>]*)>')
_TRANSFORM = re.compile(r'transform="matrix\(([^)]*)\)"')
_TOKEN = re.compile(r"[MmLlHhVvCcQqZzSsTtAa]|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


@dataclass
class Use:
    font: int  # MuPDF's font number within this page's SVG
    gid: int
    matrix: Matrix  # glyph space (em, y up) -> PDF default user space


def page_glyphs(page: pymupdf.Page) -> tuple[dict[tuple[int, int], str], list[Use]]:
    """The outline (SVG path data, em units) of every glyph on ``page`` and each painted glyph, in order."""
    svg = page.get_svg_image(matrix=pymupdf.Identity, text_as_path=True)
    to_pdf = ~page.transformation_matrix
    back: Matrix = (to_pdf.a, to_pdf.b, to_pdf.c, to_pdf.d, to_pdf.e, to_pdf.f)
    shapes = {(int(f), int(g)): d for f, g, d in _DEF.findall(svg)}
    uses: list[Use] = []
    for f, g, attrs in _USE.findall(svg):
        if "stroke=" in attrs:
            raise Unsupported("stroked text")
        m = _TRANSFORM.search(attrs)
        if m is None:
            raise Unsupported("a glyph without a transformation")
        values = [float(v) for v in m.group(1).replace(",", " ").split()]
        if len(values) != 6:
            raise Unsupported("a malformed glyph transformation")
        uses.append(Use(int(f), int(g), multiply(tuple(values), back)))  # type: ignore[arg-type]
    return shapes, uses


def _path_ops(d: str) -> tuple[bytes, tuple[float, float, float, float]] | None:
    """SVG path data (em units) -> PDF path operators in 1/1000 em, filled; and its bounding box."""
    tokens = _TOKEN.findall(d)
    out: list[str] = []
    xs: list[float] = []
    ys: list[float] = []
    cx = cy = sx = sy = 0.0
    cmd = ""
    i = 0

    def point(x: float, y: float) -> str:
        xs.append(x)
        ys.append(y)
        return f"{_num(x * 1000, 1)} {_num(y * 1000, 1)}"

    def nums(n: int) -> list[float]:
        nonlocal i
        if i + n > len(tokens) or any(t.isalpha() for t in tokens[i:i + n]):
            raise Unsupported("malformed glyph outline")
        vals = [float(t) for t in tokens[i:i + n]]
        i += n
        return vals

    while i < len(tokens):
        if tokens[i].isalpha():
            cmd = tokens[i]
            i += 1
            if cmd in "Zz":
                out.append("h")
                cx, cy = sx, sy
                continue
        elif not cmd:
            raise Unsupported("malformed glyph outline")
        rel = cmd.islower()
        op = cmd.upper()
        if op == "M":
            x, y = nums(2)
            cx, cy = (cx + x, cy + y) if rel else (x, y)
            sx, sy = cx, cy
            out.append(point(cx, cy) + " m")
            cmd = "l" if rel else "L"  # further pairs are line-tos
        elif op == "L":
            x, y = nums(2)
            cx, cy = (cx + x, cy + y) if rel else (x, y)
            out.append(point(cx, cy) + " l")
        elif op == "H":
            (x,) = nums(1)
            cx = cx + x if rel else x
            out.append(point(cx, cy) + " l")
        elif op == "V":
            (y,) = nums(1)
            cy = cy + y if rel else y
            out.append(point(cx, cy) + " l")
        elif op == "C":
            v = nums(6)
            if rel:
                v = [v[k] + (cx if k % 2 == 0 else cy) for k in range(6)]
            out.append(f"{point(v[0], v[1])} {point(v[2], v[3])} {point(v[4], v[5])} c")
            cx, cy = v[4], v[5]
        elif op == "Q":
            v = nums(4)
            if rel:
                v = [v[k] + (cx if k % 2 == 0 else cy) for k in range(4)]
            # Quadratic -> cubic: control points two thirds of the way to the quadratic one.
            c1 = (cx + 2 / 3 * (v[0] - cx), cy + 2 / 3 * (v[1] - cy))
            c2 = (v[2] + 2 / 3 * (v[0] - v[2]), v[3] + 2 / 3 * (v[1] - v[3]))
            out.append(f"{point(*c1)} {point(*c2)} {point(v[2], v[3])} c")
            cx, cy = v[2], v[3]
        else:
            raise Unsupported(f"glyph outline command {cmd}")
    if not out:
        return None
    out.append("f")
    bbox = (min(xs) * 1000, min(ys) * 1000, max(xs) * 1000, max(ys) * 1000)
    return "\n".join(out).encode(), bbox


# --- fonts: how many glyphs a string shows -----------------------------------------------------

_CODESPACE = re.compile(rb"begincodespacerange(.*?)endcodespacerange", re.S)
_HEX = re.compile(rb"<([0-9A-Fa-f\s]*)>")


def _codespace(font: Any) -> list[tuple[bytes, bytes]] | None:
    """Code ranges of a Type 0 font's CMap (None: one byte per code, a simple font)."""
    if font.get("/Subtype") != pikepdf.Name.Type0:
        return None
    enc = font.get("/Encoding")
    if isinstance(enc, pikepdf.Name):
        if str(enc) in ("/Identity-H", "/Identity-V"):
            return [(b"\x00\x00", b"\xff\xff")]
        raise Unsupported(f"the predefined CMap {enc}")
    if not isinstance(enc, pikepdf.Stream):
        raise Unsupported("a Type 0 font without a readable CMap")
    data = bytes(enc.read_bytes())
    ranges: list[tuple[bytes, bytes]] = []
    for block in _CODESPACE.findall(data):
        hexes = [bytes.fromhex(h.decode().replace(" ", "").replace("\n", "")) for h in _HEX.findall(block)]
        ranges.extend(zip(hexes[0::2], hexes[1::2], strict=False))
    if not ranges:
        if "/UseCMap" in enc:
            raise Unsupported("a CMap that uses another CMap")
        raise Unsupported("a CMap without code space ranges")
    return ranges


def count_codes(data: bytes, ranges: list[tuple[bytes, bytes]] | None) -> int:
    """How many character codes (so glyphs) ``data`` holds for a font with these code ranges."""
    if ranges is None:
        return len(data)
    n = i = 0
    while i < len(data):
        for length in (1, 2, 3, 4):
            chunk = data[i:i + length]
            if len(chunk) < length:
                break
            if any(len(lo) == length and all(lo[k] <= chunk[k] <= hi[k] for k in range(length)) for lo, hi in ranges):
                i += length
                break
        else:
            # No range matches: PDF takes the shortest length that fits none; MuPDF does the same.
            i += min((len(lo) for lo, _ in ranges), default=1)
        n += 1
    return n


# --- the content walk --------------------------------------------------------------------------

_TEXT_SHOW = {"Tj", "TJ", "'", '"'}
_TEXT_ONLY = {"BT", "ET", "Tf", "Td", "TD", "Tm", "T*", "Tc", "Tw", "Tz", "TL", "Ts", "Tr"}


@dataclass
class _Font:
    key: tuple[Any, ...]
    ranges: list[tuple[bytes, bytes]] | None


@dataclass
class _State:
    ctm: Matrix = IDENTITY
    render: int = 0
    font: _Font | None = None


class Outliner:
    """Rewrites the pages of one document; call :meth:`run`, then check :attr:`stats`."""

    def __init__(self, pdf: pikepdf.Pdf, src: Path) -> None:
        self.pdf = pdf
        self.src = src
        self.stats = Stats()
        self.glyphs: dict[tuple[Any, int], pikepdf.Object | None] = {}
        self.names: dict[tuple[Any, int], str] = {}
        self.forms: dict[tuple[int, int], list[tuple[Any, int]]] = {}  # rewritten form -> its glyph keys
        self.touched: list[Any] = []  # resource dictionaries whose fonts are no longer used
        self._font_keys: dict[int, tuple[Any, ...]] = {}  # MuPDF font number -> PDF font (this page)

    def run(self) -> Stats:
        _refuse_annotation_fonts(self.pdf)
        with pymupdf.open(self.src) as fdoc:
            if fdoc.page_count != len(self.pdf.pages):
                raise Unsupported("MuPDF sees a different page count")
            for index, page in enumerate(self.pdf.pages):
                fpage = fdoc.load_page(index)
                # The whole MediaBox, unrotated, without annotations: only the page content is run.
                box = fpage.mediabox
                fdoc.xref_set_key(fpage.xref, "CropBox", f"[{box.x0:g} {box.y0:g} {box.x1:g} {box.y1:g}]")
                fdoc.xref_set_key(fpage.xref, "Rotate", "0")
                fdoc.xref_set_key(fpage.xref, "Annots", "null")
                fpage = fdoc.load_page(index)
                shapes, uses = page_glyphs(fpage)
                self._page(index, page, shapes, uses)
        for resources in self.touched:
            if "/Font" in resources:
                del resources["/Font"]
        return self.stats

    def _page(self, index: int, page: pikepdf.Page, shapes: dict[tuple[int, int], str], uses: list[Use]) -> None:
        self._font_keys = {}
        feed = iter(uses)
        resources = page.obj.get("/Resources")
        if resources is None:
            resources = page.obj.Resources = pikepdf.Dictionary()
        before = self.stats.placements
        data = self._walk(page.obj, resources, _State(), shapes, feed, 0)
        if next(feed, None) is not None:
            raise Unsupported(f"page {index + 1} paints glyphs the content walk did not account for")
        if data is not None:
            page.obj.Contents = pikepdf.Stream(self.pdf, data)
            self.touched.append(resources)
        if self.stats.placements > before or data is not None:
            self.stats.pages.append(index + 1)

    def _font(self, resources: Any, name: str) -> _Font:
        font = (resources.get("/Font") or {}).get(name)
        if font is None:
            raise Unsupported(f"font {name} is not in the resources")
        if font.get("/Subtype") == pikepdf.Name.Type3:
            raise Unsupported("a Type 3 font")
        key: tuple[Any, ...] = (font.objgen,) if font.is_indirect else ("direct", id(resources), name)
        return _Font(key, _codespace(font))

    def _walk(self, container: Any, resources: Any, state: _State, shapes: dict[tuple[int, int], str],
              feed: Iterator[Use], depth: int) -> bytes | None:
        """New content for ``container`` (None when it shows no text); consumes its glyphs from ``feed``."""
        if depth > 16:
            raise Unsupported("forms nested too deeply")
        try:
            instructions = pikepdf.parse_content_stream(container)
        except pikepdf.PdfError as exc:
            raise Unsupported(f"unreadable content: {exc}") from exc
        stack: list[_State] = []
        out: list[bytes] = []
        pending: list[Any] = []
        changed = False
        names = _Names(resources)

        def flush() -> None:
            if pending:
                out.append(pikepdf.unparse_content_stream(pending))
                pending.clear()

        for instruction in instructions:
            operands, operator = instruction.operands, str(instruction.operator)
            if operator == "q":
                stack.append(_State(state.ctm, state.render, state.font))
            elif operator == "Q":
                if stack:
                    state = stack.pop()
            elif operator == "cm" and len(operands) == 6:
                state.ctm = multiply(as_matrix(operands), state.ctm)
            elif operator == "Tr" and operands:
                state.render = int(operands[0])
            elif operator == "Tf" and operands:
                state.font = self._font(resources, str(operands[0]))
            elif operator == "Do" and operands:
                self._do(resources, str(operands[0]), state, shapes, feed, depth)
            if operator in _TEXT_SHOW:
                changed = True
                flush()
                out.append(self._show(operands, operator, state, shapes, feed, names))
                continue
            if operator in _TEXT_ONLY:
                changed = True
                continue
            pending.append(instruction)
        if not changed:
            return None
        flush()
        return b"\n".join(part for part in out if part)

    def _do(self, resources: Any, name: str, state: _State, shapes: dict[tuple[int, int], str],
            feed: Iterator[Use], depth: int) -> None:
        xo = (resources.get("/XObject") or {}).get(name)
        if xo is None or xo.get("/Subtype") != pikepdf.Name.Form:
            return
        ctm = multiply(as_matrix(xo.get("/Matrix", IDENTITY)), state.ctm)
        key = xo.objgen
        if key in self.forms:
            # Already rewritten: its glyphs are painted again here; they must be the same ones.
            for font_key, gid in self.forms[key]:
                use = next(feed, None)
                if use is None or use.gid != gid or self._font_keys.setdefault(use.font, font_key) != font_key:
                    raise Unsupported("a form paints different glyphs each time it is used")
            return
        own = xo.get("/Resources")
        if own is None:
            own = xo.Resources = pikepdf.Dictionary()
            for k, v in resources.items():
                own[k] = v
        recorder = _Recorder(feed)
        data = self._walk(xo, own, _State(ctm, state.render, state.font), shapes, recorder, depth + 1)
        self.forms[key] = [self._glyph_key(u) for u in recorder.taken]
        if data is not None:
            xo.write(data)
            self.touched.append(own)

    def _glyph_key(self, use: Use) -> tuple[Any, int]:
        font = self._font_keys.get(use.font)
        if font is None:
            raise Unsupported("a glyph of a font the content walk did not select")
        return (font, use.gid)

    def _show(self, operands: Any, operator: str, state: _State, shapes: dict[tuple[int, int], str],
              feed: Iterator[Use], names: _Names) -> bytes:
        if state.font is None:
            raise Unsupported("text shown without a font")
        strings: list[bytes] = []
        if operator == "TJ":
            strings = [bytes(o) for o in (operands[0] if operands else []) if isinstance(o, pikepdf.String)]
        elif operands:
            strings = [bytes(operands[-1])]
        count = sum(count_codes(s, state.font.ranges) for s in strings)
        if state.render == 3:
            self.stats.dropped_invisible += 1
            return b""  # invisible text (OCR layers, searchable scans) has no appearance to outline
        if state.render != 0:
            raise Unsupported(f"text render mode {state.render} (stroked or clipping text)")
        inverse = invert(state.ctm)
        parts: list[str] = []
        current: Matrix | None = None
        for _ in range(count):
            use = next(feed, None)
            if use is None:
                raise Unsupported("fewer glyphs painted than the text shows")
            mapped = self._font_keys.setdefault(use.font, state.font.key)
            if mapped != state.font.key:
                raise Unsupported("glyphs out of step with the text operators")
            name = self._shape(state.font.key, use, shapes, names)
            self.stats.placements += 1
            if name is None:
                continue  # a space: nothing to paint
            target = multiply(use.matrix, inverse)
            if current is not None and _same_linear(current, target):
                dx, dy = _delta(current, target)  # rounded to what is written: no drift along a line
                if dx or dy:
                    parts.append(f"1 0 0 1 {_num(dx)} {_num(dy)} cm")
                    a, b, c, d, e, f = current
                    current = (a, b, c, d, e + dx * a + dy * c, f + dx * b + dy * d)
            else:
                if current is not None:
                    parts.append("Q")
                exact = [_sig(v) for v in target[:4]] + [_num(v) for v in target[4:]]
                parts.append("q " + " ".join(exact) + " cm")
                current = tuple(float(v) for v in exact)  # type: ignore[assignment]
            parts.append(f"{name} Do")
        if current is not None:
            parts.append("Q")
        return "\n".join(parts).encode()

    def _shape(self, font_key: tuple[Any, ...], use: Use, shapes: dict[tuple[int, int], str], names: _Names) -> str | None:
        """The resource name of the glyph's form (made once per font and glyph, added to ``names``)."""
        key = (font_key, use.gid)
        if key not in self.glyphs:
            d = shapes.get((use.font, use.gid))
            if d is None:
                raise Unsupported("a glyph without an outline")
            made = _path_ops(d)
            shape: pikepdf.Object | None = None
            if made is not None:
                ops, bbox = made
                form = pikepdf.Stream(self.pdf, ops)
                form.Type, form.Subtype = pikepdf.Name.XObject, pikepdf.Name.Form
                form.BBox = pikepdf.Array([math.floor(bbox[0]) - 1, math.floor(bbox[1]) - 1,
                                           math.ceil(bbox[2]) + 1, math.ceil(bbox[3]) + 1])
                form.Matrix = pikepdf.Array([0.001, 0, 0, 0.001, 0, 0])
                # Still text for the size and safe-zone checks: the glyph's box in em (form space).
                form[OUTLINED_TEXT_KEY] = pikepdf.Dictionary(Box=pikepdf.Array([
                    round(min(0.0, bbox[0] / 1000), 4), round(min(_EM_LOW, bbox[1] / 1000), 4),
                    round(bbox[2] / 1000, 4), round(max(_EM_HIGH, bbox[3] / 1000), 4)]))
                shape = self.pdf.make_indirect(form)
                self.names[key] = f"/g{_base36(len(self.names))}"
                self.stats.glyph_shapes += 1
            self.glyphs[key] = shape
        stream = self.glyphs[key]
        if stream is None:
            return None
        name = self.names[key]
        names.add(name, stream)
        return name


class _Names:
    """The /XObject dictionary of one resource dictionary, with the glyph names already put in it."""

    def __init__(self, resources: Any) -> None:
        self.resources = resources
        self.xobjects: Any = None
        self.added: set[str] = set()

    def add(self, name: str, stream: pikepdf.Object) -> None:
        if name in self.added:
            return
        if self.xobjects is None:
            self.xobjects = self.resources.get("/XObject")
            if self.xobjects is None:
                self.xobjects = self.resources.XObject = pikepdf.Dictionary()
        existing = self.xobjects.get(name)
        if existing is None:
            self.xobjects[name] = stream
        elif existing.objgen != stream.objgen:
            raise Unsupported(f"the resource name {name} is taken")
        self.added.add(name)


class _Recorder:
    """An iterator over glyph uses that remembers what a form took."""

    def __init__(self, feed: Iterator[Use]) -> None:
        self.feed = feed
        self.taken: list[Use] = []

    def __iter__(self) -> _Recorder:
        return self

    def __next__(self) -> Use:
        use = next(self.feed)
        self.taken.append(use)
        return use


def _same_linear(m: Matrix, n: Matrix) -> bool:
    tol = 1e-5 * (abs(m[0]) + abs(m[1]) + abs(m[2]) + abs(m[3]))
    return (abs(m[0] - n[0]) <= tol and abs(m[1] - n[1]) <= tol and abs(m[2] - n[2]) <= tol
            and abs(m[3] - n[3]) <= tol)


def _delta(current: Matrix, target: Matrix) -> tuple[float, float]:
    """The move, in the glyph space of ``current``, that lands on ``target``'s origin."""
    a, b, c, d, e, f = current
    de, df = target[4] - e, target[5] - f
    det = a * d - b * c
    dx = (de * d - df * c) / det
    dy = (df * a - de * b) / det
    return round(dx, 4), round(dy, 4)


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


def _refuse_annotation_fonts(pdf: pikepdf.Pdf) -> None:
    """Text in annotation appearances is not on MuPDF's page run here: leave such files to Ghostscript."""
    for page in pdf.pages:
        for annot in page.obj.get("/Annots") or []:
            ap = annot.get("/AP") if isinstance(annot, pikepdf.Dictionary) else None
            if not isinstance(ap, pikepdf.Dictionary):
                continue
            for entry in ap.values():
                streams = entry.values() if isinstance(entry, pikepdf.Dictionary) and not isinstance(
                    entry, pikepdf.Stream) else [entry]
                for stream in streams:
                    if isinstance(stream, pikepdf.Stream) and "/Font" in (stream.get("/Resources") or {}):
                        raise Unsupported("an annotation shows text")


# --- outlined text stays text for the checks ---------------------------------------------------
#
# Outlining changes how text is drawn, not its size or place: the size and safe-zone checks must
# judge it after the fix as before. The shared outliner marks each glyph form (above); for
# Ghostscript's outliner, which writes bare paths, the text runs are read before it runs
# (:func:`text_runs`) and put back afterwards as marks (:func:`mark_text_runs`): an empty form with
# the same key placed once per run, which paints nothing.

TextRun = tuple[float, float, float, float, float, float]  # em box -> user space (relative to the MediaBox corner)


def text_runs(path: Path) -> list[list[TextRun]]:
    """Per page, the visible text runs MuPDF sees: each as the matrix that maps the unit em box
    ``[0 -0.2 1 0.8]`` onto the run (its height is the font size, its width the run's length)."""
    pages: list[list[TextRun]] = []
    with pymupdf.open(path) as fdoc:
        for page in fdoc:
            to_pdf = ~page.transformation_matrix
            corner = page.mediabox  # in PDF user space: (x0, y0) is the MediaBox's lower-left corner
            runs: list[TextRun] = []
            for span in page.get_texttrace():
                size = float(span.get("size") or 0)
                chars = span.get("chars") or ()
                if span.get("type") == 3 or size <= 0 or not chars:
                    continue  # invisible text (render mode 3) has no appearance to judge
                origin = pymupdf.Point(chars[0][2]) * to_pdf
                ahead = (pymupdf.Point(chars[0][2]) + pymupdf.Point(span["dir"])) * to_pdf
                ux, uy = ahead.x - origin.x, ahead.y - origin.y
                norm = math.hypot(ux, uy) or 1.0
                ux, uy = ux / norm, uy / norm
                vx, vy = -uy, ux
                r = pymupdf.Rect(span["bbox"])
                along = [((p * to_pdf).x - origin.x) * ux + ((p * to_pdf).y - origin.y) * uy
                         for p in (r.tl, r.tr, r.bl, r.br)]
                x0, x1 = min(along) / size, max(along) / size
                width = max(x1 - x0, 0.01)
                ox, oy = origin.x + x0 * size * ux - corner.x0, origin.y + x0 * size * uy - corner.y0
                runs.append((width * size * ux, width * size * uy, size * vx, size * vy, ox, oy))
            pages.append(runs)
    return pages


def mark_text_runs(pdf: pikepdf.Pdf, pages: list[list[TextRun]]) -> int:
    """Put :func:`text_runs` back on the pages as outlined-text marks; returns how many."""
    if len(pages) != len(pdf.pages):
        raise Unsupported("the page count changed while outlining")
    mark: pikepdf.Object | None = None
    placed = 0
    for page, runs in zip(pdf.pages, pages, strict=True):
        if not runs:
            continue
        if mark is None:
            form = pikepdf.Stream(pdf, b"")
            form.Type, form.Subtype = pikepdf.Name.XObject, pikepdf.Name.Form
            form.BBox = pikepdf.Array([0, _EM_LOW, 1, _EM_HIGH])
            form[OUTLINED_TEXT_KEY] = pikepdf.Dictionary(Box=pikepdf.Array([0, _EM_LOW, 1, _EM_HIGH]))
            mark = pdf.make_indirect(form)
        box = page.mediabox
        cx, cy = float(box[0]), float(box[1])
        resources = page.obj.get("/Resources")
        if resources is None:
            resources = page.obj.Resources = pikepdf.Dictionary()
        xobjects = resources.get("/XObject")
        if xobjects is None:
            xobjects = resources.XObject = pikepdf.Dictionary()
        name, n = "/PGtext", 0
        while name in xobjects and xobjects[name].objgen != mark.objgen:
            n += 1
            name = f"/PGtext{n}"
        xobjects[name] = mark
        body = "\n".join(
            f"q {_sig(a)} {_sig(b)} {_sig(c)} {_sig(d)} {_num(e + cx)} {_num(f + cy)} cm {name} Do Q"
            for a, b, c, d, e, f in runs)
        page.contents_add(pikepdf.Stream(pdf, body.encode()), prepend=True)
        placed += len(runs)
    return placed


def has_text_marks(pdf: pikepdf.Pdf) -> bool:
    """Does a page paint outlined-text marks (directly, or in a form one level down)?"""
    def xobjects(holder: Any) -> list[Any]:
        resources = holder.get("/Resources")
        found = resources.get("/XObject") if isinstance(resources, pikepdf.Dictionary) else None
        return list(found.values()) if isinstance(found, pikepdf.Dictionary) else []

    for page in pdf.pages:
        for xo in xobjects(page.obj):
            if OUTLINED_TEXT_KEY in xo or any(OUTLINED_TEXT_KEY in sub for sub in xobjects(xo)):
                return True
    return False
