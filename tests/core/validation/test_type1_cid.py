"""Type 1 programs embedded in a CIDFont (FontFile under CIDFontType0): a CID-keyed program read through
its CIDMap, a name-keyed one indexed by CID through CharStrings; the glyph-present, width, .notdef and
CIDSet rules judge them, and a program that cannot be read is a finding."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from printgate.core.validation import validate_file
from printgate.core.validation.type1 import Type1Error, is_cid_keyed, parse_cid_type1
from tests.core.validation.pdfs import make_pdfa
from tests.core.validation.test_rules import failed
from tests.core.validation.type1_pdfs import cid_type1_program, embed_cid_type1, type1_program

WIDTHS = {0: 500, 1: 600, 2: 250, 5: 300}  # CIDs 3 and 4 have no glyph


@pytest.mark.parametrize("kwargs", [{}, {"hex_data": True}, {"len_iv": -1}, {"len_iv": 0}],
                         ids=["binary", "hex", "lenIV -1", "lenIV 0"])
def test_cids_and_widths_are_read_through_the_cidmap(kwargs: dict[str, object]) -> None:
    data = cid_type1_program(WIDTHS, cid_count=8, **kwargs)  # type: ignore[arg-type]
    assert is_cid_keyed(data)
    prog = parse_cid_type1(data)
    assert prog.cids() == {0, 1, 2, 5}
    assert [prog.has(c) for c in (1, 3, 7, 8, 70000)] == [True, False, False, False, False]
    assert (prog.width(1), prog.width(2), prog.width(5), prog.width(3)) == (600, 250, 300, None)


def test_widths_through_the_subrmap_and_the_top_font_matrix() -> None:
    assert parse_cid_type1(cid_type1_program(WIDTHS, subr_width=722)).width(2) == 722
    assert parse_cid_type1(cid_type1_program(WIDTHS, top_matrix=b"[2 0 0 2 0 0]")).width(1) == 1200


@pytest.mark.parametrize(("mangle", "why"), [
    (lambda d: d.replace(b"StartData", b"StartDatum"), "no StartData"),
    (lambda d: d.replace(b"/CIDCount 6 def", b""), "no CIDCount"),
    (lambda d: d.replace(b"/CIDCount 6 def", b"/CIDCount 70000 def"), "CIDCount 70000"),
    (lambda d: d.replace(b"/GDBytes 2 def", b"/GDBytes 9 def"), "GDBytes"),
    (lambda d: d.replace(b"/CIDMapOffset 0 def", b"/CIDMapOffset 999999 def"), "CIDMap runs past"),
    (lambda d: d.replace(b"/FDArray 1 array", b"/FDArrays 1 array"), "no FDArray"),
    (lambda d: d[:d.index(b"StartData") + 20], "shorter than StartData"),
])
def test_unreadable_cid_programs_raise_a_clear_error(mangle: object, why: str) -> None:
    data = cid_type1_program(WIDTHS)
    with pytest.raises(Type1Error, match=why):
        parse_cid_type1(mangle(data))  # type: ignore[operator]


def test_damaged_cid_programs_parse_or_fail_cleanly() -> None:
    """Bytes flipped anywhere: a Type1Error at parse or glyph lookup, or widths that are numbers or None."""
    rng = random.Random(7)
    good = cid_type1_program(WIDTHS, subr_width=600)
    outcomes = set()
    for _ in range(300):
        data = bytearray(good)
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        try:
            prog = parse_cid_type1(bytes(data))
            widths = [prog.width(c) for c in range(8)]
        except Type1Error:
            outcomes.add("error")
            continue
        assert all(w is None or isinstance(w, float) for w in widths)
        outcomes.add("parsed")
    assert outcomes == {"error", "parsed"}


def _failed(tmp_path: Path, flavour: str, shown: bytes, program: bytes, **kwargs: object) -> set[str]:
    part = int(flavour[5]) if flavour.startswith("pdfa") else 1
    path = make_pdfa(tmp_path / "cid.pdf", part=part, ua=flavour.startswith("pdfua"),
                     content=b"BT /F1 12 Tf 20 20 Td <" + shown + b"> Tj ET",
                     mutate=embed_cid_type1(program, **kwargs))  # type: ignore[arg-type]
    return failed(validate_file(path, [flavour]))


GLYPH_RULES = {"pdfa-1b": ("6.3.5-1", "6.3.6-1", None), "pdfa-2b": ("6.2.11.4.1-2", "6.2.11.5-1", "6.2.11.8-1"),
               "pdfa-4": ("6.2.10.4.1-2", "6.2.10.5-1", "6.2.10.9-1")}


@pytest.mark.parametrize("flavour", list(GLYPH_RULES))
def test_cid_keyed_type1_glyph_rules(tmp_path: Path, flavour: str) -> None:
    present, width, notdef = GLYPH_RULES[flavour]
    program = cid_type1_program(WIDTHS, cid_count=8)
    ok = _failed(tmp_path, flavour, b"00010002", program, widths={1: 600, 2: 250})
    assert not {present, width, notdef} & ok
    assert present in _failed(tmp_path, flavour, b"00010003", program, widths={1: 600, 3: 250})  # CID 3: no glyph
    assert width in _failed(tmp_path, flavour, b"00010002", program, widths={1: 600, 2: 700})  # program says 250
    assert width in _failed(tmp_path, flavour, b"0005", program, dw=1000)  # DW 1000, program 300
    if notdef is not None:
        assert notdef in _failed(tmp_path, flavour, b"00000001", program, widths={0: 500, 1: 600})


@pytest.mark.parametrize(("flavour", "program"), [
    ("pdfa-2b", cid_type1_program(WIDTHS)[:-400]),  # binary data cut short
    ("pdfa-1b", b"%!PS-Adobe-3.0 Resource-CIDFont\n/CIDFontType 0 def\n(Binary) 10 StartData \x00\x01"),
    ("pdfa-2b", b"not a font program at all"),
])
def test_an_unreadable_program_under_a_cidfont_is_a_finding(tmp_path: Path, flavour: str, program: bytes) -> None:
    path = make_pdfa(tmp_path / "bad.pdf", part=int(flavour[5]), content=b"BT /F1 12 Tf 20 20 Td <0001> Tj ET",
                     mutate=embed_cid_type1(program, widths={1: 600}))
    report = validate_file(path, [flavour])
    present = GLYPH_RULES[flavour][0]
    assert present in failed(report)
    found = next(f for f in report["profiles"][0]["failures"] if f"{f['clause']}-{f['testNumber']}" == present)
    assert "could not read the font program" in found["location"]


def test_a_name_keyed_type1_program_under_a_cidfont_is_indexed_by_cid(tmp_path: Path) -> None:
    """CharStrings in program order: .notdef (CID 0), space (CID 1), A (CID 2); CID 3 is past the end."""
    program = type1_program({"space": 250, "A": 600})
    assert _failed(tmp_path, "pdfa-2b", b"00010002", program, widths={1: 250, 2: 600}) == set()
    assert "6.2.11.5-1" in _failed(tmp_path, "pdfa-2b", b"0002", program, widths={2: 250})
    assert "6.2.11.4.1-2" in _failed(tmp_path, "pdfa-2b", b"0003", program, widths={3: 600})
    assert "6.2.11.8-1" in _failed(tmp_path, "pdfa-2b", b"0000", program, widths={0: 500})


def test_cidset_is_judged_against_the_cidmap(tmp_path: Path) -> None:
    """A subset CIDFont's CIDSet marks every CID the program defines (0, 1, 2, 5 here)."""
    program = cid_type1_program(WIDTHS, cid_count=8)
    complete = bytes([0b11100100])
    partial = bytes([0b11100000])  # CID 5 left out
    assert "6.2.11.4.2-2" not in _failed(tmp_path, "pdfa-2b", b"0001", program, widths={1: 600}, cidset=complete)
    assert "6.2.11.4.2-2" in _failed(tmp_path, "pdfa-2b", b"0001", program, widths={1: 600}, cidset=partial)
