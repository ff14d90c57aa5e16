"""Splitting a PDF into one file per page, and merging a workflow's outputs into one PDF or one ZIP."""

from __future__ import annotations

import re
import string
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pikepdf

from printgate.core.errors import UnreadableFile

DEFAULT_PATTERN = "{name}-p{page:03d}.pdf"
_FIELDS = {"name", "page", "pages"}
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")


def safe_stem(name: str) -> str:
    stem = Path(name.replace("\\", "/")).name.rsplit(".", 1)[0] if "." in name else Path(name).name
    return _UNSAFE.sub("_", stem).strip(" .") or "file"


def check_pattern(pattern: str) -> str:
    """``pattern`` if it only uses ``{name}``, ``{page}`` and ``{pages}`` (format specs allowed)."""
    try:
        fields = {f for _, f, _, _ in string.Formatter().parse(pattern) if f is not None}
    except ValueError as exc:
        raise ValueError(f"invalid file name pattern {pattern!r}: {exc}") from exc
    unknown = fields - _FIELDS
    if unknown:
        raise ValueError(f"unknown field(s) in the file name pattern: {', '.join(sorted(unknown))}; "
                         "use {name}, {page} and {pages}")
    if "page" not in fields:
        raise ValueError("the file name pattern must contain {page}, or every page gets the same name")
    return pattern


def page_name(pattern: str, name: str, page: int, pages: int) -> str:
    out = _UNSAFE.sub("_", pattern.format(name=safe_stem(name), page=page, pages=pages).replace("/", "_"))
    return out if out.lower().endswith(".pdf") else out + ".pdf"


def split_pages(src: Path, out_dir: Path, *, name: str, pattern: str = DEFAULT_PATTERN) -> list[tuple[Path, str]]:
    """One PDF per page of ``src``: ``[(path, file name), ...]`` in page order."""
    check_pattern(pattern)
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        pdf = pikepdf.open(src)
    except (pikepdf.PdfError, OSError) as exc:
        raise UnreadableFile(f"The PDF cannot be split: {exc}") from exc
    out: list[tuple[Path, str]] = []
    with pdf:
        count = len(pdf.pages)
        intents = pdf.Root.get("/OutputIntents")
        for index in range(count):
            single = pikepdf.new()
            single.pages.append(pdf.pages[index])
            if intents is not None:
                single.Root.OutputIntents = _copy_intents(single, pdf, intents)
            file_name = page_name(pattern, name, index + 1, count)
            path = out_dir / f"page-{index + 1:05d}.pdf"
            single.save(path)
            out.append((path, file_name))
    return out


def _copy_intents(dst: pikepdf.Pdf, src: pikepdf.Pdf, intents: pikepdf.Object) -> pikepdf.Array:
    return pikepdf.Array([dst.copy_foreign(i if i.is_indirect else src.make_indirect(i)) for i in intents])


@dataclass
class Part:
    path: Path
    file_name: str
    is_pdf: bool


def combine(parts: list[Part], dst: Path) -> int:
    """Concatenate ``parts`` (PDFs; rasters were made PDFs before) into ``dst``; the page count."""
    merged = pikepdf.new()
    intents = None
    for part in parts:
        if not part.is_pdf:
            raise ValueError(f"{part.file_name} is not a PDF and cannot be combined into one")
        try:
            with pikepdf.open(part.path) as pdf:
                merged.pages.extend(pdf.pages)
                if intents is None and "/OutputIntents" in pdf.Root:
                    intents = _copy_intents(merged, pdf, pdf.Root.OutputIntents)
        except pikepdf.PdfError as exc:
            raise UnreadableFile(f"{part.file_name} cannot be combined: {exc}") from exc
    if intents is not None:
        merged.Root.OutputIntents = intents
    dst.parent.mkdir(parents=True, exist_ok=True)
    merged.save(dst, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    count = len(merged.pages)
    merged.close()
    return count


def bundle(parts: list[Part], dst: Path) -> list[str]:
    """One ZIP of ``parts`` under their file names (made unique); the names, in order."""
    names: list[str] = []
    seen: set[str] = set()
    dst.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dst, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for part in parts:
            base = _UNSAFE.sub("_", Path(part.file_name.replace("\\", "/")).name) or "file"
            name, n = base, 1
            while name.lower() in seen:
                n += 1
                stem, dot, ext = base.rpartition(".")
                name = f"{stem}-{n}.{ext}" if dot else f"{base}-{n}"
            seen.add(name.lower())
            # JPEG/PNG/PDF streams are compressed already: store them rather than deflate again.
            kind = zipfile.ZIP_STORED if name.lower().endswith((".jpg", ".jpeg", ".png", ".webp")) else zipfile.ZIP_DEFLATED
            zf.write(part.path, name, compress_type=kind)
            names.append(name)
    return names
