"""Text that maps to Unicode: every glyph shown has a Unicode value (ToUnicode, or a glyph name of the
Adobe Glyph List), and Private Use Area values are explained by ActualText (ISO 19005-2 6.2.11.7,
-4 6.2.10.8, ISO 14289-1 7.21.7, -2 8.4.3 and 8.4.5.8).

A glyph's Unicode value is looked up the way a text extractor does: the font's ToUnicode CMap for the
code; failing that, for a simple font the glyph name its encoding (or the embedded program's built-in
encoding) gives the code, if that name is in the Adobe Glyph List; for a Type 0 font without ToUnicode,
only a CIDFont of the Adobe Japan1, GB1, CNS1 or Korea1 collections (which have published Unicode maps).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pikepdf

from printgate.core.validation.content import key_of
from printgate.core.validation.rules.base import Context, Rule, Verdict, shared

MAX_FORM_DEPTH = 12
_CJK_ORDERINGS = ("Japan1", "GB1", "CNS1", "Korea1", "KR")


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
    """Code -> Unicode for one font, as far as the file and the Adobe Glyph List define it."""

    def __init__(self, font: pikepdf.Dictionary, programs: dict[Any, Any]) -> None:
        from printgate.core.validation.fontprog import to_unicode_map

        self.font = font
        self.sub = str(font.get("/Subtype"))
        self.to_unicode = to_unicode_map(font)
        self.names: list[str | None] | None = None
        self.cjk = False
        self.code_spaces: list[tuple[int, int, int]] | None = None  # Type 0: (bytes, low, high)
        try:
            self._read_encoding(programs)
        except Exception:  # a damaged Encoding or program: no glyph names, so no Unicode from them
            self.names = None

    def _read_encoding(self, programs: dict[Any, Any]) -> None:
        from printgate.core.validation.fontprog import parse_cmap, program_of, simple_encoding

        font = self.font
        if self.sub == "/Type0":
            enc = font.get("/Encoding")
            if isinstance(enc, pikepdf.Stream):
                try:
                    self.code_spaces = parse_cmap(enc.read_bytes()).spaces
                except Exception:
                    self.code_spaces = None
            elif enc in (pikepdf.Name("/Identity-H"), pikepdf.Name("/Identity-V")):
                self.code_spaces = [(2, 0, 0xFFFF)]
            desc = font.get("/DescendantFonts")
            cid = desc[0] if isinstance(desc, pikepdf.Array) and len(desc) else None
            csi = cid.get("/CIDSystemInfo") if isinstance(cid, pikepdf.Dictionary) else None
            self.cjk = isinstance(csi, pikepdf.Dictionary) and str(csi.get("/Ordering")) in _CJK_ORDERINGS
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

    def codes(self, shown: bytes) -> list[int] | None:
        """The character codes of a shown string (None: a predefined CMap whose code lengths are not known)."""
        if self.sub != "/Type0":
            return list(shown)
        if self.code_spaces is None:
            return None
        out: list[int] = []
        i = 0
        while i < len(shown) and len(out) < 65536:
            for n, lo, hi in self.code_spaces:
                code = int.from_bytes(shown[i:i + n], "big")
                if len(shown) - i >= n and lo <= code <= hi:
                    break
            else:
                n, code = 1, shown[i]
            out.append(code)
            i += n
        return out

    def text(self, code: int) -> str | None:
        """The Unicode value of a code ('' when a published collection maps it), or None when none is defined."""
        from fontTools.agl import toUnicode

        from printgate.core.validation.glyphs import is_agl_name

        if self.to_unicode is not None and code in self.to_unicode:
            return self.to_unicode[code]
        if self.sub == "/Type0":
            return "" if self.cjk and self.to_unicode is None else None
        name = self.names[code] if self.names is not None and 0 <= code < len(self.names) else None
        if name and name != ".notdef" and is_agl_name(name):
            return toUnicode(name)
        return None


def font_texts(ctx: Context) -> dict[Any, FontText]:
    """Each used font's code -> Unicode lookup, made once per context."""
    memo: dict[Any, FontText] | None = ctx.__dict__.get("_font_texts")
    if memo is None:
        programs = ctx.__dict__.setdefault("_font_programs", {})
        memo = ctx.__dict__["_font_texts"] = {k: FontText(use.font, programs) for k, use in ctx.content.fonts.items()}
    return memo


def glyph_unicode(ctx: Context) -> Iterator[Verdict]:
    """Every character code shown (whatever its rendering mode) maps to Unicode."""
    texts = font_texts(ctx)
    for key, use in ctx.content.fonts.items():
        ft = texts[key]
        where = f"{use.where} font {font_name(use.font)}"
        codes: set[int] = set()
        for shown in use.codes:
            split = ft.codes(shown)
            if split is None:  # a predefined CMap: only ToUnicode (or a published collection) can map it
                codes = set()
                yield ft.to_unicode is not None or ft.cjk, where
                break
            codes.update(split)
        for code in sorted(codes):
            yield ft.text(code) is not None, f"{where} code {code}"


def _pua_codes(ctx: Context) -> bool:
    """Whether any code shown maps to the Private Use Area (the content walk below runs only then)."""
    texts = font_texts(ctx)
    for key, use in ctx.content.fonts.items():
        ft = texts[key]
        for shown in use.codes:
            for code in ft.codes(shown) or ():
                value = ft.text(code)
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
            for code in font.codes(shown) or ():
                value = font.text(code)
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
