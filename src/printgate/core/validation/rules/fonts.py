"""Font rules on the fonts text-showing operators use (ISO 19005-1 6.3, -2 6.2.11, -4 6.2.10)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pikepdf

from printgate.core.validation.cmaps import PREDEFINED
from printgate.core.validation.content import FontUse
from printgate.core.validation.fontprog import parse_cmap
from printgate.core.validation.rules.base import Context, Rule, Verdict, shared

STANDARD_14 = {"Times-Roman", "Times-Bold", "Times-Italic", "Times-BoldItalic", "Helvetica", "Helvetica-Bold",
               "Helvetica-Oblique", "Helvetica-BoldOblique", "Courier", "Courier-Bold", "Courier-Oblique",
               "Courier-BoldOblique", "Symbol", "ZapfDingbats"}
_SUBTYPES = {"/Type1", "/MMType1", "/TrueType", "/Type3", "/Type0", "/CIDFontType0", "/CIDFontType2"}


def _fonts(ctx: Context) -> Iterator[tuple[pikepdf.Dictionary, FontUse, str]]:
    """Every font used, and for a Type 0 font its descendant CIDFont as well."""
    for use in ctx.content.fonts.values():
        font = use.font
        yield font, use, f"{use.where} font {font.get('/BaseFont', '')}"
        if font.get("/Subtype") == pikepdf.Name("/Type0"):
            desc = font.get("/DescendantFonts")
            if isinstance(desc, pikepdf.Array) and len(desc) and isinstance(desc[0], pikepdf.Dictionary):
                yield desc[0], use, f"{use.where} CIDFont {desc[0].get('/BaseFont', '')}"


def _descriptor(font: pikepdf.Dictionary) -> pikepdf.Dictionary | None:
    fd = font.get("/FontDescriptor")
    return fd if isinstance(fd, pikepdf.Dictionary) else None


def _font_file(font: pikepdf.Dictionary) -> tuple[str, pikepdf.Stream] | None:
    fd = _descriptor(font)
    if fd is None:
        return None
    for key in ("/FontFile", "/FontFile2", "/FontFile3"):
        ff = fd.get(key)
        if isinstance(ff, pikepdf.Stream):
            return key, ff
    return None


def _is_standard(font: pikepdf.Dictionary) -> bool:
    name = str(font.get("/BaseFont", ""))[1:]
    return (font.get("/Subtype") in (pikepdf.Name("/Type1"), pikepdf.Name("/MMType1"))
            and name in STANDARD_14 and _font_file(font) is None)


def _simple(font: pikepdf.Dictionary) -> bool:
    return str(font.get("/Subtype")) in ("/Type1", "/MMType1", "/TrueType", "/Type3")


def font_type(ctx: Context) -> Iterator[Verdict]:
    for font, _, where in _fonts(ctx):
        yield font.get("/Type") == pikepdf.Name("/Font"), where


def font_subtype(ctx: Context) -> Iterator[Verdict]:
    for font, _, where in _fonts(ctx):
        yield str(font.get("/Subtype")) in _SUBTYPES, where


def font_basefont(ctx: Context) -> Iterator[Verdict]:
    for font, _, where in _fonts(ctx):
        yield font.get("/Subtype") == pikepdf.Name("/Type3") or isinstance(font.get("/BaseFont"), pikepdf.Name), where


def first_char(ctx: Context) -> Iterator[Verdict]:
    for font, _, where in _fonts(ctx):
        if _simple(font):
            yield _is_standard(font) or "/FirstChar" in font, where


def last_char(ctx: Context) -> Iterator[Verdict]:
    for font, _, where in _fonts(ctx):
        if _simple(font):
            yield _is_standard(font) or "/LastChar" in font, where


def widths_size(ctx: Context) -> Iterator[Verdict]:
    for font, _, where in _fonts(ctx):
        if not _simple(font) or _is_standard(font):
            continue
        w = font.get("/Widths")
        try:
            ok = isinstance(w, pikepdf.Array) and len(w) == int(font["/LastChar"]) - int(font["/FirstChar"]) + 1
        except (KeyError, TypeError, ValueError):
            ok = False
        yield ok, where


def fontfile3_subtype(ctx: Context) -> Iterator[Verdict]:
    allowed = ("/Type1C", "/CIDFontType0C") if ctx.part == 1 else ("/Type1C", "/CIDFontType0C", "/OpenType")
    for font, _, where in _fonts(ctx):
        ff = _font_file(font)
        if ff and ff[0] == "/FontFile3":
            yield str(ff[1].get("/Subtype")) in allowed, where


def embedded(ctx: Context) -> Iterator[Verdict]:
    for font, use, where in _fonts(ctx):
        sub = font.get("/Subtype")
        if sub in (pikepdf.Name("/Type3"), pikepdf.Name("/Type0")):
            continue
        if use.modes and use.modes <= {3}:
            continue
        yield _font_file(font) is not None, where


def _cmap_name(font: pikepdf.Dictionary) -> str | None:
    enc = font.get("/Encoding")
    if isinstance(enc, pikepdf.Name):
        return str(enc)[1:]
    if isinstance(enc, pikepdf.Stream):
        n = enc.get("/CMapName")
        return str(n)[1:] if n is not None else None
    return None


def type0_cmap_ordering(ctx: Context) -> Iterator[Verdict]:
    for font, _, where in _fonts(ctx):
        if font.get("/Subtype") != pikepdf.Name("/Type0"):
            continue
        name = _cmap_name(font)
        if name in ("Identity-H", "Identity-V"):
            yield True, where
            continue
        desc = font.get("/DescendantFonts")
        cid = desc[0] if isinstance(desc, pikepdf.Array) and len(desc) else None
        csi = cid.get("/CIDSystemInfo") if isinstance(cid, pikepdf.Dictionary) else None
        enc = font.get("/Encoding")
        cm = enc.get("/CIDSystemInfo") if isinstance(enc, pikepdf.Stream) else None
        if isinstance(enc, pikepdf.Name) and isinstance(csi, pikepdf.Dictionary):
            # a predefined CMap: its registry and ordering are those of its name (Adobe-<ordering>)
            yield str(csi.get("/Registry", "")) == "Adobe", where
            continue
        ok = (isinstance(csi, pikepdf.Dictionary) and isinstance(cm, pikepdf.Dictionary)
              and str(csi.get("/Registry")) == str(cm.get("/Registry"))
              and str(csi.get("/Ordering")) == str(cm.get("/Ordering")))
        if ok and ctx.part != 1:
            # ISO 19005-2 on: the CIDFont's Supplement is at most the CMap's (the CMap covers its CIDs)
            try:
                font_sup = int(csi.get("/Supplement"))  # type: ignore[union-attr, arg-type]
                cmap_sup = int(cm.get("/Supplement"))  # type: ignore[union-attr, arg-type]
                ok = 0 <= font_sup <= cmap_sup
            except (TypeError, ValueError):
                ok = False
        yield ok, where


def _valid_cid_to_gid(font: pikepdf.Dictionary) -> bool:
    """CIDToGIDMap is a stream or the name Identity (any other name is no mapping at all)."""
    m = font.get("/CIDToGIDMap")
    return isinstance(m, pikepdf.Stream) or m == pikepdf.Name("/Identity")


def cid_to_gid(ctx: Context) -> Iterator[Verdict]:
    for font, use, where in _fonts(ctx):
        if font.get("/Subtype") != pikepdf.Name("/CIDFontType2"):
            continue
        if ctx.part == 1:
            yield _valid_cid_to_gid(font) or (bool(use.modes) and use.modes <= {3}), where
        else:
            yield _valid_cid_to_gid(font) or _font_file(font) is None, where


_PREDEFINED_CMAPS = set(PREDEFINED)  # ISO 32000-1 Table 118


def cmap_embedded(ctx: Context) -> Iterator[Verdict]:
    for font, _, where in _fonts(ctx):
        if font.get("/Subtype") != pikepdf.Name("/Type0"):
            continue
        enc = font.get("/Encoding")
        if isinstance(enc, pikepdf.Name):
            name = str(enc)[1:]
            yield (name in ("Identity-H", "Identity-V")) if ctx.part == 1 else name in _PREDEFINED_CMAPS, where
        else:
            yield isinstance(enc, pikepdf.Stream), where


def cmap_usecmap(ctx: Context) -> Iterator[Verdict]:
    """An embedded CMap may build on (UseCMap) only a predefined CMap of ISO 32000 Table 118/116."""
    for font, _, where in _fonts(ctx):
        enc = font.get("/Encoding") if font.get("/Subtype") == pikepdf.Name("/Type0") else None
        if not isinstance(enc, pikepdf.Stream):
            continue
        used = enc.get("/UseCMap")
        if isinstance(used, pikepdf.Name):
            yield str(used)[1:] in _PREDEFINED_CMAPS, where
        elif used is not None:
            yield False, f"{where} (UseCMap is an embedded CMap)"


def limits_cid(ctx: Context) -> Iterator[Verdict]:
    for font, _, where in _fonts(ctx):
        enc = font.get("/Encoding") if font.get("/Subtype") == pikepdf.Name("/Type0") else None
        if isinstance(enc, pikepdf.Stream):
            try:
                top = parse_cmap(enc.read_bytes()).max_cid
            except Exception:
                continue
            yield top <= 65535, f"{where} CMap maximal CID {top}"


def cmap_wmode(ctx: Context) -> Iterator[Verdict]:
    for font, _, where in _fonts(ctx):
        enc = font.get("/Encoding") if font.get("/Subtype") == pikepdf.Name("/Type0") else None
        if isinstance(enc, pikepdf.Stream):
            try:
                data = enc.read_bytes()
            except Exception:
                yield False, where
                continue
            m = re.search(rb"/WMode\s+(\d+)", data)
            yield int(m.group(1) if m else 0) == int(enc.get("/WMode", 0)), where


def _symbolic(font: pikepdf.Dictionary) -> bool:
    fd = _descriptor(font)
    try:
        return bool(int(fd.get("/Flags", 0)) & 4) if fd is not None else False
    except (TypeError, ValueError):
        return False


def tt_nonsymbolic_encoding(ctx: Context) -> Iterator[Verdict]:
    for font, _, where in _fonts(ctx):
        if font.get("/Subtype") != pikepdf.Name("/TrueType") or _symbolic(font):
            continue
        enc = font.get("/Encoding")
        if isinstance(enc, pikepdf.Name):
            ok = str(enc) in ("/MacRomanEncoding", "/WinAnsiEncoding")
        elif isinstance(enc, pikepdf.Dictionary):
            base = enc.get("/BaseEncoding")
            ok = str(base) in ("/MacRomanEncoding", "/WinAnsiEncoding") and (
                "/Differences" not in enc or (ctx.part != 1 and _differences_agl(enc)))
        else:
            ok = False
        yield ok, where


def _differences_agl(enc: pikepdf.Dictionary) -> bool:
    from printgate.core.validation.glyphs import is_agl_name

    diffs = enc.get("/Differences")
    return all(is_agl_name(str(d)[1:]) for d in diffs if isinstance(d, pikepdf.Name)) if diffs else True


def tt_symbolic_no_encoding(ctx: Context) -> Iterator[Verdict]:
    for font, _, where in _fonts(ctx):
        if font.get("/Subtype") == pikepdf.Name("/TrueType") and _symbolic(font):
            yield "/Encoding" not in font, where


def _subset(font: pikepdf.Dictionary) -> bool:
    import re

    return bool(re.match(r"[A-Z]{6}\+", str(font.get("/BaseFont", ""))[1:]))


def _used_glyph_names(ctx: Context, font: pikepdf.Dictionary, use: FontUse) -> set[str]:
    from printgate.core.validation.fontprog import glyphs

    cache = ctx.__dict__.setdefault("_font_programs", {})
    return {g.name for g in glyphs(font, use.codes, cache) if g.name and g.present is not None}


def _program_cids(ctx: Context, font: pikepdf.Dictionary) -> set[int] | None:
    from printgate.core.validation.fontprog import program_of

    prog = program_of(font, ctx.__dict__.setdefault("_font_programs", {}))
    if prog is None or prog.kind is None:
        return None
    if prog.kind == "cidtype1" and prog.cid_t1 is not None:
        try:
            return prog.cid_t1.cids()
        except Exception:
            return None
    if prog.kind == "type1" and prog.t1 is not None:  # a CID is a position in CharStrings (fontprog.t1_cid)
        return set(range(len(prog.t1.charstrings)))
    if prog.kind == "cff":
        top = prog.cff_top
        if hasattr(top, "ROS"):
            return {int(n[3:]) for n in top.charset if n.startswith("cid") and n[3:].isdigit()}
        return set(range(len(top.charset)))
    with_outline = prog.tt_glyphs_with_data()
    if with_outline is None:
        return None
    c2g = font.get("/CIDToGIDMap")
    if isinstance(c2g, pikepdf.Stream):
        data = c2g.read_bytes()
        return {i // 2 for i in range(0, len(data) - 1, 2) if int.from_bytes(data[i:i + 2], "big") in with_outline}
    return with_outline


def _program_glyph_names(ctx: Context, font: pikepdf.Dictionary) -> set[str] | None:
    """The glyph names of a Type 1 or CFF program other than .notdef (None: no such program read)."""
    from printgate.core.validation.fontprog import program_of

    prog = program_of(font, ctx.__dict__.setdefault("_font_programs", {}))
    if prog is None:
        return None
    if prog.kind == "type1" and prog.t1 is not None:
        return prog.t1.glyph_names - {".notdef"}
    if prog.kind == "cff" and not hasattr(prog.cff_top, "ROS"):
        return set(prog.cff_top.charset) - {".notdef"}
    return None


def charset_complete(ctx: Context) -> Iterator[Verdict]:
    """A subset Type 1 font's CharSet names the glyphs of its program (PDF/A-1: and is present).

    ISO 19005-1 asks that the glyphs the document shows be listed (veraPDF's corpus accepts a program
    holding glyphs the CharSet leaves out when no text uses them, and names the program lacks); from
    ISO 19005-2 and ISO 14289-1 on, the CharSet lists exactly the glyphs present in the program,
    "regardless of whether a glyph is referenced"."""
    for font, use, where in _fonts(ctx):
        if str(font.get("/Subtype")) not in ("/Type1", "/MMType1") or not _subset(font) or not _font_file(font):
            continue
        fd = _descriptor(font)
        charset = fd.get("/CharSet") if fd is not None else None
        if charset is None:
            if ctx.part == 1:
                yield False, f"{where}: no CharSet"
            continue
        listed = {n.strip() for n in str(charset).split("/") if n.strip()} - {".notdef"}
        program = _program_glyph_names(ctx, font) if ctx.part != 1 else None
        if program is not None:
            extra, missing = sorted(listed - program), sorted(program - listed)
            detail = f" (listed, not in the program: {' '.join(extra[:5])})" if extra else \
                f" (in the program, not listed: {' '.join(missing[:5])})" if missing else ""
            yield bool(listed) and listed == program, where + detail
            continue
        used = _used_glyph_names(ctx, font, use)
        yield bool(listed) and used <= listed, where


def _program_kind(ctx: Context, font: pikepdf.Dictionary) -> str | None:
    from printgate.core.validation.fontprog import program_of

    prog = program_of(font, ctx.__dict__.setdefault("_font_programs", {}))
    return prog.kind if prog is not None else None


def cidset_complete(ctx: Context) -> Iterator[Verdict]:
    """A subset CIDFont's CIDSet identifies every CID of its program (PDF/A-1: and is present)."""
    for font, _, where in _fonts(ctx):
        if str(font.get("/Subtype")) not in ("/CIDFontType0", "/CIDFontType2") or not _subset(font) \
                or not _font_file(font):
            continue
        fd = _descriptor(font)
        cidset = fd.get("/CIDSet") if fd is not None else None
        if not isinstance(cidset, pikepdf.Stream):
            if ctx.part == 1:
                yield False, f"{where}: no CIDSet"
            continue
        bits = cidset.read_bytes()
        present = _program_cids(ctx, font)
        marked = {i * 8 + j for i, b in enumerate(bits) for j in range(8) if b & (0x80 >> j)}
        # nor may it mark a CID (other than 0) the program lacks; a TrueType program's set here holds only
        # glyphs with outlines (an empty glyph is still in the program), so it is judged one way only
        extra = marked - present - {0} if present is not None and _program_kind(ctx, font) != "truetype" else set()
        yield bool(marked) and (present is None or present <= marked) and not extra, (
            f"{where}: CIDSet marks CIDs the program lacks: {sorted(extra)[:10]}" if extra else where)


