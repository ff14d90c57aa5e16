"""The document as the rules see it: raw-byte file-structure facts, the cos objects, and the catalog.

pikepdf reads the objects; it repairs and normalises what it reads, so the facts a PDF/A file
structure rule needs (header bytes, what follows ``%%EOF``, xref subsection syntax, ``stream``
keyword line ends, object spacing) are read from the raw bytes here. The raw bytes are memory-mapped,
so a large file is not held in memory twice.
"""

from __future__ import annotations

import mmap
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, cast

import pikepdf

from printgate.core.validation import chunks
from printgate.core.validation.shared_pass import SharedChunks

_OBJ_RE = re.compile(rb"(?<![0-9])(\d+)([ \t\r\n\f\x00]+)(\d+)([ \t\r\n\f\x00]+)obj\b")
_STARTXREF_RE = re.compile(rb"startxref\s*(\d+)")
_WS = b" \t\r\n\f\x00"


_BODY_END = re.compile(rb"stream(\r\n|\n|\r)|endobj")
RELEASE_EVERY = 256 * 1024  # a whole-file scan drops the pages it has passed this often (``_release_scanned``)


@dataclass
class RawStream:
    """Where a stream's data sits in the file, as the bytes say (not as pikepdf repaired it)."""

    num: int
    declared_length: int | None
    real_length: int
    keyword_eol_ok: bool  # ``stream`` followed by CRLF or LF, not CR alone
    endstream_eol_ok: bool  # ``endstream`` preceded by an end-of-line marker


@dataclass
class RawObject:
    num: int
    gen: int
    offset: int
    spacing_ok: bool


@dataclass
class CosFacts:
    """Everything a single walk over the cos objects collects for the implementation-limit rules."""

    big_ints: list[tuple[str, int]] = field(default_factory=list)
    big_reals: list[tuple[str, float]] = field(default_factory=list)
    long_strings: list[tuple[str, int]] = field(default_factory=list)
    long_names: list[tuple[str, int]] = field(default_factory=list)
    big_arrays: list[tuple[str, int]] = field(default_factory=list)
    big_dicts: list[tuple[str, int]] = field(default_factory=list)
    hex_strings: list[tuple[str, bool, bool]] = field(default_factory=list)  # where, even count, only hex
    lzw: list[str] = field(default_factory=list)
    external_streams: list[str] = field(default_factory=list)
    streams: int = 0
    objects: int = 0


@dataclass
class ObjectFacts:
    """What the rules that judge single indirect objects need, from one shallow pass over the objects (not one
    pass per rule; made in the cos walk when that runs first): each stream's filter names, and the object ids
    of the few dictionaries the rules read again."""

    objects: int = 0
    stream_filters: list[tuple[int, str]] = field(default_factory=list)  # (object number, filter name)
    with_ef: list[tuple[int, int]] = field(default_factory=list)  # dictionaries with an EF key
    filespecs: list[tuple[int, int]] = field(default_factory=list)  # dictionaries of Type Filespec
    media_clips: list[tuple[int, int]] = field(default_factory=list)  # dictionaries of S MCD
    af_targets: set[tuple[int, int]] = field(default_factory=set)  # indirect dictionaries an AF array names


