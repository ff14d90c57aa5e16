"""Object spacing (ISO 19005-1 6.1.8, -2 6.1.9, -4 6.1.8): the object number is preceded by an EOL marker,
also when the cross-reference entry points at white-space written before it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from printgate.core.validation import validate_file
from tests.core.validation.pdfs import make_pdfa
from tests.core.validation.test_rules import failed


def _insert_before_object(path: Path, num: int, filler: bytes, *, xref_at_filler: bool) -> None:
    """Write ``filler`` just before object ``num``'s number and rewrite the cross-reference table: the
    entry for ``num`` points at the filler (``xref_at_filler``) or at the object number."""
    data = path.read_bytes()
    m = re.search(rb"\n(%d 0 obj)" % num, data)
    assert m is not None
    at = m.start(1)
    data = data[:at] + filler + data[at:]
    shift = len(filler)

    def entry(e: re.Match[bytes]) -> bytes:
        off = int(e.group(1))
        if off > at or (off == at and not xref_at_filler):
            off += shift
        return b"%010d %s n" % (off, e.group(2))

    xref = data.rindex(b"\nxref") + 1
    table_end = data.index(b"trailer", xref)
    table = re.sub(rb"(\d{10}) (\d{5}) n", entry, data[xref:table_end])
    tail = re.sub(rb"startxref\s+\d+", b"startxref\n%d" % xref, data[table_end:])
    path.write_bytes(data[:xref] + table + tail)


@pytest.mark.parametrize(("flavour", "part", "clause"), [
    ("pdfa-1b", 1, "6.1.8-1"), ("pdfa-2b", 2, "6.1.9-1"), ("pdfa-4", 2, "6.1.8-1")])
def test_an_object_number_after_spaces_fails_wherever_the_xref_points(
        tmp_path: Path, flavour: str, part: int, clause: str) -> None:
    for xref_at_filler in (True, False):
        path = make_pdfa(tmp_path / f"spaces-{xref_at_filler}.pdf", part=part)
        _insert_before_object(path, 3, b"    ", xref_at_filler=xref_at_filler)
        assert clause in failed(validate_file(path, [flavour])), xref_at_filler


@pytest.mark.parametrize(("flavour", "part", "clause"), [
    ("pdfa-1b", 1, "6.1.8-1"), ("pdfa-2b", 2, "6.1.9-1"), ("pdfa-4", 2, "6.1.8-1")])
def test_blank_lines_before_an_object_number_pass(tmp_path: Path, flavour: str, part: int, clause: str) -> None:
    """EOL markers before the number are what the clause asks; the entry pointing at them is not a fault."""
    for xref_at_filler in (True, False):
        path = make_pdfa(tmp_path / f"blank-{xref_at_filler}.pdf", part=part)
        _insert_before_object(path, 3, b"\n\n", xref_at_filler=xref_at_filler)
        assert clause not in failed(validate_file(path, [flavour])), xref_at_filler
