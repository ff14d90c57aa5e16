"""Embedded Type 1 font programs (FontFile): the parser, and the glyph, width, CharSet and .notdef rules
on files that embed one."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from pikepdf import Array, Dictionary, Name

from printgate.core.validation import validate_file
from printgate.core.validation.type1 import EEXEC_KEY, Type1Error, decrypt, encrypt, parse_type1
from tests.core.validation.pdfs import make_pdfa
from tests.core.validation.test_rules import failed
from tests.core.validation.type1_pdfs import embed_type1, number, type1_program

GLYPHS = {"space": 250, "A": 600}


def _pfb(program: bytes) -> bytes:
    """The same program in PFB segments (ASCII part, binary part)."""
    at = program.find(b"eexec") + 6
    clear, binary = program[:at], program[at:program.index(b"\n" + b"0" * 64)]

    def segment(kind: int, data: bytes) -> bytes:
        return b"\x80" + bytes([kind]) + len(data).to_bytes(4, "little") + data
    return segment(1, clear) + segment(2, binary) + b"\x80\x03"


@pytest.mark.parametrize("program", [
    type1_program(GLYPHS),
    type1_program(GLYPHS, hex_eexec=True),  # eexec section in hexadecimal
    type1_program(GLYPHS, len_iv=-1),  # charstrings not encrypted
    type1_program(GLYPHS, len_iv=0),
    _pfb(type1_program(GLYPHS)),
], ids=["binary", "hex", "lenIV -1", "lenIV 0", "pfb"])
def test_glyph_names_and_widths_are_read(program: bytes) -> None:
    prog = parse_type1(program)
    assert prog.glyph_names == {".notdef", "space", "A"}
    assert (prog.width("A"), prog.width("space"), prog.width(".notdef")) == (600, 250, 500)
    assert prog.width("B") is None
    assert prog.encoding is None  # StandardEncoding


def test_width_set_by_a_subroutine_and_builtin_encoding() -> None:
    prog = parse_type1(type1_program({"A": 0}, subr_width=722, encoding={65: "A", 97: "A"}))
    assert prog.width("A") == 722
    assert prog.encoding is not None and (prog.encoding[65], prog.encoding[97], prog.encoding[66]) == ("A", "A", None)


def test_encryption_round_trips() -> None:
    plain = bytes(range(256)) * 3
    assert decrypt(encrypt(plain, EEXEC_KEY), EEXEC_KEY, 4) == plain[4:]


def _with_private(private: bytes) -> bytes:
    return b"%!PS-AdobeFont-1.0: X\ncurrentfile eexec\n" + encrypt(b"\0\0\0\0" + private, EEXEC_KEY)


@pytest.mark.parametrize(("program", "why"), [
    (b"", "no eexec"),
    (b"%!PS-AdobeFont-1.0: X\n/FontName /X def\n", "no eexec"),
    (b"GIF89a currentfile eexec \x01\x02\x03\x04\x05", "no %! header"),
    (b"%!PS-AdobeFont-1.0: X\ncurrentfile eexec\n\x01\x02", "eexec section is empty"),
    (b"%!PS-AdobeFont-1.0: X\ncurrentfile eexec\n" + bytes(range(256)) * 8, "no CharStrings"),
    (_with_private(b"/lenIV 4 def 2 index /CharStrings 1 dict dup begin\n/A 60000 RD \x01\x02 ND\nend"), "past the end"),
    (_with_private(b"/lenIV 4 def 2 index /CharStrings 1 dict dup begin\nend"), "empty"),
    (_with_private(b"/lenIV 900 def 2 index /CharStrings 1 dict dup begin\n/A 1 RD \x01 ND\nend"), "lenIV"),
    (b"%!PS-AdobeFont-1.0: X\n/FontMatrix [0 0 0 0 0 0] def currentfile eexec\n"
     + encrypt(b"\0\0\0\0/CharStrings 1 dict dup begin\n/A 1 RD \x01 ND\nend", EEXEC_KEY), "FontMatrix"),
    (b"\x80\x01\x05\x00\x00\x00%!PS-", "PFB"),
    (b"%!PS-AdobeFont-1.0: X\ncurrentfile eexec\n" + b"\x01" * (9 * 1024 * 1024), "larger than 8 MB"),
])
def test_unreadable_programs_raise_a_clear_error(program: bytes, why: str) -> None:
    with pytest.raises(Type1Error, match=why):
        parse_type1(program)


def test_hostile_charstrings_give_no_width_and_never_loop() -> None:
    # subroutine 0 calls itself: the depth bound stops it; a charstring that draws before hsbw has no width
    looping = number(0) + b"\x0a"
    prog = parse_type1(type1_program({"A": 600}))
    prog.subrs = [looping]
    prog.len_iv = -1
    prog.charstrings = {"A": looping, "B": number(5) + number(5) + b"\x15", "C": b"\xff\x00"}
    assert (prog.width("A"), prog.width("B"), prog.width("C")) == (None, None, None)


def test_damaged_programs_parse_or_fail_cleanly() -> None:
    """Bytes flipped anywhere in a program: a Type1Error or a program whose widths are numbers or None."""
    rng = random.Random(12)
    good = type1_program(GLYPHS)
    outcomes = set()
    for _ in range(300):
        data = bytearray(good)
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        try:
            prog = parse_type1(bytes(data))
        except Type1Error:
            outcomes.add("error")
            continue
        widths = [prog.width(n) for n in prog.glyph_names]
        assert all(w is None or isinstance(w, float) for w in widths)
        outcomes.add("parsed")
    assert outcomes == {"error", "parsed"}


def _check(tmp_path: Path, flavour: str, text: bytes = b"(A A)", **kwargs: object) -> set[str]:
    part = int(flavour[5])
    path = make_pdfa(tmp_path / "t1.pdf", part=part, conformance="U" if flavour.endswith("u") else "B",
                     content=b"BT /F1 12 Tf 20 20 Td " + text + b" Tj ET", mutate=embed_type1(**kwargs))  # type: ignore[arg-type]
    return failed(validate_file(path, [flavour]))


@pytest.mark.parametrize("flavour", ["pdfa-1b", "pdfa-2b", "pdfa-2u", "pdfa-3b"])
def test_a_conforming_type1_font_passes(tmp_path: Path, flavour: str) -> None:
    assert _check(tmp_path, flavour) == set()


@pytest.mark.parametrize(("flavour", "kwargs", "expected"), [
    ("pdfa-1b", {"widths": (250, 700)}, {"6.3.6-1"}),  # Widths says 700 for A, hsbw 600
    ("pdfa-2b", {"widths": (250, 700)}, {"6.2.11.5-1"}),
    ("pdfa-2b", {"text": b"(AB)"}, {"6.2.11.4.1-2"}),  # B is not in the program
    ("pdfa-1b", {"charset": None}, {"6.3.5-2"}),  # PDF/A-1: a subset Type 1 font has a CharSet
    ("pdfa-2b", {"charset": None}, set()),  # PDF/A-2: optional
    ("pdfa-1b", {"charset": "/A"}, {"6.3.5-2"}),  # space is shown and not listed
    ("pdfa-2b", {"charset": "/A"}, {"6.2.11.4.2-1"}),
    ("pdfa-2b", {"charset": "/A/B/space"}, {"6.2.11.4.2-1"}),  # B is listed and not in the program
    ("pdfa-1b", {"charset": "/A/B/space"}, set()),
    ("pdfa-2b", {"charset": "/A", "text": b"(AA)", "program": type1_program({"A": 600})}, set()),
])
def test_type1_rules(tmp_path: Path, flavour: str, kwargs: dict[str, object], expected: set[str]) -> None:
    assert _check(tmp_path, flavour, **kwargs) == expected  # type: ignore[arg-type]


def test_notdef_shown_through_a_type1_font_fails(tmp_path: Path) -> None:
    diffs = Dictionary(Type=Name.Encoding, BaseEncoding=Name.WinAnsiEncoding, Differences=Array([66, Name("/.notdef")]))
    assert "6.2.11.8-1" in _check(tmp_path, "pdfa-2b", b"(AB)", encoding=diffs)


def test_builtin_encoding_of_the_program_is_used(tmp_path: Path) -> None:
    # no Encoding in the font dictionary: code 66 is A in the program's own encoding, code 65 nothing
    program = type1_program(GLYPHS, encoding={32: "space", 66: "A"})
    assert _check(tmp_path, "pdfa-2b", b"(B B)", program=program, encoding=None, widths=(250, 0), symbolic=True) \
        == {"6.2.11.5-1"}  # Widths[66] is 0, the program's A is 600: the glyph was found and measured
    assert _check(tmp_path, "pdfa-2b", b"(A)", program=program, encoding=None, symbolic=True) == {"6.2.11.4.1-2"}


@pytest.mark.parametrize("flavour", ["pdfa-1b", "pdfa-2b", "pdfa-4"])
def test_an_unreadable_program_is_a_finding_not_a_pass(tmp_path: Path, flavour: str) -> None:
    junk = b"%!PS-AdobeFont-1.0: X\ncurrentfile eexec\n" + bytes(range(256)) * 4
    path = make_pdfa(tmp_path / "junk.pdf", part=int(flavour[5]), content=b"BT /F1 12 Tf 20 20 Td (A) Tj ET",
                     mutate=embed_type1(junk))
    report = validate_file(path, [flavour])
    assert report["compliant"] is False
    where = [f["location"] for f in report["profiles"][0]["failures"]]
    assert any("could not read the font program" in w for w in where), where
