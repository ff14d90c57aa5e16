"""Content streams read operator by operator with the graphics state that matters for PDF/A and PDF/UA.

One walk over every page, form XObject, tiling pattern, Type 3 glyph procedure and annotation
appearance collects what was *used*: colour spaces (with the Default colour spaces in force),
images, fonts with the character codes shown and their text rendering modes, ExtGStates, rendering
intents, undefined operators, ``q`` nesting depth and marked content (tagged or artifact). Facts are
deduplicated by object, so memory grows with the number of distinct resources, not with pages; facts
recorded per occurrence (hexadecimal strings, rendering intents, marked-content Lang) are kept as runs
of equal items, so a page's thousands of hex strings shown in one font cost one entry, not thousands.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, TypeVar

import pikepdf

from printgate.core.validation.chunks import adopt, detach
from printgate.core.validation.kept import KeptFont, KeptStream, Shared

_HEX = re.compile(rb"(?<!<)<(?!<)([^<>]*)>")
OPERATORS = frozenset(
    ["b", "B", "b*", "B*", "BDC", "BI", "BMC", "BT", "BX", "c", "cm", "CS", "cs", "d", "d0", "d1", "Do", "DP", "EI", "EMC", "ET", "EX", "f", "F", "f*", "G", "g", "gs", "h", "i", "ID", "j", "J", "K", "k", "l", "m", "M", "MP", "n", "q", "Q", "re", "RG", "rg", "ri", "s", "S", "SC", "sc", "SCN", "scn", "sh", "T*", "Tc", "Td", "TD", "Tf", "Tj", "TJ", "TL", "Tm", "Tr", "Ts", "Tw", "Tz", "v", "w", "W", "W*", "y", "'", '"']
)
_TEXT_SHOW = frozenset(("Tj", "TJ", "'", '"'))
_PAINT = frozenset(["b", "B", "b*", "B*", "f", "F", "f*", "S", "s"])
_INLINE_CS = {"/G": "/DeviceGray", "/RGB": "/DeviceRGB", "/CMYK": "/DeviceCMYK", "/I": "/Indexed"}
MAX_FORM_DEPTH = 24
_STRING, _NAME = pikepdf.ObjectType.string, pikepdf.ObjectType.name_
_ARRAY, _DICT = pikepdf.ObjectType.array, pikepdf.ObjectType.dictionary


T = TypeVar("T")


class Runs(Generic[T]):
    """A sequence of facts recorded per occurrence, kept as runs of equal consecutive items: iterating
    yields every item in order, as the list it replaces would, while memory grows with the changes
    (a new page, a new verdict), not with the occurrences (a LuaTeX book shows 300,000 hex strings)."""

    __slots__ = ("_len", "_runs")

    def __init__(self) -> None:
        self._runs: list[list[Any]] = []  # [item, count]
        self._len = 0

    def append(self, item: T) -> None:
        if self._runs and self._runs[-1][0] == item:
            self._runs[-1][1] += 1
        else:
            self._runs.append([item, 1])
        self._len += 1

    def __iter__(self) -> Iterator[T]:
        for item, count in self._runs:
            for _ in range(count):
                yield item

    def __len__(self) -> int:
        return self._len

    def __repr__(self) -> str:
        return f"Runs({self._len} items in {len(self._runs)} runs)"


def key_of(obj: Any) -> Any:
    if (isinstance(obj, pikepdf.Object) and obj.is_indirect) or isinstance(obj, KeptStream):
        return obj.objgen
    return id(obj)


class CodeSet(set[bytes]):
    """The strings a font shows, kept as the character codes they hold where the code length is known
    (one byte for simple fonts, two for a Type 0 font with Identity-H/V): every check splits a string into
    the same codes, so the set reads the same, while its size is bounded by the font's code space, not by
    the distinct words of the text (a 345-page manual shows 16,000 distinct strings in 43 fonts)."""

    def __init__(self, unit: int) -> None:
        super().__init__()
        self.unit = unit  # bytes per code; 0: the font's CMap decides, strings are kept whole

    def add(self, shown: bytes) -> None:
        unit = self.unit
        if not unit or len(shown) <= unit:
            super().add(shown)
        elif unit == 1:
            super().update(map(_ONE_BYTE.__getitem__, shown))  # split in C: a page shows thousands of strings
        else:
            super().update(_TWO_BYTES.findall(shown))


_ONE_BYTE = [bytes((b,)) for b in range(256)]
_TWO_BYTES = re.compile(rb"..?", re.S)  # two-byte codes; an odd last byte alone, as the checks read it


def code_unit(font: pikepdf.Dictionary) -> int:
    """Bytes per character code of ``font``: 1 for a simple font, 2 for a Type 0 font with Identity-H/V,
    0 (strings kept whole) where a CMap with codes of several lengths may decide."""
    if font.get("/Subtype") != pikepdf.Name("/Type0"):
        return 1
    return 2 if font.get("/Encoding") in (pikepdf.Name("/Identity-H"), pikepdf.Name("/Identity-V")) else 0


class FontUse:
    """A font used, where first, the codes it shows and its text rendering modes."""

    __slots__ = ("_font", "codes", "modes", "where")

    def __init__(self, font: pikepdf.Dictionary, where: str) -> None:
        self._font: pikepdf.Dictionary | KeptFont = font
        self.where = where
        self.codes = CodeSet(code_unit(font))
        self.modes: set[int] = set()

    @property
    def font(self) -> pikepdf.Dictionary:
        kept = self._font
        return kept.dictionary() if isinstance(kept, KeptFont) else kept

    @font.setter
    def font(self, value: pikepdf.Dictionary | KeptFont) -> None:
        self._font = value


@dataclass
class ColourUse:
    cs: Any  # a Name or an Array
    where: str
    defaults: frozenset[str]  # the Default* colour spaces in the resources in force
    # "fill"/"stroke"/"image"/"shading"/"group"/"annotation"; painting ops need no distinction
    how: str = "fill"


@dataclass
class ContentFacts:
    colours: list[ColourUse] = field(default_factory=list)
    # images and forms: pikepdf streams, or a large file's ``KeptStream``s (read as streams are: get, in, objgen)
    images: list[tuple[Any, str]] = field(default_factory=list)
    inline_images: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    forms: list[tuple[Any, str]] = field(default_factory=list)
    fonts: dict[Any, FontUse] = field(default_factory=dict)
    ext_gstates: list[tuple[pikepdf.Dictionary, str]] = field(default_factory=list)
    intents: Runs[tuple[str, str]] = field(default_factory=Runs)
    undefined_ops: list[tuple[str, str]] = field(default_factory=list)
    max_q_depth: int = 0
    unmarked_content: list[str] = field(default_factory=list)  # painted outside any tag or artifact
    mcids: dict[Any, set[int]] = field(default_factory=dict)  # page key -> MCIDs used in its content
    artifact_in_tagged: list[str] = field(default_factory=list)
    tagged_in_artifact: list[str] = field(default_factory=list)
    # Span marked content: (has ActualText, has Alt, has E, Lang in force, where, page key, enclosing MCID)
    spans: list[tuple[bool, bool, bool, bool, str, Any, int | None]] = field(default_factory=list)
    mc_langs: Runs[tuple[str, str]] = field(default_factory=Runs)
    # text shown with no Lang from marked content: (page key, innermost MCID or None, where)
    text_without_lang: list[tuple[Any, int | None, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    big_ints: list[tuple[str, int]] = field(default_factory=list)  # numeric operands beyond the limits
    big_reals: list[tuple[str, float]] = field(default_factory=list)  # beyond 32767, or nonzero below 1.175e-38
    long_strings: list[tuple[str, int]] = field(default_factory=list)  # operand strings over 32767 bytes
    long_names: list[tuple[str, int]] = field(default_factory=list)  # operand names over 127 bytes
    big_arrays: list[tuple[str, int]] = field(default_factory=list)  # operand arrays over 8191 elements
    big_dicts: list[tuple[str, int]] = field(default_factory=list)  # inline dictionaries over 4095 entries
    hex_strings: Runs[tuple[str, bool, bool]] = field(default_factory=Runs)  # where, even digits, only hex
    # named resources a stream uses but does not define itself: inherited from a parent, or nowhere
    inherited_names: list[str] = field(default_factory=list)
    undefined_names: list[str] = field(default_factory=list)
    # ICCBased CMYK painted with overprint on for that operation and overprint mode 1
    overprint_icc_cmyk: list[str] = field(default_factory=list)
    form_paints: dict[Any, int] = field(default_factory=dict)  # form XObject key -> times painted (Do)
    _seen_cs: set[Any] = field(default_factory=set)
    _seen: set[Any] = field(default_factory=set)
    # direct objects read from a closed chunk's handle, kept so their id() (their key) is not reused
    _pinned: list[Any] = field(default_factory=list)

    def use_colour(self, cs: Any, where: str, defaults: frozenset[str], how: str = "fill") -> None:
        k = (key_of(cs) if not isinstance(cs, pikepdf.Name) else str(cs), defaults, how)
        if k in self._seen_cs:
            return
        self._seen_cs.add(k)
        self.colours.append(ColourUse(cs, where, defaults, how))


def _defaults(resources: Any) -> frozenset[str]:
    css = resources.get("/ColorSpace") if isinstance(resources, pikepdf.Dictionary) else None
    if not isinstance(css, pikepdf.Dictionary):
        return frozenset()
    return frozenset(k for k in ("/DefaultRGB", "/DefaultCMYK", "/DefaultGray") if k in css)


def is_icc_cmyk(cs: Any) -> bool:
    if isinstance(cs, pikepdf.Array) and len(cs) >= 2 and cs[0] == pikepdf.Name("/ICCBased"):
        prof = cs[1]
        return isinstance(prof, pikepdf.Stream) and prof.get("/N") == 4
    return False


def resolve_cs(name: Any, resources: Any) -> Any:
    if isinstance(name, pikepdf.Name) and str(name) not in (
            "/DeviceRGB", "/DeviceCMYK", "/DeviceGray", "/Pattern"):
        css = resources.get("/ColorSpace") if isinstance(resources, pikepdf.Dictionary) else None
        if isinstance(css, pikepdf.Dictionary) and name in css:
            return css[name]
    return name


class Walker:
    def __init__(self, facts: ContentFacts) -> None:
        self.facts = facts
        # The marked-content stack in force where a nested stream (form XObject) is painted.
        self.outer: list[tuple[str, str | None, int | None]] = []

    def walk(self, stream: Any, resources: Any, where: str, depth: int = 0, page_key: Any = None,
             inherited_defaults: frozenset[str] = frozenset(), inherited: bool = False) -> None:
        f = self.facts
        if depth > MAX_FORM_DEPTH:
            return
        if not isinstance(resources, pikepdf.Dictionary):
            resources = pikepdf.Dictionary()
        defaults = _defaults(resources) | (inherited_defaults if depth else frozenset())
        self._scan_hex(stream, where)
        try:
            instructions = pikepdf.parse_content_stream(stream)
        except Exception as exc:
            f.errors.append(f"{where}: content stream cannot be parsed: {exc}")
            return
        def lookup(category: str, name: Any) -> Any:
            table = resources.get(category)
            found = table.get(str(name)) if isinstance(table, pikepdf.Dictionary) else None
            if found is None:
                if len(f.undefined_names) < 100:
                    f.undefined_names.append(f"{where} {category[1:]} {name}")
            elif inherited and len(f.inherited_names) < 100:
                f.inherited_names.append(f"{where} {category[1:]} {name}")
            return found

        q_depth = 0
        fill_cs: Any = pikepdf.Name("/DeviceGray")
        stroke_cs: Any = pikepdf.Name("/DeviceGray")
        font_use: FontUse | None = None
        mode = 0
        overprint = (False, False, 0)  # stroke (OP), fill (op), OPM
        stroke_set = False  # the stroke colour was set in this stream (not the initial DeviceGray)
        stack: list[tuple[Any, Any, FontUse | None, int, tuple[bool, bool, int], bool]] = []
        marked: list[tuple[str, str | None, int | None]] = list(self.outer)  # (artifact|tagged|other, Lang, MCID)
        for ins in instructions:
            if isinstance(ins, pikepdf.ContentStreamInlineImage):
                img = ins.iimage
                d = {str(k): img.obj.get(str(k)) for k in img.obj} if hasattr(img, "obj") else {}
                f.inline_images.append((d, where))
                cs = d.get("/ColorSpace", d.get("/CS"))
                if cs is not None and not (isinstance(d.get("/ImageMask", d.get("/IM")), bool)
                                           and d.get("/ImageMask", d.get("/IM"))):
                    if isinstance(cs, pikepdf.Name) and str(cs) in _INLINE_CS:
                        cs = pikepdf.Name(_INLINE_CS[str(cs)])
                    f.use_colour(resolve_cs(cs, resources), where, defaults, "image")
                self._content(marked, where)
                continue
            op = str(ins.operator)
            ops = ins.operands
            for v in ops:
                t = type(v)
                if t is int:
                    if not -2147483648 <= v <= 2147483647:
                        f.big_ints.append((where, int(v)))
                elif t is Decimal:
                    x = float(v)
                    if x > 32767.0 or x < -32767.0 or (-1.175e-38 < x < 1.175e-38 and v):
                        f.big_reals.append((where, x))
                elif t is pikepdf.Object and op not in _TEXT_SHOW:  # shown strings: measured in _shown
                    _measure_operand(v, where, f, 0)
            if op not in OPERATORS:
                f.undefined_ops.append((op, where))
                continue
            if op == "q":
                q_depth += 1
                f.max_q_depth = max(f.max_q_depth, q_depth)
                stack.append((fill_cs, stroke_cs, font_use, mode, overprint, stroke_set))
            elif op == "Q":
                q_depth -= 1
                if stack:
                    fill_cs, stroke_cs, font_use, mode, overprint, stroke_set = stack.pop()
            elif op in ("cs", "CS") and ops:
                if isinstance(ops[0], pikepdf.Name) and str(ops[0]) not in (
                        "/DeviceRGB", "/DeviceCMYK", "/DeviceGray", "/Pattern"):
                    lookup("/ColorSpace", ops[0])
                cs = resolve_cs(ops[0], resources)
                if op == "cs":
                    fill_cs = cs
                else:
                    stroke_cs, stroke_set = cs, True
            elif op in ("g", "G"):
                cs = pikepdf.Name("/DeviceGray")
                fill_cs, stroke_cs = (cs, stroke_cs) if op == "g" else (fill_cs, cs)
                stroke_set = stroke_set or op == "G"
            elif op in ("rg", "RG"):
                cs = pikepdf.Name("/DeviceRGB")
                fill_cs, stroke_cs = (cs, stroke_cs) if op == "rg" else (fill_cs, cs)
                stroke_set = stroke_set or op == "RG"
            elif op in ("k", "K"):
                cs = pikepdf.Name("/DeviceCMYK")
                fill_cs, stroke_cs = (cs, stroke_cs) if op == "k" else (fill_cs, cs)
                stroke_set = stroke_set or op == "K"
            elif op in ("scn", "SCN") and ops and isinstance(ops[-1], pikepdf.Name):
                self._pattern(ops[-1], resources, where, depth, defaults)
            elif op in _PAINT:
                strokes, fills = op in ("S", "s", "B", "B*", "b", "b*"), op not in ("S", "s")
                if strokes:
                    f.use_colour(stroke_cs, where, defaults, "stroke")
                if fills:
                    f.use_colour(fill_cs, where, defaults)
                self._overprint(overprint, stroke_cs if strokes else None, fill_cs if fills else None, where)
                self._content(marked, where)
            elif op == "sh" and ops:
                sh = lookup("/Shading", ops[0])
                if isinstance(sh, pikepdf.Dictionary | pikepdf.Stream):
                    cs = sh.get("/ColorSpace")
                    if cs is not None:
                        f.use_colour(resolve_cs(cs, resources), where, defaults, "shading")
                self._content(marked, where)
            elif op == "gs" and ops:
                gs = lookup("/ExtGState", ops[0])
                if isinstance(gs, pikepdf.Dictionary):
                    overprint = _gs_overprint(gs, overprint)
                    k = key_of(gs)
                    if ("gs", k) not in f._seen:
                        f._seen.add(("gs", k))
                        f.ext_gstates.append((gs, where))
            elif op == "ri" and ops:
                f.intents.append((str(ops[0]), where))
            elif op == "Tf" and ops:
                font = lookup("/Font", ops[0])
                if isinstance(font, pikepdf.Dictionary):
                    k = key_of(font)
                    font_use = f.fonts.get(k)
                    if font_use is None:
                        font_use = f.fonts[k] = FontUse(font, where)
                    self._type3(font, where, depth, defaults, resources)
                else:
                    font_use = None
            elif op == "Tr" and ops:
                try:
                    mode = int(ops[0])
                except (TypeError, ValueError):
                    mode = 0
            elif op in _TEXT_SHOW and ops:
                if font_use is not None:
                    font_use.modes.add(mode)
                self._shown(ops[-1], font_use, where)
                if mode not in (3, 7):  # text paints with the fill and the stroke colour as veraPDF counts them;
                    f.use_colour(fill_cs, where, defaults)  # a stroke colour never set is not used by filled text
                    if stroke_set or mode in (1, 2, 5, 6):
                        f.use_colour(stroke_cs, where, defaults, "stroke")
                    self._overprint(overprint, stroke_cs if mode in (1, 2, 5, 6) else None,
                                    fill_cs if mode in (0, 2, 4, 6) else None, where)
                self._content(marked, where)
            elif op == "Do" and ops:
                x = lookup("/XObject", ops[0])
                if isinstance(x, pikepdf.Stream):
                    if x.get("/Subtype") != pikepdf.Name("/Image"):
                        fk = key_of(x)
                        f.form_paints[fk] = f.form_paints.get(fk, 0) + 1
                    saved, self.outer = self.outer, list(marked)
                    try:
                        self._xobject(x, where, depth, defaults, page_key, resources)
                    finally:
                        self.outer = saved
                    if x.get("/Subtype") == pikepdf.Name("/Image"):
                        self._content(marked, where)
            elif op in ("BMC", "BDC") and ops:
                tag = str(ops[0])
                props = ops[1] if len(ops) > 1 else None
                if isinstance(props, pikepdf.Name):
                    props = lookup("/Properties", props)
                kinds = [m[0] for m in marked]
                lang = None
                mcid = None
                if isinstance(props, pikepdf.Dictionary):
                    if "/Lang" in props:
                        lang = str(props["/Lang"])
                        f.mc_langs.append((lang, where))
                    if "/MCID" in props:
                        try:
                            mcid = int(props["/MCID"])
                        except (TypeError, ValueError):
                            mcid = None
                inherited = any(m[1] for m in marked)
                if tag == "/Artifact":
                    if "tagged" in kinds:
                        f.artifact_in_tagged.append(where)
                    marked.append(("artifact", lang, None))
                elif mcid is not None:
                    if "artifact" in kinds:
                        f.tagged_in_artifact.append(where)
                    f.mcids.setdefault(page_key, set()).add(mcid)
                    marked.append(("tagged", lang, mcid))
                else:
                    marked.append(("other", lang, None))
                if tag == "/Span" and isinstance(props, pikepdf.Dictionary):
                    mcid_in = mcid if mcid is not None else next(
                        (m[2] for m in reversed(marked[:-1]) if m[2] is not None), None)
                    f.spans.append(("/ActualText" in props, "/Alt" in props, "/E" in props,
                                    lang is not None or inherited, where, page_key, mcid_in))
            elif op == "EMC" and marked:
                marked.pop()
            if op in _TEXT_SHOW and ops and len(f.text_without_lang) < 1000 and not any(m[1] for m in marked):
                mcid_in = next((m[2] for m in reversed(marked) if m[2] is not None), None)
                if not any(m[0] == "artifact" for m in marked):
                    f.text_without_lang.append((page_key, mcid_in, where))

    def _shown(self, arg: Any, font_use: FontUse | None, where: str) -> None:
        """The codes a text-showing operator shows, and the implementation limits of its operand (the
        strings, and a TJ array's length and numbers), read in the one pass over its items."""
        f = self.facts
        if type(arg) is pikepdf.Object and arg._type_code is _ARRAY:
            items: Any = arg.as_list()
            if len(items) > 8191:
                f.big_arrays.append((where, len(items)))
        else:
            items = (arg,)
        codes = font_use.codes if font_use is not None and len(font_use.codes) < 65536 else None
        for item in items:
            t = type(item)
            if t is pikepdf.Object:
                if item._type_code is _STRING:
                    b = bytes(item)
                    if len(b) > 32767:
                        f.long_strings.append((where, len(b)))
                    if codes is not None:
                        codes.add(b)
            elif t is Decimal:
                x = float(item)
                if x > 32767.0 or x < -32767.0 or (-1.175e-38 < x < 1.175e-38 and item):
                    f.big_reals.append((where, x))
            elif t is int and not -2147483648 <= item <= 2147483647:
                f.big_ints.append((where, item))

    def _overprint(self, state: tuple[bool, bool, int], stroke_cs: Any, fill_cs: Any, where: str) -> None:
        """ISO 19005-2 6.2.4.2 / -4 6.2.4.2: OPM 1 is not used where ICCBased CMYK paints with overprint on."""
        op_stroke, op_fill, opm = state
        if opm != 1 or len(self.facts.overprint_icc_cmyk) >= 100:
            return
        if (op_stroke and is_icc_cmyk(stroke_cs)) or (op_fill and is_icc_cmyk(fill_cs)):
            self.facts.overprint_icc_cmyk.append(where)

    def _scan_hex(self, stream: Any, where: str) -> None:
        """Hexadecimal strings of a content stream, read from its bytes (the parser forgets how a string
        was written). Literal strings and inline image data are skipped."""
        try:
            if isinstance(stream, pikepdf.Stream):
                data = stream.read_bytes()
            else:
                contents = stream.get("/Contents")
                parts = contents if isinstance(contents, pikepdf.Array) else [contents]
                data = b"\n".join(p.read_bytes() for p in parts if isinstance(p, pikepdf.Stream))
        except Exception:
            return
        if len(data) > 8_000_000:
            return
        data = re.sub(rb"\bID\s.*?\sEI\b", b" ", data, flags=re.S)
        data = re.sub(rb"\((?:\\.|[^\\()])*\)", b"()", data, flags=re.S)
        for m in _HEX.finditer(data):
            digits = re.sub(rb"[ \t\r\n\f\x00]", b"", m.group(1))
            self.facts.hex_strings.append((where, len(digits) % 2 == 0,
                                           bool(re.fullmatch(rb"[0-9A-Fa-f]*", digits))))

    def _content(self, marked: list[tuple[str, str | None, int | None]], where: str) -> None:
        if not any(m[0] in ("artifact", "tagged") for m in marked) and len(self.facts.unmarked_content) < 100:
            self.facts.unmarked_content.append(where)

    def _xobject(self, x: pikepdf.Stream, where: str, depth: int, defaults: frozenset[str], page_key: Any,
                 parent_resources: Any = None) -> None:
        f = self.facts
        sub = x.get("/Subtype")
        k = key_of(x)
        if sub == pikepdf.Name("/Image"):
            if ("img", k, defaults) not in f._seen:
                f._seen.add(("img", k, defaults))
                f.images.append((x, where))
                if not x.get("/ImageMask", False):
                    cs = x.get("/ColorSpace")
                    if cs is not None:
                        f.use_colour(cs, where, defaults, "image")
                smask = x.get("/SMask")
                if isinstance(smask, pikepdf.Stream):
                    f.images.append((smask, where))
        elif sub == pikepdf.Name("/Form") or sub is None:
            if ("form", k) in f._seen:
                return
            f._seen.add(("form", k))
            f.forms.append((x, where))
            group = x.get("/Group")
            if isinstance(group, pikepdf.Dictionary) and "/CS" in group:
                f.use_colour(group["/CS"], where, defaults, "group")
            own = "/Resources" in x or parent_resources is None
            self.walk(x, x.get("/Resources") if own else parent_resources,
                      f"{where} > form {k[0] if isinstance(k, tuple) else ''}".rstrip(),
                      depth + 1, page_key, defaults, inherited=not own)

    def _pattern(self, name: Any, resources: Any, where: str, depth: int, defaults: frozenset[str]) -> None:
        pats = resources.get("/Pattern")
        pat = pats.get(name) if isinstance(pats, pikepdf.Dictionary) else None
        if pat is None:
            return
        k = key_of(pat)
        if ("pat", k) in self.facts._seen:
            return
        self.facts._seen.add(("pat", k))
        if isinstance(pat, pikepdf.Stream) and pat.get("/PatternType") == 1:
            saved, self.outer = self.outer, [("artifact", None, None)]
            try:
                self.walk(pat, pat.get("/Resources"), f"{where} > pattern", depth + 1, None, defaults)
            finally:
                self.outer = saved
        elif isinstance(pat, pikepdf.Dictionary | pikepdf.Stream):
            sh = pat.get("/Shading")
            if isinstance(sh, pikepdf.Dictionary | pikepdf.Stream) and "/ColorSpace" in sh:
                self.facts.use_colour(resolve_cs(sh["/ColorSpace"], resources), where, defaults, "shading")
            gs = pat.get("/ExtGState")
            if isinstance(gs, pikepdf.Dictionary):
                self.facts.ext_gstates.append((gs, where))

    def _type3(self, font: pikepdf.Dictionary, where: str, depth: int, defaults: frozenset[str],
               parent_resources: Any = None) -> None:
        if font.get("/Subtype") != pikepdf.Name("/Type3"):
            return
        k = key_of(font)
        if ("t3", k) in self.facts._seen:
            return
        self.facts._seen.add(("t3", k))
        procs = font.get("/CharProcs")
        if isinstance(procs, pikepdf.Dictionary):
            for name in sorted(procs.keys())[:512]:  # keys() is a set: sorted, the report is the same every run
                proc = procs.get(name)
                if isinstance(proc, pikepdf.Stream):
                    saved, self.outer = self.outer, [("artifact", None, None)]
                    try:
                        own = "/Resources" in font or parent_resources is None
                        self.walk(proc, font.get("/Resources") if own else parent_resources,
                                  f"{where} > Type3 glyph {name}", depth + 1, None, defaults, inherited=not own)
                    finally:
                        self.outer = saved


def _measure_operand(v: Any, where: str, f: ContentFacts, depth: int) -> None:
    """ISO 19005-1 6.1.12 / -2 6.1.13: implementation limits hold for the objects of a content stream too:
    strings (a TJ array's among them), names, and the arrays and inline dictionaries operands are."""
    code = v._type_code
    if code is _STRING:
        n = len(bytes(v))
        if n > 32767:
            f.long_strings.append((where, n))
    elif code is _NAME:
        n = len(str(v)) - 1
        if n > 127:
            f.long_names.append((where, n))
    elif code is _ARRAY or code is _DICT:
        n = len(v)
        if n > (8191 if code is _ARRAY else 4095):
            (f.big_arrays if code is _ARRAY else f.big_dicts).append((where, n))
        if depth < 8:
            for item in (v.as_list() if code is _ARRAY else v.values()):
                t = type(item)
                if t is pikepdf.Object:
                    _measure_operand(item, where, f, depth + 1)
                elif t is int and not -2147483648 <= item <= 2147483647:
                    f.big_ints.append((where, item))
                elif t is Decimal and not 1.175e-38 <= abs(float(item)) <= 32767.0 and item:
                    f.big_reals.append((where, float(item)))


def _gs_overprint(gs: pikepdf.Dictionary, state: tuple[bool, bool, int]) -> tuple[bool, bool, int]:
    """The overprint state after ``gs``: OP sets both stroke and fill unless op is given (ISO 32000 8.4.5)."""
    op_stroke, op_fill, opm = state
    if "/OP" in gs:
        op_stroke = bool(gs.get("/OP"))
        op_fill = op_stroke
    if "/op" in gs:
        op_fill = bool(gs.get("/op"))
    if "/OPM" in gs:
        try:
            opm = int(gs.get("/OPM"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            pass
    return op_stroke, op_fill, opm


def page_resources(page: pikepdf.Dictionary) -> tuple[Any, bool]:
    """A page's resources, and whether they come from an ancestor in the page tree (inherited)."""
    if "/Resources" in page:
        return page.get("/Resources"), False
    node = page.get("/Parent")
    for _ in range(64):
        if not isinstance(node, pikepdf.Dictionary):
            break
        if "/Resources" in node:
            return node.get("/Resources"), True
        node = node.get("/Parent")
    return None, False


class _Adoption:
    """Moves the objects a page's walk added to the facts onto the document's own handle (``chunks.adopt``),
    before the chunk handle they were read from is closed."""

    def __init__(self, facts: ContentFacts, pdf: pikepdf.Pdf) -> None:
        self.facts, self.pdf = facts, pdf
        self.shared = Shared(pdf)
        self.done = [0, 0, 0, 0, 0]  # colours, images, forms, ext_gstates, inline_images already moved
        self.fonts: set[Any] = set()

    def _adopt(self, obj: Any, move: Callable[[Any, pikepdf.Pdf], Any] = adopt) -> Any:
        if isinstance(obj, pikepdf.Object) and not obj.is_indirect:
            self.facts._pinned.append(obj)
        return move(obj, self.pdf)

    def _stream(self, obj: Any, pdf: pikepdf.Pdf) -> Any:
        """An image or form: an indirect stream as a ``KeptStream``, anything else adopted."""
        if isinstance(obj, pikepdf.Stream) and obj.is_indirect:
            return KeptStream(obj, self.shared)
        return adopt(obj, pdf)

    def __call__(self) -> None:
        f, done = self.facts, self.done
        # fonts, ExtGStates and colour spaces as copies (``detach``, ``KeptFont``): most sit in object streams;
        # images and forms as their dictionaries and ids (``KeptStream``), not resolved on the document's handle
        for colour in f.colours[done[0]:]:
            colour.cs = self._adopt(colour.cs, detach)
        kept: tuple[list[tuple[Any, str]], ...] = (f.images, f.forms, f.ext_gstates)
        for n, items in enumerate(kept, 1):
            move = detach if items is f.ext_gstates else self._stream
            for i in range(done[n], len(items)):
                obj, where = items[i]
                items[i] = (self._adopt(obj, move), where)
        for i in range(done[4], len(f.inline_images)):
            d, where = f.inline_images[i]
            f.inline_images[i] = ({k: self._adopt(v) for k, v in d.items()}, where)
        self.done = [len(f.colours), len(f.images), len(f.forms), len(f.ext_gstates), len(f.inline_images)]
        for k, use in f.fonts.items():
            if k not in self.fonts:
                self.fonts.add(k)
                font = use.font
                use.font = KeptFont(font, self.shared) if font.is_indirect else self._adopt(font)


def collect(doc_pdf: pikepdf.Pdf, pages: Iterable[tuple[int, pikepdf.Page]] | None = None) -> ContentFacts:
    """The content facts of every page. ``pages`` (a large file's pages, read in chunks from handles closed
    after each chunk) replaces ``doc_pdf.pages``; what the facts keep is then moved onto ``doc_pdf``."""
    facts = ContentFacts()
    walker = Walker(facts)
    adoption = _Adoption(facts, doc_pdf) if pages is not None else None
    for n, page in (pages if pages is not None else enumerate(doc_pdf.pages, 1)):
        _collect_page(walker, facts, n, page)
        if adoption is not None:
            adoption()
    return facts


def _collect_page(walker: Walker, facts: ContentFacts, n: int, page: pikepdf.Page) -> None:
    where = f"page {n}"
    obj = page.obj
    resources, inherited = page_resources(obj)
    contents = obj.get("/Contents")
    if contents is not None:
        walker.walk(obj, resources, where, 0, obj.objgen, inherited=inherited)
    group = obj.get("/Group")
    if isinstance(group, pikepdf.Dictionary) and "/CS" in group:
        facts.use_colour(group["/CS"], where, _defaults(resources), "group")
    annots = obj.get("/Annots")
    if isinstance(annots, pikepdf.Array):
        for j, annot in enumerate(annots):
            if not isinstance(annot, pikepdf.Dictionary):
                continue
            ap = annot.get("/AP")
            if not isinstance(ap, pikepdf.Dictionary):
                continue
            for state in ("/N", "/R", "/D"):
                app = ap.get(state)
                streams = [app] if isinstance(app, pikepdf.Stream) else (
                    [app.get(str(k)) for k in app] if isinstance(app, pikepdf.Dictionary) else [])
                for s in streams:
                    if isinstance(s, pikepdf.Stream):
                        walker.outer = [("artifact", None, None)]
                        walker._xobject(s, f"{where} annotation {j + 1}", 0, frozenset(), None)
                        walker.outer = []
