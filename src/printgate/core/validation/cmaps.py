"""Character codes of Type 0 fonts: the predefined CMaps of ISO 32000-1 Table 118 (codespace ranges and
code -> CID), a shown string split into codes (ISO 32000-1 9.7.6.2), and the Registry-Ordering-UCS2 maps
that give a CID of an Adobe CJK collection its Unicode value (9.10.2).

The tables in ``cmap_data/`` are made from Adobe's CMap resources (BSD-3-Clause, see its LICENSE.txt) by
``scripts/predefined_cmaps.py``: shipped with the project, so a verdict does not depend on what the
validating machine has installed.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).with_name("cmap_data")
MAX_CODES = 65536  # codes read from one string; the rest of a hostile string is not read

_GB1 = ("GB-EUC-H GB-EUC-V GBpc-EUC-H GBpc-EUC-V GBK-EUC-H GBK-EUC-V GBKp-EUC-H GBKp-EUC-V GBK2K-H GBK2K-V "
        "UniGB-UCS2-H UniGB-UCS2-V UniGB-UTF16-H UniGB-UTF16-V")
_CNS1 = ("B5pc-H B5pc-V HKscs-B5-H HKscs-B5-V ETen-B5-H ETen-B5-V ETenms-B5-H ETenms-B5-V CNS-EUC-H CNS-EUC-V "
         "UniCNS-UCS2-H UniCNS-UCS2-V UniCNS-UTF16-H UniCNS-UTF16-V")
_JAPAN1 = ("83pv-RKSJ-H 90ms-RKSJ-H 90ms-RKSJ-V 90msp-RKSJ-H 90msp-RKSJ-V 90pv-RKSJ-H Add-RKSJ-H Add-RKSJ-V "
           "EUC-H EUC-V Ext-RKSJ-H Ext-RKSJ-V H V UniJIS-UCS2-H UniJIS-UCS2-V UniJIS-UCS2-HW-H UniJIS-UCS2-HW-V "
           "UniJIS-UTF16-H UniJIS-UTF16-V")
_KOREA1 = ("KSC-EUC-H KSC-EUC-V KSCms-UHC-H KSCms-UHC-V KSCms-UHC-HW-H KSCms-UHC-HW-V KSCpc-EUC-H "
           "UniKS-UCS2-H UniKS-UCS2-V UniKS-UTF16-H UniKS-UTF16-V")

# The predefined CMaps (ISO 32000-1 Table 118; ISO 32000-2 Table 116 names the same) -> their collection.
PREDEFINED: dict[str, str] = {
    **dict.fromkeys(_GB1.split(), "Adobe-GB1"), **dict.fromkeys(_CNS1.split(), "Adobe-CNS1"),
    **dict.fromkeys(_JAPAN1.split(), "Adobe-Japan1"), **dict.fromkeys(_KOREA1.split(), "Adobe-Korea1"),
    "Identity-H": "Adobe-Identity", "Identity-V": "Adobe-Identity",
}
# Collections with a published Registry-Ordering-UCS2 map shipped in cmap_data/.
UCS2_COLLECTIONS = ("Adobe-GB1", "Adobe-CNS1", "Adobe-Japan1", "Adobe-Korea1", "Adobe-KR")


class CodeSpace:
    """Codespace ranges, each byte between its bounds (a range <8140> <9FFC> is first byte 81-9F, second
    byte 40-FC). A string is split the way ISO 32000-1 9.7.6.2 reads it: the shortest range that matches the
    next bytes decides the code's length; bytes that match no range are one code that does not fit, as long
    as the shortest range whose first byte matches (one byte when none does)."""

    def __init__(self, ranges: Sequence[tuple[int, bytes, bytes]]) -> None:
        self.ranges = [(n, lo, hi) for n, lo, hi in ranges if 1 <= n <= 4 and len(lo) == len(hi) == n
                       and all(a <= b for a, b in zip(lo, hi, strict=True))][:1000]
        by_length = sorted(self.ranges, key=lambda r: r[0])
        fits = [b"".join(_byte_class(a, b) for a, b in zip(lo, hi, strict=True)) for _, lo, hi in by_length]
        partial = [_byte_class(lo[0], hi[0]) + (b".{0,%d}" % (n - 1) if n > 1 else b"") for n, lo, hi in by_length]
        self._pattern = re.compile(b"(" + b"|".join(fits or [b"(?!)"]) + b")|" + b"|".join([*partial, b"."]), re.S)

    def split(self, shown: bytes) -> Iterator[tuple[int, int, bool]]:
        """(code, length in bytes, whether it fits a codespace range) for each code of ``shown``."""
        for count, m in enumerate(self._pattern.finditer(shown)):
            if count >= MAX_CODES:
                return
            raw = m.group(0)
            yield int.from_bytes(raw, "big"), len(raw), m.group(1) is not None

    def describe(self) -> str:
        return " ".join(f"<{lo.hex().upper()}> <{hi.hex().upper()}>" for _, lo, hi in self.ranges)


def _byte_class(lo: int, hi: int) -> bytes:
    return b"[" + re.escape(bytes((lo,))) + b"-" + re.escape(bytes((hi,))) + b"]"


def code_space_of(spaces: Sequence[tuple[int, int, int]]) -> CodeSpace:
    """A CodeSpace from (length, low, high) integer triples, as an embedded CMap is parsed."""
    ranges = []
    for n, lo, hi in spaces:
        try:
            ranges.append((n, lo.to_bytes(n, "big"), hi.to_bytes(n, "big")))
        except OverflowError:
            continue
    return CodeSpace(ranges)


IDENTITY_SPACE = CodeSpace([(2, b"\x00\x00", b"\xff\xff")])


def undelta(flat: Sequence[int]) -> tuple[list[int], list[int], list[int]]:
    """Starts, spans and values from the deltas the tables hold (scripts/predefined_cmaps.py ``delta``)."""
    starts: list[int] = []
    spans: list[int] = []
    values: list[int] = []
    end = value_end = 0
    for i in range(0, len(flat) - 2, 3):
        start, span, value = end + flat[i], flat[i + 1], value_end + flat[i + 2]
        starts.append(start)
        spans.append(span)
        values.append(value)
        end, value_end = start + span, value + span
    return starts, spans, values


class _Ranges:
    """Sorted (low, high, first CID) ranges of one code length, looked up by bisection."""

    def __init__(self, flat: list[int]) -> None:
        self.lows, spans, self.cids = undelta(flat)
        self.highs = [lo + span for lo, span in zip(self.lows, spans, strict=True)]

    def get(self, code: int, step: int = 1) -> int | None:
        """The CID of ``code``: the range's first CID plus its offset (``step`` 0: the same CID for the whole
        range, as a notdefrange maps)."""
        i = bisect_right(self.lows, code) - 1
        if i >= 0 and code <= self.highs[i]:
            return self.cids[i] + (code - self.lows[i]) * step
        return None


class PredefinedCMap:
    """One predefined CMap: its codespace, and code -> CID by cidrange/cidchar, else notdefrange/notdefchar
    (the CID of the substitute glyph), else CID 0 (ISO 32000-1 9.7.6.3); a UseCMap parent is read after."""

    def __init__(self, name: str, collection: str, table: dict[str, object], parent: PredefinedCMap | None) -> None:
        self.name = name
        self.collection = collection  # "Adobe-Japan1"...
        self.parent = parent
        spaces = table.get("codespace") or []
        own = [(int(n), bytes.fromhex(lo), bytes.fromhex(hi)) for n, lo, hi in spaces]  # type: ignore[attr-defined]
        self.code_space: CodeSpace = CodeSpace(own) if own or parent is None else parent.code_space
        cid = table.get("cid") or {}
        notdef = table.get("notdef") or {}
        self._cid = {int(n): _Ranges(v) for n, v in cid.items()}  # type: ignore[attr-defined]
        self._notdef = {int(n): _Ranges(v) for n, v in notdef.items()}  # type: ignore[attr-defined]

    def cid(self, code: int, length: int) -> tuple[int, bool]:
        """(CID, mapped): ``mapped`` is False when the code falls to a notdef mapping or to CID 0."""
        node: PredefinedCMap | None = self
        while node is not None:
            ranges = node._cid.get(length)
            found = ranges.get(code) if ranges is not None else None
            if found is not None:
                return found, True
            node = node.parent
        node = self
        while node is not None:
            ranges = node._notdef.get(length)
            found = ranges.get(code, 0) if ranges is not None else None
            if found is not None:
                return found, False
            node = node.parent
        return 0, False


@lru_cache(maxsize=8)
def _collection(collection: str) -> dict[str, object] | None:
    path = DATA / f"{collection}.json"
    if collection not in UCS2_COLLECTIONS or not path.is_file():
        return None
    data: dict[str, object] = json.loads(path.read_text())
    return data


@lru_cache(maxsize=64)
def predefined(name: str) -> PredefinedCMap | None:
    """The predefined CMap ``name`` (not Identity-H/V), or None when it is not one of Table 118."""
    collection = PREDEFINED.get(name)
    data = _collection(collection) if collection else None
    tables = data.get("cmaps") if data else None
    table = tables.get(name) if isinstance(tables, dict) else None
    if collection is None or not isinstance(table, dict):
        return None
    used = table.get("usecmap")
    parent = predefined(used) if isinstance(used, str) and used != name else None
    return PredefinedCMap(name, collection, table, parent)


class Ucs2Map:
    """A Registry-Ordering-UCS2 map: CID -> Unicode for an Adobe character collection."""

    def __init__(self, table: dict[str, object]) -> None:
        runs = table.get("runs") or []
        self._starts, self._counts, self._values = undelta(runs)  # type: ignore[arg-type]
        text = table.get("text") or {}
        self._text = {int(k): str(v) for k, v in text.items()}  # type: ignore[attr-defined]

    def text(self, cid: int) -> str | None:
        if cid in self._text:
            return self._text[cid]
        i = bisect_right(self._starts, cid) - 1
        if i >= 0 and cid < self._starts[i] + self._counts[i]:
            return chr(self._values[i] + cid - self._starts[i])
        return None


@lru_cache(maxsize=8)
def ucs2(collection: str) -> Ucs2Map | None:
    """The UCS2 map of ``collection`` ("Adobe-Japan1"...), or None when none is published for it."""
    data = _collection(collection)
    table = data.get("ucs2") if data else None
    return Ucs2Map(table) if isinstance(table, dict) else None
