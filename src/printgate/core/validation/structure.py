"""The logical structure tree (tagging) as the PDF/UA and PDF/A level A rules see it.

Each structure element knows its own type, its standard type through the RoleMap, its parent and
its kids; marked-content references and object references are kept by page. Walks are bounded, so
a hostile tree (cycles, millions of nodes) is read as far as the bound and no further.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pikepdf

MAX_ELEMENTS = 200_000

STANDARD_TYPES_1 = frozenset(["Document", "Part", "Art", "Sect", "Div", "BlockQuote", "Caption", "TOC", "TOCI", "Index", "NonStruct", "Private", "P", "H", "H1", "H2", "H3", "H4", "H5", "H6", "L", "LI", "Lbl", "LBody", "Table", "TR", "TH", "TD", "THead", "TBody", "TFoot", "Span", "Quote", "Note", "Reference", "BibEntry", "Code", "Link", "Annot", "Ruby", "RB", "RT", "RP", "Warichu", "WT", "WP", "Figure", "Formula", "Form"])
STANDARD_TYPES_2 = frozenset(["Document", "DocumentFragment", "Part", "Sect", "Div", "Aside", "NonStruct", "P", "H", "Title", "FENote", "Sub", "Lbl", "Span", "Em", "Strong", "Link", "Annot", "Form", "Ruby", "RB", "RT", "RP", "Warichu", "WT", "WP", "L", "LI", "LBody", "Table", "TR", "TH", "TD", "THead", "TBody", "TFoot", "Caption", "Figure", "Formula", "Artifact"]) | frozenset(f"H{i}" for i in range(1, 100))


@dataclass
class Elem:
    obj: pikepdf.Dictionary
    type: str
    std: str | None
    parent: Elem | None
    kids: list[Elem] = field(default_factory=list)
    mcids: list[tuple[Any, int]] = field(default_factory=list)
    objrs: list[pikepdf.Object] = field(default_factory=list)
    circular: bool = False
    remap_chain: list[str] = field(default_factory=list)

    @property
    def where(self) -> str:
        return f"struct elem {self.type}" + (f" ({self.std})" if self.std and self.std != self.type else "")

    def kid_std_types(self) -> list[str]:
        return [k.std or k.type for k in self.kids]

    def lang(self) -> str | None:
        v = self.obj.get("/Lang")
        return str(v) if v is not None else None

    def inherited_lang(self) -> str | None:
        node: Elem | None = self.parent
        while node is not None:
            if node.lang():
                return node.lang()
            node = node.parent
        return None


@dataclass
class StructTree:
    root: pikepdf.Dictionary | None
    elements: list[Elem] = field(default_factory=list)
    role_map: dict[str, str] = field(default_factory=dict)
    truncated: bool = False
    by_objgen: dict[Any, Elem] = field(default_factory=dict)

    def iter(self) -> Iterator[Elem]:
        yield from self.elements


def resolve_role(name: str, role_map: dict[str, str], standard: frozenset[str]) -> tuple[str | None, bool, list[str]]:
    """(standard type or None, circular, chain of names followed)."""
    chain = [name]
    seen = {name}
    current = name
    while current not in standard:
        nxt = role_map.get(current)
        if nxt is None:
            return None, False, chain
        if nxt in seen:
            return None, True, [*chain, nxt]
        seen.add(nxt)
        chain.append(nxt)
        current = nxt
    return current, False, chain


PDF1_NS = "http://iso.org/pdf/ssn"
PDF2_NS = "http://iso.org/pdf2/ssn"
MATHML_NS = "http://www.w3.org/1998/Math/MathML"


def resolve_ns_role(name: str, ns: pikepdf.Dictionary, standard: frozenset[str]
                    ) -> tuple[str | None, bool, list[str]]:
    """Role mapping through namespaces (PDF 2.0): follow RoleMapNS until a standard namespace."""
    chain = [name]
    seen: set[tuple[str, str]] = set()
    for _ in range(32):
        url = str(ns.get("/NS", ""))
        if url == MATHML_NS:
            return name, False, chain
        if url in (PDF1_NS, PDF2_NS) and name in standard:
            return name, False, chain
        if (url, name) in seen:
            return None, True, chain
        seen.add((url, name))
        rm = ns.get("/RoleMapNS")
        target = rm.get("/" + name) if isinstance(rm, pikepdf.Dictionary) else None
        if isinstance(target, pikepdf.Array) and len(target) >= 2 and isinstance(target[1], pikepdf.Dictionary):
            name, ns = str(target[0])[1:], target[1]
        elif isinstance(target, pikepdf.Name):
            name = str(target)[1:]
            ns = pikepdf.Dictionary(NS=pikepdf.String(PDF1_NS))
        else:
            return None, False, chain
        chain.append(name)
    return None, True, chain


def read_tree(catalog: pikepdf.Dictionary, standard: frozenset[str] = STANDARD_TYPES_1) -> StructTree:
    root = catalog.get("/StructTreeRoot")
    if not isinstance(root, pikepdf.Dictionary):
        return StructTree(None)
    tree = StructTree(root)
    rm = root.get("/RoleMap")
    if isinstance(rm, pikepdf.Dictionary):
        for k in rm:
            v = rm.get(str(k))
            if isinstance(v, pikepdf.Name):
                tree.role_map[str(k)[1:]] = str(v)[1:]
    seen: set[Any] = set()
    stack: list[tuple[Any, Elem | None, Any]] = [(root.get("/K"), None, None)]
    order: list[Elem] = []
    while stack:
        k, parent, page = stack.pop()
        if k is None:
            continue
        if isinstance(k, pikepdf.Array):
            stack.extend((item, parent, page) for item in reversed(list(k)))
            continue
        if isinstance(k, int) and not isinstance(k, bool):
            if parent is not None:
                parent.mcids.append((page, int(k)))
            continue
        if not isinstance(k, pikepdf.Dictionary):
            continue
        t = k.get("/Type")
        if t == pikepdf.Name("/MCR"):
            if parent is not None and "/MCID" in k:
                pg = k.get("/Pg") or page
                parent.mcids.append((pg.objgen if isinstance(pg, pikepdf.Dictionary) else page, int(k["/MCID"])))
            continue
        if t == pikepdf.Name("/OBJR"):
            obj = k.get("/Obj")
            if parent is not None and obj is not None:
                parent.objrs.append(obj)
            continue
        if "/S" not in k:
            continue
        key = k.objgen if k.is_indirect else None
        if key is not None:
            if key in seen:
                continue
            seen.add(key)
        if len(order) >= MAX_ELEMENTS:
            tree.truncated = True
            break
        name = str(k.get("/S"))[1:]
        ns = k.get("/NS")
        if isinstance(ns, pikepdf.Dictionary):
            std, circular, chain = resolve_ns_role(name, ns, standard)
        else:
            std, circular, chain = resolve_role(name, tree.role_map, standard)
        el = Elem(k, name, std, parent, circular=circular, remap_chain=chain)
        order.append(el)
        if key is not None:
            tree.by_objgen[key] = el
        if parent is not None:
            parent.kids.append(el)
        pg = k.get("/Pg")
        kpage = pg.objgen if isinstance(pg, pikepdf.Dictionary) and pg.is_indirect else page
        kids = k.get("/K")
        if kids is not None:
            stack.append((kids, el, kpage))
    tree.elements = order
    return tree


def parent_tree(root: pikepdf.Dictionary | None) -> dict[int, Any]:
    """The ParentTree number tree flattened: StructParent(s) key -> value (an element or an array)."""
    out: dict[int, Any] = {}
    if root is None:
        return out
    pt = root.get("/ParentTree")
    stack, count = [pt], 0
    while stack and count < 100_000:
        node = stack.pop()
        count += 1
        if not isinstance(node, pikepdf.Dictionary):
            continue
        nums = node.get("/Nums")
        if isinstance(nums, pikepdf.Array):
            items = list(nums)
            for i in range(0, len(items) - 1, 2):
                try:
                    out[int(items[i])] = items[i + 1]
                except (TypeError, ValueError):
                    continue
        kids = node.get("/Kids")
        if isinstance(kids, pikepdf.Array):
            stack.extend(kids)
    return out
