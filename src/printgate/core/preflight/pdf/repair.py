"""Opening an upload that qpdf does not read cleanly: reconstruction, then what the repair lost.

Why: a damaged upload used to be refused outright on any pikepdf open error (even when MuPDF and
Ghostscript render it), or let through with a warning when qpdf's recovery had dropped pages or
emptied streams. A file that opens without a single qpdf warning goes straight back to the caller
(``open_document``'s fast path: no extra work). Any other file is reconstructed by the PDF tools,
qpdf's recovery (what ``pikepdf.open`` does) and MuPDF's repair (forced, by hiding ``startxref`` in
a scratch copy, when MuPDF sees nothing to repair, e.g. a trailer without /Root), and each
reconstruction is judged by what it kept against what the damaged file declares or uses:

* pages: the page tree's /Count (the newest definition of the catalog's /Pages in the raw bytes,
  MuPDF's reading of it, or /Linearized /N) against the pages the reconstruction has;
* objects: references from the page tree, the pages and their resources to objects that are not in
  the file (read through MuPDF, which keeps the dangling references qpdf turns into null);
* streams: every stream the pages use is decoded to its end (Flate through zlib, JPEG checked for
  its end marker, the other generic filters through qpdf); a filter outside the standard set is
  reported apart, as an unsupported compression, not as damage;
* the tools' own words for data they dropped (``LOSS_MARKERS``).

The least lossy reconstruction is written to a scratch file and opened; the preflight reads that
copy. Nothing here judges the verdict: ``checks/structure.py`` does, from ``Assessment.fact()``.
"""

from __future__ import annotations

import logging
import mmap
import re
import shutil
import tempfile
import time
import zlib
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pikepdf

from printgate.core.errors import UnreadableFile

from .streams import SUPPORTED_FILTERS, deflate_complete, filter_names, stream_label

log = logging.getLogger(__name__)

PASSWORD_REASON = "The PDF is password-protected. Remove the password and upload an unlocked PDF."
UNREPAIRABLE_REASON = (
    "The PDF is damaged or truncated beyond repair and can't be opened. Re-export it from your design application."
)
# qpdf warnings for harmless quirks, dropped from the report.
BENIGN_WARNINGS = ("xref entry for the xref stream itself is missing",)
# qpdf's words, while opening, for a file it had to reconstruct (cross-reference table, trailer,
# object boundaries). Other warnings at open (page tree normalisation: duplicate kids, missing
# /Resources) keep the fast path and are reported as structure warnings, as before.
RECONSTRUCTION_MARKERS = ("file is damaged", "reconstruct", "startxref", "trailer", "xref", "expected endstream",
                          "expected endobj", "recover stream length", "unable to find")
# How qpdf and MuPDF say that they dropped data (not merely that they had to look harder for it).
LOSS_MARKERS = (
    "treating stream as empty",
    "unable to recover stream data",
    "Pages tree includes non-dictionary object",
    "error decoding stream data",
    "stream will be re-processed without filtering",
    "premature end of data",
    "object out of range",
    "cannot find object in xref",
)
VERIFY_TIME_S = 30.0  # stream verification per reconstruction, then the rest is "not verified"
MAX_STREAM_DECODED = 512 * 1024 * 1024  # decoded bytes checked per stream (output is discarded)
MAX_OBJECTS = 200_000  # objects walked from the pages, per reconstruction
# Keys that point away from what a page prints (back links, navigation, actions).
SKIP_KEYS = frozenset({"/Parent", "/P", "/Dest", "/A", "/AA", "/Popup", "/IRT", "/Next", "/Prev",
                       "/First", "/Last", "/B", "/Thumb", "/StructParent", "/StructParents"})


def is_loss(text: str) -> bool:
    """Whether a tool's warning says that data was dropped."""
    return any(marker in text for marker in LOSS_MARKERS)


def is_benign(text: str) -> bool:
    return any(b in text for b in BENIGN_WARNINGS)


def needs_reconstruction(text: str) -> bool:
    """Whether a warning qpdf gave while opening says the file was damaged, not merely quirky."""
    return not is_benign(text) and (is_loss(text) or any(m in text for m in RECONSTRUCTION_MARKERS))


