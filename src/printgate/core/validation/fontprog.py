"""Embedded font programs read with fontTools, as the glyph rules need them: for each character code
a text operator shows, is the glyph in the program, what is its width, and is it .notdef.

TrueType (FontFile2) and CFF (FontFile3 Type1C / CIDFontType0C) programs are read with fontTools,
Type 1 (FontFile) programs with our bounded parser (type1.py). A program that cannot be read gives
each code shown a glyph marked ``unreadable``: the rules report "could not read the font program",
never a pass.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass
from typing import Any

import pikepdf

from printgate.core.validation.cmaps import predefined
from printgate.core.validation.type1 import (
    CIDType1Program,
    Type1Program,
    is_cid_keyed,
    parse_cid_type1,
    parse_type1,
)

MAX_PROGRAM = 32 * 1024 * 1024
logging.getLogger("fontTools").setLevel(logging.ERROR)  # malformed tables are findings, not log noise


@dataclass
class GlyphInfo:
    code: int
    name: str | None
    present: bool | None  # None: not known (no program parsed)
    program_width: float | None
    dict_width: float | None
    unreadable: str | None = None  # why the embedded program could not be read


def _standard_names(encoding: str) -> list[str | None]:
    from fontTools.agl import UV2AGL
    from fontTools.encodings.MacRoman import MacRoman
    from fontTools.encodings.StandardEncoding import StandardEncoding

    if encoding == "/StandardEncoding":
        return [n if n != ".notdef" else None for n in StandardEncoding]
    if encoding == "/MacRomanEncoding":
        return [n if n != ".notdef" else None for n in MacRoman]
    if encoding == "/WinAnsiEncoding":
        out: list[str | None] = []
        for code in range(256):
            try:
                ch = bytes([code]).decode("cp1252")
            except UnicodeDecodeError:
                out.append("bullet" if code >= 127 else None)
                continue
            out.append(UV2AGL.get(ord(ch)) if code >= 32 else None)
        out[32] = "space"
        return out
    return [None] * 256


def simple_encoding(font: pikepdf.Dictionary, builtin: list[str | None] | None) -> list[str | None]:
    """Code -> glyph name for a simple font: its Encoding (base + Differences) over the built-in one."""
    enc = font.get("/Encoding")
    names: list[str | None]
    if isinstance(enc, pikepdf.Name):
        names = _standard_names(str(enc))
    elif isinstance(enc, pikepdf.Dictionary):
        base = enc.get("/BaseEncoding")
        names = _standard_names(str(base)) if isinstance(base, pikepdf.Name) else list(
            builtin or _standard_names("/StandardEncoding"))
        diffs = enc.get("/Differences")
        code = 0
        if isinstance(diffs, pikepdf.Array):
            for item in diffs:
                if isinstance(item, pikepdf.Name):
                    if 0 <= code < 256:
                        names[code] = str(item)[1:]
                    code += 1
                else:
                    try:
                        code = int(item)
                    except (TypeError, ValueError):
                        continue
    else:
        names = list(builtin) if builtin else _standard_names("/StandardEncoding")
    return names


class Program:
    """One embedded font program, parsed once."""

    def __init__(self, key: str, stream: pikepdf.Stream) -> None:
        self.key = key
        self.kind: str | None = None
        self.ttf: Any = None
        self.cff_top: Any = None
        self.t1: Type1Program | None = None
        self.cid_t1: CIDType1Program | None = None
        self.t1_order: list[str] | None = None  # CharStrings in program order (a CID indexes it)
        self.error: str | None = None
        try:
            data = stream.read_bytes()
            if len(data) > MAX_PROGRAM:
                raise ValueError("font program larger than 32 MB")
            if key == "/FontFile2" or (key == "/FontFile3" and str(stream.get("/Subtype")) == "/OpenType"):
                from fontTools.ttLib import TTFont

                self.ttf = TTFont(io.BytesIO(data), lazy=True, fontNumber=0)
                if "glyf" in self.ttf or "CFF " in self.ttf:
                    self.kind = "truetype"
                else:
                    self.error = "the TrueType program has no glyf or CFF table"
            elif key == "/FontFile" and is_cid_keyed(data):
                self.cid_t1 = parse_cid_type1(data)
                self.kind = "cidtype1"
            elif key == "/FontFile":
                self.t1 = parse_type1(data)
                self.kind = "type1"
            elif key == "/FontFile3":
                from fontTools.cffLib import CFFFontSet

                cff = CFFFontSet()
                cff.decompile(io.BytesIO(data), None)
                self.cff_top = cff[cff.fontNames[0]]
                self.kind = "cff"
        except Exception as exc:
            self.error = f"{type(exc).__name__}: {exc}"

    # -- CFF ---------------------------------------------------------------------------------

    def cff_builtin(self) -> list[str | None] | None:
        enc = getattr(self.cff_top, "Encoding", None)
        if isinstance(enc, list):
            return [n if n and n != ".notdef" else None for n in enc[:256]] + [None] * max(0, 256 - len(enc))
        if enc == "ExpertEncoding":
            return [None] * 256
        return _standard_names("/StandardEncoding")

    def cff_glyph(self, name: str | None) -> tuple[bool, float | None]:
        top = self.cff_top
        if name is None or name not in top.CharStrings:
            return False, None
        return True, self._cff_width(name)

    def _cff_width(self, name: str) -> float | None:
        from fontTools.pens.basePen import NullPen

        top = self.cff_top
        try:
            cs = top.CharStrings[name]
            cs.draw(NullPen())
            matrix = getattr(top, "FontMatrix", None) or [0.001]
            return float(cs.width) * float(matrix[0]) * 1000
        except Exception:
            return None

    def cff_cid(self, cid: int) -> tuple[bool, float | None]:
        top = self.cff_top
        if not hasattr(top, "ROS"):
            charset = top.charset
            if 0 <= cid < len(charset):
                return True, self._cff_width(charset[cid])
            return False, None
        name = f"cid{cid:05d}"
        if name not in top.CharStrings:
            return False, None
        return True, self._cff_width(name)

    # -- Type 1 ------------------------------------------------------------------------------

    def t1_builtin(self) -> list[str | None]:
        enc = self.t1.encoding if self.t1 is not None else None
        return list(enc) if enc is not None else _standard_names("/StandardEncoding")

    def t1_glyph(self, name: str | None) -> tuple[bool, float | None]:
        if self.t1 is None or name is None or name not in self.t1.charstrings:
            return False, None
        return True, self.t1.width(name)

    def t1_cid(self, cid: int) -> tuple[bool, float | None, str | None]:
        """A CID's glyph in a Type 1 program under a CIDFont: through the CIDMap of a CID-keyed program,
        else the CID is the glyph's position in CharStrings (as a name-keyed CFF program's charset is
        indexed, ISO 32000-1 9.7.4.2). Also the glyph's name where the program names glyphs."""
        if self.cid_t1 is not None:
            present = self.cid_t1.has(cid)
            return present, self.cid_t1.width(cid) if present else None, ".notdef" if cid == 0 else None
        if self.t1 is None or not 0 <= cid < len(self.t1.charstrings):
            return False, None, ".notdef" if cid == 0 else None
        if self.t1_order is None:
            self.t1_order = list(self.t1.charstrings)
        name = self.t1_order[cid]
        return True, self.t1.width(name), name

    # -- TrueType ------------------------------------------------------------------------------

    def tt_gid(self, code: int, name: str | None, symbolic: bool) -> int:
        from fontTools.agl import AGL2UV

        ttf = self.ttf
        cmap = ttf.get("cmap", None)
        tables = {(t.platformID, t.platEncID): t.cmap for t in cmap.tables} if cmap is not None else {}
        order = ttf.getGlyphOrder()
        glyph: str | None = None
        if not symbolic and name:
            if (3, 1) in tables and name in AGL2UV:
                glyph = tables[(3, 1)].get(AGL2UV[name])
            if glyph is None and name in order:
                glyph = name
        if glyph is None and (3, 0) in tables:
            for base in (0, 0xF000, 0xF100, 0xF200):
                glyph = tables[(3, 0)].get(base + code)
                if glyph is not None:
                    break
        if glyph is None and (1, 0) in tables:
            glyph = tables[(1, 0)].get(code)
        if glyph is None and not tables and code < len(order):
            glyph = order[code]
        return order.index(glyph) if glyph in order else 0

    def tt_width(self, gid: int) -> float | None:
        ttf = self.ttf
        try:
            name = ttf.getGlyphOrder()[gid]
            advance = ttf["hmtx"][name][0]
            return float(advance) * 1000 / float(ttf["head"].unitsPerEm)
        except Exception:
            return None

    def tt_glyphs_with_data(self) -> set[int] | None:
        """Glyph ids that have outline data (a subset keeps empty slots for the glyphs it dropped)."""
        try:
            loca = self.ttf["loca"]
        except Exception:
            return None
        offsets = list(loca)
        return {0} | {i for i in range(len(offsets) - 1) if offsets[i + 1] > offsets[i]}

    def tt_count(self) -> int:
        return len(self.ttf.getGlyphOrder())


