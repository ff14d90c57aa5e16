"""A rule is one clause and test number of one standard, and a check that yields one verdict per object.

A check is written once and may serve several standards (the same header rule is clause 6.1.2 test 1
of ISO 19005-1, -2 and -4): ``shared(check, description, ("pdfa1", "6.1.2", 1), ("pdfa2", ...))``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from printgate.core.validation.content import ContentFacts
    from printgate.core.validation.model import Document
    from printgate.core.validation.xmp import Xmp

Verdict = tuple[bool, str]  # (passed, where)
Check = Callable[["Context"], Iterable[Verdict]]

SPECS = {
    "pdfa1": "ISO 19005-1:2005",
    "pdfa2": "ISO 19005-2:2011",
    "pdfa3": "ISO 19005-3:2012",
    "pdfa4": "ISO 19005-4:2020",
    "pdfua1": "ISO 14289-1:2014",
    "pdfua2": "ISO 14289-2:2024",
    "pdfx1a": "ISO 15930-1:2001 / ISO 15930-4:2003",
    "pdfx3": "ISO 15930-3:2002 / ISO 15930-6:2003",
    "pdfx4": "ISO 15930-7:2010",
}


@dataclass(frozen=True)
class Rule:
    spec: str  # a key of SPECS
    clause: str
    test: int
    description: str
    check: Check

    @property
    def id(self) -> str:
        return f"{self.spec}:{self.clause}-{self.test}"


def shared(check: Check, description: str, *where: tuple[str, str, int]) -> list[Rule]:
    return [Rule(spec, clause, test, description, check) for spec, clause, test in where]


class Context:
    """What a check reads: the document, its content facts and XMP, and which standard is asked."""

    def __init__(self, doc: Document, part: int, level: str) -> None:
        self.doc = doc
        self.part = part  # 1, 2, 3, 4 for PDF/A; 0 for PDF/UA alone
        self.level = level  # "a", "b", "u", "", "e", "f", "ua1", "ua2"

    @cached_property
    def content(self) -> ContentFacts:
        from printgate.core.validation.content import collect

        doc = self.doc
        return collect(doc.pdf) if doc.page_ids is None else collect(doc.pdf, doc.iter_pages())

    @cached_property
    def xmp(self) -> Xmp | None:
        from printgate.core.validation.xmp import read_catalog_xmp

        return read_catalog_xmp(self.doc)


def each(items: Iterable[Any], test: Callable[[Any], bool], where: Callable[[Any], str]) -> Iterator[Verdict]:
    for item in items:
        yield test(item), where(item)


def one(passed: bool, where: str = "document") -> Iterator[Verdict]:
    yield passed, where