@dataclass
class Assessment:
    """One reconstruction of a damaged file and what it lost."""

    tool: str  # qpdf | mupdf
    pages_declared: int | None
    pages_recovered: int
    lost: list[str] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)
    verified: bool = True  # False: a budget ran out or a cross-check was impossible
    tool_warnings: list[str] = field(default_factory=list)
    damage: list[str] = field(default_factory=list)  # what was wrong with the file (``describe_damage``)

    @property
    def lossless(self) -> bool:
        return not self.lost

    def rank(self) -> tuple[bool, int, int]:
        return (self.lossless, self.pages_recovered, -len(self.lost))

    def fact(self) -> dict[str, Any]:
        """The picklable summary the report and the structure check read."""
        return {
            "tool": self.tool,
            "lossless": self.lossless,
            "pagesDeclared": self.pages_declared,
            "pagesRecovered": self.pages_recovered,
            "lost": self.lost[:50],
            "unsupportedFilters": sorted(set(self.unsupported)),
            "verified": self.verified,
            "toolWarnings": self.tool_warnings[:30],
            "damage": self.damage[:10],
        }


@dataclass
class OpenedPdf:
    """An open document and the file its pages are read from (the upload or its repaired copy)."""

    pdf: pikepdf.Pdf
    path: Path
    warnings: list[str] = field(default_factory=list)  # qpdf's warnings while opening (get_warnings clears them)
    repair: Assessment | None = None
    scratch: Path | None = None

    def cleanup(self) -> None:
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None


def open_document(path: Path) -> OpenedPdf:
    """Open ``path`` for preflight; a damaged file is reconstructed first (see the module doc).

    Raises ``UnreadableFile`` for a password and for a file no tool can reconstruct.
    """
    qpdf_doc: pikepdf.Pdf | None = None
    failure = ""
    try:
        qpdf_doc = pikepdf.open(path)
    except pikepdf.PasswordError as exc:
        raise UnreadableFile(PASSWORD_REASON) from exc
    except (pikepdf.PdfError, RuntimeError, ValueError, OSError) as exc:
        failure = str(exc)
    warnings: list[str] = []
    if qpdf_doc is not None:
        warnings = [str(w) for w in qpdf_doc.get_warnings()]
        if not any(needs_reconstruction(w) for w in warnings):
            return OpenedPdf(qpdf_doc, path, warnings)
    return _reconstruct(path, qpdf_doc, warnings, failure)


# --------------------------------------------------------------------------- reconstruction


