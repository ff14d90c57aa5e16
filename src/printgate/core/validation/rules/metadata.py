"""Metadata rules: the XMP packet, predefined and extension schemas, PDF/A identification, and the
Info dictionary's agreement with XMP (ISO 19005-1 6.7, -2/-3 6.6, -4 6.7)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pikepdf

from printgate.core.validation import xmp_schemas as S
from printgate.core.validation.rules.base import Context, Rule, Verdict, shared
from printgate.core.validation.xmp import (
    DC,
    PDF_NS,
    PDFAEXT,
    PDFAFIELD,
    PDFAID,
    PDFAPROPERTY,
    PDFASCHEMA,
    PDFATYPE,
    XMP_NS,
    Xmp,
)


def has_metadata(ctx: Context) -> Iterator[Verdict]:
    yield isinstance(ctx.doc.catalog.get("/Metadata"), pikepdf.Stream), "catalog"


def metadata_unfiltered(ctx: Context) -> Iterator[Verdict]:
    meta = ctx.doc.catalog.get("/Metadata")
    if isinstance(meta, pikepdf.Stream):
        yield "/Filter" not in meta.stream_dict, "catalog Metadata"


def _packet(ctx: Context) -> Xmp | None:
    return ctx.xmp


def no_bytes_attr(ctx: Context) -> Iterator[Verdict]:
    x = _packet(ctx)
    if x is not None:
        yield not x.header_bytes_attr, "XMP packet header"


def no_encoding_attr(ctx: Context) -> Iterator[Verdict]:
    x = _packet(ctx)
    if x is not None:
        yield not x.header_encoding_attr, "XMP packet header"


def well_formed(ctx: Context) -> Iterator[Verdict]:
    x = _packet(ctx)
    if x is not None:
        yield x.well_formed, f"XMP: {x.error}" if x.error else "XMP"


def utf8(ctx: Context) -> Iterator[Verdict]:
    x = _packet(ctx)
    if x is not None:
        yield x.encoding == "UTF-8", "XMP encoding"


# -- extension schemas --------------------------------------------------------------------------------

def _ext_schemas(x: Xmp) -> list[tuple[str, Any, dict[Any, Any]]]:
    """(container prefix, container value, schema struct fields) for every extension schema description."""
    out = []
    for p in x.props:
        if p.ns == PDFAEXT and p.name == "schemas" and p.value[0] == "array":
            for item in p.value[2]:
                out.append((p.prefix or "", p.value, item[1] if item[0] == "struct" else {}))
    return out


def extension_defined(x: Xmp) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    """Properties by namespace with their value types, and custom value types with their fields."""
    props: dict[str, dict[str, str]] = {}
    types: dict[str, dict[str, str]] = {}
    for _, _, schema in _ext_schemas(x):
        ns = _text(schema.get((PDFASCHEMA, "namespaceURI")))
        prop_list = schema.get((PDFASCHEMA, "property"))
        if ns and prop_list and prop_list[0] == "array":
            for item in prop_list[2]:
                if item[0] == "struct":
                    name = _text(item[1].get((PDFAPROPERTY, "name")))
                    vt = _text(item[1].get((PDFAPROPERTY, "valueType")))
                    if name:
                        props.setdefault(ns, {})[name] = vt or "Text"
        vts = schema.get((PDFASCHEMA, "valueType"))
        if vts and vts[0] == "array":
            for item in vts[2]:
                if item[0] == "struct":
                    tname = _text(item[1].get((PDFATYPE, "type")))
                    fields: dict[str, str] = {}
                    fl = item[1].get((PDFATYPE, "field"))
                    if fl and fl[0] == "array":
                        for f in fl[2]:
                            if f[0] == "struct":
                                fname = _text(f[1].get((PDFAFIELD, "name")))
                                if fname:
                                    fields[fname] = _text(f[1].get((PDFAFIELD, "valueType"))) or "Text"
                    if tname:
                        types[tname] = fields
    return props, types


def _text(v: Any) -> str | None:
    return str(v[1]) if v is not None and v[0] == "simple" else None


def ext_container(ctx: Context) -> Iterator[Verdict]:
    x = _packet(ctx)
    if x is None:
        return
    for p in x.props:
        if p.ns == PDFAEXT and p.name == "schemas":
            yield p.value[0] == "array" and p.value[1] == "Bag" and p.prefix == "pdfaExtension", "pdfaExtension:schemas"


_SCHEMA_FIELDS = {
    "schema": ("Text", PDFASCHEMA, "pdfaSchema", True), "namespaceURI": ("URI", PDFASCHEMA, "pdfaSchema", True),
    "prefix": ("Text", PDFASCHEMA, "pdfaSchema", True), "property": ("Seq", PDFASCHEMA, "pdfaSchema", False),
    "valueType": ("Seq", PDFASCHEMA, "pdfaSchema", False),
}
_PROPERTY_FIELDS = {"name": "Text", "valueType": "Text", "category": "Text", "description": "Text"}
_TYPE_FIELDS = {"type": "Text", "namespaceURI": "URI", "prefix": "Text", "description": "Text", "field": "Seq"}
_FIELD_FIELDS = {"name": "Text", "valueType": "Text", "description": "Text"}
_KNOWN_TYPES = {"Text", "Integer", "Real", "Boolean", "Date", "URI", "URL", "AgentName", "ProperName", "MIMEType",
                "Locale", "RenditionClass", "XPath", "Rational", "GPSCoordinate", "Lang Alt", "GUID", "Choice",
                "Thumbnail", "Dimensions", "ResourceRef", "ResourceEvent", "Version", "Job", "Font", "Colorant",
                "Flash", "OECF/SFR", "CFAPattern", "DeviceSettings", "Closed Choice", "Open Choice",
                "FrameCount", "FrameRate", "Time", "Timecode", "Marker", "Media", "ProjectLink", "ResampleParams",
                "BeatSpliceStretch", "CuePointParam", "Track", "Layer", "Ancestor"}


def _type_defined(vt: str | None, custom: dict[str, dict[str, str]]) -> bool:
    if not vt:
        return False
    base = vt
    for arr in ("bag ", "seq ", "alt ", "Bag ", "Seq ", "Alt "):
        if base.startswith(arr):
            base = base[len(arr):]
    if base.startswith(("Closed Choice of ", "Open Choice of ")):
        base = base.split(" of ", 1)[1]
    return base in _KNOWN_TYPES or base in custom or vt in ("Lang Alt",)


def _ext_items(ctx: Context) -> Iterator[tuple[str, Any]]:
    """('schema'|'property'|'valuetype'|'field', struct fields) for every described object."""
    x = _packet(ctx)
    if x is None:
        return
    for _, _, schema in _ext_schemas(x):
        yield "schema", schema
        for key, kind in ((PDFASCHEMA, "property"), (PDFASCHEMA, "valueType")):
            seq = schema.get((key, kind))
            if seq and seq[0] == "array":
                for item in seq[2]:
                    fields = item[1] if item[0] == "struct" else {}
                    yield ("property" if kind == "property" else "valuetype"), fields
                    if kind == "valueType":
                        fl = fields.get((PDFATYPE, "field"))
                        if fl and fl[0] == "array":
                            for f in fl[2]:
                                yield "field", f[1] if f[0] == "struct" else {}


_NS_OF = {"schema": PDFASCHEMA, "property": PDFAPROPERTY, "valuetype": PDFATYPE, "field": PDFAFIELD}
_FIELDS_OF = {"schema": {k: v[0] for k, v in _SCHEMA_FIELDS.items()}, "property": _PROPERTY_FIELDS,
              "valuetype": _TYPE_FIELDS, "field": _FIELD_FIELDS}


def ext_no_undefined_fields(ctx: Context) -> Iterator[Verdict]:
    for kind, fields in _ext_items(ctx):
        allowed = _FIELDS_OF[kind]
        ok = all(ns == _NS_OF[kind] and name in allowed for ns, name in fields)
        yield ok, f"extension {kind}"


_PREFIX_OF = {"schema": "pdfaSchema", "property": "pdfaProperty", "valuetype": "pdfaType", "field": "pdfaField"}


def _field_check(kind: str, name: str, typ: str, required: bool = True, extra: Any = None) -> Any:
    def check(ctx: Context) -> Iterator[Verdict]:
        x = _packet(ctx)
        custom = extension_defined(x)[1] if x else {}
        for k, fields in _ext_items(ctx):
            if k != kind:
                continue
            v = fields.get((_NS_OF[kind], name))
            if v is not None and x is not None and x.prefixes.get(_NS_OF[kind]) not in (None, _PREFIX_OF[kind]):
                yield False, f"extension {kind} {name}: prefix {x.prefixes.get(_NS_OF[kind])}"
                continue
            if v is None:
                yield not required, f"extension {kind} {name}"
                continue
            if typ == "Seq":
                ok = v[0] == "array" and v[1] == "Seq" and all(i[0] == "struct" for i in v[2])
            elif typ == "URI":
                ok = v[0] == "simple" and bool(re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", str(v[1])))
            else:
                ok = v[0] == "simple"
            if ok and extra is not None:
                ok = extra(v, custom)
            yield ok, f"extension {kind} {name}"
    check.__name__ = f"ext_{kind}_{name}"
    return check


def _category_ok(v: Any, _custom: Any) -> bool:
    return str(v[1]) in ("external", "internal")


def _vt_ok(v: Any, custom: Any) -> bool:
    return _type_defined(str(v[1]), custom)


# -- properties ----------------------------------------------------------------------------------------

def _schemas_for(ctx: Context) -> dict[str, dict[str, str]]:
    return S.SCHEMAS_2004 if ctx.part == 1 else S.SCHEMAS_2005


_ALWAYS_OK = {PDFAEXT, PDFASCHEMA, PDFAPROPERTY, PDFATYPE, PDFAFIELD}


def property_defined(ctx: Context) -> Iterator[Verdict]:
    x = _packet(ctx)
    if x is None or not x.well_formed:
        return
    schemas = _schemas_for(ctx)
    ext, _ = extension_defined(x)
    for p in x.props:
        if p.ns in _ALWAYS_OK:
            continue
        ok = (p.name in schemas.get(p.ns, {}) or p.name in ext.get(p.ns, {})
              or (ctx.part >= 2 and p.ns in S.OPEN_2005))
        yield ok, f"XMP property {x.prefixes.get(p.ns, p.ns)}:{p.name}"


def property_type(ctx: Context) -> Iterator[Verdict]:
    x = _packet(ctx)
    if x is None or not x.well_formed:
        return
    schemas = _schemas_for(ctx)
    ext, custom = extension_defined(x)
    for p in x.props:
        typ = schemas.get(p.ns, {}).get(p.name) or ext.get(p.ns, {}).get(p.name)
        if typ is None:
            continue
        ok = p.value[0] != "invalid" and S.value_ok(p.value, typ, custom)
        yield ok, f"XMP property {x.prefixes.get(p.ns, p.ns)}:{p.name}"


# -- PDF/A identification ------------------------------------------------------------------------------

def has_identification(ctx: Context) -> Iterator[Verdict]:
    x = _packet(ctx)
    yield x is not None and x.get(PDFAID, "part") is not None, "XMP"


def _id(ctx: Context, name: str) -> tuple[str | None, str | None, bool]:
    x = _packet(ctx)
    if x is None:
        return None, None, False
    p = x.get(PDFAID, name)
    if p is None:
        return None, None, False
    return (str(p.value[1]).strip() if p.value[0] == "simple" else None), p.prefix, True


def id_part(ctx: Context) -> Iterator[Verdict]:
    value, _, present = _id(ctx, "part")
    if present or _id(ctx, "conformance")[2]:
        yield value == str(ctx.part if ctx.part != 3 else 3), f"pdfaid:part {value}"


def id_conformance(ctx: Context) -> Iterator[Verdict]:
    value, _, present = _id(ctx, "conformance")
    if not _id(ctx, "part")[2] and not present:
        return
    if ctx.part == 4:
        ok = value is None if ctx.level == "" else value == ctx.level.upper()
    elif ctx.level == "a":
        ok = value == "A"
    elif ctx.level == "u":
        ok = value in ("U", "A")
    else:
        ok = value in (("A", "B") if ctx.part == 1 else ("A", "B", "U"))
    yield ok, f"pdfaid:conformance {value}"


def id_prefix(name: str) -> Any:
    def check(ctx: Context) -> Iterator[Verdict]:
        _, prefix, present = _id(ctx, name)
        if present:
            yield prefix in (None, "pdfaid"), f"pdfaid:{name} prefix {prefix}"
    check.__name__ = f"id_prefix_{name}"
    return check


def id_rev(ctx: Context) -> Iterator[Verdict]:
    value, _, _present = _id(ctx, "rev")
    if _id(ctx, "part")[2]:
        yield bool(value and re.fullmatch(r"\d{4}", value)), f"pdfaid:rev {value}"


# -- Info dictionary and XMP ---------------------------------------------------------------------------

def _info(ctx: Context) -> pikepdf.Dictionary | None:
    info = ctx.doc.trailer.get("/Info")
    return info if isinstance(info, pikepdf.Dictionary) else None


def _info_text(info: pikepdf.Dictionary, key: str) -> str | None:
    v = info.get(key)
    if v is None:
        return None
    try:
        return str(v)
    except Exception:
        return bytes(v).decode("latin-1")


def _pdf_date(text: str | None) -> datetime | None:
    if not text:
        return None
    m = re.match(r"D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?([Zz+\-])?(\d{2})?'?(\d{2})?'?", text.strip())
    if not m:
        return None
    y, mo, d, h, mi, s = (int(g) if g else dflt for g, dflt in zip(m.groups()[:6], (0, 1, 1, 0, 0, 0), strict=True))
    tz = UTC
    if m.group(7) in ("+", "-"):
        off = timedelta(hours=int(m.group(8) or 0), minutes=int(m.group(9) or 0))
        tz = timezone(off if m.group(7) == "+" else -off)
    try:
        return datetime(y, mo, d, h, mi, s, tzinfo=tz)
    except ValueError:
        return None


def _xmp_date(text: str | None) -> datetime | None:
    if not text:
        return None
    m = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?",
                     text.strip())
    if not m:
        return None
    y, mo, d, h, mi, s = (int(g) if g else dflt for g, dflt in zip(m.groups()[:6], (0, 1, 1, 0, 0, 0), strict=True))
    tz = UTC
    z = m.group(7)
    if z and z != "Z":
        off = timedelta(hours=int(z[1:3]), minutes=int(z[4:6]))
        tz = timezone(off if z[0] == "+" else -off)
    try:
        return datetime(y, mo, d, h, mi, s, tzinfo=tz)
    except ValueError:
        return None


def _info_match(key: str, getter: Any) -> Any:
    def check(ctx: Context) -> Iterator[Verdict]:
        info = _info(ctx)
        if info is None or key not in info:
            return
        x = _packet(ctx)
        yield x is not None and getter(x, _info_text(info, key)), f"Info {key[1:]}"
    check.__name__ = f"info_{key[1:].lower()}"
    return check


def _date_match(key: str, xmp_name: str) -> Any:
    def check(ctx: Context) -> Iterator[Verdict]:
        info = _info(ctx)
        if info is None or key not in info:
            return
        x = _packet(ctx)
        a = _pdf_date(_info_text(info, key))
        b = _xmp_date(x.simple(XMP_NS, xmp_name)) if x else None
        yield a is not None and b is not None and a == b, f"Info {key[1:]}"
    check.__name__ = f"info_{key[1:].lower()}_date"
    return check


def _author(x: Xmp, value: str | None) -> bool:
    seq = x.seq(DC, "creator")
    return seq is not None and len(seq) == 1 and seq[0] == value


RULES: list[Rule] = [
    *shared(has_metadata, "The catalog contains a Metadata stream", ("pdfa1", "6.7.2", 1),
            ("pdfa2", "6.6.2.1", 1), ("pdfa4", "6.7.2.1", 1)),
    *shared(metadata_unfiltered, "The catalog's metadata stream is not filtered", ("pdfa1", "6.7.2", 2)),
    *shared(no_bytes_attr, "The XMP packet header has no bytes attribute", ("pdfa1", "6.7.5", 1),
            ("pdfa2", "6.6.2.1", 2), ("pdfa4", "6.7.2.1", 2)),
    *shared(no_encoding_attr, "The XMP packet header has no encoding attribute", ("pdfa1", "6.7.5", 2),
            ("pdfa2", "6.6.2.1", 3), ("pdfa4", "6.7.2.1", 3)),
    *shared(well_formed, "The XMP packet is well-formed RDF/XML as the XMP Specification requires",
            ("pdfa1", "6.7.9", 1), ("pdfa2", "6.6.2.1", 4), ("pdfa4", "6.7.2.1", 4)),
    *shared(utf8, "The XMP packet is encoded as UTF-8", ("pdfa2", "6.6.2.1", 5), ("pdfa4", "6.7.2.1", 5)),
    *shared(property_defined, "XMP properties belong to the predefined schemas or an extension schema",
            ("pdfa1", "6.7.9", 2), ("pdfa2", "6.6.2.3.1", 1)),
    *shared(property_type, "XMP properties have the value type their schema defines",
            ("pdfa1", "6.7.9", 3), ("pdfa2", "6.6.2.3.1", 2)),
    *shared(ext_no_undefined_fields, "Extension schema descriptions use only the defined fields",
            ("pdfa1", "6.7.8", 1), ("pdfa2", "6.6.2.3.2", 1)),
    *shared(ext_container, "The extension schema container is a Bag with prefix pdfaExtension",
            ("pdfa1", "6.7.8", 2), ("pdfa2", "6.6.2.3.3", 1)),
    *shared(_field_check("schema", "schema", "Text"), "pdfaSchema:schema is Text",
            ("pdfa1", "6.7.8", 3), ("pdfa2", "6.6.2.3.3", 2)),
    *shared(_field_check("schema", "namespaceURI", "URI"), "pdfaSchema:namespaceURI is a URI",
            ("pdfa1", "6.7.8", 4), ("pdfa2", "6.6.2.3.3", 3)),
    *shared(_field_check("schema", "prefix", "Text"), "pdfaSchema:prefix is Text",
            ("pdfa1", "6.7.8", 5), ("pdfa2", "6.6.2.3.3", 4)),
    *shared(_field_check("schema", "property", "Seq", required=False), "pdfaSchema:property is a Seq",
            ("pdfa1", "6.7.8", 6), ("pdfa2", "6.6.2.3.3", 5)),
    *shared(_field_check("schema", "valueType", "Seq", required=False), "pdfaSchema:valueType is a Seq",
            ("pdfa1", "6.7.8", 7), ("pdfa2", "6.6.2.3.3", 6)),
    *shared(_field_check("property", "name", "Text"), "pdfaProperty:name is Text",
            ("pdfa1", "6.7.8", 8), ("pdfa2", "6.6.2.3.3", 7)),
    *shared(_field_check("property", "valueType", "Text", extra=_vt_ok), "pdfaProperty:valueType is a defined type",
            ("pdfa1", "6.7.8", 9), ("pdfa2", "6.6.2.3.3", 8)),
    *shared(_field_check("property", "category", "Text", extra=_category_ok),
            "pdfaProperty:category is external or internal", ("pdfa1", "6.7.8", 10), ("pdfa2", "6.6.2.3.3", 9)),
    *shared(_field_check("property", "description", "Text"), "pdfaProperty:description is Text",
            ("pdfa1", "6.7.8", 11), ("pdfa2", "6.6.2.3.3", 10)),
    *shared(_field_check("valuetype", "type", "Text"), "pdfaType:type is Text",
            ("pdfa1", "6.7.8", 12), ("pdfa2", "6.6.2.3.3", 11)),
    *shared(_field_check("valuetype", "namespaceURI", "URI"), "pdfaType:namespaceURI is a URI",
            ("pdfa1", "6.7.8", 13), ("pdfa2", "6.6.2.3.3", 12)),
    *shared(_field_check("valuetype", "prefix", "Text"), "pdfaType:prefix is Text",
            ("pdfa1", "6.7.8", 14), ("pdfa2", "6.6.2.3.3", 13)),
    *shared(_field_check("valuetype", "description", "Text"), "pdfaType:description is Text",
            ("pdfa1", "6.7.8", 15), ("pdfa2", "6.6.2.3.3", 14)),
    *shared(_field_check("valuetype", "field", "Seq", required=False), "pdfaType:field is a Seq",
            ("pdfa1", "6.7.8", 16), ("pdfa2", "6.6.2.3.3", 15)),
    *shared(_field_check("field", "name", "Text"), "pdfaField:name is Text",
            ("pdfa1", "6.7.8", 17), ("pdfa2", "6.6.2.3.3", 16)),
    *shared(_field_check("field", "valueType", "Text", extra=_vt_ok), "pdfaField:valueType is a defined type",
            ("pdfa1", "6.7.8", 18), ("pdfa2", "6.6.2.3.3", 17)),
    *shared(_field_check("field", "description", "Text"), "pdfaField:description is Text",
            ("pdfa1", "6.7.8", 19), ("pdfa2", "6.6.2.3.3", 18)),
    *shared(has_identification, "The XMP contains the PDF/A identification schema", ("pdfa1", "6.7.11", 1),
            ("pdfa2", "6.6.4", 1), ("pdfa4", "6.7.3", 1)),
    *shared(id_part, "pdfaid:part is the part of ISO 19005 the file claims", ("pdfa1", "6.7.11", 2),
            ("pdfa2", "6.6.4", 2), ("pdfa4", "6.7.3", 2)),
    *shared(id_conformance, "pdfaid:conformance names a level of this part", ("pdfa1", "6.7.11", 3),
            ("pdfa2", "6.6.4", 3), ("pdfa4", "6.7.3", 3)),
    *shared(id_prefix("part"), "pdfaid:part uses the prefix pdfaid", ("pdfa1", "6.7.11", 4),
            ("pdfa2", "6.6.4", 4), ("pdfa4", "6.7.3", 4)),
    *shared(id_prefix("conformance"), "pdfaid:conformance uses the prefix pdfaid", ("pdfa1", "6.7.11", 5),
            ("pdfa2", "6.6.4", 5)),
    *shared(id_prefix("amd"), "pdfaid:amd uses the prefix pdfaid", ("pdfa1", "6.7.11", 6), ("pdfa2", "6.6.4", 6)),
    *shared(id_prefix("corr"), "pdfaid:corr uses the prefix pdfaid", ("pdfa2", "6.6.4", 7)),
    *shared(id_rev, "pdfaid:rev is a four-digit year", ("pdfa4", "6.7.3", 5)),
    *shared(id_prefix("rev"), "pdfaid:rev uses the prefix pdfaid", ("pdfa4", "6.7.3", 6)),
    *shared(_date_match("/CreationDate", "CreateDate"), "Info CreationDate equals xmp:CreateDate",
            ("pdfa1", "6.7.3", 1)),
    *shared(_info_match("/Title", lambda x, v: x.default_lang(DC, "title") == v), "Info Title equals dc:title",
            ("pdfa1", "6.7.3", 2)),
    *shared(_info_match("/Author", _author), "Info Author equals the single dc:creator", ("pdfa1", "6.7.3", 3)),
    *shared(_info_match("/Subject", lambda x, v: x.default_lang(DC, "description") == v),
            "Info Subject equals dc:description", ("pdfa1", "6.7.3", 4)),
    *shared(_info_match("/Keywords", lambda x, v: x.simple(PDF_NS, "Keywords") == v),
            "Info Keywords equals pdf:Keywords", ("pdfa1", "6.7.3", 5)),
    *shared(_info_match("/Creator", lambda x, v: x.simple(XMP_NS, "CreatorTool") == v),
            "Info Creator equals xmp:CreatorTool", ("pdfa1", "6.7.3", 6)),
    *shared(_info_match("/Producer", lambda x, v: x.simple(PDF_NS, "Producer") == v),
            "Info Producer equals pdf:Producer", ("pdfa1", "6.7.3", 7)),
    *shared(_date_match("/ModDate", "ModifyDate"), "Info ModDate equals xmp:ModifyDate", ("pdfa1", "6.7.3", 8)),
]