def program_of(desc_font: pikepdf.Dictionary, cache: dict[Any, Program]) -> Program | None:
    fd = desc_font.get("/FontDescriptor")
    if not isinstance(fd, pikepdf.Dictionary):
        return None
    for key in ("/FontFile2", "/FontFile3", "/FontFile"):
        ff = fd.get(key)
        if isinstance(ff, pikepdf.Stream):
            k = ff.objgen if ff.is_indirect else id(ff)
            if k not in cache:
                cache[k] = Program(key, ff)
            return cache[k]
    return None


def _symbolic(font: pikepdf.Dictionary) -> bool:
    fd = font.get("/FontDescriptor")
    try:
        return bool(int(fd.get("/Flags", 0)) & 4) if isinstance(fd, pikepdf.Dictionary) else False
    except (TypeError, ValueError):
        return False


def _cid_widths(cid_font: pikepdf.Dictionary) -> tuple[dict[int, float], float]:
    widths: dict[int, float] = {}
    dw = float(cid_font.get("/DW", 1000))
    w = cid_font.get("/W")
    if isinstance(w, pikepdf.Array):
        items = list(w)
        i = 0
        while i < len(items) and len(widths) < 200_000:
            try:
                first = int(items[i])
                nxt = items[i + 1]
                if isinstance(nxt, pikepdf.Array):
                    for j, v in enumerate(nxt):
                        widths[first + j] = float(v)
                    i += 2
                else:
                    last, value = int(nxt), float(items[i + 2])
                    for c in range(first, min(last, first + 65536) + 1):
                        widths[c] = value
                    i += 3
            except (IndexError, TypeError, ValueError):
                break
    return widths, dw