def _glyphs(ctx: Context, invisible_too: bool = False) -> Iterator[tuple[FontUse, Any, str]]:
    """Glyphs shown by rendered text (or, with ``invisible_too``, by text in every rendering mode)."""
    from printgate.core.validation.fontprog import glyphs

    cache = ctx.__dict__.setdefault("_font_programs", {})
    memo = ctx.__dict__.setdefault("_glyph_memo", {})
    for key, use in ctx.content.fonts.items():
        if not use.codes or (use.modes and use.modes <= {3} and not invisible_too):
            continue
        if key not in memo:
            memo[key] = glyphs(use.font, use.codes, cache)
        for g in memo[key]:
            yield use, g, f"{use.where} font {use.font.get('/BaseFont', '')} code {g.code}"


def glyph_present(ctx: Context) -> Iterator[Verdict]:
    for _, g, where in _glyphs(ctx):
        if g.unreadable:
            yield False, f"{where}: could not read the font program ({g.unreadable})"
        elif g.present is not None:
            yield g.present, where


def glyph_width(ctx: Context) -> Iterator[Verdict]:
    for _, g, where in _glyphs(ctx):
        if g.present and g.program_width is not None and g.dict_width is not None:
            yield abs(g.program_width - g.dict_width) <= 1, f"{where}: {g.dict_width:g} vs {g.program_width:g}"


