"""A file preflight had to repair says so, and says what was wrong (issue 14): the verdict is on the
reconstruction, so a shop must know it was not the upload as sent. A repair that kept everything is a
``structure_repaired`` warning naming the damage (the file ends early, N bytes missing; the
cross-reference table rebuilt, N of M offsets wrong); a repair that lost content is rejected as before,
the damage listed with it. Every file here is made and cut by the test."""

from __future__ import annotations

import re
from pathlib import Path

import pikepdf

from printgate.core.preflight.pdf.repair import describe_damage

from .test_damaged_files import DAMAGED, check, clean_pdf, flat_pdf, structure


def _in_use_entries(data: bytes) -> list[re.Match[bytes]]:
    table = data[data.rindex(b"\nxref\n"):]
    return [m for m in re.finditer(rb"(\d{10}) (\d{5}) n", table)]


def test_first_3_kb_of_a_file_is_rejected_and_says_how_many_bytes_its_last_stream_lacks(tmp_path: Path) -> None:
    whole = flat_pdf(tmp_path / "whole.pdf", pages=6)
    data = whole.read_bytes()
    cut_at = 3 * 1024
    assert len(data) > 2 * cut_at
    # The cut falls inside a stream: its declared length minus what is left of it is what is missing.
    keyword = data.rindex(b"stream", 0, cut_at)
    assert data[keyword - 3: keyword] != b"end", "the cut must fall inside a stream for this test"
    number = int(re.findall(rb"(\d+) 0 obj", data[:keyword])[-1])
    with pikepdf.open(whole) as pdf:
        length = int(pdf.get_object(number, 0).Length)
    start = keyword + len(b"stream") + (2 if data[keyword + 6: keyword + 8] == b"\r\n" else 1)
    missing = length - (cut_at - start)
    assert missing > 0
    cut = tmp_path / "first-3kb.pdf"
    cut.write_bytes(data[:cut_at])

    report = check(cut)
    hit = structure(report)["content_lost"]
    assert hit["severity"] == "reject" and hit["issue"] == DAMAGED
    expected = f"the file ends early: at least {missing} bytes are missing at the end (inside its last stream)"
    assert expected in hit["damage"], hit["damage"]
    assert "the cross-reference table was missing and was rebuilt" in hit["damage"]
    assert report["pdf"]["repair"]["damage"] == hit["damage"]
    assert report["outcome"] == "fail"


def test_a_file_cut_after_its_objects_is_repaired_with_a_warning_naming_the_damage(tmp_path: Path) -> None:
    """Only the xref table, trailer and %%EOF are gone: nothing is lost, and the warning says what was."""
    data = flat_pdf(tmp_path / "flat.pdf").read_bytes()
    cut = tmp_path / "tail-cut.pdf"
    cut.write_bytes(data[: data.rindex(b"\nxref\n") + 1])

    report = check(cut)
    hits = structure(report)
    assert set(hits) == {"structure_repaired"}
    hit = hits["structure_repaired"]
    assert hit["severity"] == "warn"
    assert hit["damage"] == ["the file ends early: its end (cross-reference table, trailer and end marker) is missing",
                             "the cross-reference table was missing and was rebuilt"]
    assert hit["issue"] == ("Your file was damaged (" + "; ".join(hit["damage"]) + ") and was repaired without "
                            "losing any content; it was checked as repaired.")
    assert report["outcome"] != "pass"
    assert report["pdf"]["page_count"] == 3


def test_wrong_xref_offsets_are_counted_in_the_warning(tmp_path: Path) -> None:
    """Two entries of the xref table point 7 bytes past their objects: qpdf rebuilds the table, the
    warning says how many offsets were wrong out of how many."""
    data = flat_pdf(tmp_path / "flat.pdf").read_bytes()
    entries = _in_use_entries(data)
    offset_of_table = data.rindex(b"\nxref\n")
    edited = bytearray(data)
    for entry in entries[1:3]:
        at = offset_of_table + entry.start(1)
        edited[at: at + 10] = b"%010d" % (int(entry.group(1)) + 7)
    assert len(edited) == len(data)  # every other offset, and startxref, stay right
    broken = tmp_path / "bad-xref.pdf"
    broken.write_bytes(bytes(edited))

    report = check(broken)
    hits = structure(report)
    assert set(hits) == {"structure_repaired"}, hits
    hit = hits["structure_repaired"]
    assert hit["severity"] == "warn" and hit["repair"]["lossless"] is True
    assert hit["damage"] == [f"the cross-reference table was rebuilt: 2 of {len(entries)} object offsets were wrong"]
    assert f"2 of {len(entries)} object offsets were wrong" in hit["issue"]
    assert hit["autofix"]["available"] is True  # qpdf's repair, which the repair_structure fix redoes
    assert report["outcome"] != "pass"


def test_a_linearized_file_missing_its_last_bytes_says_exactly_how_many(tmp_path: Path) -> None:
    """A linearized file declares its length (/L): the description counts the missing bytes exactly."""
    src = clean_pdf(tmp_path / "src.pdf", pages=4)
    whole = tmp_path / "linear.pdf"
    with pikepdf.open(src) as pdf:
        pdf.save(whole, linearize=True)
    data = whole.read_bytes()
    cut = tmp_path / "linear-cut.pdf"
    cut.write_bytes(data[: data.rindex(b"startxref")])
    missing = len(data) - cut.stat().st_size

    damage = describe_damage(cut, [])
    assert damage[0] == f"the file ends early: {missing} bytes are missing at the end"
    report = check(cut)
    assert report["pdf"]["repair"] is not None
    assert report["pdf"]["repair"]["damage"][0] == damage[0]
    assert report["outcome"] != "pass"


def test_describing_hostile_bytes_never_raises(tmp_path: Path) -> None:
    """The description is best effort: junk where the xref should be, a startxref past the end, an
    empty file."""
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"%PDF-1.7\n1 0 obj\n<< /Length 99999999999 >>\nstream\nxx")
    assert describe_damage(junk, []) == [
        "the file ends early: at least 99999999997 bytes are missing at the end (inside its last stream)",
        "the cross-reference table was missing and was rebuilt"]
    far = tmp_path / "far.pdf"
    far.write_bytes(b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\nstartxref\n123456789\n%%EOF\n")
    assert describe_damage(far, []) == [
        "the cross-reference table was missing (it pointed past the end of the file) and was rebuilt"]
    garbled = tmp_path / "garbled.pdf"
    garbled.write_bytes(b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\nxref\n0 2\nnot an entry\nstartxref\n17\n%%EOF\n")
    assert describe_damage(garbled, []) == ["the cross-reference table was not where the file said and was rebuilt"]
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    assert describe_damage(empty, []) == ["its internal structure was rebuilt"]