def _reconstruct(path: Path, qpdf_doc: pikepdf.Pdf | None, qpdf_warnings: list[str], failure: str) -> OpenedPdf:
    scratch = Path(tempfile.mkdtemp(prefix="printgate-repair-"))
    deadline = time.monotonic() + VERIFY_TIME_S
    mu: _MuView | None = None
    candidates: list[tuple[Assessment, pikepdf.Pdf, Path | None]] = []
    try:
        raw_declared, linearized = _declared_pages_raw(path)
        mu = _mupdf_view(path, scratch)
        missing, missing_checked = (_missing_objects(mu.doc) if mu is not None else ([], False))
        declared = _declared(raw_declared, linearized, mu)
        shared = [f"{len(missing)} object(s) the pages use are missing ({', '.join(missing[:10])})"] if missing else []
        if qpdf_doc is not None:
            notes = [w for w in qpdf_warnings if not is_benign(w)]
            a = _assess(qpdf_doc, "qpdf", declared, shared, notes, deadline)
            a.verified = a.verified and missing_checked
            candidates.append((a, qpdf_doc, None))
        if mu is not None and not (candidates and candidates[0][0].lossless):
            built = _mupdf_candidate(mu, scratch)
            if built is not None:
                mu_pdf, mu_path, mu_warnings = built
                a = _assess(mu_pdf, "mupdf", declared, shared, mu.warnings + mu_warnings, deadline)
                a.verified = a.verified and missing_checked
                candidates.append((a, mu_pdf, mu_path))
        if not candidates:
            raise UnreadableFile(UNREPAIRABLE_REASON)
        best, best_pdf, best_path = max(candidates, key=lambda c: c[0].rank())
        best.damage = describe_damage(path, [failure, *qpdf_warnings, *best.tool_warnings])
        if best_path is None:  # qpdf's reconstruction lives in memory: write it as it was read
            best_path = scratch / "qpdf.pdf"
            if "/Size" not in best_pdf.trailer:
                best_pdf.trailer.Size = 0  # qpdf writes the right /Size only over one it finds there
            best_pdf.save(best_path, stream_decode_level=pikepdf.StreamDecodeLevel.none,
                          compress_streams=False, fix_metadata_version=False)
        _close(doc for _, doc, _ in candidates)
        candidates = []
        opened = OpenedPdf(pikepdf.open(best_path), best_path, [], best, scratch)
        opened.warnings = [str(w) for w in opened.pdf.get_warnings()]
        log.info("damaged PDF reconstructed by %s: %s", best.tool,
                 "without loss" if best.lossless else f"{len(best.lost)} loss(es)")
        return opened
    except UnreadableFile:
        _close([qpdf_doc, *(doc for _, doc, _ in candidates)])
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    except Exception as exc:  # a tool crashed on hostile input: the file can't be read
        _close([qpdf_doc, *(doc for _, doc, _ in candidates)])
        shutil.rmtree(scratch, ignore_errors=True)
        log.warning("reconstruction failed (qpdf said: %s)", failure or "-", exc_info=True)
        raise UnreadableFile(UNREPAIRABLE_REASON) from exc
    finally:
        if mu is not None:
            mu.doc.close()


def _close(docs: Iterable[pikepdf.Pdf | None]) -> None:
    for doc in docs:
        if doc is not None:
            try:
                doc.close()
            except Exception:
                pass


def _declared(raw: int | None, linearized: int | None, mu: _MuView | None) -> int | None:
    """The page count the damaged file declares: its page tree's /Count (raw bytes or MuPDF's
    reading of it); /Linearized /N only when the tree itself was not found."""
    found = [n for n in (raw, mu.declared if mu is not None else None) if n]
    if raw is None and linearized:
        found.append(linearized)
    return max(found) if found else None


def _assess(pdf: pikepdf.Pdf, tool: str, declared: int | None, shared: list[str], notes: list[str],
            deadline: float) -> Assessment:
    """What this reconstruction kept, against what the damaged file declares and uses."""
    try:
        pages = len(pdf.pages)
    except Exception:
        pages = 0
    a = Assessment(tool=tool, pages_declared=declared, pages_recovered=pages, tool_warnings=list(notes))
    if declared is not None and pages < declared:
        a.lost.append(f"{declared - pages} of {declared} page(s) are missing ({pages} could be recovered)")
    a.lost.extend(shared)
    broken, unsupported, complete = verify_streams(pdf, deadline)
    a.lost.extend(broken)
    a.unsupported = unsupported
    a.verified = complete
    late = [str(w) for w in pdf.get_warnings()]
    a.tool_warnings = [_short(w) for w in dict.fromkeys(notes + late)]
    a.lost.extend(f"{tool}: {w}" for w in a.tool_warnings if is_loss(w))
    return a


def _short(text: str) -> str:
    """A tool warning without the scratch or upload path in front (no server path in reports)."""
    return re.sub(r"^\S*\.pdf(?=[ :(,])", "", text).lstrip(" :,") or text


# --------------------------------------------------------------------------- streams


def verify_streams(pdf: pikepdf.Pdf, deadline: float) -> tuple[list[str], list[str], bool]:
    """Decode every stream the pages use: (broken, unsupported filters, verified completely)."""
    broken: list[str] = []
    unsupported: list[str] = []
    for stream in _page_streams(pdf):
        if time.monotonic() > deadline:
            return broken, unsupported, False
        names = filter_names(stream)
        unknown = [n for n in names if n not in SUPPORTED_FILTERS]
        if unknown:
            unsupported.extend(unknown)
            continue
        try:
            problem = _stream_problem(stream, names)
        except Exception as exc:  # qpdf refused the stream data itself
            problem = f"stream data can't be read ({type(exc).__name__})"
        if problem:
            broken.append(f"{stream_label(stream)}: {problem}")
    return broken, unsupported, True


