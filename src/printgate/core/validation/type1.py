"""Embedded Type 1 font programs (FontFile): the glyph names, built-in encoding and advance widths.

Written here rather than through a PostScript interpreter: the program comes from an untrusted file,
so the parser reads only the few structures the glyph rules need (the cleartext FontMatrix and
Encoding, the eexec-encrypted Private dictionary's lenIV, Subrs and CharStrings) with every loop
bounded by the data it walks. Anything malformed raises ``Type1Error``, which the rules report as
"could not read the font program", never as a pass.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field

EEXEC_KEY = 55665
CHARSTRING_KEY = 4330
MAX_GLYPHS = 65536
MAX_CHARSTRING = 65535
MAX_SUBR_DEPTH = 10
MAX_OPERATIONS = 20_000  # per glyph width, subroutine calls included
MAX_EEXEC = 8 * 1024 * 1024  # the largest Type 1 programs are about 1 MB; decryption is a byte-by-byte loop

_NAME = rb"[^\s/\[\]{}()<>%]+"
_ENTRY = re.compile(rb"\s*/(" + _NAME + rb")\s+(\d+)\s+(" + _NAME + rb")\s")
_SUBR = re.compile(rb"\s*dup\s+(\d+)\s+(\d+)\s+(" + _NAME + rb")\s")
_AFTER_BINARY = re.compile(rb"\s*(?:ND|\|-|NP|\||noaccess\s+def|noaccess\s+put|def|put|readonly\s+def|readonly\s+put)")
_ENCODING_ENTRY = re.compile(rb"dup\s+(\d+)\s*/(" + _NAME + rb")\s+put")
_FONT_MATRIX = re.compile(rb"/FontMatrix\s*[\[{]([^\]}]{0,200})[\]}]")
_HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")


class Type1Error(ValueError):
    """The program is not a readable Type 1 font program."""


def decrypt(data: bytes, key: int, skip: int) -> bytes:
    """Type 1 decryption (eexec with key 55665, charstrings with 4330), dropping ``skip`` leading bytes."""
    r = key
    out = bytearray(len(data))
    for i, c in enumerate(data):
        out[i] = c ^ (r >> 8)
        r = ((c + r) * 52845 + 22719) & 0xFFFF
    return bytes(out[skip:])


def encrypt(plain: bytes, key: int) -> bytes:
    """The inverse of ``decrypt`` (the caller adds the leading random bytes): tests build programs with it."""
    r = key
    out = bytearray(len(plain))
    for i, p in enumerate(plain):
        c = p ^ (r >> 8)
        out[i] = c
        r = ((c + r) * 52845 + 22719) & 0xFFFF
    return bytes(out)


@dataclass
class Type1Program:
    font_matrix: tuple[float, ...]
    encoding: list[str | None] | None  # the built-in encoding; None: StandardEncoding
    charstrings: dict[str, bytes]  # still encrypted, as in the program
    subrs: list[bytes]
    len_iv: int = 4
    _widths: dict[str, float | None] = field(default_factory=dict)

    @property
    def glyph_names(self) -> set[str]:
        return set(self.charstrings)

    def width(self, name: str) -> float | None:
        """The advance width (hsbw/sbw) of a glyph in thousandths of text space, or None if unknown."""
        if name not in self._widths:
            cs = self.charstrings.get(name)
            units = _advance(self._plain(cs), self, 0, [0]) if cs is not None else None
            self._widths[name] = None if units is None else units * (self.font_matrix[0] * 1000)
        return self._widths[name]

    def _plain(self, cs: bytes) -> bytes:
        return cs if self.len_iv < 0 else decrypt(cs, CHARSTRING_KEY, self.len_iv)


def _advance(code: bytes, prog: Type1Program, depth: int, budget: list[int]) -> float | None:
    """Run a charstring only as far as its hsbw or sbw (which come first): the advance width in glyph units."""
    stack: list[float] = []
    i = 0
    while i < len(code):
        budget[0] += 1
        if budget[0] > MAX_OPERATIONS or len(stack) > 48:
            return None
        v = code[i]
        if v >= 32:
            if v <= 246:
                stack.append(v - 139)
                i += 1
            elif v <= 250:
                if i + 1 >= len(code):
                    return None
                stack.append((v - 247) * 256 + code[i + 1] + 108)
                i += 2
            elif v <= 254:
                if i + 1 >= len(code):
                    return None
                stack.append(-(v - 251) * 256 - code[i + 1] - 108)
                i += 2
            else:
                if i + 4 >= len(code):
                    return None
                stack.append(int.from_bytes(code[i + 1:i + 5], "big", signed=True))
                i += 5
            continue
        if v == 13:  # hsbw: sbx wx
            return stack[-1] if len(stack) >= 2 else None
        if v == 12:
            if i + 1 >= len(code):
                return None
            esc = code[i + 1]
            i += 2
            if esc == 7:  # sbw: sbx sby wx wy
                return stack[-2] if len(stack) >= 4 else None
            if esc == 12 and len(stack) >= 2 and stack[-1] != 0:  # div
                b = stack.pop()
                stack.append(stack.pop() / b)
                continue
            return None
        if v == 10:  # callsubr
            if not stack or depth >= MAX_SUBR_DEPTH:
                return None
            index = int(stack.pop())
            if not 0 <= index < len(prog.subrs):
                return None
            width = _advance(prog._plain(prog.subrs[index]), prog, depth + 1, budget)
            if width is not None:
                return width
            return None
        return None  # any other operator before the width: not a valid Type 1 charstring
    return None


def _split(data: bytes) -> tuple[bytes, bytes]:
    """The cleartext part and the binary eexec part (PFB segments, or a FontFile stream as is)."""
    if data[:2] == b"\x80\x01":
        segments: list[bytes] = []
        pos = 0
        while pos + 6 <= len(data) and data[pos] == 0x80 and data[pos + 1] in (1, 2) and len(segments) < 64:
            n = int.from_bytes(data[pos + 2:pos + 6], "little")
            segments.append(data[pos + 6:pos + 6 + n])
            pos += 6 + n
        if len(segments) < 2:
            raise Type1Error("damaged PFB segments")
        return segments[0], b"".join(segments[1:])
    at = data.find(b"eexec")
    if at < 0:
        raise Type1Error("no eexec section")
    clear, rest = data[:at + 5], data[at + 5:]
    rest = rest.lstrip(b" \t\r\n")
    if len(rest) >= 4 and all(b in _HEX_DIGITS for b in rest[:4]):
        hexpart = re.match(rb"[0-9A-Fa-f\s]*", rest)
        digits = re.sub(rb"\s", b"", hexpart.group(0) if hexpart else b"")
        rest = bytes.fromhex(digits[:len(digits) // 2 * 2].decode("ascii"))
    return clear, rest


def _encoding(clear: bytes) -> list[str | None] | None:
    m = re.search(rb"/Encoding\s+(StandardEncoding|\d+\s+array)", clear)
    if m is None or m.group(1) == b"StandardEncoding":
        return None
    names: list[str | None] = [None] * 256
    for code, name in _ENCODING_ENTRY.findall(clear, m.end()):
        if int(code) < 256:
            names[int(code)] = name.decode("latin-1")
    return names


def _font_matrix(clear: bytes) -> tuple[float, ...]:
    m = _FONT_MATRIX.search(clear)
    if m is None:
        return (0.001, 0.0, 0.0, 0.001, 0.0, 0.0)
    try:
        values = tuple(float(v) for v in m.group(1).split())
    except ValueError as exc:
        raise Type1Error("unreadable FontMatrix") from exc
    if len(values) != 6 or values[0] == 0:
        raise Type1Error("FontMatrix is not six numbers")
    return values


def _binary(private: bytes, pos: int, length: int, what: str) -> tuple[bytes, int]:
    if length > MAX_CHARSTRING or pos + length > len(private):
        raise Type1Error(f"{what} runs past the end of the program")
    data = private[pos:pos + length]
    pos += length
    tail = _AFTER_BINARY.match(private, pos)
    return data, tail.end() if tail else pos


def _subrs(private: bytes) -> list[bytes]:
    m = re.search(rb"/Subrs\s+(\d+)\s+array", private)
    if m is None:
        return []
    count = min(int(m.group(1)), MAX_GLYPHS)
    subrs = [b""] * count
    pos = m.end()
    for _ in range(count):
        entry = _SUBR.match(private, pos)
        if entry is None:
            break
        index, length = int(entry.group(1)), int(entry.group(2))
        data, pos = _binary(private, entry.end(), length, "a subroutine")
        if index < count:
            subrs[index] = data
    return subrs


def _charstrings(private: bytes) -> dict[str, bytes]:
    m = re.search(rb"/CharStrings\s+(\d+)\s+dict\s+(?:dup\s+)?begin", private)
    if m is None:
        raise Type1Error("no CharStrings dictionary")
    glyphs: dict[str, bytes] = {}
    pos = m.end()
    while len(glyphs) < MAX_GLYPHS:
        entry = _ENTRY.match(private, pos)
        if entry is None:
            break
        data, pos = _binary(private, entry.end(), int(entry.group(2)), "a charstring")
        glyphs[entry.group(1).decode("latin-1")] = data
    if not glyphs:
        raise Type1Error("the CharStrings dictionary is empty")
    return glyphs


def parse_type1(data: bytes) -> Type1Program:
    """Read a Type 1 font program (a FontFile stream's bytes, PFA or PFB)."""
    clear, encrypted = _split(data)
    if not clear.lstrip().startswith(b"%!"):
        raise Type1Error("not a Type 1 font program (no %! header)")
    if len(encrypted) < 4:
        raise Type1Error("the eexec section is empty")
    if len(encrypted) > MAX_EEXEC:
        raise Type1Error("the eexec section is larger than 8 MB")
    private = decrypt(encrypted, EEXEC_KEY, 4)
    iv = re.search(rb"/lenIV\s+(-?\d+)", private)
    len_iv = int(iv.group(1)) if iv else 4
    if len_iv > 64:
        raise Type1Error(f"lenIV {len_iv} is out of range")
    return Type1Program(_font_matrix(clear), _encoding(clear), _charstrings(private), _subrs(private), len_iv)


# -- CID-keyed Type 1 (a CIDFont program, CIDFontType 0: Adobe Technical Note 5014) ----------------

MAX_CIDS = 65536  # a CID is at most 65535 (ISO 19005 implementation limits)
_START_DATA = re.compile(rb"\((Binary|Hex)\)\s+(\d+)\s+StartData[ \t\r\n]")
_FD_ENTRY = re.compile(rb"\bdup\s+\d+\s+(?:%[^\r\n]*[\r\n]+\s*)*(?:\d+\s+dict\s+(?:dup\s+)?begin|<<)")


def is_cid_keyed(data: bytes) -> bool:
    """A CID-keyed Type 1 program (its glyphs are reached through a CIDMap, not CharStrings by name)."""
    head = data[:65536]
    return ((b"StartData" in head or b"/GlyphDirectory" in head)
            and re.search(rb"/CIDFontType\s+0\b", head) is not None)


def _int_key(text: bytes, key: bytes, default: int | None = None) -> int:
    m = re.search(rb"/" + key + rb"\s+(-?\d+)\s+def", text)
    if m is None:
        if default is None:
            raise Type1Error(f"the CIDFont has no {key.decode()}")
        return default
    return int(m.group(1))


def _offsets(data: bytes, at: int, count: int, size: int, what: str) -> list[int]:
    if not 1 <= size <= 4 or at < 0 or at + count * size > len(data):
        raise Type1Error(f"the {what} runs past the end of the binary data")
    return [int.from_bytes(data[at + i * size:at + (i + 1) * size], "big") for i in range(count)]


@dataclass
class CIDType1Program:
    """A CID-keyed Type 1 program: glyph data by CID through the CIDMap, each glyph's Private (lenIV,
    Subrs, FontMatrix) from the font dictionary (FDArray entry) the CIDMap names."""

    cid_count: int
    fd_bytes: int
    gd_bytes: int
    cid_map_offset: int
    data: bytes  # the binary data after StartData
    fds: list[Type1Program]  # one per FDArray entry: its FontMatrix (times the top one), Subrs, lenIV
    directory: dict[int, bytes] | None = None  # GlyphDirectory: CID -> FD index bytes + charstring
    _widths: dict[int, float | None] = field(default_factory=dict)

    def _entry(self, cid: int) -> tuple[int, int]:
        size = self.fd_bytes + self.gd_bytes
        at = self.cid_map_offset + cid * size
        fd = int.from_bytes(self.data[at:at + self.fd_bytes], "big") if self.fd_bytes else 0
        return fd, int.from_bytes(self.data[at + self.fd_bytes:at + size], "big")

    def glyph(self, cid: int) -> tuple[int, bytes] | None:
        """The FDArray index and the (encrypted) charstring of a CID, or None when the program lacks it."""
        if not 0 <= cid < self.cid_count:
            return None
        if self.directory is not None:
            return self._directory_glyph(cid)
        fd, start = self._entry(cid)
        _, end = self._entry(cid + 1)
        if end <= start:
            return None
        if fd >= len(self.fds) or end > len(self.data) or end - start > MAX_CHARSTRING:
            raise Type1Error(f"CID {cid}: the CIDMap points outside the program")
        return fd, self.data[start:end]

    def _directory_glyph(self, cid: int) -> tuple[int, bytes] | None:
        assert self.directory is not None
        value = self.directory.get(cid)
        if value is None or len(value) <= self.fd_bytes:
            return None  # absent, null or empty: the program has no glyph for the CID
        fd = int.from_bytes(value[:self.fd_bytes], "big") if self.fd_bytes else 0
        if fd >= len(self.fds):
            raise Type1Error(f"CID {cid}: GlyphDirectory names font dictionary {fd} of {len(self.fds)}")
        return fd, value[self.fd_bytes:]

    def has(self, cid: int) -> bool:
        return self.glyph(cid) is not None

    def cids(self) -> set[int]:
        """Every CID the program defines a glyph for."""
        if self.directory is not None:
            return {cid for cid, value in self.directory.items() if value is not None and len(value) > self.fd_bytes}
        out: set[int] = set()
        ends = [self._entry(c)[1] for c in range(self.cid_count + 1)]
        for cid in range(self.cid_count):
            if ends[cid + 1] > ends[cid]:
                out.add(cid)
        return out

    def width(self, cid: int) -> float | None:
        """The advance width of a CID's glyph in thousandths of text space, or None if unknown."""
        if cid not in self._widths:
            found = self.glyph(cid)
            if found is None:
                self._widths[cid] = None
            else:
                fd = self.fds[found[0]]
                units = _advance(fd._plain(found[1]), fd, 0, [0])
                self._widths[cid] = None if units is None else units * fd.font_matrix[0] * 1000
        return self._widths[cid]


# -- the PostScript a GlyphDirectory is written in ------------------------------------------------

_WHITE = b" \t\r\n\f\x00"
_DELIMITERS = b"()<>[]{}/%"
_READSTRING = re.compile(rb"/(" + _NAME + rb")\s*\{\s*string\s+currentfile\s+exch\s+readstring\s+pop\s*\}")
_ESCAPES = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b", ord("f"): b"\f"}
_MODIFIERS = frozenset({b"dup", b"readonly", b"noaccess", b"executeonly"})
_STORES = frozenset({b"put", b"def", b"NP", b"ND", b"|", b"|-"})
Token = tuple[str, object]  # ("int", int) ("str", bytes) ("name", bytes) ("lit", bytes) ("punct", bytes) ...


class _Tokens:
    """A bounded reader of the PostScript tokens a CIDFont uses to define strings: integers, names,
    literal, hex and ASCII85 strings, brackets, and the ``N RD <N bytes>`` binary strings of Type 1
    (``readstring`` names the procedures defined as ``{string currentfile exch readstring pop}``)."""

    def __init__(self, data: bytes, pos: int, readstring: frozenset[bytes]) -> None:
        self.data, self.pos, self.readstring = data, pos, readstring

    def _skip_space(self) -> None:
        data, n = self.data, len(self.data)
        while self.pos < n:
            c = data[self.pos]
            if c in _WHITE:
                self.pos += 1
            elif c == 0x25:  # % comment to the end of the line
                while self.pos < n and data[self.pos] not in b"\r\n":
                    self.pos += 1
            else:
                return

    def next(self) -> Token:
        self._skip_space()
        data, at = self.data, self.pos
        if at >= len(data):
            return "eof", None
        c = data[at:at + 1]
        if c == b"(":
            return "str", self._literal()
        if data.startswith(b"<~", at):
            end = data.find(b"~>", at)
            if end < 0:
                raise Type1Error("an ASCII85 string runs past the end of the program")
            self.pos = end + 2
            try:
                return "str", base64.a85decode(data[at + 2:end], ignorechars=_WHITE)
            except ValueError as exc:
                raise Type1Error("a damaged ASCII85 string") from exc
        if data.startswith(b"<<", at) or data.startswith(b">>", at):
            self.pos = at + 2
            return "punct", data[at:at + 2]
        if c == b"<":
            end = data.find(b">", at)
            if end < 0:
                raise Type1Error("a hex string runs past the end of the program")
            digits = bytes(b for b in data[at + 1:end] if b not in _WHITE)
            self.pos = end + 1
            if any(b not in _HEX_DIGITS for b in digits):
                raise Type1Error("a hex string holds a character that is not a hex digit")
            return "str", bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode("ascii"))
        if c in (b"[", b"]", b"{", b"}", b")", b">"):
            self.pos = at + 1
            return "punct", c
        start = at + 1 if c == b"/" else at
        end = start
        while end < len(data) and data[end] not in _WHITE and data[end] not in _DELIMITERS:
            end += 1
        self.pos = end
        word = data[start:end]
        if c == b"/":
            return "lit", word
        if re.fullmatch(rb"[+-]?\d{1,12}", word):
            return "int", int(word)
        return "name", word

    def _literal(self) -> bytes:
        data, i, depth, out = self.data, self.pos + 1, 1, bytearray()
        while i < len(data):
            c = data[i]
            if c == 0x5C and i + 1 < len(data):  # backslash
                e = data[i + 1]
                i += 2
                if e in _ESCAPES:
                    out += _ESCAPES[e]
                elif 0x30 <= e <= 0x37:
                    digits = bytes([e])
                    while len(digits) < 3 and i < len(data) and 0x30 <= data[i] <= 0x37:
                        digits += data[i:i + 1]
                        i += 1
                    out.append(int(digits, 8) & 0xFF)
                elif e == 0x0D:
                    i += 1 if data[i:i + 1] == b"\n" else 0
                elif e != 0x0A:
                    out.append(e)
                continue
            depth += c == 0x28
            depth -= c == 0x29
            if depth == 0:
                self.pos = i + 1
                return bytes(out)
            out.append(c)
            i += 1
        raise Type1Error("a string runs past the end of the program")

    def value(self) -> bytes | None:
        """A string value (or ``null``) where a program stores a charstring or subroutine."""
        kind, v = self.next()
        if kind == "str":
            return v  # type: ignore[return-value]
        if (kind, v) == ("name", b"null"):
            return None
        if kind == "int" and isinstance(v, int):
            kind2, v2 = self.next()
            if kind2 == "name" and v2 in self.readstring:
                if not 0 <= v <= MAX_CHARSTRING or self.pos + 1 + v > len(self.data):
                    raise Type1Error("a binary string runs past the end of the program")
                self.pos += 1 + v  # one space after RD, then the bytes
                return self.data[self.pos - v:self.pos]
        raise Type1Error("a value that is not a string where a charstring was expected")

    def entries(self, limit: int, what: str) -> dict[int, bytes | None]:
        """``[dup] INDEX VALUE put|def|NP|ND`` entries (inside ``begin``/``end`` too) until another token."""
        out: dict[int, bytes | None] = {}
        depth = 0
        while True:
            save = self.pos
            kind, v = self.next()
            if kind == "name" and v in _MODIFIERS:
                continue
            if (kind, v) == ("name", b"begin"):
                depth += 1
                continue
            if (kind, v) == ("name", b"end") and depth:
                depth -= 1
                if depth == 0:
                    return out
                continue
            if kind != "int" or not isinstance(v, int):
                self.pos = save
                return out
            if not 0 <= v < limit:
                raise Type1Error(f"{what} has an entry {v} outside 0..{limit - 1}")
            out[v] = self.value()
            while True:
                save = self.pos
                kind, word = self.next()
                if kind != "name" or (word not in _STORES and word not in _MODIFIERS):
                    self.pos = save
                    break

    def container(self, limit: int, what: str) -> dict[int, bytes | None]:
        """An array or dictionary of strings keyed by index: ``[ ... ]``, ``<< k v ... >>``, or
        ``N array`` / ``N dict`` followed by its entries."""
        kind, v = self.next()
        out: dict[int, bytes | None] = {}
        if (kind, v) == ("punct", b"["):
            while len(out) <= limit:
                save = self.pos
                if self.next() == ("punct", b"]"):
                    return out
                self.pos = save
                out[len(out)] = self.value()
            raise Type1Error(f"{what} has more than {limit} entries")
        if (kind, v) == ("punct", b"<<"):
            while len(out) <= limit:
                kind, key = self.next()
                if (kind, key) == ("punct", b">>"):
                    return out
                if kind != "int" or not isinstance(key, int) or not 0 <= key < limit:
                    raise Type1Error(f"{what} has a key that is not an index 0..{limit - 1}")
                out[key] = self.value()
            raise Type1Error(f"{what} has more than {limit} entries")
        if kind == "int" and self.next() in (("name", b"array"), ("name", b"dict")):
            return self.entries(limit, what)
        raise Type1Error(f"{what} is not an array or a dictionary")


