"""What a large file's content walk keeps of a font or an XObject read from a chunk's handle, without
resolving it on the document's handle.

A large file's pages are read in chunks from handles closed after each chunk (``chunks``). The content facts
keep every font, image and form used; resolved on the document's handle, a font resolves its whole object
stream (the pages and annotations packed with it) and every object stays in libqpdf's cache to the end: with
a font, image and form per page, the facts held nearly every object of the file. Kept here instead: a font
as its members with its long numeric arrays (Widths) packed, an XObject as its dictionary's members and its
id, equal names and short arrays once (``Shared``). Members that are references point at the document's
handle, where a rule that reads them resolves them.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any, cast

import pikepdf

from printgate.core.validation.chunks import ObjId, adopt

_ARRAY, _NAME = pikepdf.ObjectType.array, pikepdf.ObjectType.name_
_SCALARS = (int, Decimal, bool)
_SHORT = 16


class Shared:
    """One content walk's kept members that are equal and cannot hold a reference (names, short arrays of
    numbers and names: /Type /XObject, /Subtype /Image, a BBox), kept once: 300 images' names are four objects,
    not 1,200 (a pikepdf object costs ~200 bytes). The rules read members, never change them."""

    def __init__(self, pdf: pikepdf.Pdf) -> None:
        self.pdf = pdf
        self.kept: dict[tuple[Any, ...], Any] = {}

    def member(self, v: Any) -> Any:
        if type(v) is not pikepdf.Object or v.is_indirect:
            return adopt(v, self.pdf, 1)
        code = v._type_code
        if code is _NAME:
            return self.kept.setdefault((code, str(v)), v)
        if code is _ARRAY and len(v) <= _SHORT:
            items = v.as_list()
            if all(type(x) in _SCALARS or (type(x) is pikepdf.Object and x._type_code is _NAME) for x in items):
                return self.kept.setdefault((code, bytes(v.unparse())), v)
        return adopt(v, self.pdf, 1)

    def members(self, obj: Any) -> dict[str, Any]:
        return {str(k): self.member(v) for k, v in obj.items()}

    def numbers(self, items: tuple[Any, ...]) -> Sequence[Any]:
        """A long array of numbers (a font's Widths): integers packed 8 bytes each (a Python int costs 32, and
        Widths hold hundreds), equal arrays kept once (a font embedded per page repeats its Widths)."""
        packed: array[int] | None
        try:
            packed = array("q", items) if all(type(x) is int for x in items) else None
        except OverflowError:
            packed = None
        if packed is None:
            return self.kept.setdefault(("numbers", items), items)
        return self.kept.setdefault(("numbers", packed.tobytes()), packed)


class KeptFont:
    """A font a large file's content walk keeps, read from a chunk's handle: its members adopted onto the
    document's handle, its long numeric arrays (Widths) packed (``Shared.numbers``). As pikepdf objects, 300
    fonts' Widths cost 4 MB (an object per number). ``dictionary()`` makes the font dictionary again for the
    rule that reads it, freed after that rule's use: each access makes a new one."""

    __slots__ = ("arrays", "members")

    def __init__(self, font: pikepdf.Dictionary, shared: Shared) -> None:
        self.members: dict[str, Any] = {}
        self.arrays: dict[str, Sequence[Any]] = {}
        for k, v in font.items():
            key = str(k)
            if type(v) is pikepdf.Object and v._type_code is _ARRAY and not v.is_indirect and len(v) > _SHORT:
                items = tuple(v.as_list())
                if all(type(x) is int or type(x) is Decimal for x in items):
                    self.arrays[key] = shared.numbers(items)
                    continue
            self.members[key] = shared.member(v)

    def dictionary(self) -> pikepdf.Dictionary:
        font = pikepdf.Dictionary(self.members)
        for key, items in self.arrays.items():
            font[key] = pikepdf.Array(items)
        return font


class KeptStream:
    """An image or form XObject, read as the rules read a stream: ``get``, ``in``, ``[]``, ``objgen``; its data
    (``read_raw_bytes``, ``read_bytes``: JPEG 2000 headers) is read on the document's handle when asked. A
    stream resolved on that handle costs ~2.5 kB; its members here, names and short arrays shared, less."""

    __slots__ = ("_pdf", "members", "objgen")
    is_indirect = True

    def __init__(self, stream: pikepdf.Stream, shared: Shared) -> None:
        self.members = shared.members(stream)
        self.objgen: ObjId = stream.objgen
        self._pdf = shared.pdf

    def get(self, key: Any, default: Any = None) -> Any:
        return self.members.get(str(key), default)

    def __contains__(self, key: Any) -> bool:
        return str(key) in self.members

    def __getitem__(self, key: Any) -> Any:
        return self.members[str(key)]

    def __iter__(self) -> Iterator[str]:
        return iter(self.members)

    def keys(self) -> Any:
        return self.members.keys()

    def items(self) -> Any:
        return self.members.items()

    def values(self) -> Any:
        return self.members.values()

    def stream(self) -> pikepdf.Stream:
        """The stream itself, on the document's handle."""
        return cast(pikepdf.Stream, self._pdf.get_object(self.objgen))

    def read_raw_bytes(self) -> bytes:
        return bytes(self.stream().read_raw_bytes())

    def read_bytes(self) -> bytes:
        return bytes(self.stream().read_bytes())
