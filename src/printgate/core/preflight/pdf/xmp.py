"""XMP metadata: the packet re-encoded as UTF-8 and the patterns that find PDF standard claims.

The document reader reads the catalogue's ``/Metadata`` stream and looks in it for PDF/A, PDF/UA,
PDF/X and PDF/VT identification. Those claims are found with byte regexes rather than an XML
parser (packets are often malformed and the answer is a handful of attributes); the regexes read
UTF-8, so ``xmp_as_utf8`` first converts packets written in UTF-16 or UTF-32, with or without a
byte-order mark.
"""

from __future__ import annotations

import re

_XV = rb"(?:\s*=\s*[\"']|(?:\s[^>]*)?>)\s*"  # attribute form or element form
XMP_PATTERNS = {
    "pdfa_part": re.compile(rb"pdfaid:part" + _XV + rb"(\d)"),
    "pdfa_conf": re.compile(rb"pdfaid:conformance" + _XV + rb"([A-Za-z])"),
    "pdfua": re.compile(rb"pdfuaid:part" + _XV + rb"(\d)"),
    "pdfx": re.compile(rb"GTS_PDFXVersion" + _XV + rb"([^<\"']+)"),
    "pdfvt": re.compile(rb"GTS_PDFVTVersion" + _XV + rb"([^<\"']+)"),
}


# An XMP packet may be UTF-8, UTF-16 or UTF-32, either byte order, with or without a BOM (XMP part 1,
# 7.3.2). Without a BOM the packet's first character, "<", tells them apart.
_XMP_BOMS = ((b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe\x00\x00", "utf-32-le"),
             (b"\xfe\xff", "utf-16-be"), (b"\xff\xfe", "utf-16-le"), (b"\xef\xbb\xbf", "utf-8"))
_XMP_FIRST_CHAR = ((b"\x00\x00\x00<", "utf-32-be"), (b"<\x00\x00\x00", "utf-32-le"),
                   (b"\x00<", "utf-16-be"), (b"<\x00", "utf-16-le"))


def xmp_as_utf8(xmp: bytes) -> bytes:
    """The packet re-encoded as UTF-8, which is what ``XMP_PATTERNS`` read."""
    for bom, codec in _XMP_BOMS:
        if xmp.startswith(bom):
            return xmp[len(bom):].decode(codec, "replace").encode("utf-8")
    for start, codec in _XMP_FIRST_CHAR:
        if xmp.startswith(start):
            return xmp.decode(codec, "replace").encode("utf-8")
    return xmp
