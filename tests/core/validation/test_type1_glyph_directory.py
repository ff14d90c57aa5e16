"""CID-keyed Type 1 programs that keep their glyphs in a GlyphDirectory (PLRM 3rd ed. 5.11.4) instead of
StartData: read by CID (FD index + charstring, decrypted with the font dictionary's lenIV, Subrs from the
Private dictionary's own array), judged by the glyph, width, .notdef and CIDSet rules; a program that cannot
be read stays a finding."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from printgate.core.validation import validate_file
from printgate.core.validation.type1 import Type1Error, is_cid_keyed, parse_cid_type1
from tests.core.validation.pdfs import make_pdfa
from tests.core.validation.test_rules import failed
from tests.core.validation.type1_pdfs import cid_type1_directory_program, embed_cid_type1

WIDTHS = {0: 500, 1: 600, 2: 250, 5: 300}  # CIDs 3, 4, 6 and 7 have no glyph


@pytest.mark.parametrize("layout", ["dict", "array", "brackets", "later"])
@pytest.mark.parametrize("strings", ["binary", "hex", "literal", "ascii85"])
def test_glyphs_and_widths_are_read_from_the_glyph_directory(layout: str, strings: str) -> None:
    data = cid_type1_directory_program(WIDTHS, cid_count=8, layout=layout, strings=strings)
    assert is_cid_keyed(data)
    prog = parse_cid_type1(data)
    assert prog.cids() == {0, 1, 2, 5}
    assert [prog.has(c) for c in (1, 3, 7, 8, 70000)] == [True, False, False, False, False]
    assert [prog.width(c) for c in (0, 1, 2, 5, 3)] == [500, 600, 250, 300, None]


@pytest.mark.parametrize("kwargs", [{"len_iv": -1}, {"len_iv": 0}, {"fd_bytes": 0}, {"fd_bytes": 2},
                                    {"rd": b"-|"}, {"rd": b"ReadBin"}],
                         ids=["lenIV -1", "lenIV 0", "FDBytes 0", "FDBytes 2", "-|", "own readstring name"])
def test_program_variants(kwargs: dict[str, object]) -> None:
    prog = parse_cid_type1(cid_type1_directory_program(WIDTHS, **kwargs))  # type: ignore[arg-type]
    assert {c: prog.width(c) for c in prog.cids()} == WIDTHS


def test_widths_through_the_private_subrs_array() -> None:
    for strings in ("binary", "hex"):
        prog = parse_cid_type1(cid_type1_directory_program(WIDTHS, subr_width=722, strings=strings))
        assert prog.width(2) == 722 and len(prog.fds[0].subrs) == 1


@pytest.mark.parametrize(("mangle", "why"), [
    (lambda d: d.replace(b"/GlyphDirectory", b"/GlyphDirectorx"), "no StartData and no GlyphDirectory"),
    (lambda d: d.replace(b"/CIDCount 6 def", b"/CIDCount 2 def"), "entry 2 outside 0..1"),
    (lambda d: d.replace(b"/FDBytes 1 def", b"/FDBytes 7 def"), "FDBytes is out of range"),
    (lambda d: d.replace(b"/FDArray 1 array", b"/FDArrays 1 array"), "no FDArray"),
    (lambda d: d.replace(b"5 <", b"5 /notastring <"), "not a string"),
    (lambda d: d.replace(b"5 <", b"5 <zz"), "not a hex digit"),
    (lambda d: d[:d.index(b"5 <") + 6], "hex string runs past the end"),
    (lambda d: d.replace(b"/GlyphDirectory 4 dict", b"/GlyphDirectory 4 foo"), "not an array or a dictionary"),
])
def test_unreadable_directory_programs_raise_a_clear_error(mangle: object, why: str) -> None:
    data = cid_type1_directory_program(WIDTHS, strings="hex")
    with pytest.raises(Type1Error, match=why):
        parse_cid_type1(mangle(data))  # type: ignore[operator]


def test_a_binary_string_cut_short_is_an_error() -> None:
    data = cid_type1_directory_program(WIDTHS)
    with pytest.raises(Type1Error, match="binary string runs past the end"):
        parse_cid_type1(data[:data.rindex(b" RD ") + 8])  # four bytes of the last charstring


def test_a_glyph_naming_a_missing_font_dictionary_fails_at_lookup() -> None:
    prog = parse_cid_type1(cid_type1_directory_program(WIDTHS, fd_index=3))
    with pytest.raises(Type1Error, match="CID 1: GlyphDirectory names font dictionary 3 of 1"):
        prog.width(1)


def test_damaged_directory_programs_parse_or_fail_cleanly() -> None:
    """Bytes flipped anywhere, in each layout: a Type1Error at parse or glyph lookup, or widths that are
    numbers or None (never another exception)."""
    rng = random.Random(12)
    goods = [cid_type1_directory_program(WIDTHS, cid_count=8, layout=layout, strings=strings, subr_width=sw)
             for layout, strings, sw in [("dict", "binary", None), ("array", "hex", 600), ("brackets", "literal", None),
                                         ("later", "ascii85", None)]]
    outcomes = set()
    for _ in range(600):
        data = bytearray(rng.choice(goods))
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        try:
            prog = parse_cid_type1(bytes(data))
            widths = [prog.width(c) for c in range(8)]
            prog.cids()
        except Type1Error:
            outcomes.add("error")
            continue
        assert all(w is None or isinstance(w, float) for w in widths)
        outcomes.add("parsed")
    assert outcomes == {"error", "parsed"}


# -- the rules judge it ------------------------------------------------------------------------------

def _report(tmp_path: Path, flavour: str, shown: bytes, program: bytes, **kwargs: object) -> dict[str, object]:
    part = int(flavour[5])
    path = make_pdfa(tmp_path / "gd.pdf", part=part, content=b"BT /F1 12 Tf 20 20 Td <" + shown + b"> Tj ET",
                     mutate=embed_cid_type1(program, **kwargs))  # type: ignore[arg-type]
    return validate_file(path, [flavour])


GLYPH_RULES = {"pdfa-1b": ("6.3.5-1", "6.3.6-1", None, "6.3.5-3"),
               "pdfa-2b": ("6.2.11.4.1-2", "6.2.11.5-1", "6.2.11.8-1", "6.2.11.4.2-2"),
               "pdfa-4": ("6.2.10.4.1-2", "6.2.10.5-1", "6.2.10.9-1", None)}


@pytest.mark.parametrize("flavour", list(GLYPH_RULES))
def test_glyph_directory_glyph_rules(tmp_path: Path, flavour: str) -> None:
    present, width, notdef, _ = GLYPH_RULES[flavour]
    program = cid_type1_directory_program(WIDTHS, cid_count=8, layout="array")
    rules = {r for r in (present, width, notdef) if r}
    assert not rules & failed(_report(tmp_path, flavour, b"000100020005", program, widths={1: 600, 2: 250, 5: 300}))
    assert present in failed(_report(tmp_path, flavour, b"00010003", program, widths={1: 600, 3: 250}))
    wrong = _report(tmp_path, flavour, b"00010002", program, widths={1: 600, 2: 700})  # the program says 250
    assert width in failed(wrong)
    locations = [f["location"] for f in wrong["profiles"][0]["failures"]  # type: ignore[index]
                 if f"{f['clause']}-{f['testNumber']}" == width]
    assert any("code 2: 700 vs 250" in where for where in locations)
    assert not any("code 1" in where for where in locations)
    if notdef is not None:
        assert notdef in failed(_report(tmp_path, flavour, b"00000001", program, widths={0: 500, 1: 600}))


@pytest.mark.parametrize("flavour", ["pdfa-1b", "pdfa-2b"])  # PDF/A-4 has no CIDSet requirement
def test_cidset_is_judged_against_the_glyph_directory(tmp_path: Path, flavour: str) -> None:
    cidset_rule = GLYPH_RULES[flavour][3]
    program = cid_type1_directory_program(WIDTHS, cid_count=8)
    complete = bytes([0b11100100])  # 0, 1, 2, 5
    missing = bytes([0b11100000])  # CID 5 left out
    extra = bytes([0b11110100])  # CID 3 marked: the program has no glyph for it
    shown = {"widths": {1: 600}}
    assert cidset_rule not in failed(_report(tmp_path, flavour, b"0001", program, cidset=complete, **shown))
    assert cidset_rule in failed(_report(tmp_path, flavour, b"0001", program, cidset=missing, **shown))
    report = _report(tmp_path, flavour, b"0001", program, cidset=extra, **shown)
    assert cidset_rule in failed(report)
    found = next(f for f in report["profiles"][0]["failures"]  # type: ignore[index]
                 if f"{f['clause']}-{f['testNumber']}" == cidset_rule)
    assert "CIDSet marks CIDs the program lacks: [3]" in found["location"]


@pytest.mark.parametrize("program", [
    cid_type1_directory_program(WIDTHS, strings="hex").replace(b"5 <", b"5 /x <"),  # a value that is no string
    (lambda d: d[:d.rindex(b" RD ") + 8])(cid_type1_directory_program(WIDTHS)),  # cut inside a charstring
    cid_type1_directory_program(WIDTHS).replace(b"/FDArray", b"/FDArrax"),
], ids=["not a string", "cut short", "no FDArray"])
def test_an_unreadable_directory_program_is_a_finding(tmp_path: Path, program: bytes) -> None:
    report = _report(tmp_path, "pdfa-2b", b"0001", program, widths={1: 600})
    assert "6.2.11.4.1-2" in failed(report)
    found = next(f for f in report["profiles"][0]["failures"]  # type: ignore[index]
                 if (f["clause"], f["testNumber"]) == ("6.2.11.4.1", 2))
    assert "could not read the font program" in found["location"]
    assert report["profiles"][0]["compliant"] is False  # type: ignore[index]


def test_a_glyph_naming_a_missing_font_dictionary_is_a_finding(tmp_path: Path) -> None:
    report = _report(tmp_path, "pdfa-2b", b"0001", cid_type1_directory_program(WIDTHS, fd_index=3), widths={1: 600})
    found = next(f for f in report["profiles"][0]["failures"]  # type: ignore[index]
                 if (f["clause"], f["testNumber"]) == ("6.2.11.4.1", 2))
    assert "GlyphDirectory names font dictionary 3" in found["location"]


def test_a_directory_program_over_8_mb_is_refused() -> None:
    data = cid_type1_directory_program(WIDTHS) + b"%" + b" " * (8 * 1024 * 1024)
    with pytest.raises(Type1Error, match="larger than 8 MB"):
        parse_cid_type1(data)