def no_notdef(ctx: Context) -> Iterator[Verdict]:
    """No text shows .notdef, whatever its rendering mode (ISO 19005-2 6.2.11.8, -4 6.2.10.9)."""
    for _, g, where in _glyphs(ctx, invisible_too=True):
        yield g.name != ".notdef", where


def to_unicode_values(ctx: Context) -> Iterator[Verdict]:
    """The Unicode values a ToUnicode CMap gives the codes shown are not U+0000, U+FEFF or U+FFFE."""
    from printgate.core.validation.rules.unicode import font_texts

    texts = font_texts(ctx)  # each ToUnicode CMap is parsed once for this rule and the glyph-to-Unicode one
    for key, use in ctx.content.fonts.items():
        ft = texts[key]
        tu = ft.to_unicode
        if not tu or not use.codes:
            continue
        for code in sorted({code for code, _ in ft.distinct(use.codes)}):  # split by the font's CMap
            if code in tu:
                value = tu[code]
                yield not any(ch in "\x00\ufeff\ufffe" for ch in value), f"{use.where} code {code}"


RULES: list[Rule] = [
    *shared(font_type, "Font dictionaries have Type Font", ("pdfa1", "6.3.2", 1), ("pdfa2", "6.2.11.2", 1),
            ("pdfa4", "6.2.10.2", 1)),
    *shared(font_subtype, "Fonts have a standard Subtype", ("pdfa1", "6.3.2", 2), ("pdfa2", "6.2.11.2", 2),
            ("pdfa4", "6.2.10.2", 2)),
    *shared(font_basefont, "Fonts other than Type 3 have BaseFont", ("pdfa1", "6.3.2", 3),
            ("pdfa2", "6.2.11.2", 3), ("pdfa4", "6.2.10.2", 3)),
    *shared(first_char, "Simple fonts other than the standard 14 have FirstChar", ("pdfa1", "6.3.2", 4),
            ("pdfa2", "6.2.11.2", 4), ("pdfa4", "6.2.10.2", 4)),
    *shared(last_char, "Simple fonts other than the standard 14 have LastChar", ("pdfa1", "6.3.2", 5),
            ("pdfa2", "6.2.11.2", 5), ("pdfa4", "6.2.10.2", 5)),
    *shared(widths_size, "Widths has LastChar - FirstChar + 1 entries", ("pdfa1", "6.3.2", 6),
            ("pdfa2", "6.2.11.2", 6), ("pdfa4", "6.2.10.2", 6)),
    *shared(fontfile3_subtype, "FontFile3 streams are Type1C, CIDFontType0C (or OpenType)", ("pdfa1", "6.3.2", 7),
            ("pdfa2", "6.2.11.2", 7), ("pdfa4", "6.2.10.2", 7)),
    *shared(type0_cmap_ordering, "A Type 0 font's CMap and CIDFont agree on registry and ordering",
            ("pdfa1", "6.3.3.1", 1), ("pdfa2", "6.2.11.3.1", 1), ("pdfa4", "6.2.10.3.1", 1), ("pdfua1", "7.21.3.1", 1), ("pdfua2", "8.4.5.3.1", 1)),
    *shared(cid_to_gid, "Embedded CIDFontType2 fonts have a CIDToGIDMap", ("pdfa1", "6.3.3.2", 1),
            ("pdfa2", "6.2.11.3.2", 1), ("pdfa4", "6.2.10.3.2", 1), ("pdfua1", "7.21.3.2", 1), ("pdfua2", "8.4.5.3.2", 1)),
    *shared(cmap_embedded, "CMaps are Identity, predefined, or embedded", ("pdfa1", "6.3.3.3", 1),
            ("pdfa2", "6.2.11.3.3", 1), ("pdfa4", "6.2.10.3.3", 1), ("pdfua1", "7.21.3.3", 1), ("pdfua2", "8.4.5.4", 1)),
    *shared(cmap_wmode, "An embedded CMap's WMode matches its dictionary", ("pdfa1", "6.3.3.3", 2),
            ("pdfa2", "6.2.11.3.3", 2), ("pdfa4", "6.2.10.3.3", 2), ("pdfua1", "7.21.3.3", 2), ("pdfua2", "8.4.5.4", 2)),
    *shared(cmap_usecmap, "A CMap references no CMap other than the predefined ones", ("pdfa2", "6.2.11.3.3", 3),
            ("pdfa4", "6.2.10.3.3", 3), ("pdfua1", "7.21.3.3", 3), ("pdfua2", "8.4.5.4", 3)),
    *shared(limits_cid, "No CID beyond 65535 in an embedded CMap", ("pdfa1", "6.1.12", 10), ("pdfa2", "6.1.13", 10)),
    *shared(embedded, "Font programs of fonts used for rendering are embedded", ("pdfa1", "6.3.4", 1),
            ("pdfa2", "6.2.11.4.1", 1), ("pdfa4", "6.2.10.4.1", 1), ("pdfua1", "7.21.4.1", 1), ("pdfua2", "8.4.5.5.1", 1)),
    *shared(charset_complete, "A subset Type 1 font's CharSet lists all glyphs of its program",
            ("pdfa1", "6.3.5", 2), ("pdfa2", "6.2.11.4.2", 1), ("pdfua1", "7.21.4.2", 1)),
    *shared(cidset_complete, "A subset CIDFont's CIDSet identifies all CIDs of its program", ("pdfa1", "6.3.5", 3),
            ("pdfa2", "6.2.11.4.2", 2), ("pdfua1", "7.21.4.2", 2)),
    *shared(tt_nonsymbolic_encoding, "Non-symbolic TrueType fonts use MacRoman or WinAnsi encoding",
            ("pdfa1", "6.3.7", 1), ("pdfa2", "6.2.11.6", 2), ("pdfa4", "6.2.10.6", 2), ("pdfua1", "7.21.6", 2), ("pdfua2", "8.4.5.7", 2)),
    *shared(tt_symbolic_no_encoding, "Symbolic TrueType fonts have no Encoding", ("pdfa1", "6.3.7", 2),
            ("pdfa2", "6.2.11.6", 3), ("pdfa4", "6.2.10.6", 3), ("pdfua1", "7.21.6", 3), ("pdfua2", "8.4.5.7", 3)),
    *shared(glyph_present, "Embedded fonts define every glyph shown", ("pdfa1", "6.3.5", 1),
            ("pdfa2", "6.2.11.4.1", 2), ("pdfa4", "6.2.10.4.1", 2), ("pdfua1", "7.21.4.1", 2),
            ("pdfua2", "8.4.5.5.1", 2)),
    *shared(glyph_width, "Glyph widths in the font dictionary match the embedded program", ("pdfa1", "6.3.6", 1),
            ("pdfa2", "6.2.11.5", 1), ("pdfa4", "6.2.10.5", 1), ("pdfua1", "7.21.5", 1), ("pdfua2", "8.4.5.6", 1)),
    *shared(no_notdef, "Text does not show the .notdef glyph", ("pdfa2", "6.2.11.8", 1), ("pdfa4", "6.2.10.9", 1),
            ("pdfua1", "7.21.8", 1), ("pdfua2", "8.4.5.9", 1)),
    *shared(to_unicode_values, "ToUnicode values are not U+0000, U+FEFF or U+FFFE", ("pdfa2u", "6.2.11.7.2", 2),
            ("pdfa4", "6.2.10.7", 1), ("pdfua1", "7.21.7", 2), ("pdfua2", "8.4.5.8", 2)),
]