class Document:
    """One PDF opened for validation. Facts are computed on first use and kept."""

    def __init__(self, path: Path, pdf: pikepdf.Pdf) -> None:
        self.path = path
        self.pdf = pdf
        self._file = path.open("rb")
        size = path.stat().st_size
        self.raw: bytes | mmap.mmap = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        self.size = size
        # a large file's page ids (read in chunks, see ``chunks``); None: every pass reads the one handle
        self.page_ids: list[tuple[int, int]] | None = None
        # while a large file's rules run side by side (``shared_pass``): the page chunks they share
        self.shared_pages: SharedChunks | None = None

    def close(self) -> None:
        if isinstance(self.raw, mmap.mmap):
            self.raw.close()
        self._file.close()

    def _release_raw(self) -> None:
        """Drop the file's pages a whole-file scan touched from this process's resident memory: the mapping is
        read-only, so a later read faults them back from the page cache; kept resident, a large file's scans
        add its whole size to the validation's peak (interface3.pdf, 1.8 MB: 46.2 -> 44.7 MB)."""
        if isinstance(self.raw, mmap.mmap) and hasattr(mmap, "MADV_DONTNEED"):
            try:
                self.raw.madvise(mmap.MADV_DONTNEED)
            except OSError:  # only a hint: the scans' results do not depend on it
                pass

    def _release_scanned(self, upto: int, mark: list[int]) -> None:
        """Within a scan, every ``RELEASE_EVERY`` bytes: drop the pages before ``upto`` (see ``_release_raw``),
        so a scan holds a window of the file resident, not all it has read (interface3.pdf: 0.5 MB of the
        peak). ``mark`` holds where the next release is due."""
        if upto < mark[0] or not isinstance(self.raw, mmap.mmap) or not hasattr(mmap, "MADV_DONTNEED"):
            return
        mark[0] = upto + RELEASE_EVERY
        length = upto - upto % mmap.PAGESIZE
        if length:
            try:
                self.raw.madvise(mmap.MADV_DONTNEED, 0, length)
            except OSError:
                pass

    # -- header and trailer ------------------------------------------------------------------

    @cached_property
    def header_offset(self) -> int:
        return bytes(self.raw[:1024]).find(b"%PDF-")

    @cached_property
    def header(self) -> str:
        start = max(self.header_offset, 0)
        line = re.split(rb"[\r\n]", bytes(self.raw[start:start + 64]), maxsplit=1)[0]
        return line.decode("latin-1")

    @cached_property
    def header_version(self) -> str | None:
        m = re.match(r"%PDF-(\d\.\d)", self.header)
        return m.group(1) if m else None

    @cached_property
    def binary_comment(self) -> bytes:
        """The four bytes after ``%`` on the line that follows the header (empty when there is none)."""
        start = max(self.header_offset, 0)
        m = re.match(rb"%PDF-[^\r\n]*(?:\r\n|\r|\n)%(.{0,4})", bytes(self.raw[start:start + 128]), re.S)
        return m.group(1) if m else b""

    @cached_property
    def post_eof_size(self) -> int:
        """Bytes after the last ``%%EOF`` beyond one end-of-line marker."""
        tail = bytes(self.raw[-2048:]) if self.size > 2048 else bytes(self.raw)
        i = tail.rfind(b"%%EOF")
        if i < 0:
            return len(tail)
        rest = tail[i + 5:]
        for eol in (b"\r\n", b"\n", b"\r"):
            if rest.startswith(eol):
                rest = rest[len(eol):]
                break
        return len(rest)

    @cached_property
    def trailer(self) -> pikepdf.Dictionary:
        return cast(pikepdf.Dictionary, self.pdf.trailer)

    @cached_property
    def catalog(self) -> pikepdf.Dictionary:
        root = self.pdf.Root
        return root if isinstance(root, pikepdf.Dictionary) else pikepdf.Dictionary()

    @cached_property
    def is_linearized(self) -> bool:
        m = _OBJ_RE.search(bytes(self.raw[:2048]))
        return bool(m and b"/Linearized" in bytes(self.raw[m.end():m.end() + 512]))

    @cached_property
    def first_page_trailer_id(self) -> Any:
        """The ID of the first-page trailer of a linearized file (the first trailer in the file)."""
        m = re.search(rb"trailer\s*<<(.{0,1024}?)>>\s*startxref", bytes(self.raw[:65536]), re.S)
        if not m:
            return None
        idm = re.search(rb"/ID\s*\[\s*(<[0-9A-Fa-f\s]*>|\(.*?\))", m.group(1), re.S)
        return idm.group(1) if idm else None

    @cached_property
    def last_trailer_id(self) -> Any:
        ids = self.trailer.get("/ID")
        if not isinstance(ids, pikepdf.Array) or len(ids) < 1:
            return None
        return bytes(ids[0])

    # -- cross-reference sections ----------------------------------------------------------

    @cached_property
    def xref_sections(self) -> list[dict[str, Any]]:
        """Each cross-reference section the ``startxref`` and ``/Prev`` chain reaches, read from the bytes."""
        out: list[dict[str, Any]] = []
        seen: set[int] = set()
        tail = bytes(self.raw[-4096:]) if self.size > 4096 else bytes(self.raw)
        starts = [int(m.group(1)) for m in _STARTXREF_RE.finditer(tail)]
        todo = starts[-1:] if starts else []
        while todo:
            off = todo.pop()
            if off in seen or off < 0 or off >= self.size:
                continue
            seen.add(off)
            chunk = bytes(self.raw[off:off + 256])
            if chunk.startswith(b"xref"):
                end = bytes(self.raw[off:]).find(b"trailer") if self.size < 50_000_000 else -1
                body = bytes(self.raw[off:off + end]) if end > 0 else chunk
                out.append({"kind": "table", "offset": off, **_xref_table_facts(body)})
                tm = re.search(rb"/Prev\s+(\d+)", bytes(self.raw[off + max(end, 0):off + max(end, 0) + 1024]))
                if tm:
                    todo.append(int(tm.group(1)))
            else:
                out.append({"kind": "stream", "offset": off})
                pm = re.search(rb"/Prev\s+(\d+)", bytes(self.raw[off:off + 1024]))
                if pm:
                    todo.append(int(pm.group(1)))
        return out

    @cached_property
    def contains_xref_stream(self) -> bool:
        return any(s["kind"] == "stream" for s in self.xref_sections) or bool(
            re.search(rb"/Type\s*/XRef\b", bytes(self.raw[-65536:]) if self.size > 65536 else bytes(self.raw)))

    # -- raw objects and streams -----------------------------------------------------------

    @cached_property
    def xref_offsets(self) -> set[int] | None:
        """Offsets the classic cross-reference tables give in-use objects; None with an xref stream."""
        sections = self.xref_sections
        if not sections or any(s["kind"] != "table" for s in sections):
            return None
        out: set[int] = set()
        for s in sections:
            out |= s["offsets"]
        return out

    @cached_property
    def raw_objects(self) -> list[RawObject]:
        """Indirect objects as the bytes hold them; objects no cross-reference entry points to are not
        part of the document and are left out (when the tables agree with most of the file)."""
        found = self._scan_objects()
        offsets = self.xref_offsets
        if offsets:
            # an entry may point at white-space before the object number ("endobj\n    13 0 obj"): that
            # object is the document's too, and its number is not preceded by an EOL marker (6.1.8 / 6.1.9)
            kept = [o for o in found if o.offset in offsets or self._lead_offset(o.offset) in offsets]
            if len(kept) * 2 >= len(found):
                return kept
        return found

    def _lead_offset(self, offset: int) -> int:
        """The start of the run of spaces, tabs, form feeds and NULs just before ``offset`` (not EOLs)."""
        start = offset
        while start > 0 and offset - start < 256 and self.raw[start - 1] in (0x20, 0x09, 0x0C, 0x00):
            start -= 1
        return start

    def _scan_objects(self) -> list[RawObject]:
        out = []
        mark = [RELEASE_EVERY]
        for m in _OBJ_RE.finditer(self.raw):  # type: ignore[call-overload]
            self._release_scanned(m.start(), mark)
            before = self.raw[m.start() - 1:m.start()] if m.start() else b"\n"
            after = self.raw[m.end():m.end() + 2]
            spacing = (m.group(2) == b" " and m.group(4) == b" " and before in (b"\r", b"\n")
                       and (after[:1] in (b"\r", b"\n")))
            out.append(RawObject(int(m.group(1)), int(m.group(3)), m.start(), spacing))
        self._release_raw()
        return out

    @cached_property
    def endobj_spacing_ok(self) -> bool:
        try:
            mark = [RELEASE_EVERY]
            for m in re.finditer(rb"endobj", self.raw):  # type: ignore[call-overload]
                self._release_scanned(m.start(), mark)
                before = self.raw[m.start() - 1:m.start()]
                after = self.raw[m.end():m.end() + 1]
                if before not in (b"\r", b"\n") or (after and after not in (b"\r", b"\n")):
                    return False
            return True
        finally:
            self._release_raw()

    @cached_property
    def raw_streams(self) -> list[RawStream]:
        out = []
        objs = self.raw_objects
        mark = [RELEASE_EVERY]
        for idx, obj in enumerate(objs):
            self._release_scanned(obj.offset, mark)
            end = objs[idx + 1].offset if idx + 1 < len(objs) else self.size
            head_end = min(end, obj.offset + 65536)
            head = bytes(self.raw[obj.offset:head_end])
            sm = re.search(rb">>\s*stream(\r\n|\n|\r)?", head)
            if not sm or b"endobj" in head[:sm.start()]:
                continue
            data_start = obj.offset + sm.end()
            es = self.raw.find(b"endstream", data_start)  # type: ignore[arg-type]
            if es < 0:
                continue
            before = bytes(self.raw[es - 2:es])
            eol = 2 if before == b"\r\n" else (1 if before[-1:] in (b"\r", b"\n") else 0)
            real = es - eol - data_start
            lengths = {es - data_start - n for n in range(eol + 1)}  # "\r\n" may end the data or be the EOL
            lm = re.search(rb"/Length\s+(\d+)(\s+(\d+)\s+R)?", head[:sm.start()])
            declared: int | None = None
            if lm and not lm.group(2):
                declared = int(lm.group(1))
            elif lm:
                try:
                    declared = int(self.pdf.get_object((int(lm.group(1)), int(lm.group(3)))))
                except Exception:
                    declared = None
            if declared in lengths:
                real = declared
            out.append(RawStream(obj.num, declared, real, sm.group(1) in (b"\r\n", b"\n"), eol > 0))
        self._release_raw()
        return out

    @cached_property
    def raw_hex_strings(self) -> list[tuple[int, bool, bool]]:
        """Hex strings in object bodies (outside stream data): object number, even digit count, only hex digits."""
        out = []
        objs = self.raw_objects
        mark = [RELEASE_EVERY]
        for idx, obj in enumerate(objs):
            self._release_scanned(obj.offset, mark)
            end = min(objs[idx + 1].offset if idx + 1 < len(objs) else self.size, obj.offset + 65536)
            # the body ends where its stream data starts: searched in the mapping, so the data is not read
            cut = _BODY_END.search(self.raw, obj.offset, end)  # type: ignore[call-overload]
            body = bytes(self.raw[obj.offset:cut.start() if cut else end])
            body = re.sub(rb"\((?:\\.|[^\\)])*\)", b"()", body, flags=re.S)  # literal strings hide their '<'
            for m in re.finditer(rb"(?<!<)<(?!<)([^<>]*)>", body):
                digits = re.sub(rb"[ \t\r\n\f\x00]", b"", m.group(1))
                out.append((obj.num, len(digits) % 2 == 0, bool(re.fullmatch(rb"[0-9A-Fa-f]*", digits))))
        self._release_raw()
        return out

    # -- the cos walk ------------------------------------------------------------------------

    def _objects(self) -> Iterator[tuple[tuple[int, int], Any]]:
        """(object id, object) for every indirect object: on the one handle, or in chunks for a large file."""
        if self.page_ids is None:
            for obj in self.pdf.objects:
                yield getattr(obj, "objgen", (0, 0)), obj
        else:
            yield from chunks.objects_in_chunks(self.path, chunks.object_ids(self.pdf))

    @cached_property
    def cos(self) -> CosFacts:
        facts = CosFacts()
        summary = ObjectFacts() if "object_facts" not in self.__dict__ else None
        for gen, obj in self._objects():
            facts.objects += 1
            if summary is not None:
                _record_object(obj, gen, summary)
            _walk_cos(obj, f"obj {gen[0]} {gen[1]}", facts, 0, self.page_ids is not None)
        if summary is not None:
            summary.objects = facts.objects
            self.__dict__["object_facts"] = summary
        _walk_cos(self.trailer, "trailer", facts, 0)
        return facts

    @cached_property
    def object_facts(self) -> ObjectFacts:
        summary = ObjectFacts()
        for gen, obj in self._objects():
            summary.objects += 1
            _record_object(obj, gen, summary)
        return summary

    def objects_at(self, ids: list[tuple[int, int]]) -> Iterator[Any]:
        """The indirect objects of ``ids`` (object ids the cos walk recorded), read again from the document."""
        for objgen in ids:
            yield self.pdf.get_object(objgen)

    def iter_pages(self) -> Iterator[tuple[int, pikepdf.Page]]:
        """(page number, page) for every page. For a large file the pages come a chunk at a time from fresh
        handles: a page, and anything read from it, is valid only until the loop moves on to the next chunk,
        so a caller keeps object ids and facts, never the objects."""
        if self.shared_pages is not None:
            yield from self.shared_pages.pages()
            return
        if self.page_ids is not None:
            yield from chunks.pages_in_chunks(self.path, self.page_ids)
            return
        for i, page in enumerate(self.pdf.pages):
            yield i + 1, page

    @property
    def page_count(self) -> int:
        return len(self.page_ids) if self.page_ids is not None else len(self.pdf.pages)

    def page_at(self, number: int) -> pikepdf.Dictionary | None:
        """Page ``number`` (1-based) on the document's own handle, or None beyond the last page."""
        if not 0 < number <= self.page_count:
            return None
        if self.page_ids is not None:
            return cast(pikepdf.Dictionary, self.pdf.get_object(self.page_ids[number - 1]))
        return cast(pikepdf.Dictionary, self.pdf.pages[number - 1].obj)

    def page_by_id(self, objgen: Any) -> pikepdf.Dictionary | None:
        """The page whose object id is ``objgen``, on the document's own handle (None: not a page)."""
        if self.page_ids is not None:
            if "_page_id_set" not in self.__dict__:
                self.__dict__["_page_id_set"] = frozenset(self.page_ids)
            found = objgen in self.__dict__["_page_id_set"]
            return cast(pikepdf.Dictionary, self.pdf.get_object(objgen)) if found else None
        return {p.obj.objgen: p.obj for p in self.pdf.pages}.get(objgen)

    # -- output intents ----------------------------------------------------------------------

    def output_intents(self) -> list[pikepdf.Dictionary]:
        ois = self.catalog.get("/OutputIntents")
        if not isinstance(ois, pikepdf.Array):
            return []
        return [oi for oi in ois if isinstance(oi, pikepdf.Dictionary)]

    @cached_property
    def output_cs(self) -> str | None:
        """The colour space (``RGB ``, ``CMYK``, ``GRAY``) of the PDF/A output intent's ICC profile."""
        for oi in self.output_intents():
            if oi.get("/S") not in (pikepdf.Name("/GTS_PDFA1"),):
                continue
            prof = oi.get("/DestOutputProfile")
            if isinstance(prof, pikepdf.Stream):
                try:
                    head = prof.read_bytes()[:20]
                except Exception:
                    return None
                return head[16:20].decode("latin-1") if len(head) >= 20 else None
        return None


