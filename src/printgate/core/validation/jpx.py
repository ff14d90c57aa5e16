"""JPEG 2000 data (JPXDecode) as the PDF/A JPX rules judge it (ISO 19005-2 6.2.8.3, -4 6.2.7.3): colour
channels, bit depths, colour specifications.

A JP2 file (ISO 15444-1 annex I) gives them in its header box: ``ihdr`` (NC, BPC; 255 means "per channel",
then ``bpcc``), ``colr`` boxes (METH, APPROX, EnumCS) and ``cdef`` (which channels are opacity rather than
colour). A raw codestream (PDF 2.0 allows one) gives them in its SIZ marker: Csiz and each Ssiz. Only the
headers are read (no decoding, no codec); anything that cannot be read raises ``JpxError`` with what is
wrong, which the rules report as a finding, never as a pass.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

JP2_SIGNATURE = b"\x00\x00\x00\x0cjP  \r\n\x87\n"
SOC_SIZ = b"\xff\x4f\xff\x51"
MAX_BOXES = 1000  # boxes walked per level: a hostile file cannot make us loop long
MAX_COMPONENTS = 16384  # ISO 15444-1: Csiz is 1..16384


class JpxError(ValueError):
    """The JPEG 2000 data cannot be read."""


@dataclass(frozen=True)
class ColourSpec:
    """One ``colr`` box: METH (1 enumerated, 2 restricted ICC, 3 any ICC, 4 vendor), APPROX, EnumCS."""

    method: int
    approx: int
    enum_cs: int | None  # only for METH 1


@dataclass
class JpxFacts:
    wrapper: str  # "jp2" or "codestream"
    components: int  # ihdr NC or SIZ Csiz
    depths: list[int]  # bit depth per component (ihdr BPC once when all share it; bpcc or Ssiz otherwise)
    bpc_varies: bool = False  # ihdr BPC is 255: the depths come from bpcc
    bpcc_present: bool = False
    opacity_channels: int = 0  # cdef channels of type 1 or 2 (opacity, premultiplied opacity)
    colr: list[ColourSpec] = field(default_factory=list)

    @property
    def colour_channels(self) -> int:
        return self.components - self.opacity_channels

    def depth_problem(self) -> str | None:
        """Why the bit depth fails 6.2.8.3-5 (one depth for all channels, 1 to 38), or None when it passes."""
        if not self.depths:
            return "ihdr says the bit depth varies per channel (255) and there is no bpcc box"
        if self.bpcc_present and not self.bpc_varies:
            return "a bpcc box although ihdr gives one bit depth for all channels"
        if len(set(self.depths)) > 1:
            return "channels have different bit depths " + ", ".join(map(str, self.depths))
        if not 1 <= self.depths[0] <= 38:
            return f"bit depth {self.depths[0]} is outside 1..38"
        return None

    @property
    def colour_spec(self) -> ColourSpec | None:
        """The specification a reader uses: the first with APPROX 1, else the only one there is."""
        best = [c for c in self.colr if c.approx == 1]
        if best:
            return best[0]
        return self.colr[0] if len(self.colr) == 1 else None


def _box_at(data: bytes, pos: int, end: int, where: str) -> tuple[bytes, int, int]:
    """(type, content start, content end) of the box at ``pos``; a box past ``end`` is an error."""
    if pos + 8 > end:
        raise JpxError(f"a truncated box header in {where}")
    length, kind = struct.unpack(">I4s", data[pos:pos + 8])
    header = 8
    if length == 1:
        if pos + 16 > end:
            raise JpxError(f"a truncated box header in {where}")
        length = struct.unpack(">Q", data[pos + 8:pos + 16])[0]
        header = 16
    elif length == 0:
        length = end - pos
    if length < header or pos + length > end:
        name = kind.decode("latin-1")
        raise JpxError(f"the {name!r} box in {where} is {length} bytes long: past the end of its data")
    return kind, pos + header, pos + length


def _boxes(data: bytes, start: int, end: int, where: str) -> list[tuple[bytes, int, int]]:
    """Every box in data[start:end] (a superbox's content)."""
    out: list[tuple[bytes, int, int]] = []
    pos = start
    while pos < end:
        if len(out) >= MAX_BOXES:
            raise JpxError(f"more than {MAX_BOXES} boxes in {where}")
        out.append(_box_at(data, pos, end, where))
        pos = out[-1][2]
    return out


def _depth(ssiz: int) -> int:
    return (ssiz & 0x7F) + 1  # the top bit says signed; the rest is depth - 1


def _read_codestream(data: bytes) -> JpxFacts:
    if len(data) < 42:
        raise JpxError("the codestream ends inside its SIZ marker")
    lsiz, csiz = struct.unpack(">H", data[4:6])[0], struct.unpack(">H", data[40:42])[0]
    if not 1 <= csiz <= MAX_COMPONENTS:
        raise JpxError(f"SIZ gives {csiz} components (1 to {MAX_COMPONENTS})")
    if lsiz != 38 + 3 * csiz:
        raise JpxError(f"the SIZ marker is {lsiz} bytes long, not {38 + 3 * csiz} for {csiz} components")
    if len(data) < 4 + lsiz:
        raise JpxError(f"the SIZ marker segment ({lsiz} bytes) runs past the end of the data")
    depths = [_depth(data[42 + 3 * i]) for i in range(csiz)]
    return JpxFacts("codestream", csiz, depths)


def _colr(data: bytes, s: int, e: int) -> ColourSpec:
    if e - s < 3:
        raise JpxError(f"a colr box of {e - s} bytes (METH, PREC and APPROX take 3)")
    meth, approx = data[s], data[s + 2]
    enum: int | None = None
    if meth == 1:
        if e - s < 7:
            raise JpxError("a colr box with METH 1 and no EnumCS")
        enum = struct.unpack(">I", data[s + 3:s + 7])[0]
    return ColourSpec(meth, approx, enum)


def _opacity_channels(data: bytes, s: int, e: int) -> int:
    if e - s < 2:
        raise JpxError("a cdef box without its channel count")
    n = struct.unpack(">H", data[s:s + 2])[0]
    if e - s < 2 + 6 * n:
        raise JpxError(f"the cdef box lists {n} channels but holds {(e - s - 2) // 6}")
    types = [struct.unpack(">H", data[s + 4 + 6 * i:s + 6 + 6 * i])[0] for i in range(n)]
    return sum(1 for t in types if t in (1, 2))


def _read_jp2(data: bytes) -> JpxFacts:
    # boxes before the header: signature, ftyp, perhaps xml/uuid; the codestream follows and is not read
    header: tuple[int, int] | None = None
    pos = 0
    for _ in range(MAX_BOXES):
        if pos >= len(data):
            break
        kind, s, e = _box_at(data, pos, len(data), "the JP2 file")
        if kind == b"jp2h":
            header = (s, e)
            break
        pos = e
    if header is None:
        raise JpxError("no JP2 header box (jp2h)")
    facts: JpxFacts | None = None
    bpcc: list[int] | None = None
    colr: list[ColourSpec] = []
    opacity = 0
    for kind, s, e in _boxes(data, *header, "the JP2 header box"):
        if kind == b"ihdr":
            if e - s != 14:
                raise JpxError(f"the image header box (ihdr) holds {e - s} bytes, not 14")
            nc, bpc = struct.unpack(">H", data[s + 8:s + 10])[0], data[s + 10]
            if nc == 0:
                raise JpxError("ihdr gives 0 components")
            facts = JpxFacts("jp2", nc, [] if bpc == 255 else [_depth(bpc)], bpc_varies=bpc == 255)
        elif kind == b"bpcc":
            bpcc = [_depth(b) for b in data[s:e]]
        elif kind == b"colr":
            colr.append(_colr(data, s, e))
        elif kind == b"cdef":
            opacity = _opacity_channels(data, s, e)
    if facts is None:
        raise JpxError("no image header box (ihdr) in the JP2 header")
    if bpcc is not None:
        facts.bpcc_present = True
        if facts.bpc_varies:
            if len(bpcc) != facts.components:
                raise JpxError(f"the bpcc box gives {len(bpcc)} bit depths for {facts.components} components")
            facts.depths = bpcc
    facts.colr = colr
    facts.opacity_channels = min(opacity, facts.components)
    return facts


def read_jpx(data: bytes) -> JpxFacts:
    """The facts of JPEG 2000 data: a JP2/JPX file or a raw codestream."""
    if data[:12] == JP2_SIGNATURE:
        return _read_jp2(data)
    if data[:4] == SOC_SIZ:
        return _read_codestream(data)
    if data[4:8] == b"jP  ":
        raise JpxError("the JP2 signature box is damaged")
    raise JpxError("neither a JP2 file (no signature box) nor a JPEG 2000 codestream (no SOC and SIZ markers)")
