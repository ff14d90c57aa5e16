"""Reading content streams: capped decoding, a page's concatenated contents, operator parsing.

Every stream is decoded under a byte cap so a decompression bomb fails fast with
``BudgetExceeded`` instead of taking the memory; ``page_content_bytes`` joins a page's content
streams within one shared cap. ``parse_ops`` turns decoded bytes into ``(operator, operands)``
pairs with the fast tokenizer of ``content.py`` and falls back to qpdf's parser (which also reports
damage) through a scratch stream that the document reader owns.
"""

from __future__ import annotations

import warnings
import zlib
from typing import Any, Protocol

import pikepdf

from ..content import fast_parse
from .objects import dict_get, num, pdf_name

MAX_CONTENT_BYTES = 64 * 1024 * 1024  # decoded size of one page's content (all streams)


class BudgetExceeded(Exception):
    """A page's content is over one of the analysis limits; the message says which."""


class ScratchStreams(Protocol):
    """The document-side scratch stream ``parse_ops`` hands to qpdf (``DocumentReader`` has one)."""

    def scratch_stream(self, data: bytes) -> pikepdf.Stream: ...


def parse_ops(reader: ScratchStreams, data: bytes, problems: list[str] | None = None) -> list[tuple[str, Any]]:
    """``[(operator, operands), ...]``: our tokenizer for well-formed streams, else pikepdf's parser
    (which also reports the damage); operands are then pikepdf objects, which the walker also reads."""
    if not data.strip():
        return []
    fast = fast_parse(data)
    if fast is not None:
        return fast
    stream = reader.scratch_stream(data)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ops = [(str(instr.operator), instr.operands) for instr in pikepdf.parse_content_stream(stream)]
    if caught and problems is not None:
        problems.extend(str(w.message) for w in caught[:5])
    return ops


def read_stream_capped(stream: Any, cap: int) -> bytes:
    """Decode a stream without letting a decompression bomb take the memory."""
    filt = dict_get(stream, "/Filter")
    names: list[str] = []
    if isinstance(filt, pikepdf.Array):
        names = [pdf_name(x) for x in filt]
    elif filt is not None:
        names = [pdf_name(filt)]
    if names in (["FlateDecode"], ["Fl"]) and dict_get(stream, "/DecodeParms") is None:
        raw = stream.read_raw_bytes()
        dec = zlib.decompressobj()
        try:
            out = dec.decompress(raw, cap + 1)
        except zlib.error:
            # Let qpdf try its more forgiving decoder (it recovers partial data).
            out = b""
            data = stream.read_bytes()
            if len(data) > cap:
                raise BudgetExceeded("content stream too large to analyse (decompression limit)") from None
            return bytes(data)
        if len(out) > cap:
            raise BudgetExceeded("content stream too large to analyse (decompression limit)")
        return out
    raw_len = int(num(dict_get(stream, "/Length"), 0))
    if names and raw_len * 200 > cap * 4:
        raise BudgetExceeded("content stream too large to analyse (decompression limit)")
    data = stream.read_bytes()
    if len(data) > cap:
        raise BudgetExceeded("content stream too large to analyse (decompression limit)")
    return bytes(data)


def page_content_bytes(page_obj: Any) -> bytes:
    contents = dict_get(page_obj, "/Contents")
    if contents is None:
        return b""
    parts: list[bytes] = []
    total = 0
    streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
    for s in streams:
        if not isinstance(s, pikepdf.Stream):
            continue
        data = read_stream_capped(s, MAX_CONTENT_BYTES - total)
        total += len(data)
        parts.append(data)
    return b"\n".join(parts)