INHERITABLE = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")


def inherited(page: pikepdf.Dictionary, key: str) -> Any:
    """A page attribute, looked up through the page tree when the page does not hold it itself."""
    node: Any = page
    for _ in range(64):
        if not isinstance(node, pikepdf.Dictionary):
            return None
        if key in node:
            return node.get(key)
        if key not in INHERITABLE:
            return None
        node = node.get("/Parent")
    return None


def _xref_table_facts(body: bytes) -> dict[str, Any]:
    """Syntax facts of a classic xref table: single-space subsection headers, EOL after ``xref``."""
    lines = re.split(rb"(\r\n|\r|\n)", body)
    # "xref", one end-of-line marker, then the first subsection header (no blank line between)
    head_eol_ok = len(lines) > 2 and lines[0] == b"xref" and lines[2].strip() != b""
    subsection_ok = True
    for line in lines[2::2]:
        if not line or re.fullmatch(rb"\d{10} \d{5} [nf] ?", line):
            continue
        if re.fullmatch(rb"\d+\s+\d+\s*", line) and not re.fullmatch(rb"\d+ \d+", line):
            subsection_ok = False
    offsets = {int(m.group(1)) for m in re.finditer(rb"(\d{10}) \d{5} n", body)}
    return {"eol_ok": head_eol_ok, "subsection_ok": subsection_ok, "offsets": offsets}


