"""File structure and cos-object rules (ISO 19005-1 6.1, -2/-3 6.1, -4 6.1)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pikepdf

from printgate.core.validation.model import inherited
from printgate.core.validation.rules.base import Context, Rule, Verdict, shared


def header_at_zero(ctx: Context) -> Iterator[Verdict]:
    doc = ctx.doc
    if ctx.part == 1:
        ok = bool(re.match(r"%PDF-\d\.\d", doc.header))
    elif ctx.part == 4:
        ok = bool(re.fullmatch(r"%PDF-2\.\d", doc.header.rstrip()))
    else:
        ok = bool(re.fullmatch(r"%PDF-1\.[0-7]", doc.header))
    yield doc.header_offset == 0 and ok, f"header {doc.header!r}"


def binary_comment(ctx: Context) -> Iterator[Verdict]:
    b = ctx.doc.binary_comment
    yield len(b) == 4 and all(c > 127 for c in b), "file header comment"


def trailer_id(ctx: Context) -> Iterator[Verdict]:
    doc = ctx.doc
    if ctx.part == 1 and doc.is_linearized:
        ok = doc.first_page_trailer_id is not None or doc.last_trailer_id is not None
    else:
        ok = bool(doc.last_trailer_id)
    yield ok, "trailer"


def not_encrypted(ctx: Context) -> Iterator[Verdict]:
    yield "/Encrypt" not in ctx.doc.trailer, "trailer"


def nothing_after_eof(ctx: Context) -> Iterator[Verdict]:
    yield ctx.doc.post_eof_size == 0, "end of file"


def xref_eol(ctx: Context) -> Iterator[Verdict]:
    for s in ctx.doc.xref_sections:
        if s["kind"] == "table":
            yield s["eol_ok"] and s["subsection_ok"], f"xref at offset {s['offset']}"


def xref_subsection_spacing(ctx: Context) -> Iterator[Verdict]:
    for s in ctx.doc.xref_sections:
        if s["kind"] == "table":
            yield s["subsection_ok"], f"xref at offset {s['offset']}"


def xref_eol_only(ctx: Context) -> Iterator[Verdict]:
    for s in ctx.doc.xref_sections:
        if s["kind"] == "table":
            yield s["eol_ok"], f"xref at offset {s['offset']}"


def no_xref_stream(ctx: Context) -> Iterator[Verdict]:
    yield not ctx.doc.contains_xref_stream, "cross-reference"


def hex_even(ctx: Context) -> Iterator[Verdict]:
    for num, even, _ in ctx.doc.raw_hex_strings:
        yield even, f"obj {num}"
    for where, even, _ in ctx.content.hex_strings:
        yield even, f"{where} content stream"


def hex_only(ctx: Context) -> Iterator[Verdict]:
    for num, _, only in ctx.doc.raw_hex_strings:
        yield only, f"obj {num}"
    for where, _, only in ctx.content.hex_strings:
        yield only, f"{where} content stream"


def stream_length(ctx: Context) -> Iterator[Verdict]:
    for s in ctx.doc.raw_streams:
        yield s.declared_length is not None and s.declared_length == s.real_length, f"obj {s.num} stream"


def stream_keywords(ctx: Context) -> Iterator[Verdict]:
    for s in ctx.doc.raw_streams:
        yield s.keyword_eol_ok and s.endstream_eol_ok, f"obj {s.num} stream"


def no_external_stream(ctx: Context) -> Iterator[Verdict]:
    for where in ctx.doc.cos.external_streams:
        yield False, where
    yield True, "streams"


def indirect_spacing(ctx: Context) -> Iterator[Verdict]:
    for obj in ctx.doc.raw_objects:
        yield obj.spacing_ok, f"obj {obj.num} {obj.gen}"
    yield ctx.doc.endobj_spacing_ok, "endobj keywords"


def no_lzw(ctx: Context) -> Iterator[Verdict]:
    for where in ctx.doc.cos.lzw:
        yield False, where
    for d, where in ctx.content.inline_images:
        f = d.get("/Filter", d.get("/F"))
        names = [str(f)] if isinstance(f, pikepdf.Name) else [str(x) for x in f] if isinstance(f, pikepdf.Array) else []
        yield not any(n in ("/LZWDecode", "/LZW") for n in names), where


_ALLOWED_FILTERS = {"/ASCIIHexDecode", "/ASCII85Decode", "/FlateDecode", "/RunLengthDecode", "/CCITTFaxDecode",
                    "/JBIG2Decode", "/DCTDecode", "/JPXDecode", "/Crypt"}
_INLINE_ABBR = {"/AHx", "/A85", "/Fl", "/RL", "/CCF", "/DCT"}


def allowed_filters(ctx: Context) -> Iterator[Verdict]:
    for num, name in ctx.doc.object_facts.stream_filters:
        yield name in _ALLOWED_FILTERS, f"obj {num} filter {name}"
    for d, where in ctx.content.inline_images:
        f = d.get("/Filter", d.get("/F"))
        names = [f] if isinstance(f, pikepdf.Name) else list(f) if isinstance(f, pikepdf.Array) else []
        for n in names:
            yield str(n) in (_ALLOWED_FILTERS | _INLINE_ABBR) - {"/JBIG2Decode", "/JPXDecode", "/Crypt"}, where


def limits_int(ctx: Context) -> Iterator[Verdict]:
    for where, v in ctx.doc.cos.big_ints + ctx.content.big_ints:
        yield False, f"{where}: {v}"
    yield True, "integers"


def limits_real(ctx: Context) -> Iterator[Verdict]:
    bound = 32767.0 if ctx.part == 1 else 3.403e38
    for where, v in ctx.doc.cos.big_reals + ctx.content.big_reals:
        yield abs(v) <= bound, f"{where}: {v}"
    yield True, "reals"


def limits_real_near_zero(ctx: Context) -> Iterator[Verdict]:
    """ISO 19005-2 6.1.13: no nonzero real closer to zero than +/-1.175e-38 (the single-precision normal)."""
    for where, v in ctx.doc.cos.big_reals + ctx.content.big_reals:
        # recorded reals are beyond +/-32767 or nonzero below 1.175e-38 (1e-400 reads as float 0.0)
        yield abs(v) > 32767.0, f"{where}: {v}"
    yield True, "reals"


def limits_string(ctx: Context) -> Iterator[Verdict]:
    bound = 65535 if ctx.part == 1 else 32767
    for where, n in ctx.doc.cos.long_strings + ctx.content.long_strings:
        yield n <= bound, f"{where}: string of {n} bytes"
    yield True, "strings"


def limits_name(ctx: Context) -> Iterator[Verdict]:
    for where, n in ctx.doc.cos.long_names + ctx.content.long_names:
        yield False, f"{where}: name of {n} bytes"
    yield True, "names"


def limits_array(ctx: Context) -> Iterator[Verdict]:
    for where, n in ctx.doc.cos.big_arrays + ctx.content.big_arrays:
        yield False, f"{where}: array of {n} elements"
    yield True, "arrays"


def limits_dict(ctx: Context) -> Iterator[Verdict]:
    for where, n in ctx.doc.cos.big_dicts + ctx.content.big_dicts:
        yield False, f"{where}: dictionary of {n} entries"
    yield True, "dictionaries"


def limits_indirects(ctx: Context) -> Iterator[Verdict]:
    yield ctx.doc.object_facts.objects <= 8388607, "document"


def limits_q(ctx: Context) -> Iterator[Verdict]:
    yield ctx.content.max_q_depth <= 28, f"q nesting {ctx.content.max_q_depth}"


def limits_devicen(ctx: Context) -> Iterator[Verdict]:
    bound = 8 if ctx.part == 1 else 32
    for use in ctx.content.colours:
        cs = use.cs
        if isinstance(cs, pikepdf.Array) and len(cs) > 1 and cs[0] == pikepdf.Name("/DeviceN"):
            names = cs[1]
            yield isinstance(names, pikepdf.Array) and len(names) <= bound, use.where


def page_box_size(ctx: Context) -> Iterator[Verdict]:
    for n, page in ctx.doc.iter_pages():
        for box in ("/MediaBox", "/CropBox", "/BleedBox", "/TrimBox", "/ArtBox"):
            b = inherited(page.obj, box)
            if isinstance(b, pikepdf.Array) and len(b) == 4:
                try:
                    x0, y0, x1, y1 = (float(v) for v in b)
                except (TypeError, ValueError):
                    yield False, f"page {n} {box}"
                    continue
                yield 3 <= abs(x1 - x0) <= 14400 and 3 <= abs(y1 - y0) <= 14400, f"page {n} {box}"


def no_optional_content(ctx: Context) -> Iterator[Verdict]:
    yield "/OCProperties" not in ctx.doc.catalog, "catalog"


def no_embedded_files(ctx: Context) -> Iterator[Verdict]:
    names = ctx.doc.catalog.get("/Names")
    yield not (isinstance(names, pikepdf.Dictionary) and "/EmbeddedFiles" in names), "catalog names"


def filespec_no_ef(ctx: Context) -> Iterator[Verdict]:
    for obj in ctx.doc.objects_at(ctx.doc.object_facts.filespecs):
        yield "/EF" not in obj, f"obj {obj.objgen[0]}"


def filespec_f_uf(ctx: Context) -> Iterator[Verdict]:
    for obj in ctx.doc.objects_at(ctx.doc.object_facts.with_ef):
        yield "/F" in obj and "/UF" in obj, f"obj {obj.objgen[0]}"


def embedded_is_pdfa(ctx: Context) -> Iterator[Verdict]:
    """PDF/A-2: an embedded file must itself be PDF/A-1 or PDF/A-2 (judged by its header and its claim)."""
    for obj in ctx.doc.objects_at(ctx.doc.object_facts.with_ef):
        if isinstance(obj.get("/EF"), pikepdf.Dictionary):
            ef = obj["/EF"]
            stream = ef.get("/F") or ef.get("/UF")
            ok = False
            if isinstance(stream, pikepdf.Stream):
                try:
                    data = stream.read_bytes()
                    ok = data.startswith(b"%PDF-") and bool(re.search(rb"pdfaid:part\s*(=\s*[\"']|>)\s*[12]\b", data))
                except Exception:
                    ok = False
            yield ok, f"obj {obj.objgen[0]}"


def perms_keys(ctx: Context) -> Iterator[Verdict]:
    perms = ctx.doc.catalog.get("/Perms")
    if isinstance(perms, pikepdf.Dictionary):
        yield all(k in ("/UR3", "/DocMDP") for k in perms), "catalog Perms"


def no_needs_rendering(ctx: Context) -> Iterator[Verdict]:
    yield "/NeedsRendering" not in ctx.doc.catalog, "catalog"


def no_requirements(ctx: Context) -> Iterator[Verdict]:
    yield "/Requirements" not in ctx.doc.catalog, "catalog"


def no_alternate_presentations(ctx: Context) -> Iterator[Verdict]:
    names = ctx.doc.catalog.get("/Names")
    yield not (isinstance(names, pikepdf.Dictionary) and "/AlternatePresentations" in names), "catalog names"


def no_pres_steps(ctx: Context) -> Iterator[Verdict]:
    for n, page in ctx.doc.iter_pages():
        yield "/PresSteps" not in page.obj, f"page {n}"


def catalog_version_2(ctx: Context) -> Iterator[Verdict]:
    v = ctx.doc.catalog.get("/Version")
    if v is not None:
        yield bool(re.fullmatch(r"/?2\.\d", str(v))), f"catalog Version {v}"


def info_only_with_pieceinfo(ctx: Context) -> Iterator[Verdict]:
    yield "/Info" not in ctx.doc.trailer or "/PieceInfo" in ctx.doc.catalog, "trailer Info"


def info_only_moddate(ctx: Context) -> Iterator[Verdict]:
    info = ctx.doc.trailer.get("/Info")
    if isinstance(info, pikepdf.Dictionary):
        yield list(info.keys()) == ["/ModDate"], "Info"


def _oc_configs(ctx: Context) -> list[tuple[pikepdf.Dictionary, str]]:
    ocp = ctx.doc.catalog.get("/OCProperties")
    if not isinstance(ocp, pikepdf.Dictionary):
        return []
    out = []
    d = ocp.get("/D")
    if isinstance(d, pikepdf.Dictionary):
        out.append((d, "OCProperties D"))
    configs = ocp.get("/Configs")
    if isinstance(configs, pikepdf.Array):
        out += [(c, f"OCProperties Configs {i + 1}") for i, c in enumerate(configs) if isinstance(c, pikepdf.Dictionary)]
    return out


def oc_config_named(ctx: Context) -> Iterator[Verdict]:
    for c, where in _oc_configs(ctx):
        yield "/Name" in c, where


def oc_names_unique(ctx: Context) -> Iterator[Verdict]:
    seen: set[str] = set()
    for c, where in _oc_configs(ctx):
        name = str(c.get("/Name", ""))
        yield name not in seen, where
        seen.add(name)


def oc_order_complete(ctx: Context) -> Iterator[Verdict]:
    ocp = ctx.doc.catalog.get("/OCProperties")
    ocgs = ocp.get("/OCGs") if isinstance(ocp, pikepdf.Dictionary) else None
    all_ocgs = {o.objgen for o in ocgs if isinstance(o, pikepdf.Dictionary) and o.is_indirect} \
        if isinstance(ocgs, pikepdf.Array) else set()
    for c, where in _oc_configs(ctx):
        order = c.get("/Order")
        if not isinstance(order, pikepdf.Array):
            continue
        listed: set[Any] = set()
        stack = list(order)
        while stack and len(listed) < 100000:
            item = stack.pop()
            if isinstance(item, pikepdf.Array):
                stack.extend(item)
            elif isinstance(item, pikepdf.Dictionary) and item.is_indirect:
                listed.add(item.objgen)
        yield all_ocgs <= listed, where


RULES: list[Rule] = [
    *shared(header_at_zero, "The file header starts at byte 0 and reads %PDF-n.m",
            ("pdfa1", "6.1.2", 1), ("pdfa2", "6.1.2", 1), ("pdfa4", "6.1.2", 1)),
    *shared(binary_comment, "The header line is followed by a comment of at least four bytes above 127",
            ("pdfa1", "6.1.2", 2), ("pdfa2", "6.1.2", 2), ("pdfa4", "6.1.2", 2)),
    *shared(trailer_id, "The trailer dictionary contains the ID keyword",
            ("pdfa1", "6.1.3", 1), ("pdfa2", "6.1.3", 1), ("pdfa4", "6.1.3", 1)),
    *shared(not_encrypted, "The trailer dictionary does not contain Encrypt",
            ("pdfa1", "6.1.3", 2), ("pdfa2", "6.1.3", 2), ("pdfa4", "6.1.3", 2)),
    *shared(nothing_after_eof, "No data follows the last %%EOF except a single end-of-line marker",
            ("pdfa1", "6.1.3", 3), ("pdfa2", "6.1.3", 3), ("pdfa4", "6.1.3", 3)),
    *shared(xref_subsection_spacing, "Cross-reference subsection headers use a single space",
            ("pdfa1", "6.1.4", 1)),
    *shared(xref_eol_only, "The xref keyword and the subsection header are separated by a single EOL marker",
            ("pdfa1", "6.1.4", 2), ("pdfa2", "6.1.4", 2), ("pdfa4", "6.1.4", 1)),
    *shared(no_xref_stream, "The file does not use cross-reference streams (PDF 1.4)", ("pdfa1", "6.1.4", 3)),
    *shared(hex_even, "Hexadecimal strings have an even number of digits",
            ("pdfa1", "6.1.6", 1), ("pdfa2", "6.1.6", 1), ("pdfa4", "6.1.5", 1)),
    *shared(hex_only, "Hexadecimal strings contain only hexadecimal digits",
            ("pdfa1", "6.1.6", 2), ("pdfa2", "6.1.6", 2), ("pdfa4", "6.1.5", 2)),
    *shared(stream_length, "A stream's Length matches the bytes between stream and endstream",
            ("pdfa1", "6.1.7", 1), ("pdfa2", "6.1.7.1", 1), ("pdfa4", "6.1.6.1", 1)),
    *shared(stream_keywords, "stream is followed by CRLF or LF and endstream is preceded by an EOL",
            ("pdfa1", "6.1.7", 2), ("pdfa2", "6.1.7.1", 2)),
    *shared(no_external_stream, "Stream dictionaries do not contain F, FFilter or FDecodeParms",
            ("pdfa1", "6.1.7", 3), ("pdfa2", "6.1.7.1", 3), ("pdfa4", "6.1.6.1", 2)),
    *shared(indirect_spacing, "Object number, generation and obj/endobj keywords are spaced as required",
            ("pdfa1", "6.1.8", 1), ("pdfa2", "6.1.9", 1), ("pdfa4", "6.1.8", 1)),
    *shared(no_lzw, "LZW compression is not used", ("pdfa1", "6.1.10", 1)),
    *shared(allowed_filters, "Only the standard filters of ISO 32000-1 are used (no LZW)",
            ("pdfa2", "6.1.7.2", 1), ("pdfa4", "6.1.6.2", 1)),
    *shared(limits_int, "No integer outside -2^31 .. 2^31-1",
            ("pdfa1", "6.1.12", 1), ("pdfa2", "6.1.13", 1)),
    *shared(limits_real, "No real number beyond the implementation limit",
            ("pdfa1", "6.1.12", 2), ("pdfa2", "6.1.13", 2)),
    *shared(limits_real_near_zero, "No nonzero real number closer to zero than +/-1.175e-38",
            ("pdfa2", "6.1.13", 5)),
    *shared(limits_string, "No string longer than the implementation limit",
            ("pdfa1", "6.1.12", 3), ("pdfa2", "6.1.13", 3)),
    *shared(limits_name, "No name longer than 127 bytes", ("pdfa1", "6.1.12", 4), ("pdfa2", "6.1.13", 4)),
    *shared(limits_array, "No array with more than 8191 elements", ("pdfa1", "6.1.12", 5)),
    *shared(limits_dict, "No dictionary with more than 4095 entries", ("pdfa1", "6.1.12", 6)),
    *shared(limits_indirects, "No more than 8388607 indirect objects",
            ("pdfa1", "6.1.12", 7), ("pdfa2", "6.1.13", 7)),
    *shared(limits_q, "q/Q pairs nest no deeper than 28 levels", ("pdfa1", "6.1.12", 8), ("pdfa2", "6.1.13", 8)),
    *shared(limits_devicen, "DeviceN colour spaces have no more colourants than the limit",
            ("pdfa1", "6.1.12", 9), ("pdfa2", "6.1.13", 9)),
    *shared(page_box_size, "Page boundaries are between 3 and 14400 units", ("pdfa2", "6.1.13", 11)),
    *shared(no_optional_content, "The document does not use optional content", ("pdfa1", "6.1.13", 1)),
    *shared(filespec_no_ef, "File specifications do not contain EF", ("pdfa1", "6.1.11", 1)),
    *shared(no_embedded_files, "The name dictionary has no EmbeddedFiles", ("pdfa1", "6.1.11", 2)),
    *shared(filespec_f_uf, "File specifications of embedded files contain F and UF",
            ("pdfa2", "6.8", 2), ("pdfa3", "6.8", 2), ("pdfa4", "6.9", 2)),
    *shared(embedded_is_pdfa, "Embedded files are PDF/A-1 or PDF/A-2 files", ("pdfa2", "6.8", 5)),
    *shared(perms_keys, "The permissions dictionary holds only UR3 and DocMDP",
            ("pdfa2", "6.1.12", 1), ("pdfa4", "6.1.11", 1)),
    *shared(no_needs_rendering, "The catalog does not contain NeedsRendering", ("pdfa2", "6.4.2", 2),
            ("pdfa4", "6.4.2", 2)),
    *shared(no_requirements, "The catalog does not contain Requirements", ("pdfa2", "6.11", 1),
            ("pdfa4", "6.12", 1)),
    *shared(no_alternate_presentations, "No AlternatePresentations in the name dictionary",
            ("pdfa2", "6.10", 1), ("pdfa4", "6.11", 1)),
    *shared(no_pres_steps, "No PresSteps in page dictionaries", ("pdfa2", "6.10", 2), ("pdfa4", "6.11", 2)),
    *shared(catalog_version_2, "The catalog's Version, when present, is 2.n", ("pdfa4", "6.1.12", 1)),
    *shared(info_only_with_pieceinfo, "No Info dictionary unless the catalog has PieceInfo", ("pdfa4", "6.1.3", 4)),
    *shared(info_only_moddate, "An Info dictionary holds only ModDate", ("pdfa4", "6.1.3", 5)),
    *shared(oc_config_named, "Optional content configurations have a Name", ("pdfa2", "6.9", 1),
            ("pdfa4", "6.10", 1)),
    *shared(oc_names_unique, "Optional content configuration names are unique", ("pdfa2", "6.9", 2),
            ("pdfa4", "6.10", 2)),
    *shared(oc_order_complete, "An Order array lists every optional content group", ("pdfa2", "6.9", 3),
            ("pdfa4", "6.10", 3)),
]
