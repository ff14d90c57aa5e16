"""The content-stream interpreter: one pass over a page's operators that fills its ``PageFacts``.

``PageWalker`` tracks the graphics state (``GState``: CTM, colours and colour spaces, line width,
text state, ExtGState transparency and overprint) through the page, its form XObjects and tiling
patterns, and records only bounded summaries (the worst N objects of each kind, colour modes, spot
names, ICC profiles, images, fonts used). Every recursion is bounded by form depth, an operator
budget and a cycle guard; going over a limit raises ``BudgetExceeded``, which the page reports as a
content error. The walker reads per-document caches through the ``DocumentCaches`` protocol, so it
does not import the reader that drives it.
"""

from __future__ import annotations

import math
from typing import Any, Protocol

import pikepdf

from ..content import PName, numbers
from ..model import ImageUse, Mark, PageFacts, Rect
from .colorspaces import (
    BOUNDED_FAMILIES,
    CS,
    CS_CMYK,
    CS_GRAY,
    CS_RGB,
    ColorSpaces,
    is_rich_black,
    is_white,
    note_group,
    redefines_device_spaces,
)
from .fonts import FontMetrics
from .geometry import IDENTITY, Matrix, Smallest, bbox_of, box_corners, mat_mul, matrix
from .gstate import OPCODES, PAINT_OPS, RENDER_MARK, GState, extgstate_settings
from .objects import dict_get, inherited, num, objkey, pdf_name
from .streams import (
    MAX_CONTENT_BYTES,
    SUPPORTED_FILTERS,
    BudgetExceeded,
    ScratchStreams,
    UnsupportedFilter,
    page_content_bytes,
    parse_ops,
    read_stream_capped,
)
from .textgeom import OUTLINED_TEXT_KEY, outlined_text, show_text

MAX_OPS_PER_PAGE = 2_000_000
MAX_FORM_DEPTH = 12
FORM_CACHE_OPS = 200_000  # parsed form/pattern operators kept per document
MAX_PATH_POINTS = 8192  # coordinates kept of an unpainted path; more: its box's two corners stand for them
MAX_RGB_COLOURS = 256  # distinct DeviceRGB colours kept per page for ink coverage; more: render


class DocumentCaches(ScratchStreams, Protocol):
    """What the walker uses of the document it walks (``reader.DocumentReader`` provides it)."""

    form_ops: dict[tuple[int, int], list[tuple[str, Any]]]
    form_ops_size: int
    colorspaces: ColorSpaces
    gstates: dict[tuple[int, int], tuple[tuple[str, Any], ...]]

    def warn(self, msg: str) -> None: ...

    def font(self, fdict: Any, resname: str) -> FontMetrics: ...

    def image_info(self, img: Any, resources: Any) -> tuple[int, int, int, CS, list[str], bool, bool]: ...


NAME_TYPES = (pikepdf.Name, PName)
# g G rg RG k K: the device colour space each sets, and whether for filling (else stroking).
DEVICE_COLOUR_OPS = {"g": (CS_GRAY, True), "G": (CS_GRAY, False), "rg": (CS_RGB, True), "RG": (CS_RGB, False),
                     "k": (CS_CMYK, True), "K": (CS_CMYK, False)}


