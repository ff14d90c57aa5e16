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
from types import ModuleType
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

_WS = b"\x00\t\n\x0c\r "  # PDF white space (not VT, which bytes.split() would take)
_DELIM = rb"\x00\t\n\x0c\r ()<>\[\]{}/%"
_END = rb"(?=[" + _DELIM + rb"]|\Z)"  # a regular token ends at a delimiter
_NUM = rb"[+-]?(?:[0-9]{1,17}(?:\.[0-9]*)?|[0-9]{0,40}\.[0-9]+)"  # no integer qpdf makes null; finite
# Numbers, each ended by white space that ``bytes.split()`` also splits on, or by a delimiter.
_ONE = rb"(?>" + _NUM + rb"(?:[\t\n\x0c\r ]++|" + _END + rb"))"  # atomic: read once, never re-tried
_OP = rb"[A-Za-z'\"*][A-Za-z0-9'\"*]*+" + _END  # operator or keyword
_ITEM = (
    rb"(?:" + _ONE + rb")++"  # numbers
    + rb"|/[!\"$&'*+,\-.0-;=?-Z\\^-z|~]++" + _END  # name without # escapes
    + rb"|\((?:[^()\\\r]++|\\[^\r])*+\)"  # literal string without nesting or raw CR
    + rb"|<<|>>|\[|\]"
    + rb"|<[0-9A-Fa-f\x00\t\n\x0c\r ]*+>"  # hex string
    + rb"|(?:true|false|null)" + _END  # in an array or dictionary (elsewhere refused)
)
# A path's construction operators with exactly their operands: every number is a coordinate, x then y.
_PATH_OP = (
    rb"(?:(?:" + _ONE + rb"){2}[ml]|(?:" + _ONE + rb"){6}c|(?:" + _ONE + rb"){4}[vy]|h)" + _END
)
_PATH_LETTERS = b"mlcvyh"
# One match is one instruction: white space, then (numbers)(operator) -- most of a stream --, or
# (other operands)(operator), or (group 6) the rest of the stream from the first thing read
# differently from qpdf, which the tokenizer refuses. Group 1, when path runs are wanted: a run of
# path construction operators (``1 2 m 3 4 l h``), which the walker only reads as points. Every
# quantifier is possessive, so hostile bytes cannot make it backtrack: the scan stays linear in
# the stream's size.
_INSTR = (
    rb"|((?:" + _ONE + rb")*+)(" + _OP + rb")"
    + rb"|((?:[\x00\t\n\x0c\r ]*+(?:" + _ITEM + rb"))++)[\x00\t\n\x0c\r ]*+(" + _OP + rb")"
    + rb"|([\s\S]+))"
)
_SCAN = re.compile(rb"[\x00\t\n\x0c\r ]*+(?:((?!))" + _INSTR)
_SCAN_PATHS = re.compile(
    rb"[\x00\t\n\x0c\r ]*+(?:((?:[\t\n\x0c\r ]*+" + _PATH_OP + rb")++)" + _INSTR
)
_ITEMS = re.compile(rb"[\x00\t\n\x0c\r ]*+(" + _ITEM + rb")")  # the operands of the second kind

_ESCAPE = re.compile(rb"\\([0-7]{1,3}|\r\n|[\s\S])")
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f", b"\n": b"", b"\r\n": b"", b"\r": b""}
_KEYWORDS = {b"true": True, b"false": False, b"null": None}  # the keywords an array or dictionary holds

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


def numbers(run: bytes) -> list[float]:
    """The numbers of a run ``scan_ops`` left as bytes (``b"1 0 0 1 72 720"``), as floats."""
    vals = [*map(float, run.split())]
    if b"-0" in run and 0.0 in vals:  # qpdf reads "-0" (an integer) as 0, not as -0.0
        for i, tok in enumerate(run.split()):
            if not vals[i] and b"." not in tok:
                vals[i] = 0.0
    return vals


def fast_parse(data: bytes) -> list[Instr] | None:
    """``[(operator, operands), ...]`` for a well-formed stream, ``None`` when pikepdf must decide."""
    scanner = compiled()
    if scanner is not None and type(data) is bytes:
        return scanner.fast_parse(data)
    return pure_fast_parse(data)


def pure_fast_parse(data: bytes) -> list[Instr] | None:
    """:func:`fast_parse` in Python (the reference the compiled tokenizer is tested against)."""
    try:
        ops = _parse(data, _SCAN)
    except (_Reject, ValueError, IndexError, UnicodeDecodeError):
        return None
    return [(op, numbers(a) if a else []) if type(a) is bytes else (op, a) for op, a in ops]


class OpList(list[tuple[str, Any]]):
    """``scan_ops``' instructions; ``n_ops`` counts the operators (a path run holds several)."""

    n_ops = 0


def scan_ops(data: bytes, prune: bool = False) -> OpList | None:
    """Like :func:`fast_parse`, for the walker: an operator whose operands are all numbers (most of
    them) gets them as the bytes of the run (``b""`` for none), converted with :func:`numbers`
    only if it is read; and a run of path construction operators (``m l c v y h``) becomes one
    ``("l", b"x y x y ...")`` with all their points, which is all the walker reads of a path.

    ``prune``: drop every ``q ... Q`` that holds nothing but graphics-state operators (``q 0 g Q``,
    common in TikZ output): its changes end at its ``Q``, so the walker's facts are the same without
    it. ``n_ops`` still counts the dropped operators (the operator budget is the stream's)."""
    scanner = compiled()
    if scanner is not None and type(data) is bytes:
        return scanner.scan_ops(data, prune)
    return pure_scan_ops(data, prune)


