"""Type 1 font programs the tests build themselves (cleartext part, eexec-encrypted Private dictionary
and CharStrings), and a way to embed one as FontFile in a test PDF."""

from __future__ import annotations

import base64

import pikepdf
from pikepdf import Array, Dictionary, Name

from printgate.core.validation.type1 import CHARSTRING_KEY, EEXEC_KEY, encrypt
from tests.core.validation.pdfs import Mutate


def number(v: int) -> bytes:
    """A Type 1 charstring number."""
    if -107 <= v <= 107:
        return bytes([v + 139])
    if 108 <= v <= 1131:
        return bytes([247 + (v - 108) // 256, (v - 108) % 256])
    if -1131 <= v <= -108:
        return bytes([251 + (-v - 108) // 256, (-v - 108) % 256])
    return b"\xff" + v.to_bytes(4, "big", signed=True)


def charstring(width: int, *, via_subr: bool = False) -> bytes:
    """hsbw 0 ``width`` (or ``0 callsubr`` to a subroutine that holds it: see ``type1_program``), a
    triangle, endchar."""
    head = number(0) + b"\x0a" if via_subr else number(0) + number(width) + b"\x0d"
    return (head + number(50) + number(0) + b"\x15" + number(250) + number(700) + b"\x05"
            + number(250) + number(-700) + b"\x05" + b"\x09\x0e")


def type1_program(widths: dict[str, int], *, encoding: dict[int, str] | None = None, hex_eexec: bool = False,
                  len_iv: int = 4, subr_width: int | None = None, name: str = "ABCDEF+Tiny1") -> bytes:
    """A Type 1 program with a glyph per ``widths`` entry (advance width in 1/1000 em) and .notdef.

    ``encoding`` gives a built-in encoding (else StandardEncoding); ``subr_width`` puts the hsbw of every
    glyph built with ``via_subr`` in subroutine 0 with that width."""
    def enc_cs(cs: bytes) -> bytes:
        return cs if len_iv < 0 else encrypt(b"\x00" * len_iv + cs, CHARSTRING_KEY)

    if encoding is None:
        enc = b"/Encoding StandardEncoding def\n"
    else:
        enc = b"/Encoding 256 array\n0 1 255 {1 index exch /.notdef put} for\n" + b"".join(
            b"dup %d /%s put\n" % (code, glyph.encode()) for code, glyph in sorted(encoding.items())) + b"readonly def\n"
    clear = (b"%!PS-AdobeFont-1.0: " + name.encode() + b" 001.000\n11 dict begin\n/FontName /" + name.encode()
             + b" def\n/FontType 1 def\n/FontMatrix [0.001 0 0 0.001 0 0] readonly def\n" + enc
             + b"/FontBBox {0 -200 600 800} readonly def\ncurrentdict end\ncurrentfile eexec\n")
    subrs = b""
    if subr_width is not None:
        sub = enc_cs(number(0) + number(subr_width) + b"\x0d")
        subrs = b"/Subrs 1 array\ndup 0 %d RD " % len(sub) + sub + b" NP\nND\n"
    glyphs = {".notdef": charstring(500), **{g: charstring(w, via_subr=subr_width is not None)
                                             for g, w in widths.items()}}
    body = b"".join(b"/%s %d RD " % (g.encode(), len(enc_cs(cs))) + enc_cs(cs) + b" ND\n" for g, cs in glyphs.items())
    private = (b"dup /Private 8 dict dup begin\n/RD{string currentfile exch readstring pop}executeonly def\n"
               b"/ND{noaccess def}executeonly def\n/NP{noaccess put}executeonly def\n/lenIV %d def\n" % len_iv
               + subrs + b"2 index /CharStrings %d dict dup begin\n" % len(glyphs) + body
               + b"end\nend\nreadonly put\nnoaccess put\ndup/FontName get exch definefont pop\n"
               b"mark currentfile closefile\n")
    encrypted = encrypt(b"\x11\x22\x33\x44" + private, EEXEC_KEY)
    if hex_eexec:
        hexed = encrypted.hex().encode()
        encrypted = b"\n".join(hexed[i:i + 64] for i in range(0, len(hexed), 64)) + b"\n"
    return clear + encrypted + b"\n" + b"0" * 512 + b"\ncleartomark\n"


def embed_type1(program: bytes | None = None, *, widths: tuple[int, int] = (250, 600), charset: str | None = "/A/space",
                encoding: pikepdf.Object | None = Name.WinAnsiEncoding, name: str = "ABCDEF+Tiny1", to_unicode: bytes | None = None,
                symbolic: bool = False) -> Mutate:
    """Give page 1 a Type 1 font F1 embedded as FontFile (codes 32..66) whose Widths say ``widths`` for
    space and A; the default program has space (250) and A (600). ``encoding=None``: no Encoding entry
    (the program's built-in encoding applies)."""
    data = program if program is not None else type1_program({"space": 250, "A": 600})

    def mutate(pdf: pikepdf.Pdf) -> None:
        stream = pdf.make_stream(data)
        at = data.find(b"eexec") + 6
        stream.Length1, stream.Length2, stream.Length3 = at, len(data) - at - 526, 526
        descriptor = pdf.make_indirect(Dictionary(
            Type=Name.FontDescriptor, FontName=Name("/" + name), Flags=4 if symbolic else 32,
            FontBBox=Array([0, -200, 600, 800]), ItalicAngle=0, Ascent=800, Descent=-200, CapHeight=700, StemV=80,
            FontFile=stream))
        if charset is not None:
            descriptor.CharSet = pikepdf.String(charset)
        w = [0] * (66 - 32 + 1)
        w[0], w[65 - 32] = widths
        font = pdf.make_indirect(Dictionary(
            Type=Name.Font, Subtype=Name.Type1, BaseFont=Name("/" + name), FirstChar=32, LastChar=66,
            Widths=Array(w), FontDescriptor=descriptor))
        if encoding is not None:
            font.Encoding = encoding
        if to_unicode is not None:
            font.ToUnicode = pdf.make_stream(to_unicode)
        pdf.pages[0].obj.Resources = Dictionary(Font=Dictionary(F1=font))
    return mutate


def cid_type1_program(widths: dict[int, int], *, cid_count: int | None = None, hex_data: bool = False,
                      len_iv: int = 4, subr_width: int | None = None, top_matrix: bytes = b"[1 0 0 1 0 0]") -> bytes:
    """A CID-keyed Type 1 program (CIDFontType 0, one FDArray font dictionary): a glyph per ``widths`` entry
    (CID -> advance width in 1/1000 em; CID 0 is .notdef), reached through a CIDMap in the StartData
    binary. ``subr_width`` puts every glyph's hsbw in subroutine 0 (through the SubrMap) with that width."""
    def enc_cs(cs: bytes) -> bytes:
        return cs if len_iv < 0 else encrypt(b"\x00" * len_iv + cs, CHARSTRING_KEY)

    count = cid_count if cid_count is not None else max(widths) + 1
    subrs = [enc_cs(number(0) + number(subr_width) + b"\x0d")] if subr_width is not None else []
    glyphs = {cid: enc_cs(charstring(w, via_subr=subr_width is not None)) for cid, w in widths.items()}
    map_size = (count + 1) * 3  # FDBytes 1 + GDBytes 2
    subr_map_at = map_size
    data_at = subr_map_at + (len(subrs) + 1) * 2
    subr_offsets, pos = [], data_at
    for s in subrs:
        subr_offsets.append(pos)
        pos += len(s)
    subr_offsets.append(pos)
    cid_map, glyph_data = b"", b""
    for cid in range(count + 1):
        cid_map += b"\x00" + pos.to_bytes(2, "big")
        if cid in glyphs:
            glyph_data += glyphs[cid]
            pos += len(glyphs[cid])
    binary = cid_map + b"".join(o.to_bytes(2, "big") for o in subr_offsets) + b"".join(subrs) + glyph_data
    clear = (b"%!PS-Adobe-3.0 Resource-CIDFont\n%%DocumentNeededResources: ProcSet (CIDInit)\n"
             b"/CIDInit /ProcSet findresource begin\n20 dict begin\n/CIDFontName /ABCDEF+TinyCID def\n"
             b"/CIDFontType 0 def\n/CIDSystemInfo 3 dict dup begin\n/Registry (Adobe) def\n/Ordering (Identity) def\n"
             b"/Supplement 0 def\nend def\n/FontBBox [0 -200 600 800] def\n/FontMatrix " + top_matrix + b" def\n"
             b"/FDArray 1 array\ndup 0\n%%ADOBeginFontDict\n14 dict begin\n/FontName /ABCDEF+TinyCID-Regular def\n"
             b"/FontType 1 def\n/FontMatrix [0.001 0 0 0.001 0 0] def\n/PaintType 0 def\n/Private 10 dict dup begin\n"
             b"/lenIV %d def\n/SubrMapOffset %d def\n/SDBytes 2 def\n/SubrCount %d def\nend def\ncurrentdict end\n"
             b"%%ADOEndFontDict\nput\n/CIDMapOffset 0 def\n/FDBytes 1 def\n/GDBytes 2 def\n/CIDCount %d def\n"
             b"CIDFontName currentdict end /CIDFont defineresource pop\nend\n"
             % (len_iv, subr_map_at, len(subrs), count))
    if hex_data:
        return clear + b"(Hex) %d StartData\n" % len(binary) + binary.hex().encode() + b">\n%%EndData\n%%EOF\n"
    return clear + b"(Binary) %d StartData " % len(binary) + binary + b"\n%%EndData\n%%EOF\n"


def embed_cid_type1(program: bytes, *, widths: dict[int, int] | None = None, dw: int = 1000,
                    cidset: bytes | None = None) -> Mutate:
    """Give page 1 a Type 0 font F1 (Identity-H) whose CIDFontType0 descendant embeds ``program`` as
    FontFile, with W giving ``widths`` (CID -> width) and DW ``dw``; ``cidset``: a CIDSet stream."""
    def mutate(pdf: pikepdf.Pdf) -> None:
        descriptor = pdf.make_indirect(Dictionary(
            Type=Name.FontDescriptor, FontName=Name("/ABCDEF+TinyCID"), Flags=4, FontBBox=Array([0, -200, 600, 800]),
            ItalicAngle=0, Ascent=800, Descent=-200, CapHeight=700, StemV=80, FontFile=pdf.make_stream(program)))
        if cidset is not None:
            descriptor.CIDSet = pdf.make_stream(cidset)
        w: list[object] = []
        for cid, width in sorted((widths or {}).items()):
            w += [cid, Array([width])]
        cid_font = pdf.make_indirect(Dictionary(
            Type=Name.Font, Subtype=Name.CIDFontType0, BaseFont=Name("/ABCDEF+TinyCID"), FontDescriptor=descriptor,
            CIDSystemInfo=Dictionary(Registry=pikepdf.String("Adobe"), Ordering=pikepdf.String("Identity"),
                                     Supplement=0), DW=dw, W=Array(w)))
        font = pdf.make_indirect(Dictionary(Type=Name.Font, Subtype=Name.Type0, BaseFont=Name("/ABCDEF+TinyCID"),
                                            Encoding=Name("/Identity-H"), DescendantFonts=Array([cid_font])))
        pdf.pages[0].obj.Resources = Dictionary(Font=Dictionary(F1=font))
    return mutate


def ps_string(value: bytes, form: str, rd: bytes = b"RD") -> bytes:
    """``value`` written as a PostScript string: hex, literal (octal escapes), ASCII85 or ``N RD <bytes>``."""
    if form == "hex":
        return b"<" + value.hex().encode() + b">"
    if form == "literal":
        return b"(" + b"".join(bytes([c]) if 32 <= c < 127 and c not in b"()\\" else b"\\%03o" % c
                               for c in value) + b")"
    if form == "ascii85":
        return b"<~" + base64.a85encode(value) + b"~>"
    return b"%d %s " % (len(value), rd) + value


def cid_type1_directory_program(widths: dict[int, int], *, cid_count: int | None = None, layout: str = "dict",
                                strings: str = "binary", len_iv: int = 4, subr_width: int | None = None,
                                fd_bytes: int = 1, rd: bytes = b"RD", fd_index: int = 0) -> bytes:
    """A CID-keyed Type 1 program (CIDFontType 0, one FDArray font dictionary) whose glyphs live in a
    GlyphDirectory (PLRM 3rd ed. 5.11.4) instead of StartData: CID -> ``fd_bytes`` bytes of FD index
    (``fd_index``) and the charstring, encrypted with lenIV. ``layout``: ``dict`` (``N dict dup begin CID
    value def ... end``), ``array`` (``N array dup CID value put ...``), ``brackets`` (``[v null v ...]``) or
    ``later`` (an empty dictionary filled by ``GlyphDirectory CID value put`` after the FDArray).
    ``strings``: how each value is written (see ``ps_string``); ``rd`` names the readstring procedure.
    ``subr_width`` puts every glyph's hsbw in subroutine 0 of the Private dictionary's Subrs array."""
    def enc_cs(cs: bytes) -> bytes:
        return cs if len_iv < 0 else encrypt(b"\x00" * len_iv + cs, CHARSTRING_KEY)

    count = cid_count if cid_count is not None else max(widths) + 1
    values = {cid: fd_index.to_bytes(fd_bytes, "big") + enc_cs(charstring(w, via_subr=subr_width is not None))
              for cid, w in sorted(widths.items())}
    subrs = b""
    if subr_width is not None:
        subrs = b"/Subrs 1 array\ndup 0 " + ps_string(enc_cs(number(0) + number(subr_width) + b"\x0d"), strings, rd)
        subrs += b" put\ndef\n"
    if layout == "dict":
        directory = b"/GlyphDirectory %d dict dup begin\n" % len(values) + b"".join(
            b"%d " % cid + ps_string(v, strings, rd) + b" def\n" for cid, v in values.items()) + b"end def\n"
    elif layout == "array":
        directory = b"/GlyphDirectory %d array\n" % count + b"".join(
            b"dup %d " % cid + ps_string(v, strings, rd) + b" put\n" for cid, v in values.items()) + b"def\n"
    elif layout == "brackets":
        directory = b"/GlyphDirectory [\n" + b"".join(
            (ps_string(values[cid], strings, rd) if cid in values else b"null") + b"\n" for cid in range(count)) + b"] def\n"
    else:
        directory = b"/GlyphDirectory %d dict def\n" % len(values)
    later = b"".join(b"GlyphDirectory %d " % cid + ps_string(v, strings, rd) + b" put\n"
                     for cid, v in values.items()) if layout == "later" else b""
    return (b"%!PS-Adobe-3.0 Resource-CIDFont\n%%DocumentNeededResources: ProcSet (CIDInit)\n"
            b"/CIDInit /ProcSet findresource begin\n20 dict begin\n/CIDFontName /ABCDEF+TinyGD def\n"
            b"/CIDFontType 0 def\n/CIDSystemInfo 3 dict dup begin\n/Registry (Adobe) def\n/Ordering (Identity) def\n"
            b"/Supplement 0 def\nend def\n/FontBBox [0 -200 600 800] def\n/FontMatrix [1 0 0 1 0 0] def\n"
            b"/" + rd + b" {string currentfile exch readstring pop} executeonly def\n"
            b"/FDBytes %d def\n/CIDCount %d def\n" % (fd_bytes, count) + directory
            + b"/FDArray 1 array\ndup 0\n%%ADOBeginFontDict\n14 dict begin\n/FontName /ABCDEF+TinyGD-Regular def\n"
            b"/FontType 1 def\n/FontMatrix [0.001 0 0 0.001 0 0] def\n/PaintType 0 def\n/Private 10 dict dup begin\n"
            b"/lenIV %d def\n" % len_iv + subrs + b"end def\ncurrentdict end\n%%ADOEndFontDict\nput\ndef\n"
            + later + b"CIDFontName currentdict end /CIDFont defineresource pop\nend\n%%EOF\n")
