"""A large file's pages and objects read in chunks, each from a handle opened for it and closed after it.

libqpdf keeps every object it has resolved until its file is closed, and resolving one object of an object
stream resolves the whole stream: one pass over every page of a file packed in object streams loads nearly
all of its objects into the one handle, so memory grows with page count. For a large file the page passes
(the content walk, the rules that read pages and their annotations) and the object pass (the cos walk)
therefore read a chunk of pages or objects from a fresh handle; what they keep across chunks is object ids
and plain facts, or objects re-read on the document's own handle (``adopt``). A small file is read on its
one handle as before: reopening costs time that only a large file repays.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import pikepdf

LARGE_OBJECTS = 1500  # indirect objects (cross-reference entries) above which a file is read in chunks
LARGE_PAGES = 60  # or pages (the page tree root's Count)
CHUNK_PAGES = 10  # a handle costs ~2 ms to open; ~5 kB per object it resolves
CHUNK_ANNOTS = 200  # or annotations: an index page holds 100+ links, each an object (interface3.pdf: 1,243 in 10 pages)
CHUNK_NODES = 4  # Pages nodes: each sits in an object stream of its own pages' objects
CHUNK_OBJECTS = 100  # an object stream holds up to ~100: it is resolved whole
MAX_TREE_DEPTH = 64
MAX_ADOPT_DEPTH = 32
_REF = re.compile(rb"(\d+) (\d+) R")

ObjId = tuple[int, int]


class PageIds(list[ObjId]):
    """A large file's page ids in page order, with the chunks to read them in: (start, end) positions, each
    ``CHUNK_PAGES`` pages or fewer where the pages hold more than ``CHUNK_ANNOTS`` annotations between them
    (a page's annotations sit in the object streams its dictionary is packed with: the chunk loads them)."""

    def __init__(self, ids: list[ObjId], annots: list[int]) -> None:
        super().__init__(ids)
        self.bounds: list[tuple[int, int]] = []
        start = weight = 0
        for i, n in enumerate(annots):
            if i > start and (i - start >= CHUNK_PAGES or weight + n > CHUNK_ANNOTS):
                self.bounds.append((start, i))
                start, weight = i, 0
            weight += n
        if start < len(annots):
            self.bounds.append((start, len(annots)))


def chunk_bounds(ids: list[ObjId]) -> list[tuple[int, int]]:
    """The (start, end) positions of the chunks ``ids`` are read in."""
    if isinstance(ids, PageIds):
        return ids.bounds
    return [(start, min(start + CHUNK_PAGES, len(ids))) for start in range(0, len(ids), CHUNK_PAGES)]


def reopen(path: Path) -> pikepdf.Pdf:
    """A fresh handle on the file, opened as ``engine.open_document`` opens it."""
    return pikepdf.open(path, inherit_page_attributes=False)


@contextmanager
def chunk_handle(path: Path) -> Iterator[pikepdf.Pdf]:
    """A fresh handle for one chunk, closed (and its objects freed) after it."""
    with closing(reopen(path)) as pdf:
        yield pdf


def is_large(pdf: pikepdf.Pdf) -> bool:
    """Whether the file is worth reading in chunks: its cross-reference size (the trailer's Size) or its
    declared page count (the page tree root's Count)."""
    try:
        size = pdf.trailer.get("/Size")
        if isinstance(size, int) and size > LARGE_OBJECTS:
            return True
        pages = pdf.Root.get("/Pages")
        count = pages.get("/Count") if isinstance(pages, pikepdf.Dictionary) else None
        return isinstance(count, int) and count > LARGE_PAGES
    except Exception:
        return False


def large_file_page_ids(path: Path, pdf: pikepdf.Pdf) -> list[ObjId] | None:
    """The page ids to read a large file's pages by, chunk by chunk; None for a small file, or a page tree
    that is anything but plain (then every pass reads ``pdf`` as it is, repairs and all)."""
    if not is_large(pdf):
        return None
    try:
        return page_ids(path, pdf)
    except Exception:
        return None


def _kid_ids(kids: Any) -> list[ObjId] | None:
    """The object ids a /Kids array names, read from its text so its kids are not resolved (None when a kid
    is not an indirect reference)."""
    if not isinstance(kids, pikepdf.Array):
        return None
    ids = [(int(n), int(g)) for n, g in _REF.findall(kids.unparse(resolved=True))]
    return ids if len(ids) == len(kids) else None


class _Reader:
    """Pages nodes read from fresh handles, a new one every ``CHUNK_NODES`` nodes: in a file packed in object
    streams the nodes sit among the pages' objects (pdfTeX writes one after every six pages), so reading them
    all on one handle would load nearly every object. A node read stays valid while its kids are listed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.pdf: pikepdf.Pdf | None = None
        self.reads = 0

    def get(self, objgen: ObjId) -> Any:
        if self.pdf is None or self.reads >= CHUNK_NODES:
            self.close()
            self.pdf, self.reads = reopen(self.path), 0
        self.reads += 1
        return self.pdf.get_object(objgen)

    def close(self) -> None:
        if self.pdf is not None:
            self.pdf.close()
            self.pdf = None


def page_ids(path: Path, pdf: pikepdf.Pdf) -> PageIds | None:
    """The page objects' ids in page-tree order, or None where the tree is anything but plain (the caller
    then reads ``pdf.pages``, which repairs what it can). The Pages nodes are read on fresh handles; a node whose
    Count equals its number of kids has only pages below it, so those are not resolved here. The pages
    themselves are then checked chunk by chunk on fresh handles: each a dictionary of Type Page without
    Kids, met once."""
    root = pdf.Root.get("/Pages")
    if not isinstance(root, pikepdf.Dictionary) or not root.is_indirect:
        return None
    out: list[ObjId] = []
    reader = _Reader(path)
    nodes: set[ObjId] = {root.objgen}
    # depth first, kids in order: a node's kids replace it on the stack as (is a Pages node, id, depth);
    # only ids are kept, as the handle a node was read from is closed every few reads
    stack: list[tuple[bool, ObjId, int]] = [(True, root.objgen, 0)]
    while stack:
        is_node, objgen, depth = stack.pop()
        if not is_node:
            out.append(objgen)
            continue
        node = reader.get(objgen)
        ids = _kid_ids(node.get("/Kids")) if isinstance(node, pikepdf.Dictionary) else None
        count = node.get("/Count") if ids is not None else None
        if ids is None or depth > MAX_TREE_DEPTH or not isinstance(count, int):
            reader.close()
            return None
        if count == len(ids):
            stack.extend((False, i, depth + 1) for i in reversed(ids))
            continue
        kids: list[tuple[bool, ObjId, int]] = []
        for i in ids:
            kid = reader.get(i)
            if not isinstance(kid, pikepdf.Dictionary) or i in nodes:
                reader.close()
                return None
            if "/Kids" in kid:
                nodes.add(i)
            kids.append(("/Kids" in kid, i, depth + 1))
        stack.extend(reversed(kids))
    reader.close()
    if len(set(out)) != len(out) or nodes & set(out):
        return None
    annots: list[int] = []
    for start in range(0, len(out), CHUNK_PAGES):
        with chunk_handle(path) as chunk:
            for i in out[start:start + CHUNK_PAGES]:
                page = chunk.get_object(i)
                if (not isinstance(page, pikepdf.Dictionary) or "/Kids" in page
                        or page.get("/Type") != pikepdf.Name("/Page")):
                    return None
                listed = page.get("/Annots")  # the array only: its annotations are not resolved
                annots.append(len(listed) if isinstance(listed, pikepdf.Array) else 0)
    return PageIds(out, annots)


def pages_in_chunks(path: Path, ids: list[ObjId]) -> Iterator[tuple[int, pikepdf.Page]]:
    """(page number, page) for every page, a chunk of pages per fresh handle: a page and what is read from
    it is valid until the next chunk starts (the handle it came from is closed then)."""
    for start, end in chunk_bounds(ids):
        with chunk_handle(path) as chunk:
            for n, i in enumerate(ids[start:end], start + 1):
                yield n, pikepdf.Page(chunk.get_object(i))


def object_ids(pdf: pikepdf.Pdf) -> array[int]:
    """The ids of the file's objects in the cross-reference table, in the order ``pdf.objects`` gives them,
    packed one integer each (number << 32 | generation): 10,733 ids as tuples cost 1 MB beside the facts
    through the cos walk, packed 86 kB. pikepdf's table is a Python object per entry: freed at once."""
    table = pdf.get_xref_table()
    keys = sorted(i for i, entry in table.items() if entry.type in (1, 2))  # the table's own tuples
    del table  # freed before the packing makes an int per id (one at a time), not beside it
    return array("Q", (n << 32 | g for n, g in keys))


