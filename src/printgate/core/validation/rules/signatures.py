"""Digital signatures in PDF/A-2 and -3 (ISO 19005-2 6.1.12 and 6.4.3).

A signature a later reader must be able to verify signs the whole file as it was written (its
ByteRange covers everything but the signature value itself), and with a DocMDP certification in
force its signature references carry no digests of their own (DigestLocation, DigestMethod,
DigestValue), which ISO 32000-1 12.8.1 deprecates.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pikepdf

from printgate.core.validation.rules.base import Context, Rule, Verdict, shared

MAX_FIELDS = 10_000


def signatures(ctx: Context) -> Iterator[tuple[pikepdf.Dictionary, str]]:
    """Signature dictionaries: the values of signature fields and the DocMDP signature of Perms."""
    seen: set[Any] = set()

    def once(sig: Any, where: str) -> Iterator[tuple[pikepdf.Dictionary, str]]:
        if isinstance(sig, pikepdf.Dictionary):
            k = sig.objgen if sig.is_indirect else id(sig)
            if k not in seen:
                seen.add(k)
                yield sig, where

    perms = ctx.doc.catalog.get("/Perms")
    if isinstance(perms, pikepdf.Dictionary):
        yield from once(perms.get("/DocMDP"), "Perms DocMDP signature")
    form = ctx.doc.catalog.get("/AcroForm")
    stack = list(form.get("/Fields") or []) if isinstance(form, pikepdf.Dictionary) else []
    count = 0
    while stack and count < MAX_FIELDS:
        field = stack.pop()
        count += 1
        if not isinstance(field, pikepdf.Dictionary):
            continue
        if field.get("/FT") == pikepdf.Name("/Sig"):
            yield from once(field.get("/V"), f"signature field {field.get('/T', '')}")
        kids = field.get("/Kids")
        if isinstance(kids, pikepdf.Array):
            stack.extend(kids)


def _has_docmdp(ctx: Context) -> bool:
    perms = ctx.doc.catalog.get("/Perms")
    return isinstance(perms, pikepdf.Dictionary) and "/DocMDP" in perms


def sig_refs_without_digests(ctx: Context) -> Iterator[Verdict]:
    if not _has_docmdp(ctx):
        return
    for sig, where in signatures(ctx):
        refs = sig.get("/Reference")
        for i, ref in enumerate(refs if isinstance(refs, pikepdf.Array) else []):
            if isinstance(ref, pikepdf.Dictionary):
                digests = [k for k in ("/DigestLocation", "/DigestMethod", "/DigestValue") if k in ref]
                yield not digests, f"{where} reference {i + 1}" + (f" {' '.join(digests)}" if digests else "")


def _revision_ends(raw: Any, size: int) -> set[int]:
    """Where each revision of the file ends: after a ``%%EOF`` and its end-of-line marker."""
    ends = {size}
    for m in re.finditer(rb"%%EOF(\r\n|\r|\n)?", raw):
        ends.add(m.end())
    return ends


def byte_range_covers_file(ctx: Context) -> Iterator[Verdict]:
    """ByteRange [0 a b c]: from the start of the file to the end of its revision, leaving out only the
    signature's Contents hex string between a and b."""
    ends: set[int] | None = None
    raw = ctx.doc.raw
    for sig, where in signatures(ctx):
        br = sig.get("/ByteRange")
        try:
            a0, a1, b0, b1 = (int(v) for v in br)  # type: ignore[union-attr]
        except (TypeError, ValueError):
            yield False, f"{where} ByteRange"
            continue
        if ends is None:
            ends = _revision_ends(raw, ctx.doc.size)
        gap_ok = 0 < a1 < b0 <= ctx.doc.size and raw[a1:a1 + 1] == b"<" and raw[b0 - 1:b0] == b">"
        yield a0 == 0 and gap_ok and (b0 + b1) in ends, f"{where} ByteRange"


RULES: list[Rule] = [
    *shared(sig_refs_without_digests, "With DocMDP, signature references contain no DigestLocation, "
            "DigestMethod or DigestValue", ("pdfa2", "6.1.12", 2)),
    *shared(byte_range_covers_file, "A signature's ByteRange covers the entire file but its Contents",
            ("pdfa2", "6.4.3", 1)),
]
