"""Validation memory grows with the objects a file holds, and by no more: a guard on the growth of the peak
from 30 to 300 pages, each page with resources of its own and 800 glyphs shown in hexadecimal strings
(``memory_pdfs.many_page_pdf``), as LuaTeX and office exporters write text.

Each validation runs in a fresh interpreter that reports its own high-water mark (``VmHWM``): a child's
``ru_maxrss`` can inherit the parent's (pytest's) peak. A page of its own font, image, form, ExtGState
and link cost about 35 kB while the content facts kept those on the document's handle (libqpdf keeps every
object it has resolved until the file is closed): 300 pages peaked at 1.33x of 30; kept off it (``kept``),
about 20 kB and 1.15x. When the content walk kept one entry
per hex string shown, a page cost 93 kB and 300 pages peaked at 1.67x; the bounds fail that, and any
other state kept per page or per occurrence (a parsed content stream kept per page, ...).
"""

from __future__ import annotations

import mmap
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name

from printgate.core.validation import validate_file
from printgate.core.validation.content import CodeSet, FontUse, Runs
from printgate.core.validation.engine import open_document
from printgate.core.validation.fontprog import parse_cmap
from printgate.core.validation.rules.unicode import FontText
from tests.core.validation.memory_pdfs import many_page_pdf
from tests.core.validation.pdfs import make_pdfa
from tests.core.validation.test_rules import failed

CHILD = """import sys
from printgate.core.validation import validate_file
report = validate_file(sys.argv[1], ["pdfa-2b"])
assert report["profiles"][0]["checks"]["passed"] > 0
with open("/proc/self/status") as fh:
    print(next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:")))
"""

KB_PER_OWN_PAGE = 64  # a page with resources of its own costs about 35 kB today
MAX_RATIO = 1.4


def peak_kb(path: Path) -> int:
    out = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, timeout=300,
                         check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    return int(out.stdout.strip().splitlines()[-1])


def test_peak_memory_from_30_to_300_pages_grows_by_the_pages_objects_only(tmp_path: Path) -> None:
    small = peak_kb(many_page_pdf(tmp_path / "30.pdf", 30))
    large = peak_kb(many_page_pdf(tmp_path / "300.pdf", 300))
    per_page = (large - small) / 270
    assert per_page <= KB_PER_OWN_PAGE, f"{per_page:.0f} kB per page ({small} kB at 30 pages, {large} kB at 300)"
    assert large / small <= MAX_RATIO, f"{large / small:.2f}x ({small} kB at 30 pages, {large} kB at 300)"


def test_300_pages_with_resources_of_their_own_peak_within_1_2x_of_30_pages(tmp_path: Path) -> None:
    """The issue's bound for pages that each hold a font, image, form and ExtGState of their own. The content
    facts kept them on the document's handle: a font there resolved its whole object stream (nearly every
    object of the file stayed), 1.33x. A large file's facts now keep fonts with their Widths as numbers and
    images and forms as their dictionaries (``kept``): 1.18x measured."""
    small = peak_kb(many_page_pdf(tmp_path / "30.pdf", 30))
    large = peak_kb(many_page_pdf(tmp_path / "300.pdf", 300))
    assert large / small <= 1.2, f"{large / small:.2f}x ({small} kB at 30 pages, {large} kB at 300)"


def test_a_book_of_300_pages_peaks_within_1_18x_of_30_pages(tmp_path: Path) -> None:
    """The issue's bound (1.2x), with the margin measured, for a book's shape as interface3.pdf has it: pages
    that share their fonts and images, 20 links a page, a bookmark per page, packed in object streams. On one
    handle, touching every page resolved nearly every object (1.5x); a large file's page and object passes now
    read chunks from fresh handles (``chunks``), and the outline is read after the last chunk is closed
    (``shared_pass``): 1.15x measured."""
    small = peak_kb(many_page_pdf(tmp_path / "30.pdf", 30, shared=True, outline=True))
    large = peak_kb(many_page_pdf(tmp_path / "300.pdf", 300, shared=True, outline=True))
    assert large / small <= 1.18, f"{large / small:.2f}x ({small} kB at 30 pages, {large} kB at 300)"


def test_the_shared_pages_share_their_resources(tmp_path: Path) -> None:
    """The guard above measures what it says: one resource dictionary for all pages, 20 links on each."""
    with pikepdf.open(many_page_pdf(tmp_path / "5.pdf", 5, shared=True)) as pdf:
        assert len({page.obj.Resources.objgen for page in pdf.pages}) == 1
        assert [len(page.obj.Annots) for page in pdf.pages] == [1, 20, 20, 20, 20]