def _record_object(obj: Any, objgen: tuple[int, int], facts: ObjectFacts) -> None:
    """What ``ObjectFacts`` keeps of one indirect object."""
    stream = isinstance(obj, pikepdf.Stream)
    if stream:
        filt = obj.stream_dict.get("/Filter")
        names = [filt] if isinstance(filt, pikepdf.Name) else list(filt) if isinstance(filt, pikepdf.Array) else []
        facts.stream_filters.extend((objgen[0], str(n)) for n in names)
    elif not isinstance(obj, pikepdf.Dictionary):
        return
    keys = obj.keys()  # one call, then set lookups: most objects have none of these keys
    if not stream:  # the rules judge file specifications and media clips that are dictionaries
        if "/EF" in keys:
            facts.with_ef.append(objgen)
        if "/Type" in keys and obj.get("/Type") == pikepdf.Name("/Filespec"):
            facts.filespecs.append(objgen)
        if "/S" in keys and obj.get("/S") == pikepdf.Name("/MCD"):
            facts.media_clips.append(objgen)
    af = obj.get("/AF") if "/AF" in keys else None
    if isinstance(af, pikepdf.Array):
        facts.af_targets |= {x.objgen for x in af if isinstance(x, pikepdf.Dictionary) and x.is_indirect}


