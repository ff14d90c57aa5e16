"""Reading content streams: capped decoding, a page's concatenated contents, operator parsing.

Every stream is decoded under a byte cap so a decompression bomb fails fast with
``BudgetExceeded`` instead of taking the memory; ``page_content_bytes`` joins a page's content
streams within one shared cap. ``parse_ops`` turns decoded bytes into ``(operator, operands)``
pairs with the fast tokenizer of ``content.py`` and falls back to qpdf's parser (which also reports
damage) through a scratch stream that the document reader owns.

Decoding also notices lost content at no extra cost: a Flate stream that is corrupt or cut short
and a filter nobody decodes are written to the caller's ``StreamLog`` (a page's facts).
"""

from __future__ import annotations

import warnings
import zlib
from typing import Any, Protocol

import pikepdf

from ..content import scan_ops
from .objects import dict_get, num, pdf_name

MAX_CONTENT_BYTES = 64 * 1024 * 1024  # decoded size of one page's content (all streams)


# The standard filters (ISO 32000-2, 7.4) and their inline-image abbreviations. Anything else
# (BrotliDecode, a producer's private filter) is data no reader can decode.
SUPPORTED_FILTERS = frozenset({
    "ASCIIHexDecode", "ASCII85Decode", "LZWDecode", "FlateDecode", "RunLengthDecode", "CCITTFaxDecode",
    "JBIG2Decode", "DCTDecode", "JPXDecode", "Crypt", "AHx", "A85", "LZW", "Fl", "RL", "CCF", "DCT",
})


class BudgetExceeded(Exception):
    """A page's content is over one of the analysis limits; the message says which."""


class UnsupportedFilter(Exception):
    """A stream is compressed with a filter no reader here decodes; ``filters`` names them."""

    def __init__(self, filters: list[str]) -> None:
        super().__init__(f"unsupported stream filter {', '.join(filters)}")
        self.filters = filters


class StreamLog(Protocol):
    """Where decoding reports lost content (``model.PageFacts`` is one)."""

    broken_streams: list[str]
    unsupported_filters: list[str]


class ScratchStreams(Protocol):
    """The document-side scratch stream ``parse_ops`` hands to qpdf (``DocumentReader`` has one)."""

    def scratch_stream(self, data: bytes) -> pikepdf.Stream: ...


def parse_ops(reader: ScratchStreams, data: bytes, problems: list[str] | None = None) -> list[tuple[str, Any]]:
    """``[(operator, operands), ...]``: our tokenizer for well-formed streams (``content.scan_ops``:
    operands that are all numbers stay bytes until read), else pikepdf's parser (which also reports
    the damage); operands are then pikepdf objects, which the walker also reads."""
    if not data.strip():
        return []
    fast = scan_ops(data, True)
    if fast is not None:
        return fast
    stream = reader.scratch_stream(data)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ops = [(str(instr.operator), instr.operands) for instr in pikepdf.parse_content_stream(stream)]
    if caught and problems is not None:
        problems.extend(str(w.message) for w in caught[:5])
    return ops


def filter_names(stream: Any) -> list[str]:
    """The stream's /Filter as a list of names (without the slash)."""
    filt = dict_get(stream, "/Filter")
    if isinstance(filt, pikepdf.Array):
        return [pdf_name(x) for x in filt]
    return [pdf_name(filt)] if filt is not None else []


def stream_label(stream: Any) -> str:
    """``object 12 0`` for an indirect stream, ``a direct stream`` otherwise (for reports)."""
    try:
        num, gen = stream.objgen
    except (AttributeError, ValueError):
        return "a stream"
    return f"object {num} {gen}" if num else "a direct stream"


def deflate_complete(raw: bytes) -> bool:
    """Whether a zlib stream's deflate data reaches its final block (only the checksum may be
    missing, which every reader tolerates) rather than stopping short because bytes were lost."""
    dec = zlib.decompressobj(-15)
    try:
        while True:
            dec.decompress(raw[2:] if not dec.unconsumed_tail else dec.unconsumed_tail, 1 << 24)
            if dec.eof or not dec.unconsumed_tail:
                return dec.eof
    except zlib.error:
        return False


def read_stream_capped(stream: Any, cap: int, log: StreamLog | None = None) -> bytes:
    """Decode a stream without letting a decompression bomb take the memory.

    With a ``log``, Flate data that is corrupt (zlib error, wrong checksum) or cut short is
    recorded there as lost content; the error branches pay for that, the clean path does not.
    A filter outside the standard set raises ``UnsupportedFilter`` (recorded in the log too).
    """
    names = filter_names(stream)
    if names:
        unknown = [n for n in names if n not in SUPPORTED_FILTERS]
        if unknown:
            if log is not None:
                log.unsupported_filters.extend(unknown)
            raise UnsupportedFilter(unknown)
    if names in (["FlateDecode"], ["Fl"]) and dict_get(stream, "/DecodeParms") is None:
        raw = stream.read_raw_bytes()
        dec = zlib.decompressobj()
        try:
            out = dec.decompress(raw, cap + 1)
        except zlib.error as exc:
            if log is not None:
                log.broken_streams.append(f"{stream_label(stream)}: compressed data is corrupt ({_zlib_reason(exc)})")
            # Let qpdf try its more forgiving decoder (it recovers partial data).
            out = b""
            data = stream.read_bytes()
            if len(data) > cap:
                raise BudgetExceeded("content stream too large to analyse (decompression limit)") from None
            return bytes(data)
        if len(out) > cap:
            raise BudgetExceeded("content stream too large to analyse (decompression limit)")
        if not dec.eof and log is not None and raw.strip() and not deflate_complete(raw):
            log.broken_streams.append(f"{stream_label(stream)}: compressed data ends early (bytes are missing)")
        return out
    raw_len = int(num(dict_get(stream, "/Length"), 0))
    if names and raw_len * 200 > cap * 4:
        raise BudgetExceeded("content stream too large to analyse (decompression limit)")
    data = stream.read_bytes()
    if len(data) > cap:
        raise BudgetExceeded("content stream too large to analyse (decompression limit)")
    return bytes(data)


def _zlib_reason(exc: zlib.error) -> str:
    text = str(exc)
    return text.split(": ", 1)[1] if ": " in text else text


def page_content_bytes(page_obj: Any, log: StreamLog | None = None) -> bytes:
    contents = dict_get(page_obj, "/Contents")
    if contents is None:
        return b""
    parts: list[bytes] = []
    total = 0
    streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
    for s in streams:
        if not isinstance(s, pikepdf.Stream):
            continue
        data = read_stream_capped(s, MAX_CONTENT_BYTES - total, log)
        total += len(data)
        parts.append(data)
    return b"\n".join(parts)
