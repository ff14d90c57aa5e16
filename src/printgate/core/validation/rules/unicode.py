"""Text that maps to Unicode: every glyph shown has a Unicode value (ToUnicode, or a glyph name of the
Adobe Glyph List), and Private Use Area values are explained by ActualText (ISO 19005-2 6.2.11.7,
-4 6.2.10.8, ISO 14289-1 7.21.7, -2 8.4.3 and 8.4.5.8).

A glyph's Unicode value is looked up the way a text extractor does: the font's ToUnicode CMap for the
code; failing that, for a simple font the glyph name its encoding (or the embedded program's built-in
encoding) gives the code, if that name is in the Adobe Glyph List; for a Type 0 font, the code's CID by its
CMap (Identity, embedded, or predefined: ``cmaps``) looked up in the CMap's Registry-Ordering-UCS2 map, which
Adobe publishes for the GB1, CNS1, Japan1, Korea1 and KR collections (ISO 32000-1 9.10.2, as veraPDF reads
"other mechanisms"; for PDF/A the fonts of those collections). A CID those maps do not list, and a code the
CMap maps to no CID (it shows the notdef glyph), have no Unicode value unless ToUnicode gives one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pikepdf

from printgate.core.validation.cmaps import (
    IDENTITY_SPACE,
    UCS2_COLLECTIONS,
    CodeSpace,
    Ucs2Map,
    code_space_of,
    predefined,
    ucs2,
)
from printgate.core.validation.content import key_of
from printgate.core.validation.rules.base import Context, Rule, Verdict, shared

MAX_FORM_DEPTH = 12


def font_name(font: pikepdf.Dictionary) -> str:
    """BaseFont as text, whatever bytes the name holds."""
    name = font.get("/BaseFont")
    if not isinstance(name, pikepdf.Name):
        return ""
    try:
        return str(name)[1:]
    except UnicodeDecodeError:
        return name.unparse()[1:].decode("latin-1")


def is_pua(text: str) -> bool:
    return any(0xE000 <= ord(ch) <= 0xF8FF or 0xF0000 <= ord(ch) <= 0x10FFFD for ch in text)


class FontText:
    """Code -> Unicode for one font, as far as the file, the Adobe Glyph List and the published CMaps define it.

    A Type 0 font's strings are split into codes by its CMap's codespace ranges (Identity-H/V, an embedded
    CMap, or a predefined one of ISO 32000-1 Table 118 from ``cmaps``); a code ToUnicode does not map gets
    its Unicode value the way ISO 32000-1 9.10.2 describes: its CID by the CMap, then the CMap's
    Registry-Ordering-UCS2 map (the Adobe CJK collections; for Identity, the CIDFont's collection)."""

    def __init__(self, font: pikepdf.Dictionary, programs: dict[Any, Any]) -> None:
        from printgate.core.validation.fontprog import to_unicode_map

        self.font = font
        self.sub = str(font.get("/Subtype"))
        self.to_unicode = to_unicode_map(font)
        self.names: list[str | None] | None = None
        self.cmap_name = ""  # a Type 0 font's CMap, for the findings
        self.code_space: CodeSpace | None = None  # Type 0: None when its codes cannot be read
        self.unreadable = ""  # why a Type 0 font's codes cannot be read
        self.ucs2: Ucs2Map | None = None
        self._cid: Callable[[int, int], tuple[int, bool]] | None = None
        self._distinct: dict[int, tuple[Any, dict[tuple[int, int], bool]]] = {}
        try:
            self._read_encoding(programs)
        except Exception:  # a damaged Encoding or program: no glyph names, so no Unicode from them
            self.names = None
            if self.sub == "/Type0" and self.code_space is None:
                self.unreadable = "its CMap could not be read"

    def _read_encoding(self, programs: dict[Any, Any]) -> None:
        from printgate.core.validation.fontprog import program_of, simple_encoding

        font = self.font
        if self.sub == "/Type0":
            self._read_cmap()
            return
        if self.sub == "/Type3":
            self.names = simple_encoding(font, None) if "/Encoding" in font else None
            return
        name = font_name(font)
        fd = font.get("/FontDescriptor")
        try:
            symbolic = isinstance(fd, pikepdf.Dictionary) and bool(int(fd.get("/Flags", 0)) & 4)
        except (TypeError, ValueError):
            symbolic = False
        if self.sub == "/TrueType" and (symbolic or "/Encoding" not in font):
            return  # glyphs chosen through the program's cmap: no glyph names to read
        if name in ("Symbol", "ZapfDingbats") and "/Encoding" not in font:
            return  # their built-in encodings use names outside the Adobe Glyph List
        prog = program_of(font, programs)
        builtin = None
        if prog is not None and prog.kind == "type1":
            builtin = prog.t1_builtin()
        elif prog is not None and prog.kind == "cff":
            builtin = prog.cff_builtin()
        self.names = simple_encoding(font, builtin)

    def _read_cmap(self) -> None:
        """The code space, code -> CID and the UCS2 map of a Type 0 font's CMap."""
        from printgate.core.validation.fontprog import parse_cmap

        font = self.font
        enc = font.get("/Encoding")
        desc = font.get("/DescendantFonts")
        cid_font = desc[0] if isinstance(desc, pikepdf.Array) and len(desc) else None
        collection = _collection(cid_font.get("/CIDSystemInfo") if isinstance(cid_font, pikepdf.Dictionary) else None)
        if isinstance(enc, pikepdf.Stream):
            data = enc.read_bytes()
            embedded = parse_cmap(data)
            used = enc.get("/UseCMap")
            parent = predefined(str(used)[1:]) if isinstance(used, pikepdf.Name) else None
            self.cmap_name = f"embedded CMap {enc.get('/CMapName', '')}".rstrip()
            self.code_space = (parent.code_space if parent is not None and b"codespacerange" not in data
                               else code_space_of(embedded.spaces))
            collection = _collection(enc.get("/CIDSystemInfo")) or collection

            def cid(code: int, length: int) -> tuple[int, bool]:
                for n, lo, hi, first in embedded.ranges:
                    if n == length and lo <= code <= hi:
                        return first + code - lo, True
                return parent.cid(code, length) if parent is not None else (0, False)
            self._cid = cid
        elif enc in (pikepdf.Name("/Identity-H"), pikepdf.Name("/Identity-V")):
            self.cmap_name = str(enc)[1:]
            self.code_space = IDENTITY_SPACE
            self._cid = lambda code, length: (code, True)
        else:
            self.cmap_name = str(enc)[1:] if isinstance(enc, pikepdf.Name) else "(none)"
            cmap = predefined(self.cmap_name) if isinstance(enc, pikepdf.Name) else None
            if cmap is None:
                self.unreadable = f"CMap {self.cmap_name} is neither predefined nor embedded"
                return
            self.code_space = cmap.code_space
            self._cid = cmap.cid
            collection = cmap.collection
        self.ucs2 = ucs2(collection) if collection in UCS2_COLLECTIONS else None

    def split(self, shown: bytes) -> Iterator[tuple[int, int, bool]]:
        """(code, length in bytes, whether it fits the code space) for each code of a shown string."""
        if self.sub != "/Type0":
            return ((b, 1, True) for b in shown)
        if self.code_space is None:
            return iter(())
        return self.code_space.split(shown)

    def codes(self, shown: bytes) -> list[int]:
        """The character codes of a shown string."""
        return [code for code, _, _ in self.split(shown)]

    def distinct(self, strings: Any) -> dict[tuple[int, int], bool]:
        """(code, length) -> fits the code space, for the distinct codes of a font's shown strings (made once
        per set of strings: the rules on Unicode values all read them)."""
        memo = self._distinct.get(id(strings))
        if memo is not None and memo[0] is strings:
            return memo[1]
        out: dict[tuple[int, int], bool] = {}
        for shown in strings:
            for code, n, fits in self.split(shown):
                out[(code, n)] = out.get((code, n), True) and fits
        self._distinct[id(strings)] = (strings, out)
        return out

    def cid(self, code: int, length: int = 2) -> int | None:
        """The CID a Type 0 font's code selects (None for a simple font, or a CMap that cannot be read)."""
        return self._cid(code, length)[0] if self._cid is not None else None

    def text(self, code: int, length: int = 1) -> str | None:
        """The Unicode value of a code, or None when none is defined."""
        from fontTools.agl import toUnicode

        from printgate.core.validation.glyphs import is_agl_name

        if self.to_unicode is not None and code in self.to_unicode:
            return self.to_unicode[code]
        if self.sub == "/Type0":
            if self._cid is None or self.ucs2 is None:
                return None
            cid, mapped = self._cid(code, length)
            # a code the CMap maps to no CID shows a substitute (notdef) glyph: it stands for no character
            return self.ucs2.text(cid) if mapped else None
        name = self.names[code] if self.names is not None and 0 <= code < len(self.names) else None
        if name and name != ".notdef" and is_agl_name(name):
            return toUnicode(name)
        return None

    def describe(self, code: int, length: int) -> str:
        """A code as a finding names it: its value (and, under a CMap other than Identity, its bytes and CID)."""
        if self.sub != "/Type0" or self.code_space is IDENTITY_SPACE or self._cid is None:
            return f"code {code}"
        cid, mapped = self._cid(code, length)
        return f"code {code} (<{code:0{2 * length}X}> in {self.cmap_name}, {f'CID {cid}' if mapped else 'no CID'})"


def _collection(csi: Any) -> str:
    """"Adobe-Japan1"... from a CIDSystemInfo dictionary ('' when it names no Registry and Ordering)."""
    if not isinstance(csi, pikepdf.Dictionary):
        return ""
    registry, ordering = csi.get("/Registry"), csi.get("/Ordering")
    if not isinstance(registry, pikepdf.String) or not isinstance(ordering, pikepdf.String):
        return ""
    return f"{registry}-{ordering}"


def font_texts(ctx: Context) -> dict[Any, FontText]:
    """Each used font's code -> Unicode lookup, made once per context."""
    memo: dict[Any, FontText] | None = ctx.__dict__.get("_font_texts")
    if memo is None:
        programs = ctx.__dict__.setdefault("_font_programs", {})
        memo = ctx.__dict__["_font_texts"] = {k: FontText(use.font, programs) for k, use in ctx.content.fonts.items()}
    return memo


def glyph_unicode(ctx: Context) -> Iterator[Verdict]:
    """Every character code shown (whatever its rendering mode) maps to Unicode; under a Type 0 font, a
    string whose bytes fit no codespace range of its CMap is a finding, and so is a CMap that cannot be read."""
    texts = font_texts(ctx)
    for key, use in ctx.content.fonts.items():
        ft = texts[key]
        where = f"{use.where} font {font_name(use.font)}"
        if ft.sub == "/Type0" and ft.code_space is None:
            if use.codes:
                yield False, f"{where}: its character codes cannot be read ({ft.unreadable})"
            continue
        for (code, n), fits in sorted(ft.distinct(use.codes).items()):
            if not fits:
                yield False, (f"{where} bytes <{code:0{2 * n}X}> fit no codespace range of {ft.cmap_name} "
                              f"({ft.code_space.describe() if ft.code_space else ''})")
            else:
                yield ft.text(code, n) is not None, f"{where} {ft.describe(code, n)}"


def _pua_codes(ctx: Context) -> bool:
    """Whether any code shown maps to the Private Use Area (the content walk below runs only then)."""
    texts = font_texts(ctx)
    for key, use in ctx.content.fonts.items():
        ft = texts[key]
        for code, n in ft.distinct(use.codes):
            value = ft.text(code, n)
            if value and is_pua(value):
                return True
    return False


class _ReplacementWalk:
    """Content streams walked for the text shown outside any replacement text: marked content with
    ActualText (or Alt), or tagged content whose structure element or an ancestor has one."""

    def __init__(self, ctx: Context, keys: tuple[str, ...], artifacts_exempt: bool) -> None:
        from printgate.core.validation.rules.ua import tagging

        self.ctx = ctx
        self.keys = keys
        self.artifacts_exempt = artifacts_exempt
        self.fonts: dict[Any, tuple[pikepdf.Dictionary, FontText]] = {}
        self.replaced: dict[tuple[Any, int], bool] = {}
        for el in tagging(ctx).tree.elements:
            if el.mcids:
                node: Any = el
                covered = False
                while node is not None and not covered:
                    covered = any(k in node.obj for k in keys)
                    node = node.parent
                for mc in el.mcids:
                    self.replaced[mc] = covered
        # annotations the structure tree references (OBJR): covered when the element or an ancestor has a key
        self.annotations: dict[Any, bool] = {}
        for el in tagging(ctx).tree.elements:
            for ref in el.objrs:
                node = el
                covered = False
                while node is not None and not covered:
                    covered = any(k in node.obj for k in keys)
                    node = node.parent
                self.annotations[key_of(ref)] = self.annotations.get(key_of(ref), False) or covered
        self.strings: list[tuple[str, str]] = []  # replacement texts in marked content: (value, where)
        self.bare: list[str] = []  # PUA glyphs shown with no replacement text
        self._glyph_procs: set[tuple[Any, bool]] = set()  # Type 3 glyph procedures walked (proc, covered)

    def run(self) -> None:
        for number, page in enumerate(self.ctx.doc.pdf.pages, 1):
            res = page.obj.get("/Resources")
            try:
                self._stream(page.obj, res, page.obj.objgen, f"page {number}", False, 0)
                self._annotations(page.obj, number)
            except (pikepdf.PdfError, ValueError, TypeError):
                self.bare.append(f"page {number}: content could not be read")

    def _annotations(self, page: pikepdf.Dictionary, number: int) -> None:
        """Annotation appearances are content too. Covered by the annotation's structure element (or an
        ancestor) with a replacement key; an annotation outside the structure tree is an artifact where
        artifacts are exempt (PDF/UA-2), real content otherwise (PDF/A-2 level A exempts nothing)."""
        annots = page.get("/Annots")
        if not isinstance(annots, pikepdf.Array):
            return
        for j, annot in enumerate(annots):
            if not isinstance(annot, pikepdf.Dictionary) or not isinstance(annot.get("/AP"), pikepdf.Dictionary):
                continue
            k = key_of(annot)
            covered = self.annotations.get(k, False) or (self.artifacts_exempt and k not in self.annotations)
            for state in ("/N", "/R", "/D"):
                app = annot.AP.get(state)
                streams = [app] if isinstance(app, pikepdf.Stream) else (
                    [app.get(str(n)) for n in app] if isinstance(app, pikepdf.Dictionary) else [])
                for stream in streams[:64]:
                    if isinstance(stream, pikepdf.Stream):
                        self._stream(stream, stream.get("/Resources"), None,
                                     f"page {number} annotation {j + 1} appearance {state[1:]}", covered, 1)

    def _font(self, font: pikepdf.Dictionary) -> FontText:
        k = key_of(font)
        if k not in self.fonts:
            self.fonts[k] = (font, FontText(font, self.ctx.__dict__.setdefault("_font_programs", {})))
        return self.fonts[k][1]

    def _stream(self, obj: Any, res: Any, page_key: Any, where: str, covered: bool, depth: int) -> None:
        def lookup(kind: str, name: Any) -> Any:
            group = res.get(kind) if isinstance(res, pikepdf.Dictionary) else None
            return group.get(name) if isinstance(group, pikepdf.Dictionary) else None

        stack: list[bool] = []
        font: FontText | None = None
        for instruction in pikepdf.parse_content_stream(obj):
            operands, name = instruction.operands, str(instruction.operator)
            inside = stack[-1] if stack else covered
            if name == "Tf" and operands:
                f = lookup("/Font", operands[0])
                font = self._font(f) if isinstance(f, pikepdf.Dictionary) else None
            elif name in ("BDC", "BMC"):
                props = operands[1] if len(operands) > 1 else None
                if isinstance(props, pikepdf.Name):
                    props = lookup("/Properties", props)
                here = inside
                if isinstance(props, pikepdf.Dictionary):
                    for k in self.keys:
                        if k in props:
                            self.strings.append((str(props[k]), f"{where} marked content {k}"))
                            here = True
                    if "/MCID" in props:
                        try:
                            here = here or self.replaced.get((page_key, int(props["/MCID"])), False)
                        except (TypeError, ValueError):
                            pass
                if self.artifacts_exempt and operands and operands[0] == pikepdf.Name("/Artifact"):
                    here = True
                stack.append(here)
            elif name == "EMC":
                if stack:
                    stack.pop()
            elif name in ("Tj", "TJ", "'", '"') and font is not None:
                if not inside:
                    self._shown(operands, font, where)
                if font.sub == "/Type3" and depth < MAX_FORM_DEPTH:
                    self._glyph_procedures(operands, font, res, page_key, where, inside, depth + 1)
            elif name == "Do" and operands and depth < MAX_FORM_DEPTH:
                xo = lookup("/XObject", operands[0])
                if isinstance(xo, pikepdf.Stream) and xo.get("/Subtype") == pikepdf.Name("/Form"):
                    self._stream(xo, xo.get("/Resources", res), page_key, f"{where} form {operands[0]}", inside,
                                 depth + 1)

    def _glyph_procedures(self, operands: Any, font: FontText, res: Any, page_key: Any, where: str, covered: bool,
                          depth: int) -> None:
        """The Type 3 glyph procedures a text operator paints, walked as content covered (or not) as the
        operator is: a procedure may itself show text."""
        procs = font.font.get("/CharProcs")
        if not isinstance(procs, pikepdf.Dictionary) or font.names is None:
            return
        own = font.font.get("/Resources")
        for shown in _strings(operands):
            for code in set(shown):
                glyph = font.names[code] if code < len(font.names) else None
                proc = procs.get("/" + glyph) if glyph else None
                if not isinstance(proc, pikepdf.Stream) or (key_of(proc), covered) in self._glyph_procs:
                    continue
                self._glyph_procs.add((key_of(proc), covered))
                self._stream(proc, own if isinstance(own, pikepdf.Dictionary) else res, page_key,
                             f"{where} Type3 glyph {glyph}", covered, depth)

    def _shown(self, operands: Any, font: FontText, where: str) -> None:
        for shown in _strings(operands):
            for code, n, _ in font.split(shown):
                value = font.text(code, n)
                if value and is_pua(value):
                    self.bare.append(f"{where} font {font_name(font.font)} code {code} (U+{ord(value[0]):04X})")


def _strings(operands: Any) -> list[bytes]:
    """The strings a text-showing operator shows (a TJ array's strings among them)."""
    strings: list[bytes] = []
    for o in operands:
        if isinstance(o, pikepdf.String):
            strings.append(bytes(o))
        elif isinstance(o, pikepdf.Array):
            strings += [bytes(s) for s in o if isinstance(s, pikepdf.String)]
    return strings


def _walk(ctx: Context, keys: tuple[str, ...], artifacts_exempt: bool) -> _ReplacementWalk:
    memo = ctx.__dict__.setdefault("_replacement_walks", {})
    if (keys, artifacts_exempt) not in memo:
        walk = _ReplacementWalk(ctx, keys, artifacts_exempt)
        walk.run()
        memo[(keys, artifacts_exempt)] = walk
    result: _ReplacementWalk = memo[(keys, artifacts_exempt)]
    return result


def _pua_replaced(keys: tuple[str, ...], artifacts_exempt: bool) -> Any:
    def check(ctx: Context) -> Iterator[Verdict]:
        if not _pua_codes(ctx):
            return
        for where in _walk(ctx, keys, artifacts_exempt).bare:
            yield False, where
        yield True, "glyphs mapped to the Private Use Area"
    check.__name__ = "pua_replaced"
    return check


def _no_pua_in(key: str) -> Any:
    """ActualText (or Alt) values, in structure elements and in marked content, hold no PUA code point."""
    def check(ctx: Context) -> Iterator[Verdict]:
        from printgate.core.validation.rules.ua import tagging

        for el in tagging(ctx).tree.elements:
            value = el.obj.get(key)
            if value is not None:
                yield not is_pua(str(value)), f"{el.where} {key}"
        flag = 0 if key == "/ActualText" else 1
        if any(span[flag] for span in ctx.content.spans):
            for text, where in _walk(ctx, (key,), False).strings:
                yield not is_pua(text), where
    check.__name__ = "no_pua_in_" + key[1:].lower()
    return check


# Text strings intended to be human readable (ISO 32000-2 7.9.2.2), by the dictionary that holds them.
_INFO_KEYS = ("/Title", "/Author", "/Subject", "/Keywords", "/Creator", "/Producer")
_ANNOT_KEYS = ("/Contents", "/Subj", "/RC", "/TU")
_MK_KEYS = ("/CA", "/RC", "/AC")
_ELEM_KEYS = ("/T", "/Alt", "/ActualText", "/E")
_SIG_KEYS = ("/Name", "/Reason", "/Location", "/ContactInfo")
MAX_TEXT_NODES = 100_000


def text_value(value: Any) -> str | None:
    """A text string's characters (PDFDocEncoding, UTF-16BE or, from PDF 2.0, UTF-8 with its BOM)."""
    if not isinstance(value, pikepdf.String):
        return None
    raw = bytes(value)
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="replace")
    return str(value)


