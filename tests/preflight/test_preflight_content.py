"""The preflight's content-stream tokenizer reads exactly what pikepdf (qpdf) reads, or declines."""

from __future__ import annotations

import pytest

from printgate.core.preflight.content import fast_parse

from .qpdf_tokens import norm, qpdf_ops

READ = [
    b"BT /F44 10.9091 Tf 70.866 370.853 Td [(After)-292(the)]TJ 0 -13.549 Td T* ET",
    b"q 1 0 0 1 0 0 cm /Im1 Do Q 0.5 g 1 0 0 RG 0 0 0 1 k .5 -.5 5. +3 -0 m",
    b"[(a\\(b\\)c\\\\d\\101\\0e\\q\\\nf)] TJ (x\ny) Tj <41 42\n43> Tj <> Tj () Tj",
    b"/P <</MCID 0 /BBox [0 0 612 792] /X true /Y null /Z <</A (s)>>>> BDC EMC /OC /L1 BDC EMC",
    b"/P0 scn 0.2 0.3 /P1 SCN [3 2] 0 d 1 w 10 20 30 40 re f* W n /GS1 gs /CS0 cs 0.1 0.2 0.3 0.4 sc",
    b"1 2 (a) \" 0 0 1 rg(b)'",
    b"[1 [2 /N]] 0 d /Span <</ActualText (x) /K [1 2]>> BDC",  # operands the walker never reads
    b"",
    b"  \n\t ",
]
DECLINE = [
    b"1 2 m 3",  # trailing operand
    b"1 2 3 4 re f ]",  # stray bracket
    b"(a(b)c) Tj",  # nested parentheses: left to pikepdf
    b"<4G> Tj",  # bad hex
    b"<41 4> Tj",  # odd hex digits
    b"1.2.3 g",  # qpdf reads an operator here
    b"1e5 g",
    b"99999999999999999999 g",  # qpdf turns it into null
    b"/A#20B cs",  # name escape
    b"BI /W 1 /H 1 /BPC 8 /CS /G ID x EI",  # inline image
    b"(a\r\nb) Tj",  # raw CR in a string
    b"(\\777) Tj",
    b"% comment\n0 g",
    b"5 (x) g",  # a string where a number belongs
    b"/F1 /F2 Tf",
    b"true g",
    b"Q\x0bq",
    b"/Im1Do",
    b"[(a) [1]] TJ",  # an array inside a shown array
    b"[(a) /N] TJ",
]


@pytest.mark.parametrize("data", READ)
def test_reads_what_qpdf_reads(data: bytes) -> None:
    ops = fast_parse(data)
    assert ops is not None
    expected, problems = qpdf_ops(data)
    assert not problems
    assert [(op, [norm(v) for v in operands]) for op, operands in ops] == expected


@pytest.mark.parametrize("data", DECLINE)
def test_declines_what_it_cannot_read_exactly(data: bytes) -> None:
    assert fast_parse(data) is None
