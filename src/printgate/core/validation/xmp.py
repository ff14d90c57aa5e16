"""XMP metadata read as the PDF/A rules need it: the packet header, well-formedness, every property
with its value shape, the PDF/A identification and extension schemas, and the Info-dictionary twins.

Parsing uses lxml with entities and network access off, and a size cap: a hostile packet is a
malformed packet, never a crash.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pikepdf
from lxml import etree

if TYPE_CHECKING:
    from printgate.core.validation.model import Document

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XML = "http://www.w3.org/XML/1998/namespace"
PDFAID = "http://www.aiim.org/pdfa/ns/id/"
PDFUAID = "http://www.aiim.org/pdfua/ns/id/"
PDFAEXT = "http://www.aiim.org/pdfa/ns/extension/"
PDFASCHEMA = "http://www.aiim.org/pdfa/ns/schema#"
PDFAPROPERTY = "http://www.aiim.org/pdfa/ns/property#"
PDFATYPE = "http://www.aiim.org/pdfa/ns/type#"
PDFAFIELD = "http://www.aiim.org/pdfa/ns/field#"
DC = "http://purl.org/dc/elements/1.1/"
XMP_NS = "http://ns.adobe.com/xap/1.0/"
PDF_NS = "http://ns.adobe.com/pdf/1.3/"
MAX_PACKET = 8 * 1024 * 1024

# A value: ("simple", text) | ("array", "Bag"|"Seq"|"Alt", [values], langs) | ("struct", {(ns, local): value})
Value = tuple[Any, ...]


@dataclass
class Prop:
    ns: str
    name: str
    prefix: str | None
    value: Value


@dataclass
class Xmp:
    raw: bytes
    well_formed: bool = True
    error: str | None = None
    header_bytes_attr: bool = False
    header_encoding_attr: bool = False
    encoding: str = "UTF-8"
    props: list[Prop] = field(default_factory=list)
    prefixes: dict[str, str] = field(default_factory=dict)

    def get(self, ns: str, name: str) -> Prop | None:
        for p in self.props:
            if p.ns == ns and p.name == name:
                return p
        return None

    def simple(self, ns: str, name: str) -> str | None:
        p = self.get(ns, name)
        return p.value[1] if p and p.value[0] == "simple" else None

    def default_lang(self, ns: str, name: str) -> str | None:
        p = self.get(ns, name)
        if not p or p.value[0] != "array" or p.value[1] != "Alt":
            return None
        items, langs = p.value[2], p.value[3]
        for item, lang in zip(items, langs, strict=False):
            if lang == "x-default" and item[0] == "simple":
                return str(item[1])
        return None

    def seq(self, ns: str, name: str) -> list[str] | None:
        p = self.get(ns, name)
        if not p or p.value[0] != "array":
            return None
        return [str(v[1]) for v in p.value[2] if v[0] == "simple"]


def _packet_header(raw: bytes) -> tuple[bool, bool]:
    m = re.search(rb"<\?xpacket\s([^?]*)\?>", raw[:512])
    if not m or b"begin=" not in m.group(1):
        return False, False
    return bool(re.search(rb"\bbytes\s*=", m.group(1))), bool(re.search(rb"\bencoding\s*=", m.group(1)))


def _encoding(raw: bytes) -> str:
    if raw.startswith((b"\x00\x00\xfe\xff", b"\x00\x00\x00<")):
        return "UTF-32BE"
    if raw.startswith((b"\xff\xfe\x00\x00", b"<\x00\x00\x00")):
        return "UTF-32LE"
    if raw.startswith((b"\xfe\xff", b"\x00<")):
        return "UTF-16BE"
    if raw.startswith((b"\xff\xfe", b"<\x00")):
        return "UTF-16LE"
    return "UTF-8"


def _decode(raw: bytes, encoding: str) -> bytes:
    """The packet as UTF-8 bytes without a byte order mark or an encoding declaration, for the XML parser."""
    if encoding == "UTF-8":
        return raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    codec = {"UTF-16BE": "utf-16-be", "UTF-16LE": "utf-16-le", "UTF-32BE": "utf-32-be",
             "UTF-32LE": "utf-32-le"}[encoding]
    text = raw.decode(codec, errors="strict").lstrip("\ufeff")
    text = re.sub(r"^<\?xml[^>]*\?>", "", text)
    return text.encode("utf-8")


def parse_packet(raw: bytes) -> Xmp:
    x = Xmp(raw=raw)
    x.encoding = _encoding(raw)
    try:
        raw = _decode(raw, x.encoding)
    except UnicodeDecodeError as exc:
        x.well_formed, x.error = False, f"XMP is not valid {x.encoding}: {exc}"
        return x
    x.header_bytes_attr, x.header_encoding_attr = _packet_header(raw)
    if len(raw) > MAX_PACKET:
        x.well_formed, x.error = False, "XMP packet larger than 8 MB"
        return x
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
    try:
        root = etree.fromstring(raw.strip(b"\x00 \t\r\n") or b"<x/>", parser=parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        x.well_formed, x.error = False, f"XMP is not well-formed XML: {exc}"
        return x
    if any(isinstance(n, etree._Entity) for n in root.iter()) or b"<!ENTITY" in raw:
        x.well_formed, x.error = False, "XMP declares entities"
        return x
    rdf = root if root.tag == f"{{{RDF}}}RDF" else root.find(f".//{{{RDF}}}RDF")
    if rdf is None:
        x.well_formed, x.error = False, "XMP has no rdf:RDF element"
        return x
    for el in rdf.iter():
        if isinstance(el.tag, str):
            for prefix, uri in (el.nsmap or {}).items():
                if prefix:
                    x.prefixes.setdefault(uri, prefix)
    try:
        for desc in rdf:
            if not isinstance(desc.tag, str):
                continue
            if desc.tag != f"{{{RDF}}}Description":
                x.well_formed, x.error = False, f"unexpected element {desc.tag} in rdf:RDF"
                continue
            for name, value in desc.attrib.items():
                ns, local = _split(name)
                if ns in (RDF, XML) or not ns:
                    continue
                x.props.append(Prop(ns, local, desc.prefix if False else _prefix_of(desc, ns), ("simple", value)))
            for child in desc:
                if not isinstance(child.tag, str):
                    continue
                ns, local = _split(child.tag)
                x.props.append(Prop(ns, local, child.prefix, _value(child, 0)))
    except _Malformed as exc:
        x.well_formed, x.error = False, str(exc)
    return x


class _Malformed(Exception):
    pass


def _prefix_of(el: Any, ns: str) -> str | None:
    for prefix, uri in (el.nsmap or {}).items():
        if uri == ns:
            return str(prefix) if prefix else None
    return None


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag


def _value(el: Any, depth: int) -> Value:
    if depth > 32:
        raise _Malformed("XMP nests too deep")
    if el.get(f"{{{RDF}}}resource") is not None:
        return ("simple", el.get(f"{{{RDF}}}resource"))
    children = [c for c in el if isinstance(c.tag, str)]
    if el.get(f"{{{RDF}}}parseType") == "Resource":
        main = next((c for c in children if c.tag == f"{{{RDF}}}value"), None)
        if main is not None:  # a qualified value: the value is rdf:value, the rest are qualifiers
            return _value(main, depth + 1)
        return ("struct", {_split(c.tag): _value(c, depth + 1) for c in children})
    other_attrs = {k: v for k, v in el.attrib.items() if _split(k)[0] not in (RDF, XML)}
    if not children:
        if other_attrs:
            return ("struct", {_split(k): ("simple", v) for k, v in other_attrs.items()})
        return ("simple", el.text or "")
    if len(children) == 1 and children[0].tag in (f"{{{RDF}}}Bag", f"{{{RDF}}}Seq", f"{{{RDF}}}Alt"):
        arr = children[0]
        kind = _split(arr.tag)[1]
        items, langs = [], []
        for li in arr:
            if not isinstance(li.tag, str):
                continue
            if li.tag != f"{{{RDF}}}li":
                raise _Malformed(f"rdf:{kind} holds {li.tag}, not rdf:li")
            items.append(_value(li, depth + 1))
            langs.append(li.get(f"{{{XML}}}lang"))
        return ("array", kind, items, langs)
    if len(children) == 1 and children[0].tag == f"{{{RDF}}}Description":
        d = children[0]
        main = next((c for c in d if c.tag == f"{{{RDF}}}value"), None)
        if main is not None:
            return _value(main, depth + 1)
        fields = {_split(k): ("simple", v) for k, v in d.attrib.items() if _split(k)[0] not in (RDF, XML)}
        for c in d:
            if isinstance(c.tag, str):
                fields[_split(c.tag)] = _value(c, depth + 1)
        return ("struct", fields)
    if any(c.tag == f"{{{RDF}}}value" for c in children):
        main = next(c for c in children if c.tag == f"{{{RDF}}}value")
        return _value(main, depth + 1)
    if any(_split(c.tag)[0] == RDF for c in children):
        raise _Malformed(f"unexpected RDF element in {el.tag}")
    # Property elements without parseType holding other properties: not valid RDF/XMP.
    return ("invalid", el.tag)


def read_catalog_xmp(doc: Document) -> Xmp | None:
    meta = doc.catalog.get("/Metadata")
    if not isinstance(meta, pikepdf.Stream):
        return None
    try:
        raw = meta.read_bytes()
    except Exception as exc:
        return Xmp(raw=b"", well_formed=False, error=f"metadata stream cannot be decoded: {exc}")
    return parse_packet(raw)
