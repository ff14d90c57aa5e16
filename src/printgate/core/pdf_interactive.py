"""Where a PDF's interactive objects sit: its annotations, form fields and outline items, and the
actions they trigger.

The PDF/A conversion takes forbidden actions out and the validators (PDF/A, PDF/X, PDF/UA) judge
them: they must agree on where actions are, so the walk is written once, here. Every walk meets each
object once (a /Next chain or outline that loops back is followed once) and stops after
:data:`MAX_OBJECTS`, so a hostile file cannot make it run away.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import chain
from typing import Any

import pikepdf

MAX_OBJECTS = 10_000


def _each_once(start: Iterable[Any], children: Callable[[pikepdf.Dictionary], Iterable[Any]],
               seen: set[tuple[int, int]] | None = None) -> Iterator[pikepdf.Dictionary]:
    """The dictionaries reached from ``start`` through ``children``, depth first, each once, at most
    :data:`MAX_OBJECTS`; anything else met on the way is passed over. Only an indirect object can be met
    twice (a direct one has a single container), so only those are remembered, in ``seen`` (shared by
    walks that must not meet an object twice between them): an ``id()`` would not do, as pikepdf wraps a
    direct object afresh on every access and a freed wrapper's id is reused."""
    seen = set() if seen is None else seen
    stack = list(start)[::-1]
    count = 0
    while stack and count < MAX_OBJECTS:
        node = stack.pop()
        if not isinstance(node, pikepdf.Dictionary):
            continue
        if node.is_indirect:
            if node.objgen in seen:
                continue
            seen.add(node.objgen)
        count += 1
        yield node
        stack.extend(list(children(node))[::-1])


def _listed(value: Any) -> list[Any]:
    """An entry that may be one object or an array of them (/Kids, /Next), as a list."""
    return list(value) if isinstance(value, pikepdf.Array) else [value]


def _catalog(pdf: pikepdf.Pdf) -> pikepdf.Dictionary:
    root = pdf.Root
    return root if isinstance(root, pikepdf.Dictionary) else pikepdf.Dictionary()


Pages = Callable[[], Iterable[tuple[int, pikepdf.Page]]]


def _all_pages(pdf: pikepdf.Pdf, pages: Pages | None) -> Iterable[tuple[int, pikepdf.Page]]:
    return pages() if pages is not None else enumerate(pdf.pages, 1)


def page_annotations(pdf: pikepdf.Pdf, pages: Pages | None = None) -> Iterator[tuple[pikepdf.Dictionary, str]]:
    """Every annotation dictionary in the pages' /Annots, with where it is (``page 1 annotation 2 (Link)``);
    anything else in an /Annots array is passed over. ``pages`` gives (number, page) pairs instead of
    ``pdf.pages`` (the validator reads a large file's pages in chunks)."""
    for n, page in _all_pages(pdf, pages):
        annots = page.obj.get("/Annots")
        if not isinstance(annots, pikepdf.Array):
            continue
        for j, annot in enumerate(annots):
            if isinstance(annot, pikepdf.Dictionary):
                yield annot, f"page {n} annotation {j + 1} ({str(annot.get('/Subtype', '/?'))[1:]})"


def form_fields(pdf: pikepdf.Pdf) -> Iterator[tuple[pikepdf.Dictionary, str]]:
    """Every field of the AcroForm's tree (terminal fields, their parents and widget kids), each once."""
    form = _catalog(pdf).get("/AcroForm")
    fields = form.get("/Fields") if isinstance(form, pikepdf.Dictionary) else None
    for field in _each_once(_listed(fields), lambda field: _listed(field.get("/Kids"))):
        yield field, f"form field {field.get('/T', '')}".rstrip()


def outline_items(pdf: pikepdf.Pdf) -> Iterator[pikepdf.Dictionary]:
    """Every item of the document outline (bookmarks), each once: an item, its children, its next sibling."""
    outlines = _catalog(pdf).get("/Outlines")
    first = outlines.get("/First") if isinstance(outlines, pikepdf.Dictionary) else None
    yield from _each_once([first], lambda item: (item.get("/First"), item.get("/Next")))


def action_owners(pdf: pikepdf.Pdf, pages: Pages | None = None) -> Iterator[tuple[pikepdf.Dictionary, str]]:
    """Every dictionary that can hold an action (/OpenAction, /A) or additional actions (/AA): the
    catalog, the pages, their annotations, the outline items and the form fields, with where it is; a
    widget that is also a field is met once, as an annotation."""
    page_dicts = ((page.obj, f"page {n}") for n, page in _all_pages(pdf, pages))
    items = ((item, "outline item") for item in outline_items(pdf))
    seen: set[tuple[int, int]] = set()
    for owner, where in chain([(_catalog(pdf), "catalog")], page_dicts, page_annotations(pdf, pages), items,
                              form_fields(pdf)):
        if not owner.is_indirect or owner.objgen not in seen:
            seen.add(owner.objgen)
            yield owner, where


def actions(pdf: pikepdf.Pdf, pages: Pages | None = None) -> Iterator[tuple[pikepdf.Dictionary, str]]:
    """Every action dictionary the document can trigger: each owner's /OpenAction, /A and /AA entries,
    and the /Next chains after them, each action once, with where it is (``page 1 AA /O``)."""
    seen: set[tuple[int, int]] = set()
    for owner, where in action_owners(pdf, pages):
        starts: list[tuple[Any, str]] = [(owner.get("/OpenAction"), f"{where} OpenAction"), (owner.get("/A"), where)]
        aa = owner.get("/AA")
        if isinstance(aa, pikepdf.Dictionary):
            starts += [(aa.get(str(trigger)), f"{where} AA {trigger}") for trigger in aa]
        for start, start_where in starts:
            for action in _each_once([start], lambda action: _listed(action.get("/Next")), seen):
                yield action, start_where


def field_type(node: Any) -> str | None:
    """A field's or widget's /FT, inherited from its parents (``/Btn``, ``/Tx``, ``/Ch``, ``/Sig``)."""
    for _ in range(32):
        if not isinstance(node, pikepdf.Dictionary):
            return None
        if "/FT" in node:
            return str(node["/FT"])
        node = node.get("/Parent")
    return None