def test_the_generated_pages_each_hold_resources_of_their_own(tmp_path: Path) -> None:
    """The guard above measures what it says: every page has its own font, image, form and ExtGState."""
    with pikepdf.open(many_page_pdf(tmp_path / "3.pdf", 3)) as pdf:
        seen: dict[str, set[tuple[int, int]]] = {"/Font": set(), "/XObject": set(), "/ExtGState": set()}
        for page in pdf.pages:
            res = page.obj.Resources
            for category in seen:
                seen[category] |= {v.objgen for v in res[category].values()}
            assert len(page.obj.Annots) == 1
        assert {k: len(v) for k, v in seen.items()} == {"/Font": 3, "/XObject": 6, "/ExtGState": 3}


def test_runs_iterate_every_item_in_order_and_keep_one_entry_per_run() -> None:
    """Facts recorded per occurrence (hex strings, intents, marked-content Lang) are read back exactly as the
    list they replace: every item, in order, however equal items are interleaved."""
    items = [("page 1", True, True)] * 500 + [("page 1", False, True)] + [("page 1", True, True)] * 3 + \
        [("page 2", True, True)] * 2
    runs: Runs[tuple[str, bool, bool]] = Runs()
    for item in items:
        runs.append(item)
    assert list(runs) == items
    assert len(runs) == 506
    assert list(runs) == items  # a second pass reads the same
    assert repr(runs) == "Runs(506 items in 4 runs)"
    assert list(Runs()) == [] and len(Runs()) == 0


SHOWN = [b"Line %d of page %d" % (n, p) for n in range(40) for p in range(300)] + [b"", b"A", b"\x00\x41\x00"]


def _codes_read(font: pikepdf.Dictionary, shown: set[bytes]) -> set[int] | None:
    """The codes every check reads from a font's shown strings (``FontText.codes``, as the Unicode rules do)."""
    text = FontText(font, {})
    out: set[int] = set()
    for s in shown:
        split = text.codes(s)
        if split is None:
            return None
        out.update(split)
    return out


def test_a_font_keeps_the_codes_it_shows_not_every_distinct_string() -> None:
    """12,000 distinct strings shown with one simple font are at most 256 codes; a Type 0 font with Identity-H
    keeps two-byte codes (an odd last byte alone, as the checks read it); one with an embedded CMap keeps the
    strings whole (its code lengths vary). Each way, the checks read exactly the codes of the whole strings."""
    pdf = pikepdf.new()
    simple = pdf.make_indirect(Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica))
    identity = pdf.make_indirect(Dictionary(Type=Name.Font, Subtype=Name.Type0, BaseFont=Name.X,
                                            Encoding=Name("/Identity-H")))
    cmap = pdf.make_stream(b"1 begincodespacerange <00> <7f> endcodespacerange "
                           b"1 begincodespacerange <8000> <ffff> endcodespacerange")
    embedded = pdf.make_indirect(Dictionary(Type=Name.Font, Subtype=Name.Type0, BaseFont=Name.Y, Encoding=cmap))
    for font, bound in ((simple, 256), (identity, 65536)):
        use = FontUse(font, "page 1")
        for s in SHOWN:
            use.codes.add(s)
        assert isinstance(use.codes, CodeSet) and len(use.codes) <= min(bound, 300)
        assert _codes_read(font, use.codes) == _codes_read(font, set(SHOWN))
    pairs = FontUse(identity, "page 1").codes
    pairs.add(b"\x00\x41\x00")
    assert set(pairs) == {b"\x00\x41", b"\x00"}
    kept = FontUse(embedded, "page 1")
    for s in (b"\x41\x80\x01", b"\x80\x01\x41"):
        kept.codes.add(s)
    assert set(kept.codes) == {b"\x41\x80\x01", b"\x80\x01\x41"}  # split at 2 bytes, these would read wrong
    assert parse_cmap(cmap.read_bytes()).spaces == [(1, 0, 0x7F), (2, 0x8000, 0xFFFF)]


def _objects_judged_one_by_one(pdf: pikepdf.Pdf) -> None:
    """An LZW stream, an embedded file's specification without UF and associated with nothing, and a media
    clip no annotation reaches: what the rules judging single objects must find in the one object pass."""
    lzw = pdf.make_stream(b"\x80\x0b\x60\x50\x22\x0c\x0c\x85\x01")
    lzw.Filter = Name.LZWDecode
    pdf.Root.PrivateData = lzw
    embedded = pdf.make_stream(b"not a PDF")
    embedded.Type = Name.EmbeddedFile
    spec = pdf.make_indirect(Dictionary(Type=Name.Filespec, F=pikepdf.String("a.txt"), EF=Dictionary(F=embedded)))
    pdf.Root.Names = Dictionary(EmbeddedFiles=Dictionary(Names=Array([pikepdf.String("a.txt"), spec])))
    pdf.Root.Clip = pdf.make_indirect(Dictionary(Type=Name.MediaClip, S=Name.MCD, D=spec))