def _page_streams(pdf: pikepdf.Pdf) -> Iterator[Any]:
    """The streams reachable from the pages (contents, resources, forms, fonts, images, annotation
    appearances), each once, not following back links and actions (``SKIP_KEYS``)."""
    seen: set[tuple[int, int]] = set()
    todo: list[Any] = [page.obj for page in pdf.pages]
    visited = 0
    while todo and visited < MAX_OBJECTS:
        obj = todo.pop()
        visited += 1
        og = getattr(obj, "objgen", (0, 0))
        if og != (0, 0):
            if og in seen:
                continue
            seen.add(og)
        if isinstance(obj, pikepdf.Array):
            todo.extend(x for x in obj if isinstance(x, pikepdf.Array | pikepdf.Dictionary | pikepdf.Stream))
            continue
        if isinstance(obj, pikepdf.Stream):
            yield obj
        elif not isinstance(obj, pikepdf.Dictionary):
            continue
        for key in list(obj.keys()):
            if key in SKIP_KEYS:
                continue
            value = obj.get(key)
            if isinstance(value, pikepdf.Array | pikepdf.Dictionary | pikepdf.Stream):
                todo.append(value)


def _stream_problem(stream: Any, names: list[str]) -> str | None:
    if not names:
        return None
    raw = stream.read_raw_bytes()
    if not raw.strip():
        return None  # an empty stream; one a tool emptied is reported by its warning
    first = names[0]
    if first in ("FlateDecode", "Fl"):
        return _inflate_problem(raw)
    if first in ("DCTDecode", "DCT"):
        body = raw.rstrip(b"\x00\t\n\r\x0c ")
        if not body.startswith(b"\xff\xd8"):
            return "JPEG data is damaged (no start marker)"
        return None if b"\xff\xd9" in body[-1024:] else "JPEG data ends early (bytes are missing)"
    generic = ("ASCIIHexDecode", "AHx", "ASCII85Decode", "A85", "LZWDecode", "LZW", "RunLengthDecode", "RL")
    if first in generic and len(raw) <= 64 * 1024 * 1024:
        stream.read_bytes()  # qpdf raises on data it can't decode
    return None  # CCITT, JBIG2, JPX: decoded only by renderers


def _inflate_problem(raw: bytes) -> str | None:
    dec = zlib.decompressobj()
    data, total = raw, 0
    try:
        while True:
            total += len(dec.decompress(data, 1 << 24))
            if dec.eof:
                return None
            data = dec.unconsumed_tail
            if not data:
                break
            if total > MAX_STREAM_DECODED:
                return None  # too big to finish here; what was read is sound
    except zlib.error as exc:
        text = str(exc)
        return f"compressed data is corrupt ({text.split(': ', 1)[-1]})"
    return None if deflate_complete(raw) else "compressed data ends early (bytes are missing)"


# --------------------------------------------------------------------------- what the file declares


_CATALOG = re.compile(rb"/Type\s*/Catalog\b")
_PAGES_REF = re.compile(rb"/Pages\s+(\d+)\s+(\d+)\s+R")
_COUNT = re.compile(rb"/Count\s+(\d+)")
_LINEARIZED = re.compile(rb"/Linearized\b.{0,512}?/N\s+(\d+)", re.S)


def _declared_pages_raw(path: Path) -> tuple[int | None, int | None]:
    """(/Count of the page tree the newest catalog names, /Linearized /N), read from the raw bytes.

    Objects inside object streams are not visible here; MuPDF's reading covers those.
    """
    with path.open("rb") as fh:
        try:
            raw = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError:  # empty file
            return None, None
        with raw:
            lin = _LINEARIZED.search(raw, 0, 4096)
            linearized = int(lin.group(1)) if lin else None
            catalog = _last_match(_CATALOG, raw)
            if catalog is None:
                return None, linearized
            body = _object_around(raw, catalog.start())
            ref = _PAGES_REF.search(body)
            if ref is None:
                return None, linearized
            pages = _last_definition(raw, int(ref.group(1)), int(ref.group(2)))
            count = _COUNT.search(pages) if pages is not None else None
            return (int(count.group(1)) if count else None), linearized


