"""Implementation limits (ISO 19005-1 6.1.12, -2 6.1.13) inside content streams: the operands of a content
stream are objects of the file too, so a string, name, array, inline dictionary or number there breaks the
limit as it would in the body. Each case fails one byte/element past the limit and passes at the limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from printgate.core.validation import validate_file
from tests.core.validation.pdfs import make_pdfa
from tests.core.validation.test_rules import failed


def _verdicts(tmp_path: Path, flavour: str, part: int, bad: bytes, good: bytes) -> tuple[set[str], set[str]]:
    bad_report = validate_file(make_pdfa(tmp_path / "bad.pdf", part=part, content=bad), [flavour])
    good_report = validate_file(make_pdfa(tmp_path / "good.pdf", part=part, content=good), [flavour])
    return failed(bad_report), failed(good_report)


def _literal(n: int) -> bytes:
    return b"(" + b"x" * n + b")"


@pytest.mark.parametrize(("flavour", "part", "clause", "bad", "good"), [
    # a string shown by Tj: PDF/A-1 allows 65,535 bytes, PDF/A-2 32,767
    ("pdfa-1b", 1, "6.1.12-3", b"BT " + _literal(65536) + b" Tj ET", b"BT " + _literal(65535) + b" Tj ET"),
    ("pdfa-2b", 2, "6.1.13-3", b"BT " + _literal(32768) + b" Tj ET", b"BT " + _literal(32767) + b" Tj ET"),
    # a hexadecimal string inside a TJ array (its decoded bytes count)
    ("pdfa-1b", 1, "6.1.12-3", b"BT [<" + b"41" * 65536 + b"> -20] TJ ET",
     b"BT [<" + b"41" * 65535 + b"> -20] TJ ET"),
    # a string inside an inline marked-content property list
    ("pdfa-2b", 2, "6.1.13-3", b"/Span <</ActualText " + _literal(32768) + b">> BDC EMC",
     b"/Span <</ActualText " + _literal(32767) + b">> BDC EMC"),
    # a name operand
    ("pdfa-1b", 1, "6.1.12-4", b"/" + b"N" * 128 + b" gs", b"/" + b"N" * 127 + b" gs"),
    ("pdfa-2b", 2, "6.1.13-4", b"/" + b"N" * 128 + b" BMC EMC", b"/" + b"N" * 127 + b" BMC EMC"),
    # a TJ array of more than 8191 elements (PDF/A-1 only)
    ("pdfa-1b", 1, "6.1.12-5", b"BT [" + b"() " * 8192 + b"] TJ ET", b"BT [" + b"() " * 8191 + b"] TJ ET"),
    # an inline dictionary of more than 4095 entries (PDF/A-1 only)
    ("pdfa-1b", 1, "6.1.12-6", b"/P <<" + b"".join(b"/K%d 1" % i for i in range(4096)) + b">> BDC EMC",
     b"/P <<" + b"".join(b"/K%d 1" % i for i in range(4095)) + b">> BDC EMC"),
    # numbers nested in a TJ array
    ("pdfa-1b", 1, "6.1.12-1", b"BT [(a) 2147483648 (b)] TJ ET", b"BT [(a) 2147483647 (b)] TJ ET"),
    ("pdfa-1b", 1, "6.1.12-2", b"BT [(a) -32767.5 (b)] TJ ET", b"BT [(a) -32767.0 (b)] TJ ET"),
    # PDF/A-2: a nonzero real closer to zero than 1.175e-38, as an operand and inside an array
    ("pdfa-2b", 2, "6.1.13-5", b"0." + b"0" * 40 + b"1 w", b"0.0 w 0." + b"0" * 36 + b"2 w"),
    ("pdfa-2b", 2, "6.1.13-5", b"[0." + b"0" * 40 + b"1] 0 d", b"[0.0 3] 0 d"),
])
def test_content_stream_operands_obey_the_implementation_limits(
        tmp_path: Path, flavour: str, part: int, clause: str, bad: bytes, good: bytes) -> None:
    bad_failed, good_failed = _verdicts(tmp_path, flavour, part, bad, good)
    assert clause in bad_failed
    assert clause not in good_failed


def test_a_tiny_real_in_the_body_breaks_pdfa2_but_not_pdfa1(tmp_path: Path) -> None:
    """6.1.13-5 is PDF/A-2's; PDF/A-1 bounds reals only by magnitude (6.1.12-2). pikepdf writes such a real
    as 0, so the file is written with a placeholder name of the same length, then patched in place."""
    import pikepdf

    tiny = b"0." + b"0" * 40 + b"1"
    placeholder = b"/" + b"Q" * (len(tiny) - 1)

    def mark(pdf: pikepdf.Pdf) -> None:
        pdf.pages[0].obj.UserUnit = pikepdf.Name(placeholder.decode())

    verdicts = []
    for part, flavour in ((2, "pdfa-2b"), (1, "pdfa-1b")):
        path = make_pdfa(tmp_path / f"a{part}.pdf", part=part, mutate=mark)
        data = path.read_bytes()
        assert data.count(placeholder) == 1
        path.write_bytes(data.replace(placeholder, tiny))
        verdicts.append(failed(validate_file(path, [flavour])))
    assert "6.1.13-5" in verdicts[0]
    assert "6.1.12-2" not in verdicts[1]
    assert "6.1.13-5" not in failed(validate_file(make_pdfa(tmp_path / "ok.pdf", part=2), ["pdfa-2b"]))