class PageWalker:
    """Interprets a page's content streams into a ``PageFacts``."""

    def __init__(self, doc: DocumentCaches, facts: PageFacts, edge: Rect) -> None:
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
        self.bases: list[Matrix] = [IDENTITY]
        self.plain_forms: dict[tuple[int, int], Any] = {}  # outlined-text forms: (em box, plain_fill)
        self.last_glyph: tuple[Any, Any, Any] = (None, None, None)

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

    def _object_mark(self, kind: str, r: Rect) -> None:
        e = self.edge  # edge_distance, inline
        if r[2] <= e[0] or r[0] >= e[2] or r[3] <= e[1] or r[1] >= e[3]:
            return
        d = min(r[0] - e[0], r[1] - e[1], e[2] - r[2], e[3] - r[3])
        if d < 0.5:
            return  # bleeding objects and backgrounds intentionally touch or cross the edge
        if self.obj_marks.wants(d):
            self.obj_marks.push(d, Mark(kind, d, r))

    def paint(self, g: GState, rect: Rect | None, fill: bool, stroke: bool, text: bool = False) -> None:
        if fill:
            if g.fill_cs is CS_GRAY and not g.op_fill:  # most paint: _paint_one's gray case, inline
                counts = self.mode_counts
                counts["Gray"] = counts.get("Gray", 0) + 1
                if rect is not None:
                    lst = self.mode_rects.get("Gray")
                    if lst is None:
                        lst = self.mode_rects["Gray"] = []
                    if len(lst) < 10:
                        lst.append(rect)
            else:
                self._paint_one(g, g.fill_cs, g.fill_color, g.op_fill, rect, text, g.fill_alpha)
        if stroke:
            if g.stroke_cs is CS_GRAY and not g.op_stroke:  # _paint_one's gray case, inline
                counts = self.mode_counts
                counts["Gray"] = counts.get("Gray", 0) + 1
                if rect is not None:
                    lst = self.mode_rects.get("Gray")
                    if lst is None:
                        lst = self.mode_rects["Gray"] = []
                    if len(lst) < 10:
                        lst.append(rect)
            else:
                self._paint_one(g, g.stroke_cs, g.stroke_color, g.op_stroke, rect, text, g.stroke_alpha)
            if not text:
                m = g.ctm
                lw = g.lw * math.sqrt(abs(m[0] * m[3] - m[1] * m[2]))
                thin = self.thin
                if rect is not None and (thin.free or -lw > thin.top):  # thin.wants(lw)
                    thin.push(lw, (round(lw, 3), rect))
                f = self.facts
                low = f.min_stroke
                if low is None or lw < low:  # min(low, lw)
                    f.min_stroke = lw
        if g.blend or g.smask or (fill and g.fill_alpha < 1) or (stroke and g.stroke_alpha < 1):
            if g.blend:  # other blend modes can add ink up; opacity and soft masks only mix colours
                self.facts.tac_needs_render = True
            else:
                self.facts.tac_mixed = True
            if g.blend:
                self.transp.add("blend mode")
            if g.smask:
                self.transp.add("soft mask")
            if (fill and g.fill_alpha < 1) or (stroke and g.stroke_alpha < 1):
                self.transp.add("opacity")
        if rect is not None and not text:
            e = self.edge  # _object_mark("path", rect), inline
            r0, r1, r2, r3 = rect
            if r2 <= e[0] or r0 >= e[2] or r3 <= e[1] or r1 >= e[3]:
                return
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
            marks = self.obj_marks
            if not d < 0.5 and (marks.free or -d > marks.top):  # (a NaN distance is offered, as before)
                marks.push(d, Mark("path", d, rect))

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
        if cs is CS_GRAY and not overprint:  # most paint: what _mode records, and nothing else applies
            counts = self.mode_counts
            counts["Gray"] = counts.get("Gray", 0) + 1
            if rect is not None:
                lst = self.mode_rects.setdefault("Gray", [])
                if len(lst) < 10:
                    lst.append(rect)
            return
        self._mode(cs, rect)
        f = self.facts
        if cs.family == "DeviceCMYK" and len(color) >= 4:
            tac = (color[0] + color[1] + color[2] + color[3]) * 100.0
            if tac > f.tac_vector:
                f.tac_vector = tac
                f.tac_vector_rect = rect
        elif cs.family == "DeviceRGB" and len(color) >= 3:
            # Its ink is the renderer's conversion of this colour (``tac.rgb_ink``): kept, not rendered.
            key = color[:3]
            rgb = f.tac_rgb
            if key not in rgb:
                if len(rgb) < MAX_RGB_COLOURS:
                    rgb[key] = rect
                else:
                    f.tac_needs_render = True
        elif cs.family == "Pattern" and cs.base is not None and cs.base.family in BOUNDED_FAMILIES:
            f.tac_rgb_any = True  # a shading or uncoloured tile in RGB / gray
        elif cs.mode != "Gray" or cs.family == "ICCBased":
            f.tac_needs_render = True
        if overprint:
            f.tac_needs_render = True
        if cs.mode == "CMYK" and is_rich_black(cs, color):  # (never in another mode)
            if text:
                f.rich_black_text += 1
            else:
                f.rich_black_other += 1
            if rect is not None and len(f.rich_black_rects) < 10:
                f.rich_black_rects.append(rect)
        if overprint:
            if is_white(cs, color):
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
        data = read_stream_capped(stream, MAX_CONTENT_BYTES, self.facts)
        ops = parse_ops(self.doc, data)
        # Forms and patterns repeat across pages (logos, backgrounds): keep their parsed operators
        # for the whole document, within a budget.
        if cache_key is not None and self.doc.form_ops_size + len(ops) <= FORM_CACHE_OPS:
            cache[cache_key] = ops
            self.doc.form_ops_size += len(ops)
        return ops

    def run_page(self, page: pikepdf.Page, base: Matrix) -> None:
        f = self.facts
        self.bases = [base]  # the default space of the content being walked (a pattern's reference)
        try:
            data = page_content_bytes(page.obj, f)
            problems: list[str] = []
            ops = parse_ops(self.doc, data, problems)
            if problems:
                f.content_error = "content stream is damaged: " + "; ".join(dict.fromkeys(problems))
        except BudgetExceeded as exc:
            f.content_error = str(exc)
            return
        except UnsupportedFilter:
            return  # recorded in f.unsupported_filters: the file is refused for that, not as damaged
        except MemoryError:
            raise  # the job's memory cap, not damage: the job ends `error` (printgate.worker.memory_cap)
        except Exception as exc:  # broken content stream: a finding, not a crash
            f.content_error = f"content stream could not be parsed ({type(exc).__name__})"
            return
        resources = dict_get(page.obj, "/Resources")
        if resources is None:
            resources = inherited(page.obj, "/Resources")
        note_group(f, dict_get(page.obj, "/Group"))
        try:
            self.walk(ops, resources, GState(base), 0, geometry=True)
        except BudgetExceeded as exc:
            f.content_error = str(exc)
        except RecursionError:
            f.content_error = "content nested too deeply"
        except MemoryError:
            raise
        except Exception as exc:
            f.content_error = f"content stream could not be interpreted ({type(exc).__name__}: {exc})"[:200]

    def walk(self, ops: list[Any], resources: Any, g: GState, depth: int, geometry: bool) -> None:
        # ``q`` saves ``g`` itself, not a copy: ``own`` says whether ``g`` may be changed in place,
        # and the first change after a ``q`` or ``Q`` copies it (most saved states are never changed).
        stack: list[GState] = []
        own = True
        # The current path's points (x, y, x, y...) in user space; its box is taken when it is painted.
        pts: list[float] = []
        tm: Matrix = IDENTITY
        tlm: Matrix = IDENTITY
        cs_res = self.doc.colorspaces
        f = self.facts
        self.ops += getattr(ops, "n_ops", len(ops))  # a path run (``content.scan_ops``) holds several
        if self.ops > MAX_OPS_PER_PAGE:
            raise BudgetExceeded("page content too complex to analyse completely (operator limit reached)")
        if not f.tac_needs_render and redefines_device_spaces(resources):
            f.tac_needs_render = True  # /DefaultRGB etc. change what device colours print as: render
        # Resource look-ups by name, for this content stream (its resources do not change).
        fonts: dict[str, FontMetrics | None] = {}
        gstates: dict[str, tuple[tuple[str, Any], ...] | None] = {}
        spaces: dict[str, CS] = {}
        glyphs: dict[str, tuple[Any, Any, Any]] = {}  # outlined glyph forms by name
        colours: dict[bytes, tuple[float, ...]] = {}  # g G rg RG k K operands, read once per stream
        opcodes = OPCODES
        for op, a in ops:
            try:
                code = opcodes[op]  # (a subscript, not .get(): no call for the commonest step)
            except KeyError:
                code = 0
            if code == 1 and type(a) is bytes:  # a path run from our tokenizer (the commonest): its points
                if geometry:
                    xy = numbers(a) if b"-0" in a else [*map(float, a.split())]
                    if len(xy) & 1:
                        del xy[-1]
                    pts += xy
                    if len(pts) > MAX_PATH_POINTS:
                        pts = box_corners(pts)
                continue
            if code == 0:
                continue
            if code == 5:  # q
                stack.append(g)
                own = False
                if len(stack) > 4096:
                    raise BudgetExceeded("graphics state nested too deeply")
                continue
            if code == 6:  # Q
                if stack:
                    g = stack.pop()
                    own = False
                continue
            if code == 9 and type(a) is bytes:  # g G rg RG k K from our tokenizer: finite floats
                vals = colours.get(a)  # type: ignore[arg-type]
                if vals is None:
                    vals = colours[a] = tuple(numbers(a) if b"-0" in a else [*map(float, a.split())])
                if not own:
                    g = g.copy()
                    own = True
                cs, filling = DEVICE_COLOUR_OPS[op]
                if filling:
                    g.fill_cs, g.fill_color = cs, vals
                else:
                    g.stroke_cs, g.stroke_color = cs, vals
                continue
            if code == 7 and type(a) is bytes:  # cm from our tokenizer: finite floats, mat_mul inline
                cm = numbers(a) if b"-0" in a else [*map(float, a.split())]
                if len(cm) == 6:
                    if not own:
                        g = g.copy()
                        own = True
                    a1, b1, c1, d1, e1, f1 = cm
                    a2, b2, c2, d2, e2, f2 = g.ctm
                    g.ctm = (
                        a1 * a2 + b1 * c2,
                        a1 * b2 + b1 * d2,
                        c1 * a2 + d1 * c2,
                        c1 * b2 + d1 * d2,
                        e1 * a2 + f1 * c2 + e2,
                        e1 * b2 + f1 * d2 + f2,
                    )
                continue
            if type(a) is bytes:  # our tokenizer: a run of numbers (finite), read only when needed
                a = (numbers(a) if b"-0" in a else [*map(float, a.split())]) if a else ()
            if code < 20:  # path construction and painting, graphics state
                if code == 1:  # m l c v y
                    if geometry:
                        if a and type(a[0]) is float:
                            if len(a) & 1:
                                a = a[:-1]
                            pts += a
                        else:
                            pts += [num(v) for v in a[: len(a) & ~1]]
                        if len(pts) > MAX_PATH_POINTS:
                            pts = box_corners(pts)
                elif code == 2:  # re
                    if geometry and len(a) >= 4:
                        try:
                            x, y, w, h = float(a[0]), float(a[1]), float(a[2]), float(a[3])
                        except (TypeError, ValueError):
                            continue
                        if math.isfinite(x + y + w + h):  # no NaN: the box is a min/max
                            pts += (x, y, x + w, y + h)
                            if len(pts) > MAX_PATH_POINTS:
                                pts = box_corners(pts)
                elif code == 3:  # painting
                    if geometry and pts:
                        # min() and max() as conditionals (the same values, in the same order of
                        # comparison), for two points without the slices
                        if len(pts) == 4:
                            px0, py0, px1, py1 = pts
                            x0 = px1 if px1 < px0 else px0
                            y0 = py1 if py1 < py0 else py0
                            x1 = px1 if px1 > px0 else px0
                            y1 = py1 if py1 > py0 else py0
                        else:
                            xs = pts[0::2]
                            ys = pts[1::2]
                            x0, y0, x1, y1 = min(xs), min(ys), max(xs), max(ys)
                        ma, mb, mc, md, me, mf = g.ctm
                        if mb == 0 and mc == 0:  # bbox_of, inline for its common case
                            ax0, ax1 = ma * x0 + me, ma * x1 + me
                            dy0, dy1 = md * y0 + mf, md * y1 + mf
                            rect: Rect | None = (ax1 if ax1 < ax0 else ax0, dy1 if dy1 < dy0 else dy0,
                                                 ax1 if ax1 > ax0 else ax0, dy1 if dy1 > dy0 else dy0)
                        else:
                            rect = bbox_of(g.ctm, x0, y0, x1, y1)
                        pts = []
                    else:
                        rect = None
                    fill, stroke = PAINT_OPS[op]
                    if (
                        stroke or rect is None or g.fill_cs is not CS_GRAY or g.op_fill or g.blend or g.smask
                        or g.fill_alpha < 1
                    ):
                        self.paint(g, rect, fill, stroke)
                        continue
                    # paint(g, rect, True, False), inline for its commonest case: a gray fill
                    counts = self.mode_counts
                    counts["Gray"] = counts.get("Gray", 0) + 1
                    lst = self.mode_rects.get("Gray")
                    if lst is None:
                        lst = self.mode_rects["Gray"] = []
                    if len(lst) < 10:
                        lst.append(rect)
                    e = self.edge
                    r0, r1, r2, r3 = rect
                    if r2 <= e[0] or r0 >= e[2] or r3 <= e[1] or r1 >= e[3]:
                        continue
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
                    marks = self.obj_marks
                    if not d < 0.5 and (marks.free or -d > marks.top):  # marks.wants(d)
                        marks.push(d, Mark("path", d, rect))
                elif code == 4:  # n
                    pts = []
                elif code == 7:  # cm
                    if len(a) == 6:
                        if not own:
                            g = g.copy()
                            own = True
                        g.ctm = mat_mul(matrix(a), g.ctm)
                elif code == 8:  # w
                    if a:
                        if not own:
                            g = g.copy()
                            own = True
                        v = a[0]
                        g.lw = v if type(v) is float else num(v, 1.0)  # (our tokenizer's floats are finite)
                elif code == 9:  # g G rg RG k K (operands from pikepdf)
                    if not own:
                        g = g.copy()
                        own = True
                    if a and type(a[0]) is float:  # our tokenizer: all floats already
                        vals = tuple(a)
                    else:
                        try:
                            vals = tuple(map(float, a))
                        except (TypeError, ValueError):
                            vals = tuple(num(v) for v in a)
                    cs, filling = DEVICE_COLOUR_OPS[op]
                    if filling:
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
                        if not own:
                            g = g.copy()
                            own = True
                        init = (0.0,) * max(cs.n, 1)
                        if cs.mode == "CMYK" and cs.family == "DeviceCMYK":
                            init = (0.0, 0.0, 0.0, 1.0)
                        if op == "cs":
                            g.fill_cs, g.fill_color = cs, init
                        else:
                            g.stroke_cs, g.stroke_color = cs, init
                elif code == 11:  # sc scn SC SCN
                    if not own:
                        g = g.copy()
                        own = True
                    vals = tuple(num(v) for v in a if not isinstance(v, NAME_TYPES))
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
                                settings = gstates[key] = extgstate_settings(self.doc, resources, key)
                        else:
                            settings = extgstate_settings(self.doc, resources, key)
                        if settings:
                            if not own:
                                g = g.copy()
                                own = True
                            for attr, value in settings:
                                if attr == RENDER_MARK:
                                    f.tac_needs_render = True
                                else:
                                    setattr(g, attr, value)
                elif code == 13:  # sh
                    if a:
                        sh = dict_get(dict_get(resources, "/Shading"), "/" + pdf_name(a[0]))
                        if sh is not None:
                            sh_cs = cs_res.resolve(dict_get(sh, "/ColorSpace"), resources)
                            if sh_cs.family in BOUNDED_FAMILIES:
                                f.tac_rgb_any = True
                            else:
                                f.tac_needs_render = True
                            self._mode(sh_cs, None)
                elif code == 14 and a and pdf_name(a[0]) == "OC":  # BDC BMC
                    f.oc_used = True
                elif code == 15:  # ri: another rendering intent than the one ink bounds assume
                    f.tac_needs_render = True
            else:  # text, XObjects, inline images
                if not own and (code == 22 or (code >= 26 and code <= 31) or op == "TD" or op == '"'):
                    g = g.copy()  # the text state is part of the graphics state
                    own = True
                if code == 20:  # Tj TJ ' "
                    if op != "Tj" and op != "TJ":
                        tm = tlm = mat_mul((1, 0, 0, 1, 0, -g.tl), tlm)
                        if op == '"' and len(a) >= 3:
                            g.tw, g.tc = num(a[0]), num(a[1])
                            a = a[2:]
                    tm = show_text(self, g, tm, a, op == "TJ", geometry)
                elif code == 21:  # Td TD
                    if len(a) >= 2:
                        tx, ty = a[0], a[1]
                        if type(tx) is not float or type(ty) is not float:  # not our tokenizer's finite floats
                            tx, ty = num(tx), num(ty)
                        if op == "TD":
                            g.tl = -ty
                        la, lb, lc, ld, le, lf = tlm  # mat_mul((1, 0, 0, 1, tx, ty), tlm), inline
                        tm = tlm = (la + 0 * lc, lb + 0 * ld, 0 * la + lc, 0 * lb + ld,
                                    tx * la + ty * lc + le, tx * lb + ty * ld + lf)
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
                        v = a[1]
                        g.font_size = v if type(v) is float else num(v)
                elif code == 23:  # BT
                    tm = tlm = IDENTITY
                elif code == 24:  # Tm
                    if len(a) == 6:
                        tm = tlm = matrix(a)
                elif code == 25:  # T*
                    tm = tlm = mat_mul((1, 0, 0, 1, 0, -g.tl), tlm)
                elif code == 26:  # TL
                    if a:
                        g.tl = num(a[0])
                elif code == 27:  # Tc
                    if a:
                        g.tc = num(a[0])
                elif code == 28:  # Tw
                    if a:
                        g.tw = num(a[0])
                elif code == 29:  # Tz
                    if a:
                        g.th = num(a[0], 100.0) / 100.0
                elif code == 30:  # Ts
                    if a:
                        g.trise = num(a[0])
                elif code == 31:  # Tr
                    if a:
                        g.tr = int(num(a[0]))
                elif code == 32:  # Do
                    if a:
                        glyph = glyphs.get(a[0]) if type(a[0]) is PName else None
                        if glyph is not None:  # an outlined glyph met before in this stream
                            outlined_text(self, g, glyph[0], glyph[1], glyph[2], geometry)
                        elif self._do(g, resources, a[0], depth, geometry) and type(a[0]) is PName:
                            glyphs[a[0]] = self.last_glyph
                elif code == 33 and a:  # inline image
                    self._inline_image(g, a[0], resources, geometry)

    def _pattern_cs(self, name: Any, resources: Any, current: CS, depth: int) -> CS:
        pat = dict_get(dict_get(resources, "/Pattern"), "/" + pdf_name(name))
        if pat is None:
            return current
        ptype = int(num(dict_get(pat, "/PatternType"), 0))
        if ptype == 2:
            sh = dict_get(pat, "/Shading")
            cs = self.doc.colorspaces.resolve(dict_get(sh, "/ColorSpace"), resources) if sh is not None else None
            if cs is not None:
                return CS("Pattern", "Pattern", cs.n, base=cs)
        elif ptype == 1 and depth < MAX_FORM_DEPTH:
            key = objkey(pat)
            if key is not None and key not in self.stack:
                self.stack.append(key)
                try:
                    ops = self._ops(pat, key)
                    res = dict_get(pat, "/Resources") or resources
                    # The pattern matrix maps the tile onto the default space of the content that
                    # uses it: images and text in a tile are measured at the size they print.
                    tile = mat_mul(matrix(dict_get(pat, "/Matrix")), self.bases[-1])
                    self.walk(ops, res, GState(tile), depth + 1, geometry=False)
                except BudgetExceeded:
                    raise
                except Exception:
                    pass
                finally:
                    self.stack.pop()
        return current

    def _font(self, resources: Any, name: Any) -> tuple[FontMetrics | None, bool]:
        """The font and whether the same name may reuse it (direct font objects are read each time)."""
        fdict = dict_get(dict_get(resources, "/Font"), "/" + pdf_name(name))
        if fdict is None:
            return None, True
        fm = self.doc.font(fdict, pdf_name(name))
        self.fonts.add(fm.info.key)
        return fm, objkey(fdict) is not None

    def _do(self, g: GState, resources: Any, name: Any, depth: int, geometry: bool) -> bool:
        """Paint an XObject; True when it was a plain outlined glyph (``self.last_glyph``)."""
        xobj = dict_get(dict_get(resources, "/XObject"), "/" + pdf_name(name))
        if xobj is None:
            return False
        sub = pdf_name(dict_get(xobj, "/Subtype"))
        if sub == "Image":
            self._image(g, xobj, resources, geometry, inline=False)
        elif sub == "Form":
            if depth >= MAX_FORM_DEPTH:
                raise BudgetExceeded("form XObjects nested too deeply")
            key = objkey(xobj)
            if key is not None and key in self.stack:
                self.doc.warn("form XObject refers to itself (loop ignored)")
                return False
            marker = dict_get(xobj, OUTLINED_TEXT_KEY)
            if marker is not None and outlined_text(self, g, xobj, key, marker, geometry):
                self.last_glyph = (xobj, key, marker)
                return True  # a plain glyph shape: judged as its text was, and not walked
            if key is not None:
                self.stack.append(key)
            try:
                ops = self._ops(xobj, key)
                res = dict_get(xobj, "/Resources")
                if res is None:
                    res = resources
                note_group(self.facts, dict_get(xobj, "/Group"))
                inner = g.copy()
                inner.ctm = mat_mul(matrix(dict_get(xobj, "/Matrix")), g.ctm)
                self.bases.append(inner.ctm)
                try:
                    self.walk(ops, res, inner, depth + 1, geometry)
                finally:
                    self.bases.pop()
            except (BudgetExceeded, RecursionError):
                raise
            except UnsupportedFilter:
                pass  # recorded in the page's unsupported_filters
            except Exception as exc:
                self.doc.warn(f"form XObject could not be read ({type(exc).__name__})")
            finally:
                if key is not None:
                    self.stack.pop()
        return False

    def _image(self, g: GState, img: Any, resources: Any, geometry: bool, inline: bool) -> None:
        info = self.doc.image_info(img, resources)
        w, h, bits, cs, filters, is_mask, has_smask = info
        if filters and not SUPPORTED_FILTERS.issuperset(filters):
            self.facts.unsupported_filters.extend(x for x in filters if x not in SUPPORTED_FILTERS)
        m = g.ctm
        sx = math.hypot(m[0], m[1])
        sy = math.hypot(m[2], m[3])
        dpi_x = w / (sx / 72.0) if sx > 1e-6 else 0.0
        dpi_y = h / (sy / 72.0) if sy > 1e-6 else 0.0
        rect = bbox_of(m, 0, 0, 1, 1)
        f = self.facts
        f.image_count += 1
        if is_mask:
            pass  # a stencil: painted in the current colour, recorded below
        elif cs.family in BOUNDED_FAMILIES and bits <= 16:
            f.tac_rgb_any = True
        elif cs.family == "Indexed" and cs.base is not None and cs.base.family in BOUNDED_FAMILIES and bits <= 8:
            f.tac_rgb_any = True  # a palette of RGB / gray colours: bounded as an RGB image is, no render
        else:
            f.tac_needs_render = True
        f.max_image_pixels = max(f.max_image_pixels, w * h)
        if is_mask:
            self._paint_one(g, g.fill_cs, g.fill_color, g.op_fill, rect, False, g.fill_alpha)
        else:
            self._mode(cs, rect)
        if g.blend:
            f.tac_needs_render = True
        elif has_smask or g.smask or g.fill_alpha < 1:
            f.tac_mixed = True
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