def objects_in_chunks(path: Path, ids: array[int]) -> Iterator[tuple[ObjId, Any]]:
    """(object id, object) for each of ``ids`` (``object_ids``), a chunk per fresh handle (consecutive ids: an
    object stream's members are mostly numbered together, so a stream is seldom resolved by two chunks)."""
    for start in range(0, len(ids), CHUNK_OBJECTS):
        with chunk_handle(path) as chunk:
            for packed in ids[start:start + CHUNK_OBJECTS]:
                i = (packed >> 32, packed & 0xFFFFFFFF)
                yield i, chunk.get_object(i)


def adopt(obj: Any, pdf: pikepdf.Pdf, depth: int = 0) -> Any:
    """``obj`` (read from a chunk's handle) as the same object on ``pdf``, the document's own handle: an
    indirect object by its id; a direct one rebuilt with its indirect members taken from ``pdf``, so it
    stays readable after the chunk's handle is closed."""
    if not isinstance(obj, pikepdf.Object):
        return obj
    if obj.is_indirect:
        return pdf.get_object(obj.objgen)
    if depth > MAX_ADOPT_DEPTH:
        return obj
    if isinstance(obj, pikepdf.Dictionary):
        return pikepdf.Dictionary({str(k): adopt(v, pdf, depth + 1) for k, v in obj.items()})
    if isinstance(obj, pikepdf.Array):
        return pikepdf.Array([adopt(v, pdf, depth + 1) for v in obj])
    return obj