_CODESPACE = re.compile(rb"begincodespacerange(.*?)endcodespacerange", re.S)
_CIDMAP = re.compile(rb"begincid(range|char)(.*?)endcid\1", re.S)
_HEXNUM = rb"<([0-9A-Fa-f]+)>"


@dataclass
class EmbeddedCMap:
    """An embedded CMap's code space and code -> CID mappings (cidrange and cidchar sections)."""

    spaces: list[tuple[int, int, int]]  # (byte length, low, high)
    ranges: list[tuple[int, int, int, int]]  # (byte length, low, high, first CID)

    def cids(self, shown: bytes) -> list[int]:
        """The CIDs of the codes in a shown string (a code outside every range maps to CID 0)."""
        out: list[int] = []
        i = 0
        while i < len(shown) and len(out) < 65536:
            for n, lo, hi in self.spaces:
                code = int.from_bytes(shown[i:i + n], "big")
                if len(shown) - i >= n and lo <= code <= hi:
                    break
            else:
                n, code = 1, shown[i]
            out.append(next((cid + code - lo for m, lo, hi, cid in self.ranges if m == n and lo <= code <= hi), 0))
            i += n
        return out

    @property
    def max_cid(self) -> int:
        return max((cid + hi - lo for _, lo, hi, cid in self.ranges), default=0)