def readable_text_strings(ctx: Context) -> Iterator[tuple[str, str]]:
    """(text, where) for the text strings a reader is shown: document information, outline titles,
    annotation contents and captions, field descriptions, structure element titles and replacement texts,
    signature details, optional content names, file descriptions and page label prefixes."""
    from printgate.core.validation.rules.ua import tagging

    def of(d: Any, keys: tuple[str, ...], where: str) -> Iterator[tuple[str, str]]:
        if isinstance(d, pikepdf.Dictionary):
            for k in keys:
                text = text_value(d.get(k))
                if text is not None:
                    yield text, f"{where} {k}"

    cat = ctx.doc.catalog
    yield from of(ctx.doc.trailer.get("/Info"), _INFO_KEYS, "Info")
    seen: set[Any] = set()

    def fresh(d: Any, kind: str = "") -> bool:
        k = (kind, key_of(d))
        if k in seen or len(seen) > MAX_TEXT_NODES:
            return False
        seen.add(k)
        return True

    outlines = cat.get("/Outlines")
    stack = [outlines.get("/First")] if isinstance(outlines, pikepdf.Dictionary) else []
    while stack:
        item = stack.pop()
        if isinstance(item, pikepdf.Dictionary) and fresh(item):
            yield from of(item, ("/Title",), "outline item")
            stack += [item.get("/Next"), item.get("/First")]
    for number, page in ctx.doc.iter_pages():
        annots = page.obj.get("/Annots")
        for j, annot in enumerate(annots if isinstance(annots, pikepdf.Array) else []):
            if not isinstance(annot, pikepdf.Dictionary) or not fresh(annot):
                continue
            where = f"page {number} annotation {j + 1}"
            keys = _ANNOT_KEYS if annot.get("/Subtype") == pikepdf.Name("/Widget") else (*_ANNOT_KEYS, "/T")
            yield from of(annot, keys, where)
            yield from of(annot.get("/MK"), _MK_KEYS, f"{where} MK")
            fs = annot.get("/FS")
            yield from of(fs, ("/Desc",), f"{where} file")
    form = cat.get("/AcroForm")
    fields = form.get("/Fields") if isinstance(form, pikepdf.Dictionary) else None
    stack = list(fields) if isinstance(fields, pikepdf.Array) else []
    while stack:
        field = stack.pop()
        if not isinstance(field, pikepdf.Dictionary) or not fresh(field, "field"):
            continue
        yield from of(field, ("/TU",), "form field")
        if field.get("/FT") == pikepdf.Name("/Sig"):
            yield from of(field.get("/V"), _SIG_KEYS, "signature")
        kids = field.get("/Kids")
        stack += list(kids) if isinstance(kids, pikepdf.Array) else []
    for el in tagging(ctx).tree.elements:
        yield from of(el.obj, _ELEM_KEYS, el.where)
    ocp = cat.get("/OCProperties")
    if isinstance(ocp, pikepdf.Dictionary):
        groups = ocp.get("/OCGs")
        for group in groups if isinstance(groups, pikepdf.Array) else []:
            yield from of(group, ("/Name",), "optional content group")
        configs = ocp.get("/Configs")
        for config in [ocp.get("/D"), *(configs if isinstance(configs, pikepdf.Array) else [])]:
            yield from of(config, ("/Name", "/Creator"), "optional content configuration")
    af = cat.get("/AF")
    files: list[Any] = list(af) if isinstance(af, pikepdf.Array) else []
    names = cat.get("/Names")
    tree = names.get("/EmbeddedFiles") if isinstance(names, pikepdf.Dictionary) else None
    nodes = [tree]
    while nodes and len(files) < MAX_TEXT_NODES:
        node = nodes.pop()
        if not isinstance(node, pikepdf.Dictionary) or not fresh(node, "names"):
            continue
        pairs = node.get("/Names")
        files += list(pairs)[1::2] if isinstance(pairs, pikepdf.Array) else []
        kids = node.get("/Kids")
        nodes += list(kids) if isinstance(kids, pikepdf.Array) else []
    for spec in files:
        yield from of(spec, ("/Desc",), "file specification")
    labels = cat.get("/PageLabels")
    nums = labels.get("/Nums") if isinstance(labels, pikepdf.Dictionary) else None
    for label in list(nums)[1::2] if isinstance(nums, pikepdf.Array) else []:
        yield from of(label, ("/P",), "page label")