def _indirect(v: Any) -> bool:
    return isinstance(v, pikepdf.Object) and bool(getattr(v, "is_indirect", False))


def _walk_cos(obj: Any, where: str, facts: CosFacts, depth: int, lazy: bool = False) -> None:
    """The implementation limits of ``obj`` and its direct members. ``lazy`` (a large file, read in chunks)
    reads members without resolving references, so a chunk does not load what its objects point to."""
    if depth > 64:
        return
    if isinstance(obj, pikepdf.Stream):
        facts.streams += 1
        d = obj.stream_dict
        if "/F" in d or "/FFilter" in d or "/FDecodeParms" in d:
            facts.external_streams.append(where)
        filt = d.get("/Filter")
        names = [filt] if isinstance(filt, pikepdf.Name) else list(filt) if isinstance(filt, pikepdf.Array) else []
        if any(str(n) in ("/LZWDecode", "/LZW") for n in names):
            facts.lzw.append(where)
        _walk_cos(d, where, facts, depth + 1, lazy)
        return
    if isinstance(obj, pikepdf.Dictionary):
        n = len(obj.keys())
        if n > 4095:
            facts.big_dicts.append((where, n))
        for k in obj:
            if len(k) - 1 > 127:
                facts.long_names.append((where, len(k) - 1))
            if lazy and _indirect(obj.get_raw(str(k))):  # get_raw: a reference is not resolved
                continue
            v = obj.get(str(k))
            if v is not None and not _indirect(v):
                _walk_cos(v, where, facts, depth + 1, lazy)
        return
    if isinstance(obj, pikepdf.Array):
        n = len(obj)
        if n > 8191:
            facts.big_arrays.append((where, n))
        if lazy:  # only the direct items are read: reading a referenced one would resolve it
            refs = chunks.reference_positions(obj)
            for i in range(n):
                if i not in refs:
                    _walk_cos(obj[i], where, facts, depth + 1, lazy)
            return
        for v in obj:
            if not _indirect(v):
                _walk_cos(v, where, facts, depth + 1)
        return
    if isinstance(obj, pikepdf.Name):
        if len(str(obj)) - 1 > 127:
            facts.long_names.append((where, len(str(obj)) - 1))
        return
    if isinstance(obj, pikepdf.String):
        raw = bytes(obj)
        if len(raw) > 32767:
            facts.long_strings.append((where, len(raw)))
        return
    if isinstance(obj, bool):
        return
    if isinstance(obj, int):
        if obj > 2147483647 or obj < -2147483648:
            facts.big_ints.append((where, obj))
        return
    if isinstance(obj, float) or type(obj).__name__ == "Decimal":
        val = float(obj)
        if val > 32767.0 or val < -32767.0 or (obj and -1.175e-38 < val < 1.175e-38):
            facts.big_reals.append((where, val))