def _readstring_names(data: bytes) -> frozenset[bytes]:
    return frozenset({b"RD", b"-|", *(m.group(1) for m in _READSTRING.finditer(data[:MAX_EEXEC]))})


def _subrs_array(chunk: bytes, readstring: frozenset[bytes]) -> list[bytes]:
    """A Private dictionary's own Subrs array (a GlyphDirectory CIDFont keeps them there)."""
    m = re.search(rb"/Subrs\b", chunk)
    if m is None:
        return []
    found = _Tokens(chunk, m.end(), readstring).container(MAX_GLYPHS, "Subrs")
    subrs = [b""] * (max(found) + 1 if found else 0)
    for i, sub in found.items():
        subrs[i] = sub or b""
    return subrs


def _glyph_directory(data: bytes, at: int, cid_count: int,
                     readstring: frozenset[bytes]) -> tuple[dict[int, bytes], list[tuple[int, int]]]:
    """The GlyphDirectory defined at ``at`` (PLRM 3rd ed. 5.11.4: CID -> FD index + charstring), with the
    entries ``GlyphDirectory begin ... end`` and ``GlyphDirectory CID (...) put`` add later; and the spans
    of the program it took up."""
    tokens = _Tokens(data, at + len(b"/GlyphDirectory"), readstring)
    found = tokens.container(cid_count, "GlyphDirectory")
    spans = [(at, tokens.pos)]
    for later in re.finditer(rb"(?<![/\w])GlyphDirectory(?=\s+(?:begin|\d))", data[tokens.pos:]):
        start = spans[0][1] + later.start()
        if start < spans[-1][1]:
            continue
        tokens.pos = start + len(b"GlyphDirectory")
        found.update(tokens.entries(cid_count, "GlyphDirectory"))
        spans.append((start, tokens.pos))
    return {cid: v for cid, v in found.items() if v}, spans


