"""The document being fixed: one pikepdf handle plus the ability to hand a file to Ghostscript.

pikepdf fixes edit :attr:`WorkDoc.pdf` in memory; external-tool fixes call :meth:`WorkDoc.as_file`
(which saves pending edits) and then :meth:`WorkDoc.replace` with the tool's output. The source file
is only ever read.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pikepdf

from printgate.core.errors import UnreadableFile


def open_pdf(path: Path) -> pikepdf.Pdf:
    """Open with pikepdf; every kind of unusable input becomes ``UnreadableFile``."""
    path = Path(path)
    if not path.is_file():
        raise UnreadableFile(f"file not found: {path.name}")
    try:
        pdf = pikepdf.open(path)
    except pikepdf.PasswordError as exc:
        raise UnreadableFile("the PDF is password-protected; it cannot be opened without the password") from exc
    except (pikepdf.PdfError, OSError, ValueError, RuntimeError) as exc:
        raise UnreadableFile(f"not a readable PDF: {exc}") from exc
    try:
        count = len(pdf.pages)
    except Exception as exc:
        pdf.close()
        raise UnreadableFile(f"the PDF page tree is broken: {exc}") from exc
    if count < 1:
        pdf.close()
        raise UnreadableFile("the PDF has no pages")
    return pdf


class WorkDoc:
    def __init__(self, src: Path, workdir: Path) -> None:
        self.src = Path(src)
        self.workdir = Path(workdir)
        self._counter = itertools.count(1)
        self._path = self.src
        self._pdf: pikepdf.Pdf | None = open_pdf(self.src)
        self.source_encrypted = bool(self._pdf.is_encrypted)
        self.keep_encryption = self.source_encrypted
        self.min_version: str | None = None
        self.force_version: str | None = None
        self.dirty = False
        self.linearize = False
        # Set by the bleed fix when it painted image strips: the one growth the size limit allows.
        self.bleed_images_added = False
        # Page index -> matrix applied to its user space by a geometry fix (e.g. rotation baked in),
        # so later fixes can map rectangles a report measured on the original file.
        self.page_transforms: dict[int, tuple[float, float, float, float, float, float]] = {}
        # Page index -> the upload's page index it came from, once a fix changed the page count.
        self.page_sources: list[int] | None = None
        # Files objects were copied from (``copy_foreign`` reads their streams when this one is saved).
        self._sources: list[pikepdf.Pdf] = []

    @property
    def pdf(self) -> pikepdf.Pdf:
        if self._pdf is None:
            self._pdf = open_pdf(self._path)
        return self._pdf

    def temp_path(self, stem: str) -> Path:
        return self.workdir / f"{next(self._counter):02d}-{stem}.pdf"

    def as_file(self) -> Path:
        """A file holding the current state (pending in-memory edits saved first)."""
        if self._pdf is not None and (self.dirty or (self._path == self.src and self.source_encrypted)):
            out = self.temp_path("edit")
            self._pdf.save(out, encryption=False)
            self._pdf.close()
            self._pdf = None
            self._path = out
            self.dirty = False
        return self._path

    def replace(self, new_path: Path) -> None:
        """Adopt ``new_path`` (an external tool's output) as the current state.

        Ghostscript rewrites the document catalogue: the print condition (OutputIntents), the XMP
        packet and the PDF/X identification are carried over from the previous state when the new
        file lacks them, so a font or colour fix does not silently break PDF/X.
        """
        old = self.pdf
        new = open_pdf(Path(new_path))  # a broken tool output fails here, not later
        self._record_moves(old, new)
        changed = _carry_document_metadata(old, new)
        old.close()
        self._pdf = new
        self._path = Path(new_path)
        self.dirty = changed

    def split_page(self, index: int) -> None:
        """Record that page ``index`` is about to become two (``index`` and ``index + 1``): later pages
        move down one, and both halves keep the original's source page and transformation."""
        sources = self.page_sources if self.page_sources is not None else list(range(len(self.pdf.pages)))
        sources.insert(index + 1, sources[index])
        self.page_sources = sources
        moved = {(k + 1 if k > index else k): m for k, m in self.page_transforms.items()}
        if index in self.page_transforms:
            moved[index + 1] = self.page_transforms[index]
        self.page_transforms = moved

    def _record_moves(self, old: pikepdf.Pdf, new: pikepdf.Pdf) -> None:
        """Ghostscript moves a page whose MediaBox does not start at 0 0 (e.g. after bleed was added
        around it) so that it does: the same art, another user space. The move is added to
        :attr:`page_transforms`, so rectangles measured on the upload still land on the same art."""
        if len(old.pages) != len(new.pages):
            return
        for index, (before, after) in enumerate(zip(old.pages, new.pages, strict=True)):
            try:
                a, b = [float(v) for v in before.mediabox], [float(v) for v in after.mediabox]
            except (TypeError, ValueError, pikepdf.PdfError):
                continue
            same_size = abs((a[2] - a[0]) - (b[2] - b[0])) < 0.01 and abs((a[3] - a[1]) - (b[3] - b[1])) < 0.01
            dx, dy = b[0] - a[0], b[1] - a[1]
            if not same_size or (abs(dx) < 1e-6 and abs(dy) < 1e-6):
                continue
            m = self.page_transforms.get(index, (1.0, 0.0, 0.0, 1.0, 0.0, 0.0))
            self.page_transforms[index] = (m[0], m[1], m[2], m[3], m[4] + dx, m[5] + dy)

    def current_size(self) -> int:
        """Bytes of the current state as a file: free after an external tool (its output is the
        state), one throwaway save after in-memory edits. Lets the size guard name the fix that grew it."""
        if self._pdf is None or not self.dirty:
            return self._path.stat().st_size
        probe = self.temp_path("size")
        try:
            self._pdf.save(probe, encryption=False, object_stream_mode=pikepdf.ObjectStreamMode.generate,
                           compress_streams=True)
            return probe.stat().st_size
        finally:
            probe.unlink(missing_ok=True)

    def save(self, dst: Path, *, object_streams: bool = True) -> None:
        pdf = self.pdf
        if self.min_version and not self.force_version:
            pdf_version = max(_version_tuple(pdf.pdf_version), _version_tuple(self.min_version))
            min_version = f"{pdf_version[0]}.{pdf_version[1]}"
        else:
            min_version = ""
        force_version = self.force_version or ""
        cap = _pdfx_version_cap(pdf)
        if cap and _version_tuple(force_version or min_version or pdf.pdf_version) > _version_tuple(cap):
            # A PDF/X file stays within its part's PDF version (PDF/X-4: 1.6), whatever a tool wrote.
            force_version, min_version = cap, ""
        # Object streams need PDF 1.5: never let them raise the version of an older file.
        effective = _version_tuple(force_version or min_version or pdf.pdf_version)
        if effective < (1, 5):
            mode = pikepdf.ObjectStreamMode.disable if force_version else pikepdf.ObjectStreamMode.preserve
        elif object_streams:
            mode = pikepdf.ObjectStreamMode.generate
        else:
            mode = pikepdf.ObjectStreamMode.preserve
        pdf.save(
            dst,
            encryption=bool(self.keep_encryption and self.source_encrypted and self._path == self.src),
            object_stream_mode=mode,
            compress_streams=True,
            min_version=min_version,
            force_version=force_version,
            linearize=self.linearize,
        )

    def require_version(self, version: str) -> None:
        """The file is saved as at least PDF ``version`` (never lowered; a forced version still wins)."""
        current = self.min_version
        if current is None or _version_tuple(version) > _version_tuple(current):
            self.min_version = version

    def keep_open(self, source: pikepdf.Pdf) -> None:
        """Keep ``source`` open until this document is closed: objects were copied from it."""
        self._sources.append(source)

    def close(self) -> None:
        if self._pdf is not None:
            self._pdf.close()
            self._pdf = None
        for source in self._sources:
            source.close()
        self._sources.clear()


def _version_tuple(version: str) -> tuple[int, int]:
    try:
        major, minor = version.strip().split(".")[:2]
        return int(major), int(minor)
    except ValueError:
        return (1, 4)


_INFO_KEYS = ("/GTS_PDFXVersion", "/GTS_PDFXConformance", "/Title", "/Author", "/Subject", "/Keywords", "/Trapped")


def _foreign(new: pikepdf.Pdf, old: pikepdf.Pdf, obj: pikepdf.Object) -> pikepdf.Object:
    if not obj.is_indirect:
        obj = old.make_indirect(obj)
    return new.copy_foreign(obj)


def _claims_pdfx(pdf: pikepdf.Pdf) -> bool:
    """The file identifies itself as PDF/X (Info or XMP GTS_PDFXVersion, or the X-1a conformance key)."""
    info = pdf.trailer.get("/Info")
    if isinstance(info, pikepdf.Dictionary) and ("/GTS_PDFXVersion" in info or "/GTS_PDFXConformance" in info):
        return True
    meta = pdf.Root.get("/Metadata")
    try:
        return isinstance(meta, pikepdf.Stream) and b"GTS_PDFXVersion" in meta.read_bytes()
    except pikepdf.PdfError:
        return False


def _pdfx_version_cap(pdf: pikepdf.Pdf) -> str | None:
    """The highest PDF version the PDF/X part the file claims allows, or None (no claim)."""
    if not _claims_pdfx(pdf):
        return None
    info = pdf.trailer.get("/Info")
    version = str(info.get("/GTS_PDFXVersion", "")) if isinstance(info, pikepdf.Dictionary) else ""
    if version.startswith(("PDF/X-1a:2003", "PDF/X-3:2003")):
        return "1.4"
    if version.startswith(("PDF/X-1:2001", "PDF/X-1a:2001", "PDF/X-3:2002")):
        return "1.3"
    return "1.6"  # PDF/X-4, identified in the XMP


def _carry_document_metadata(old: pikepdf.Pdf, new: pikepdf.Pdf) -> bool:
    changed = False
    if "/OutputIntents" in old.Root and "/OutputIntents" not in new.Root:
        new.Root.OutputIntents = _foreign(new, old, old.Root.OutputIntents)
        changed = True
    # A PDF/X file's XMP is part of its identification (and must agree with Info): Ghostscript writes an
    # XMP of its own without it, so the old one, and the dates it states, win.
    pdfx = "/Metadata" in old.Root and _claims_pdfx(old)
    if "/Metadata" in old.Root and ("/Metadata" not in new.Root or pdfx):
        new.Root.Metadata = _foreign(new, old, old.Root.Metadata)
        changed = True
    old_info = old.trailer.get("/Info")
    if pdfx and old_info is not None:
        for key in ("/CreationDate", "/ModDate"):
            value = old_info.get(key)
            if isinstance(value, pikepdf.String):
                new.docinfo[key] = value
    if old_info is not None:
        for key in _INFO_KEYS:
            value = old_info.get(key)
            if value is not None and key not in new.docinfo and isinstance(value, pikepdf.String | pikepdf.Name):
                new.docinfo[key] = value
                changed = True
    return changed