def detach(obj: Any, pdf: pikepdf.Pdf) -> Any:
    """``obj`` (read from a chunk's handle) as a direct copy whose members are adopted (``adopt``): an indirect
    dictionary or array is not resolved on ``pdf``. Resolving it there would resolve its whole object stream,
    the pages and annotations packed with it, and keep them to the end (a font and an ExtGState per page:
    nearly every object of the file); the copy holds what the rules read (``.get``, ``in``, items), and its
    indirect members are references resolved on ``pdf`` only when a rule reads them. A stream (images,
    forms) cannot be copied direct and is adopted; it is never packed in an object stream."""
    if (isinstance(obj, pikepdf.Object) and obj.is_indirect
            and obj._type_code in (pikepdf.ObjectType.dictionary, pikepdf.ObjectType.array)):
        if obj._type_code is pikepdf.ObjectType.dictionary:
            return pikepdf.Dictionary({str(k): adopt(v, pdf, 1) for k, v in obj.items()})
        return pikepdf.Array([adopt(v, pdf, 1) for v in obj.as_list()])
    return adopt(obj, pdf)


_TOKEN = re.compile(rb"\((?:\\.|[^\\)])*\)|<<|>>|<[^<>]*>|\[|\]|/[^\s/\[\]()<>]*|[^\s/\[\]()<>]+", re.S)


def reference_positions(array: pikepdf.Array) -> set[int]:
    """The positions of ``array``'s items that are indirect references, read from its text: iterating the
    array would resolve each referenced object (and, for one in an object stream, the whole stream)."""
    text = array.unparse(resolved=True)
    if b" R" not in text:
        return set()
    depth = 0
    items: list[bool] = []  # per top-level item: is a reference
    for m in _TOKEN.finditer(text):
        tok = m.group()
        if tok in (b"[", b"<<"):
            if depth == 1:
                items.append(False)
            depth += 1
        elif tok in (b"]", b">>"):
            depth -= 1
        elif depth == 1:
            if tok == b"R" and len(items) >= 2:
                del items[-2:]
                items.append(True)
            else:
                items.append(False)
    return {i for i, ref in enumerate(items) if ref}