def test_the_object_rules_read_the_one_object_pass(tmp_path: Path) -> None:
    """One pass over the objects records each stream's filters and the ids of the dictionaries the object rules
    judge (by itself, or within the cos walk when that runs first: the same facts); the rules read those, not
    a pass each, and fail where the file breaks them."""
    path = make_pdfa(tmp_path / "objects.pdf", part=2, mutate=_objects_judged_one_by_one)
    docs = [open_document(path), open_document(path)]
    try:
        assert docs[1].cos.objects > 0 and "object_facts" in docs[1].__dict__  # made by the cos walk
        facts = docs[0].object_facts
        assert facts == docs[1].object_facts
        lzw = [num for num, name in facts.stream_filters if name == "/LZWDecode"]
        assert len(lzw) == 1 and len(facts.with_ef) == 1 and facts.filespecs == facts.with_ef
        assert len(facts.media_clips) == 1 and facts.af_targets == set()
        assert facts.objects == len(docs[0].pdf.objects)
        spec = facts.with_ef[0][0]
    finally:
        for doc in docs:
            doc.close()
            doc.pdf.close()
    report = validate_file(path, ["pdfa-2b", "pdfa-1b", "pdfa-3b"])
    pdfa2 = {f["ruleId"]: f for f in report["profiles"][0]["failures"]}
    assert pdfa2["pdfa2:6.1.7.2-1"]["location"] == f"obj {lzw[0]} filter /LZWDecode"
    assert pdfa2["pdfa2:6.8-2"]["location"] == pdfa2["pdfa2:6.8-5"]["location"] == f"obj {spec}"
    assert {"6.1.11-1", "6.1.11-2"} <= failed(report, 1)
    assert "6.8-4" in failed(report, 2)  # associated with nothing


def test_an_embedded_file_associated_through_af_passes_the_association_rule(tmp_path: Path) -> None:
    def associated(pdf: pikepdf.Pdf) -> None:
        _objects_judged_one_by_one(pdf)
        pdf.Root.AF = Array([pdf.Root.Names.EmbeddedFiles.Names[1]])

    report = validate_file(make_pdfa(tmp_path / "af.pdf", part=3, mutate=associated), ["pdfa-3b"])
    assert "6.8-4" not in failed(report) and "6.8-2" in failed(report)


def _resident_kb(path: Path) -> int:
    """The resident size of this process's mappings of ``path`` (``/proc/self/smaps``)."""
    total, inside = 0, False
    with open("/proc/self/smaps") as fh:
        for line in fh:
            head = line.split()
            if head and "-" in head[0] and len(head) >= 5:  # a mapping's header line
                inside = len(head) >= 6 and head[-1] == str(path)
            elif inside and head[:1] == ["Rss:"]:
                total += int(head[1])
    return total


def test_the_whole_file_scans_leave_the_file_out_of_resident_memory(tmp_path: Path) -> None:
    """The byte scans (objects, streams, hex strings, endobj spacing) read the whole mapped file; its pages
    kept resident added its size to a large file's peak (interface3.pdf: 1.8 MB of 46.6)."""
    path = many_page_pdf(tmp_path / "300.pdf", 300).resolve()
    doc = open_document(path)
    try:
        size_kb = path.stat().st_size // 1024
        assert size_kb > 200
        bytes(doc.raw)  # a read of every byte makes the mapping resident: what the check below can see
        assert _resident_kb(path) >= size_kb // 2
        assert doc.raw_objects and doc.raw_streams
        assert isinstance(doc.raw_hex_strings, list)
        assert _resident_kb(path) <= 64
        bytes(doc.raw)
        assert doc.endobj_spacing_ok is True  # pikepdf writes each endobj on a line of its own
        assert _resident_kb(path) <= 64
        assert doc.raw[:5] == b"%PDF-"  # still readable: the pages fault back from the page cache
    finally:
        doc.close()
        doc.pdf.close()


def test_whole_file_scans_that_drop_the_pages_they_passed_read_what_a_plain_scan_reads(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The byte scans of the mapped file drop the pages they have passed every ``RELEASE_EVERY`` bytes (a hint
    to the kernel; a later read faults them back): what they find is what a scan of the same bytes held in
    memory finds, with a release every page or so."""
    from printgate.core.validation import model

    path = many_page_pdf(tmp_path / "scan.pdf", 100, object_streams=False)
    monkeypatch.setattr(model, "RELEASE_EVERY", 4096)
    mapped = open_document(path)
    plain = open_document(path)
    try:
        assert mapped.size > 40 * 4096 and isinstance(mapped.raw, mmap.mmap)
        plain.raw = path.read_bytes()
        for fact in ("raw_objects", "raw_streams", "raw_hex_strings", "endobj_spacing_ok"):
            assert getattr(mapped, fact) == getattr(plain, fact), fact
        assert len(mapped.raw_objects) > 500 and len(mapped.raw_streams) >= 200
    finally:
        for doc in (mapped, plain):
            doc.close()
            doc.pdf.close()
