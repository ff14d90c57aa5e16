"""The reference the preflight's tokenizer is held to: what qpdf's parser reads from a content stream."""

from __future__ import annotations

import decimal
import warnings
from typing import Any

import pikepdf

from printgate.core.preflight.content import PDict, PName


def qpdf_ops(data: bytes) -> tuple[list[tuple[str, list[Any]]], list[str]]:
    """Operators and normalised operands as qpdf reads ``data``, and the warnings it gave."""
    pdf = pikepdf.new()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ops = [(str(i.operator), [norm(v) for v in i.operands])
               for i in pikepdf.parse_content_stream(pikepdf.Stream(pdf, data))]
    return ops, [str(w.message) for w in caught]


def norm(v: Any) -> Any:
    """One spelling for both parsers' operands; the sign of a zero is kept (it reaches reports)."""
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, (int, float, decimal.Decimal)):
        f = float(v)
        return ("num", f, str(f))
    if isinstance(v, (pikepdf.Name, PName)):
        return ("name", str(v).lstrip("/"))
    if isinstance(v, (pikepdf.String, bytes)):
        return ("str", bytes(v))
    if isinstance(v, (pikepdf.Array, list)):
        return ("array", [norm(x) for x in v])
    if isinstance(v, (pikepdf.Dictionary, PDict)):
        return ("dict",)
    raise AssertionError(type(v))