def _last_match(pattern: re.Pattern[bytes], raw: Any) -> re.Match[bytes] | None:
    tail = deque(pattern.finditer(raw), maxlen=1)
    return tail[0] if tail else None


def _object_around(raw: Any, pos: int) -> bytes:
    start = raw.rfind(b"obj", max(0, pos - 65536), pos)
    end = raw.find(b"endobj", pos, min(len(raw), pos + (1 << 20)))
    return bytes(raw[max(start, 0): end if end >= 0 else pos + 65536])


def _last_definition(raw: Any, num: int, gen: int) -> bytes | None:
    """The body of the newest ``num gen obj`` in the file (incremental updates append newer ones)."""
    last = _last_match(re.compile(rb"(?<![0-9])%d\s+%d\s+obj\b" % (num, gen)), raw)
    if last is None:
        return None
    end = raw.find(b"endobj", last.end(), min(len(raw), last.end() + (1 << 20)))
    body = bytes(raw[last.end(): end if end >= 0 else last.end() + 65536])
    cut = body.find(b"stream")
    return body[:cut] if cut >= 0 else body


# --------------------------------------------------------------------------- what was wrong


_STARTXREF = re.compile(rb"startxref\s+(\d+)")
_XREF_SECTION = re.compile(rb"(\d+)\s+(\d+)[ \t]*\r?\n")
_XREF_ENTRY = re.compile(rb"(\d{10}) (\d{5}) ([nf])")
_LENGTH = re.compile(rb"/Length\s+(\d+)(?!\s+\d+\s+R)")
_LINEARIZED_LENGTH = re.compile(rb"/Linearized\b.{0,512}?/L\s+(\d+)", re.S)
MAX_XREF_ENTRIES = 200_000  # entries checked against their offsets, then the rest is not judged


def describe_damage(path: Path, tool_words: Iterable[str]) -> list[str]:
    """What was wrong with a file that had to be reconstructed, in words a shop can repeat to its
    customer: the file ends early (with how many bytes are missing when the file says how long it
    was, or how much of its last stream is gone), the cross-reference table missing or pointing to
    the wrong places (how many offsets), the trailer without its catalog. Read from the raw bytes
    and the tools' warnings; never raises (a description is best effort, the repair is the fact)."""
    try:
        with path.open("rb") as fh:
            data = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return ["its internal structure was rebuilt"]
    with data:
        try:
            out = [_truncation(data), _xref_damage(data)]
        except Exception:  # hostile bytes: the description is best effort
            log.warning("could not describe the damage of %s", path.name, exc_info=True)
            out = []
    words = " ".join(tool_words)
    if "/Root" in words:
        out.append("its trailer did not name the document catalog (/Root), which was found again")
    found = [d for d in out if d]
    return found or ["its internal structure was rebuilt"]


def _truncation(data: Any) -> str | None:
    size = len(data)
    if b"%%EOF" in data[max(0, size - 1024):]:
        return None
    declared = _LINEARIZED_LENGTH.search(data, 0, 4096)
    if declared and int(declared.group(1)) > size:
        return f"the file ends early: {int(declared.group(1)) - size} bytes are missing at the end"
    last_stream = data.rfind(b"stream", max(0, size - (1 << 26)))
    if last_stream > 0 and data[last_stream - 3: last_stream] == b"end":
        last_stream = -1  # the last stream keyword is an endstream: the file was cut between objects
    if last_stream > 0:
        head = data.rfind(b"obj", max(0, last_stream - 65536), last_stream)
        length = _LENGTH.search(data[max(head, 0): last_stream]) if head >= 0 else None
        start = last_stream + len(b"stream")
        start += 2 if data[start: start + 2] == b"\r\n" else 1
        if length and int(length.group(1)) > size - start:
            missing = int(length.group(1)) - (size - start)
            return f"the file ends early: at least {missing} bytes are missing at the end (inside its last stream)"
    return "the file ends early: its end (cross-reference table, trailer and end marker) is missing"


