"""JPEG 2000 (JP2) header facts for the PDF/A JPX rules: channels, bit depth, colour specifications."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field


@dataclass
class Jp2Facts:
    channels: int | None = None
    bit_depth: int | None = None  # 1..38 from ihdr; None when it varies per channel (255)
    bpcc: bool = False
    colr: list[tuple[int, int, int | None]] = field(default_factory=list)  # (METH, APPROX, EnumCS)


def _boxes(data: bytes, start: int, end: int) -> list[tuple[bytes, int, int]]:
    out: list[tuple[bytes, int, int]] = []
    pos = start
    while pos + 8 <= end and len(out) < 1000:
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        header = 8
        if length == 1 and pos + 16 <= end:
            length = struct.unpack(">Q", data[pos + 8:pos + 16])[0]
            header = 16
        elif length == 0:
            length = end - pos
        if length < header:
            break
        out.append((kind, pos + header, min(pos + length, end)))
        pos += length
    return out


def read_jp2(data: bytes) -> Jp2Facts | None:
    """The header facts of a JP2 file, or None for a raw codestream (no JP2 boxes)."""
    if data[4:8] != b"jP  ":
        return None
    facts = Jp2Facts()
    for kind, a, b in _boxes(data, 0, min(len(data), 1 << 20)):
        if kind != b"jp2h":
            continue
        for sub, s, e in _boxes(data, a, b):
            if sub == b"ihdr" and e - s >= 14:
                facts.channels = struct.unpack(">H", data[s + 8:s + 10])[0]
                bpc = data[s + 10]
                facts.bit_depth = None if bpc == 255 else (bpc & 0x7F) + 1
            elif sub == b"bpcc":
                facts.bpcc = True
            elif sub == b"colr" and e - s >= 3:
                meth, approx = data[s], data[s + 2]
                enum = struct.unpack(">I", data[s + 3:s + 7])[0] if meth == 1 and e - s >= 7 else None
                facts.colr.append((meth, approx, enum))
    return facts
