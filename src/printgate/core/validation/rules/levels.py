"""The rules that level A (tagged), level U (Unicode) and the PDF/A-3 and PDF/A-4F/4E variants add to
their base level. Most are checks written once for PDF/UA (ua.py) and listed here under PDF/A clauses."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pikepdf

from printgate.core.validation.rules import ua
from printgate.core.validation.rules.base import Context, Rule, Verdict, shared

_LANG_1 = re.compile(r"[a-zA-Z]{1,8}(-[a-zA-Z]{1,8})*")
_LANG_2 = re.compile(r"[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*")
_MIME = re.compile(r"[-\w+.]+/[-\w+.]+")


def _lang(pattern: re.Pattern[str]) -> Any:
    def check(ctx: Context) -> Iterator[Verdict]:
        values = []
        lang = ctx.doc.catalog.get("/Lang")
        if lang is not None:
            values.append((str(lang), "catalog Lang"))
        values += [(el.lang() or "", f"{el.where} Lang") for el in ua.tagging(ctx).tree.iter() if el.lang() is not None]
        values += [(v, f"{w} marked content Lang") for v, w in ctx.content.mc_langs]
        for value, where in values:
            yield value == "" or bool(pattern.fullmatch(value)), where
    check.__name__ = "lang_syntax"
    return check


def _embedded_files(ctx: Context) -> Iterator[tuple[pikepdf.Dictionary, pikepdf.Object | None, str]]:
    for obj in ctx.doc.objects_at(ctx.doc.object_facts.with_ef):
        if isinstance(obj.get("/EF"), pikepdf.Dictionary):
            ef = obj["/EF"]
            yield obj, ef.get("/F") or ef.get("/UF"), f"obj {obj.objgen[0]}"


def embedded_mime(ctx: Context) -> Iterator[Verdict]:
    for _, stream, where in _embedded_files(ctx):
        if isinstance(stream, pikepdf.Stream):
            sub = stream.get("/Subtype")
            yield sub is not None and bool(_MIME.fullmatch(str(sub)[1:].replace("#2F", "/"))), where


def af_relationship(ctx: Context) -> Iterator[Verdict]:
    for spec, _, where in _embedded_files(ctx):
        yield "/AFRelationship" in spec, where


def is_associated(ctx: Context) -> Iterator[Verdict]:
    associated: set[Any] = set(ctx.doc.object_facts.af_targets)  # every indirect object's AF, pages too
    af = ctx.doc.catalog.get("/AF")
    if isinstance(af, pikepdf.Array):
        associated |= {x.objgen for x in af if isinstance(x, pikepdf.Dictionary) and x.is_indirect}
    for spec, _, where in _embedded_files(ctx):
        yield spec.is_indirect and spec.objgen in associated, where


def has_embedded_files(ctx: Context) -> Iterator[Verdict]:
    names = ctx.doc.catalog.get("/Names")
    yield isinstance(names, pikepdf.Dictionary) and "/EmbeddedFiles" in names, "catalog names"


RULES: list[Rule] = [
    *shared(ua.marked, "The catalog's MarkInfo has Marked true", ("pdfa1a", "6.8.2.2", 1),
            ("pdfa2a", "6.7.2.2", 1)),
    *shared(ua.has_struct_tree, "The catalog contains a StructTreeRoot", ("pdfa1a", "6.8.3.3", 1),
            ("pdfa2a", "6.7.3.3", 1)),
    *shared(ua.non_standard_mapped, "Non-standard structure types are role-mapped to standard types",
            ("pdfa1a", "6.8.3.4", 1), ("pdfa2a", "6.7.3.4", 1)),
    *shared(ua.no_circular_mapping, "The RoleMap has no circular mapping", ("pdfa1a", "6.8.3.4", 2),
            ("pdfa2a", "6.7.3.4", 2)),
    *shared(ua.standard_not_remapped, "Standard structure types are not remapped", ("pdfa2a", "6.7.3.4", 3)),
    *shared(_lang(_LANG_1), "Lang values are empty or language identifiers", ("pdfa1a", "6.8.4", 1)),
    *shared(_lang(_LANG_2), "Lang values are empty or language identifiers", ("pdfa2a", "6.7.4", 1)),
    *shared(embedded_mime, "Embedded files declare a MIME type as Subtype", ("pdfa3", "6.8", 1), ("pdfa4", "6.9", 1)),
    *shared(af_relationship, "Embedded file specifications have AFRelationship", ("pdfa3", "6.8", 3), ("pdfa4", "6.9", 4)),
    *shared(is_associated, "Embedded files are associated with the document or a part of it", ("pdfa3", "6.8", 4)),
    *shared(has_embedded_files, "A PDF/A-4f file has embedded files", ("pdfa4f", "6.9", 5)),
    *shared(ua.oc_no_as, "Optional content configurations have no AS", ("pdfa2", "6.9", 4)),
]