def _xref_damage(data: Any) -> str | None:
    """The classic cross-reference table the last ``startxref`` points to, checked entry by entry
    (an in-use entry must point at ``num gen obj``); an xref stream is only checked for being there."""
    size = len(data)
    last = _last_match(_STARTXREF, data[max(0, size - 4096):])
    if last is None:
        return "the cross-reference table was missing and was rebuilt"
    offset = int(last.group(1))
    if offset >= size:
        return "the cross-reference table was missing (it pointed past the end of the file) and was rebuilt"
    at = data[offset: offset + 64].lstrip()
    if re.match(rb"\d+\s+\d+\s+obj", at):
        return None  # an xref stream: qpdf's warnings say what else was wrong
    if not at.startswith(b"xref"):
        return "the cross-reference table was not where the file said and was rebuilt"
    wrong, checked, pos = 0, 0, data.find(b"xref", offset, offset + 64) + 4
    while checked < MAX_XREF_ENTRIES:
        while pos < size and data[pos: pos + 1] in b" \t\r\n":
            pos += 1
        section = _XREF_SECTION.match(data, pos)
        if section is None:
            break
        first, count = int(section.group(1)), int(section.group(2))
        pos = section.end()
        for number in range(first, first + min(count, MAX_XREF_ENTRIES - checked)):
            entry = _XREF_ENTRY.match(data, pos)
            if entry is None:
                return "the cross-reference table was damaged and was rebuilt"
            pos = entry.end() + 2 if data[entry.end(): entry.end() + 1] in (b" ", b"\r") else entry.end() + 1
            if entry.group(3) == b"n" and number > 0:
                checked += 1
                wrong += not _object_at(data, int(entry.group(1)), number)
    if wrong:
        return f"the cross-reference table was rebuilt: {wrong} of {checked} object offsets were wrong"
    return None


def _object_at(data: Any, offset: int, number: int) -> bool:
    head = bytes(data[offset: offset + 32]) if offset < len(data) else b""
    return re.match(rb"\s*%d\s+\d+\s+obj\b" % number, head) is not None


# --------------------------------------------------------------------------- MuPDF


@dataclass
class _MuView:
    doc: Any  # pymupdf.Document, repaired by MuPDF as it opened it
    declared: int | None
    forced: bool
    warnings: list[str]


@contextmanager
def _mupdf_log() -> Iterator[list[str]]:
    """MuPDF's warnings for the block (it keeps them in one process-wide store)."""
    import pymupdf

    pymupdf.TOOLS.reset_mupdf_warnings()
    out: list[str] = []
    try:
        yield out
    finally:
        out.extend(w for w in pymupdf.TOOLS.mupdf_warnings(reset=True).splitlines() if w.strip())


def _mupdf_view(path: Path, scratch: Path) -> _MuView | None:
    """The damaged file as MuPDF repairs it; its repair is forced when it sees nothing to repair
    but finds no pages (a trailer without /Root, say)."""
    import pymupdf

    with _mupdf_log() as warnings:
        doc = _mupdf_open(pymupdf, path)
        forced = False
        if doc is None or _page_count(doc) == 0:
            if doc is not None:
                doc.close()
            doc = _mupdf_open(pymupdf, _without_startxref(path, scratch))
            forced = True
        if doc is not None and _page_count(doc) == 0:
            doc.close()
            doc = None
    if doc is None:
        return None
    return _MuView(doc=doc, declared=_page_count(doc), forced=forced, warnings=warnings)


def _mupdf_open(pymupdf: Any, path: Path) -> Any:
    try:
        doc = pymupdf.open(path, filetype="pdf")
    except Exception:  # MuPDF raises several unrelated types for broken input
        return None
    if doc.needs_pass:
        doc.close()
        return None
    return doc


def _page_count(doc: Any) -> int:
    try:
        return int(doc.page_count)
    except Exception:
        return 0