def _fd_private(chunk: bytes, top_scale: float, data: bytes, readstring: frozenset[bytes]) -> Type1Program:
    """One FDArray font dictionary: FontMatrix (scaled by the CIDFont's own), lenIV and its Subrs, which
    live in the binary data at SubrMapOffset (SubrCount + 1 offsets of SDBytes each) or, without binary
    data, in the Private dictionary's own Subrs array."""
    matrix = _font_matrix(chunk)
    len_iv = _int_key(chunk, b"lenIV", 4)
    if len_iv > 64:
        raise Type1Error(f"lenIV {len_iv} is out of range")
    subrs: list[bytes] = []
    count = _int_key(chunk, b"SubrCount", 0)
    if count > 0:
        if count > MAX_GLYPHS:
            raise Type1Error("SubrCount is out of range")
        ends = _offsets(data, _int_key(chunk, b"SubrMapOffset"), count + 1, _int_key(chunk, b"SDBytes"), "SubrMap")
        for i in range(count):
            if not ends[i] <= ends[i + 1] <= len(data) or ends[i + 1] - ends[i] > MAX_CHARSTRING:
                raise Type1Error(f"subroutine {i} lies outside the binary data")
            subrs.append(data[ends[i]:ends[i + 1]])
    else:
        subrs = _subrs_array(chunk, readstring)
    scaled = (matrix[0] * top_scale, *matrix[1:])
    return Type1Program(scaled, None, {}, subrs, len_iv)


