"""What kind of file a source is, from its first bytes (never from its name alone)."""

from __future__ import annotations

from pathlib import Path

PDF, RASTER, VECTOR, OFFICE, ARCHIVE, FONT, OTHER = "pdf", "raster", "vector", "office", "archive", "font", "other"


# The extension a file of each sniffed type gets when printgate has to name it (``service.source_name``).
EXTENSIONS = {
    "application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png", "image/tiff": ".tif",
    "image/webp": ".webp", "image/gif": ".gif", "application/postscript": ".ps", "image/svg+xml": ".svg",
    "application/msword": ".doc", "application/zip": ".zip",
}


def sniff(path: Path) -> tuple[str, str]:
    """Return ``(fileType, mimeType)``; ``fileType`` is one of Filecheck's Task.fileType values."""
    with path.open("rb") as fh:
        return sniff_head(fh.read(2048))


def sniff_head(head: bytes) -> tuple[str, str]:
    """:func:`sniff` for bytes already in memory (an inline base64 source): its first 2048 bytes decide."""
    head = head[:2048]
    if not head:
        return OTHER, "application/octet-stream"
    if b"%PDF-" in head[:1024]:
        return PDF, "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return RASTER, "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return RASTER, "image/png"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return RASTER, "image/tiff"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return RASTER, "image/webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return RASTER, "image/gif"
    if head.startswith(b"%!PS"):
        return VECTOR, "application/postscript"
    stripped = head.lstrip()
    if (stripped.startswith(b"<?xml") and b"<svg" in head) or stripped.startswith(b"<svg"):
        return VECTOR, "image/svg+xml"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return OFFICE, "application/msword"
    if head.startswith(b"PK\x03\x04"):
        if b"[Content_Types].xml" in head or b"word/" in head or b"ppt/" in head or b"xl/" in head:
            return OFFICE, "application/vnd.openxmlformats-officedocument"
        return ARCHIVE, "application/zip"
    if head[:4] in (b"\x00\x01\x00\x00", b"OTTO", b"wOFF", b"wOF2"):
        return FONT, "font/sfnt"
    return OTHER, "application/octet-stream"