def _without_startxref(path: Path, scratch: Path) -> Path:
    """A copy whose ``startxref`` keywords are spelt wrong, so MuPDF rebuilds the cross-reference
    table by scanning the objects (and finds the catalog itself when the trailer lost /Root)."""
    copy = scratch / "forced.pdf"
    shutil.copyfile(path, copy)
    with copy.open("r+b") as fh:
        try:
            mm = mmap.mmap(fh.fileno(), 0)
        except ValueError:
            return copy
        with mm:
            for m in re.finditer(rb"startxref", mm):
                mm[m.end() - 1: m.end()] = b"_"
    return copy


def _mupdf_candidate(mu: _MuView, scratch: Path) -> tuple[pikepdf.Pdf, Path, list[str]] | None:
    """MuPDF's repair written out and opened with pikepdf. If the written file still isn't a PDF
    pikepdf reads, the pages MuPDF loaded are copied into a fresh document."""
    import pymupdf

    out = scratch / "mupdf.pdf"
    with _mupdf_log() as warnings:
        try:
            mu.doc.save(out, garbage=0, clean=False, deflate=False)
        except Exception as exc:
            log.info("MuPDF could not write its repair (%s)", exc)
    opened = _pikepdf_pages(out)
    if opened is None:
        rebuilt = scratch / "mupdf-rebuilt.pdf"
        with _mupdf_log() as more:
            try:
                fresh = pymupdf.open()
                fresh.insert_pdf(mu.doc)
                fresh.save(rebuilt)
                fresh.close()
            except Exception as exc:
                log.info("MuPDF could not rebuild the pages (%s)", exc)
        warnings.extend(more)
        opened, out = _pikepdf_pages(rebuilt), rebuilt
        if opened is not None:
            warnings.append("document-level objects were not carried over (pages rebuilt)")
    if opened is None:
        return None
    return opened, out, warnings


def _pikepdf_pages(path: Path) -> pikepdf.Pdf | None:
    if not path.is_file():
        return None
    try:
        pdf = pikepdf.open(path)
        if len(pdf.pages) > 0:
            return pdf
        pdf.close()
    except Exception:
        pass
    return None


_REF = re.compile(r"(\d+) (\d+) R")
_SKIPPED = re.compile(
    r"/(?:Parent|P|Dest|A|AA|Popup|IRT|Next|Prev|First|Last|B|Thumb)\s*(?:\d+ \d+ R|\[[^\]]*\]|<<.*?>>)", re.S)


def _missing_objects(doc: Any) -> tuple[list[str], bool]:
    """Objects that the page tree, the pages and what they use refer to but the file doesn't have
    (MuPDF keeps such dangling references as written). Returns (missing, walked completely)."""
    try:
        size = doc.xref_length()
        kind, value = doc.xref_get_key(doc.pdf_catalog(), "Pages")
    except Exception:
        return [], False
    todo: list[int] = []
    if kind == "xref":
        todo.append(int(value.split()[0]))
    for i in range(min(_page_count(doc), 10_000)):
        try:
            todo.append(int(doc.page_xref(i)))
        except Exception:
            continue
    seen: set[int] = set()
    missing: list[int] = []
    while todo:
        if len(seen) >= MAX_OBJECTS:
            return [f"{x} 0 R" for x in sorted(set(missing))], False
        xref = todo.pop()
        if xref in seen:
            continue
        seen.add(xref)
        try:
            text = doc.xref_object(xref, compressed=True) if 0 < xref < size else "null"
        except Exception:
            text = "null"
        if text.strip() == "null":
            missing.append(xref)
            continue
        todo.extend(int(m.group(1)) for m in _REF.finditer(_SKIPPED.sub("", text)))
    return [f"{x} 0 R" for x in sorted(set(missing))], True


def write_repaired(src: Path, dst: Path) -> Assessment | None:
    """Write the reconstruction the preflight reads to ``dst``, so a later step (fixes, previews)
    can work on the same file instead of failing on the damaged upload; ``None`` (nothing written)
    when ``src`` opens cleanly. Raises ``UnreadableFile`` as ``open_document`` does."""
    opened = open_document(src)
    try:
        if opened.repair is None:
            return None
        shutil.copyfile(opened.path, dst)
        return opened.repair
    finally:
        _close([opened.pdf])
        opened.cleanup()