def pure_scan_ops(data: bytes, prune: bool = False) -> OpList | None:
    """:func:`scan_ops` in Python (the reference the compiled tokenizer is tested against)."""
    try:
        return _parse(data, _SCAN_PATHS, prune)
    except (_Reject, ValueError, IndexError, UnicodeDecodeError):
        return None


_SPECIAL = frozenset((b"true", b"false", b"null", b"BI", b"ID", b"EI"))  # inline images: pikepdf
_OPS: dict[bytes, str] = {}


def _operator(tok: bytes) -> str:
    op = _OPS.get(tok)
    if op is None:
        if tok in _SPECIAL or len(_OPS) > 1000:
            raise _Reject
        op = _OPS[tok] = tok.decode("ascii")
    return op


def _parse(data: bytes, scan: re.Pattern[bytes], prune: bool = False) -> OpList:
    toks = scan.findall(data.rstrip(_WS))
    if toks and toks[-1][5]:
        raise _Reject  # something we do not read exactly like qpdf
    out = OpList()
    append = out.append
    opget = _OPS.get
    merged = 0  # operators in path runs beyond one per run
    if not prune:
        for path, run, kw, items, kw2, _ in toks:
            if kw:
                append((opget(kw) or _operator(kw), run))
            elif path:
                points = path.translate(None, _PATH_LETTERS)
                merged += len(path) - len(points) - 1
                append(("l", points))
            else:
                op = opget(kw2) or _operator(kw2)
                append((op, _operands(op, items)))
        out.n_ops = len(out) + merged
        return out
    # Operands of resource operators (``/F1 9.96 Tf``, ``/GS0 gs``) repeat: read each text once. The
    # walker never changes an operand list, so instructions may share one.
    named: dict[tuple[str, bytes], list[Any]] = {}
    opens: list[int] = []  # where each open ``q`` is in ``out``
    impure = -1  # where the last operator that does more than set the graphics state is
    dropped = 0
    for path, run, kw, items, kw2, _ in toks:
        if kw:
            op = opget(kw) or _operator(kw)
            if op == "Q":
                if opens:
                    at = opens.pop()
                    if impure < at:  # only state set since its q: gone at this Q
                        dropped += len(out) - at + 1
                        del out[at:]
                        continue
                else:
                    impure = len(out)  # a Q of the state before this stream: the walker decides
            elif op == "q":
                opens.append(len(out))
                if len(opens) > MAX_PRUNED_DEPTH:  # the walker's nesting limit must see this q
                    impure = len(out)  # so no q open now is dropped
            elif op not in _STATE_ONLY:
                impure = len(out)
            append((op, run))
        elif path:
            points = path.translate(None, _PATH_LETTERS)
            merged += len(path) - len(points) - 1
            impure = len(out)
            append(("l", points))
        else:
            op = opget(kw2) or _operator(kw2)
            if op not in _STATE_ONLY:
                impure = len(out)
            if op in _TEXT_OPS:
                append((op, _operands(op, items)))
            else:
                key = (op, items)
                operands = named.get(key)
                if operands is None:
                    operands = named[key] = _operands(op, items)
                append((op, operands))
    out.n_ops = len(out) + merged + dropped
    return out


# Operators that only set the graphics state (what q/Q save and restore) and read no resource.
_STATE_ONLY = frozenset(("cm", "w", "g", "G", "rg", "RG", "k", "K", "J", "j", "M", "d", "i", "W", "W*"))
MAX_PRUNED_DEPTH = 4096  # past the walker's q nesting limit nothing is dropped: it must see the depth


def _operands(op: str, text: bytes) -> list[Any]:
    operands: list[Any] = []
    cur = operands  # where the next operand goes: ``operands`` or an open array/dictionary
    plain = True  # operands are all numbers
    nested = False  # an array holds a name, an array, a dictionary or a keyword
    stack: list[tuple[bool, list[Any]]] = []  # open arrays (False) and dictionaries (True)
    for tok in _ITEMS.findall(text):
        c = tok[0]
        if c < 58 and (c > 47 or c == 45 or c == 46 or c == 43):  # digit - . +
            cur.extend(numbers(tok))
        elif c == 40:  # (
            cur.append(_string(tok[1:-1]))
            plain = False
        elif c == 47:  # /
            cur.append(PName(tok[1:].decode("ascii")))
            plain = False
            if stack:
                nested = True
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
        else:  # true, false, null: only inside an array or dictionary
            if not stack:
                raise _Reject
            cur.append(_KEYWORDS[tok])
            nested = True
    if stack or (not plain and not _valid(op, operands, nested)):
        raise _Reject
    return operands


def load_compiled() -> ModuleType | None:
    """The compiled tokenizer (``_scan.c``, built by setup.py when a C compiler is there), handed
    this module's tables so both read alike; ``None`` when it was not built."""
    try:
        from printgate.core.preflight import _scan
    except ImportError:
        return None
    _scan.configure(_OPS, _SPECIAL, _READ, _NAME_FIRST, _TEXT_OPS, _STATE_ONLY, PName, PDICT, OpList,
                    MAX_PRUNED_DEPTH)
    return _scan


_UNDECIDED: Any = object()
COMPILED: Any = _UNDECIDED  # the tokenizer module in use, None for the pure-Python one


def use_pure_python(pure: bool = True) -> None:
    """Read with the pure-Python tokenizer (``pure``), or again with the compiled one where it is built:
    for tests and comparisons. Not a setting: a local ``printgate check`` loads no settings."""
    global COMPILED
    COMPILED = None if pure else load_compiled()


def compiled() -> ModuleType | None:
    """The compiled tokenizer, unless it is not built or :func:`use_pure_python` asked for the
    pure-Python one; decided at the first stream."""
    global COMPILED
    if COMPILED is _UNDECIDED:
        COMPILED = load_compiled()
    return COMPILED  # type: ignore[no-any-return]