def no_pua_in_text_strings(ctx: Context) -> Iterator[Verdict]:
    """ISO 14289-2 8.6: text strings intended to be human readable use no Private Use Area code point."""
    for text, where in readable_text_strings(ctx):
        yield not is_pua(text), where


RULES: list[Rule] = [
    *shared(glyph_unicode, "Every character code shown maps to Unicode", ("pdfa1a", "6.3.8", 1),
            ("pdfa2u", "6.2.11.7.2", 1), ("pdfua1", "7.21.7", 1), ("pdfua2", "8.4.5.8", 1)),
    *shared(_pua_replaced(("/ActualText",), False), "Characters mapped to the Private Use Area have ActualText",
            ("pdfa2a", "6.2.11.7.3", 1)),
    *shared(_pua_replaced(("/ActualText", "/Alt"), True),
            "Real content mapped to the Private Use Area has ActualText or Alt", ("pdfua2", "8.4.3", 1)),
    *shared(_no_pua_in("/ActualText"), "ActualText holds no Private Use Area values", ("pdfa4", "6.2.10.8", 1),
            ("pdfua2", "8.4.3", 2)),
    *shared(_no_pua_in("/Alt"), "Alt holds no Private Use Area values", ("pdfua2", "8.4.3", 3)),
    *shared(no_pua_in_text_strings, "Text strings intended to be human readable use no Private Use Area values",
            ("pdfua2", "8.6", 1)),
]