def parse_cmap(data: bytes) -> EmbeddedCMap:
    spaces = [(len(a) // 2, int(a, 16), int(b, 16))
              for m in _CODESPACE.finditer(data) for a, b in re.findall(_HEXNUM + rb"\s*" + _HEXNUM, m.group(1))]
    ranges: list[tuple[int, int, int, int]] = []
    for m in _CIDMAP.finditer(data):
        if m.group(1) == b"range":
            for a, b, cid in re.findall(_HEXNUM + rb"\s*" + _HEXNUM + rb"\s*(\d+)", m.group(2)):
                ranges.append((len(a) // 2, int(a, 16), max(int(b, 16), int(a, 16)), int(cid)))
        else:
            for a, cid in re.findall(_HEXNUM + rb"\s*(\d+)", m.group(2)):
                ranges.append((len(a) // 2, int(a, 16), int(a, 16), int(cid)))
    return EmbeddedCMap(sorted(spaces, key=lambda s: s[0]) or [(2, 0, 0xFFFF)], ranges)


def _type3_glyphs(font: pikepdf.Dictionary, codes: set[bytes]) -> list[GlyphInfo]:
    """Type 3 glyphs: the width a glyph procedure declares (d0/d1) against Widths, both in glyph
    space, scaled to thousandths of text space by the FontMatrix."""
    out: list[GlyphInfo] = []
    procs = font.get("/CharProcs")
    matrix = font.get("/FontMatrix")
    try:
        scale = float(matrix[0]) * 1000 if isinstance(matrix, pikepdf.Array) else 1.0
    except (TypeError, ValueError, IndexError):
        scale = 1.0
    names = simple_encoding(font, None)
    first = int(font.get("/FirstChar", 0))
    widths = font.get("/Widths")
    for code in sorted({b for s in codes for b in s}):
        name = names[code] if code < len(names) else None
        proc = procs.get("/" + name) if isinstance(procs, pikepdf.Dictionary) and name else None
        prog_w: float | None = None
        if isinstance(proc, pikepdf.Stream):
            m = re.match(rb"\s*(-?[\d.]+)\s+(-?[\d.]+)\s+(?:(?:-?[\d.]+\s+){4})?d[01]\b", proc.read_bytes()[:256])
            prog_w = float(m.group(1)) * scale if m else None
        dict_w: float | None = None
        if isinstance(widths, pikepdf.Array) and 0 <= code - first < len(widths):
            dict_w = float(widths[code - first]) * scale
        out.append(GlyphInfo(code, name, True if isinstance(proc, pikepdf.Stream) else None, prog_w, dict_w))
    return out


def _unreadable(prog: Program, codes: list[int], why: str | None = None) -> list[GlyphInfo]:
    why = why or prog.error or "unknown font program format"
    return [GlyphInfo(code, None, False, None, None, unreadable=why) for code in codes[:65536]]


def glyphs(font: pikepdf.Dictionary, codes: set[bytes], cache: dict[Any, Program]) -> list[GlyphInfo]:
    """What each distinct character code shown with ``font`` maps to in its embedded program."""
    sub = str(font.get("/Subtype"))
    out: list[GlyphInfo] = []
    if sub in ("/Type1", "/MMType1", "/TrueType"):
        prog = program_of(font, cache)
        seen = sorted({b for s in codes for b in s})
        if prog is not None and prog.kind is None:
            return _unreadable(prog, seen)
        if prog is not None and prog.kind == "cidtype1":
            return _unreadable(prog, seen, "a CID-keyed Type 1 program cannot serve a simple font")
        if prog is None:
            return out
        builtin = prog.cff_builtin() if prog.kind == "cff" else prog.t1_builtin() if prog.kind == "type1" else None
        names = simple_encoding(font, builtin)
        first = int(font.get("/FirstChar", 0))
        widths = font.get("/Widths")
        fd = font.get("/FontDescriptor")
        missing = float(fd.get("/MissingWidth", 0)) if isinstance(fd, pikepdf.Dictionary) else 0.0
        symbolic = _symbolic(font)
        for code in seen:
            name = names[code] if code < len(names) else None
            dict_w: float | None = None
            if isinstance(widths, pikepdf.Array):
                idx = code - first
                dict_w = float(widths[idx]) if 0 <= idx < len(widths) else missing
            if prog.kind == "cff":
                present, prog_w = prog.cff_glyph(name)
            elif prog.kind == "type1":
                present, prog_w = prog.t1_glyph(name)
            else:
                gid = prog.tt_gid(code, name, symbolic or sub != "/TrueType")
                present, prog_w = gid != 0, prog.tt_width(gid) if gid else None
            out.append(GlyphInfo(code, name, present, prog_w, dict_w))
    elif sub == "/Type3":
        out = _type3_glyphs(font, codes)
    elif sub == "/Type0":
        enc = font.get("/Encoding")
        desc = font.get("/DescendantFonts")
        cid_font = desc[0] if isinstance(desc, pikepdf.Array) and len(desc) else None
        identity = isinstance(enc, pikepdf.Name) and str(enc) in ("/Identity-H", "/Identity-V")
        named = predefined(str(enc)[1:]) if isinstance(enc, pikepdf.Name) and not identity else None
        if not (identity or named or isinstance(enc, pikepdf.Stream)) or not isinstance(cid_font, pikepdf.Dictionary):
            return out  # a CMap that is neither Identity, predefined nor embedded: no CIDs to read
        prog = program_of(cid_font, cache)
        if prog is not None and prog.kind is None:
            return _unreadable(prog, sorted({int.from_bytes(s[i:i + 2], "big")
                                             for s in codes for i in range(0, len(s) - 1, 2)}))
        if prog is None or (prog.kind in ("type1", "cidtype1") and str(cid_font.get("/Subtype")) != "/CIDFontType0"):
            return out
        if isinstance(enc, pikepdf.Stream):
            try:
                cmap = parse_cmap(enc.read_bytes())
            except Exception:
                return out
            cids = sorted({cid for s in codes for cid in cmap.cids(s)})
        elif named is not None:  # a predefined CMap (cmaps): a code it maps to no CID shows CID 0 or its notdef CID
            cids = sorted({named.cid(code, n)[0] for s in codes for code, n, _ in named.code_space.split(s)})
        else:
            cids = sorted({int.from_bytes(s[i:i + 2], "big") for s in codes for i in range(0, len(s) - 1, 2)})
        wmap, dw = _cid_widths(cid_font)
        c2g = cid_font.get("/CIDToGIDMap")
        gmap = c2g.read_bytes() if isinstance(c2g, pikepdf.Stream) else None
        for cid in cids[:65536]:
            if prog.kind == "cff":
                present, prog_w = prog.cff_cid(cid)
                name = ".notdef" if cid == 0 else None
            elif prog.kind in ("type1", "cidtype1"):
                try:
                    present, prog_w, name = prog.t1_cid(cid)
                except Exception as exc:  # a CIDMap entry pointing outside the program
                    out.append(GlyphInfo(cid, None, False, None, None, unreadable=f"{type(exc).__name__}: {exc}"))
                    continue
            else:
                gid = int.from_bytes(gmap[2 * cid:2 * cid + 2], "big") if gmap is not None else cid
                present = gid < prog.tt_count() if gmap is None or 2 * cid + 2 <= len(gmap) else False
                prog_w = prog.tt_width(gid) if present else None
                name = ".notdef" if gid == 0 else None
            out.append(GlyphInfo(cid, name, present, prog_w, wmap.get(cid, dw)))
    return out


def to_unicode_map(font: pikepdf.Dictionary) -> dict[int, str] | None:
    """The ToUnicode CMap as code -> text (bfchar and bfrange), or None when the font has none."""
    import re

    tu = font.get("/ToUnicode")
    if not isinstance(tu, pikepdf.Stream):
        return None
    try:
        data = tu.read_bytes()[:4_000_000]
    except Exception:
        return {}

    def text(hexstr: bytes) -> str:
        raw = bytes.fromhex(re.sub(rb"\s", b"", hexstr).decode("ascii"))
        return raw.decode("utf-16-be", errors="replace")

    out: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
        for src, dst in re.findall(rb"<([0-9A-Fa-f\s]+)>\s*<([0-9A-Fa-f\s]*)>", block):
            try:
                out[int(src, 16)] = text(dst)
            except ValueError:
                continue
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.S):
        for lo, hi, rest in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(<[0-9A-Fa-f\s]*>|\[[^\]]*\])", block):
            try:
                a, b = int(lo, 16), int(hi, 16)
                if b - a > 65536:
                    continue
                if rest.startswith(b"["):
                    for i, item in enumerate(re.findall(rb"<([0-9A-Fa-f\s]*)>", rest)):
                        out[a + i] = text(item)
                else:
                    base = text(rest[1:-1])
                    for i in range(b - a + 1):
                        out[a + i] = base[:-1] + chr(ord(base[-1]) + i) if base else ""
            except (ValueError, OverflowError):
                continue
    return out
