"""Can a content stream contain a given operator at all? Answered from its raw bytes, without a parse.

Parsing a page into Python objects is the dear part of the content fixes (milliseconds a page); most
pages of a long document never use the operators a fix looks for. An operator is a token, so it sits
between PDF delimiters or whitespace; a search for it as such a token over the decoded bytes finds
every real occurrence (and sometimes a word inside a text string, which only costs the parse back).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pikepdf

_EDGE = rb"\x00\t\n\x0c\r ()<>\[\]{}/%"


def _names(operators: tuple[str, ...]) -> bytes:
    return b"|".join(re.escape(op.encode()) for op in sorted(operators, key=len, reverse=True))


def operator_hint(*operators: str) -> re.Pattern[bytes]:
    """A pattern that finds ``operators`` as tokens (a superset of where they really occur)."""
    return re.compile(rb"(?:^|(?<=[" + _EDGE + rb"]))(?:" + _names(operators) + rb")(?=$|[" + _EDGE + rb"])")


def operator_outside_strings(*operators: str) -> Callable[[bytes], bool]:
    """Like :func:`operator_hint`, but text strings and comments are stepped over, so TeX's kerned
    ``[(La) 29 (rg) 1 (e)] TJ`` is not taken for an ``rg``: for answers that stand without a parse.

    Still a superset: a string with unbalanced (nested) parentheses is not stepped over but scanned.
    """
    pattern = re.compile(rb"\((?:[^()\\]|\\.)*\)|%[^\r\n]*|(?:^|(?<=[" + _EDGE + rb"]))(?:" + _names(operators)
                         + rb")(?=$|[" + _EDGE + rb"])", re.S)

    def found(raw: bytes) -> bool:
        return any(m.group()[:1] not in (b"(", b"%") for m in pattern.finditer(raw))

    return found


def content_bytes(container: Any) -> bytes:
    """The decoded content of a page (its streams joined, as a parser reads them) or a form XObject.

    Raises ``pikepdf.PdfError`` when a stream cannot be decoded, as a parse would."""
    contents = container.obj.get("/Contents") if isinstance(container, pikepdf.Page) else container
    streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
    return b"".join(bytes(s.read_bytes()) for s in streams if isinstance(s, pikepdf.Stream))
