"""A fast tokenizer for well-formed content streams, producing plain Python operands.

``pikepdf.parse_content_stream`` builds a pikepdf object for every operand (a ``Decimal`` for each
real), and the walker then converts them back to floats one by one: most of a preflight's time
went there. ``fast_parse`` reads the bytes with one regular expression and yields
``(operator, operands)`` with ``int`` / ``float``, ``PName`` (a name, without the slash), ``bytes``
(a string, decoded as qpdf decodes it) and ``list`` (an array).

It only accepts what it can read exactly as qpdf does, with every operand where the walker expects
that kind of operand. Anything else (inline images, comments, ``#`` escapes in names, a string with
a raw CR, operands of an unexpected kind, damage of any sort) returns ``None`` and the caller
parses that stream with pikepdf, which also reports the damage, so the facts are the same either
way.
"""

from __future__ import annotations

import re
from typing import Any


class PName(str):
    """A name operand, without its leading slash."""

    __slots__ = ()


class PDict:
    """A dictionary operand (marked-content property lists); its contents are never read."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "PDict()"


PDICT = PDict()

Instr = tuple[str, list[Any]]

_DELIM = rb"\x00\t\n\x0c\r ()<>\[\]{}/%"
_END = rb"(?=[" + _DELIM + rb"]|\Z)"  # a regular token ends at a delimiter
_GOOD = (
    rb"[+-]?(?:[0-9]{1,17}(?:\.[0-9]*)?|[0-9]{0,40}\.[0-9]+)" + _END  # number: no integer qpdf makes null, finite
    + rb"|[A-Za-z'\"*][A-Za-z0-9'\"*]*" + _END  # operator or keyword
    + rb"|/[!\"$&'*+,\-.0-;=?-Z\\^-z|~]+" + _END  # name without # escapes
    + rb"|\((?:[^()\\\r]|\\[^\r])*\)"  # literal string without nesting or raw CR
    + rb"|<<|>>|\[|\]"
    + rb"|<[0-9A-Fa-f\x00\t\n\x0c\r ]*>"  # hex string
)
# Every token, whitespace skipped; at the first thing it cannot read the rest becomes one token,
# which the tokenizer then refuses.
_TOKENS = re.compile(_GOOD + rb"|[^\x00\t\n\x0c\r ][\s\S]*")
_GOOD_TOKEN = re.compile(rb"(?:" + _GOOD + rb")\Z")

_ESCAPE = re.compile(rb"\\([0-7]{1,3}|\r\n|[\s\S])")
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f", b"\n": b"", b"\r\n": b"", b"\r": b""}

# Operators whose operands the preflight walker reads.
_READ = frozenset((
    "m", "l", "c", "v", "y", "re", "cm", "w", "g", "G", "rg", "RG", "k", "K", "cs", "CS", "sc", "scn", "SC",
    "SCN", "gs", "sh", "BDC", "BMC", "Tj", "TJ", "'", '"', "Td", "TD", "Tf", "Tm", "TL", "Tc", "Tw", "Tz",
    "Ts", "Tr", "Do",
))
# Operators whose first operand is a resource or tag name.
_NAME_FIRST = frozenset(("Tf", "Do", "gs", "cs", "CS", "sh", "BDC", "BMC", "DP", "MP", "ri"))
# Operators that may take a string or array operand, and where.
_TEXT_OPS = frozenset(("Tj", "'", '"', "TJ", "d"))


class _Reject(Exception):
    pass


def _unescape(m: re.Match[bytes]) -> bytes:
    s = m.group(1)
    if s in _ESCAPES:
        return _ESCAPES[s]
    if s[0] in b"01234567":
        v = int(s, 8)
        if v > 255:
            raise _Reject
        return bytes((v,))
    return s  # \( \) \\ and unknown escapes: the character itself


def _string(body: bytes) -> bytes:
    if b"\\" not in body:
        return body
    return _ESCAPE.sub(_unescape, body)


def _hex(body: bytes) -> bytes:
    digits = body.translate(None, b"\x00\t\n\x0c\r ")
    if len(digits) % 2:
        raise _Reject
    return bytes.fromhex(digits.decode("ascii"))


def _valid(op: str, operands: list[Any], nested: bool) -> bool:
    """Every operand is of a kind the walker expects at that place (else pikepdf decides).

    ``nested``: an array operand holds something other than numbers and strings."""
    if op not in _READ:
        return True  # the walker never looks at this operator's operands
    for i, v in enumerate(operands):
        t = type(v)
        if t is int or t is float:
            continue
        if t is PName:
            if i == 0 and op in _NAME_FIRST:
                continue
            if op in ("scn", "SCN") and i == len(operands) - 1:
                continue
            if op in ("BDC", "DP") and i == 1:
                continue
            return False
        if t is bytes:
            if (op in ("Tj", "'") and i == 0) or (op == '"' and i == 2):
                continue
            return False
        if t is list:
            if op == "TJ" and i == 0 and not nested:
                continue
            return False
        if t is PDict:
            if op in ("BDC", "DP") and i == 1:
                continue
            return False
        return False
    return True


def fast_parse(data: bytes) -> list[Instr] | None:
    """``[(operator, operands), ...]`` for a well-formed stream, ``None`` when pikepdf must decide."""
    try:
        return _parse(data)
    except (_Reject, ValueError, IndexError, UnicodeDecodeError):
        return None


_SPECIAL = frozenset((b"true", b"false", b"null", b"BI", b"ID", b"EI"))  # inline images: pikepdf
_OPS: dict[bytes, str] = {}


def _parse(data: bytes) -> list[Instr]:
    toks = _TOKENS.findall(data)
    if toks and not _GOOD_TOKEN.match(toks[-1]):
        raise _Reject  # something we do not read exactly like qpdf
    out: list[Instr] = []
    append = out.append
    operands: list[Any] = []
    cur = operands
    plain = True  # operands are all numbers
    nested = False  # an array holds a name, an array, a dictionary or a keyword
    stack: list[tuple[bool, list[Any]]] = []  # open arrays (False) and dictionaries (True)
    ops = _OPS
    for tok in toks:
        c = tok[0]
        if c < 58 and (c > 47 or c == 45 or c == 46 or c == 43):  # digit - . +
            v = float(tok)
            if not v and c == 45 and b"." not in tok:
                v = 0.0  # qpdf reads "-0" as the integer 0
            cur.append(v)
        elif (c > 96 or 64 < c < 91) or c == 39 or c == 34 or c == 42:  # operator or keyword (A-Z a-z ' " *)
            if stack:
                if tok == b"true":
                    cur.append(True)
                elif tok == b"false":
                    cur.append(False)
                elif tok == b"null":
                    cur.append(None)
                else:
                    raise _Reject
                nested = True
                continue
            op = ops.get(tok)
            if op is None:
                if tok in _SPECIAL or len(ops) > 1000:
                    raise _Reject
                op = ops[tok] = tok.decode("ascii")
            if not plain:
                if not _valid(op, operands, nested):
                    raise _Reject
                plain = True
                nested = False
            append((op, operands))
            operands = []
            cur = operands
        elif c == 47:  # /
            cur.append(PName(tok[1:].decode("ascii")))
            plain = False
            if stack:
                nested = True
        elif c == 40:  # (
            cur.append(_string(tok[1:-1]))
            plain = False
        elif c == 91:  # [
            if stack:
                nested = True
            stack.append((False, cur))
            cur = []
            plain = False
        elif c == 93:  # ]
            if not stack:
                raise _Reject
            is_dict, parent = stack.pop()
            if is_dict:
                raise _Reject
            parent.append(cur)
            cur = parent
        elif tok == b"<<":
            if stack:
                nested = True
            stack.append((True, cur))
            cur = []
            plain = False
        elif tok == b">>":
            if not stack:
                raise _Reject
            is_dict, parent = stack.pop()
            if not is_dict or len(cur) % 2 or not all(type(key) is PName for key in cur[::2]):
                raise _Reject
            parent.append(PDICT)
            cur = parent
        elif c == 60:  # <hex>
            cur.append(_hex(tok[1:-1]))
            plain = False
        else:
            raise _Reject
    if operands or stack:
        raise _Reject
    return out