def _start_data(data: bytes, m: re.Match[bytes]) -> bytes:
    """The binary data after ``(Binary|Hex) N StartData``."""
    length = int(m.group(2))
    rest = data[m.end():]
    if m.group(1) == b"Hex":
        digits = re.sub(rb"\s", b"", rest[:2 * length + length // 16 + 1024])
        try:
            binary = bytes.fromhex(digits[:2 * length].decode("ascii"))
        except ValueError as exc:
            raise Type1Error("the CIDFont's hex data is not hexadecimal") from exc
    else:
        binary = rest[:length]
    if len(binary) < length:
        raise Type1Error("the CIDFont's binary data is shorter than StartData says")
    if length > MAX_EEXEC:
        raise Type1Error("the CIDFont's binary data is larger than 8 MB")
    return binary


def parse_cid_type1(data: bytes) -> CIDType1Program:
    """Read a CID-keyed Type 1 program: the cleartext CIDFont dictionary, then its glyphs in binary or hex
    StartData through the CIDMap, or in a GlyphDirectory."""
    m = _START_DATA.search(data)
    gd = re.search(rb"/GlyphDirectory(?![^\s/\[\]{}()<>%])", data[:m.start()] if m else data[:MAX_EEXEC])
    if m is None and gd is None:
        raise Type1Error("the CIDFont has no StartData and no GlyphDirectory")
    if m is None and len(data) > MAX_EEXEC:
        raise Type1Error("the CIDFont program is larger than 8 MB")
    clear = data[:m.start()] if m else data[:MAX_EEXEC]
    binary = _start_data(data, m) if m else b""
    cid_count = _int_key(clear, b"CIDCount")
    if not 0 < cid_count <= MAX_CIDS:
        raise Type1Error(f"CIDCount {cid_count} is out of range")
    fd_bytes = _int_key(clear, b"FDBytes")
    if not 0 <= fd_bytes <= 4:
        raise Type1Error("FDBytes is out of range")
    readstring = _readstring_names(clear)
    directory: dict[int, bytes] | None = None
    if gd is not None:
        directory, spans = _glyph_directory(clear, gd.start(), cid_count, readstring)
        for start, end in reversed(spans):  # the font dictionaries are read from what is left
            clear = clear[:start] + b" " + clear[end:]
        gd_bytes = map_at = 0
    else:
        gd_bytes = _int_key(clear, b"GDBytes")
        if not 1 <= gd_bytes <= 4:
            raise Type1Error("FDBytes or GDBytes is out of range")
        map_at = _int_key(clear, b"CIDMapOffset")
        _offsets(binary, map_at, cid_count + 1, fd_bytes + gd_bytes, "CIDMap")  # bounds only
    fd_array = re.search(rb"/FDArray\s+(\d+)\s+array", clear)
    if fd_array is None:
        raise Type1Error("the CIDFont has no FDArray")
    body = clear[fd_array.end():]
    starts = [e.start() for e in _FD_ENTRY.finditer(body)][:int(fd_array.group(1))]
    if not starts:
        raise Type1Error("the FDArray holds no font dictionary")
    head = clear[:fd_array.start()]
    top = _font_matrix(head) if _FONT_MATRIX.search(head) else (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    chunks = [body[a:b] for a, b in zip(starts, [*starts[1:], len(body)], strict=True)]
    fds = [_fd_private(chunk, top[0], binary, readstring) for chunk in chunks]
    return CIDType1Program(cid_count, fd_bytes, gd_bytes, map_at, binary, fds, directory)
