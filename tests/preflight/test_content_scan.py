"""The walker's tokenizer (``content.scan_ops``): same operators and operands as qpdf on generated
streams with every operand kind, path runs that hold exactly the path operators' points, no crash
and linear time on hostile bytes, and the same report as qpdf's parser on a real page."""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import pikepdf
import pytest

from printgate.core.preflight import run_preflight
from printgate.core.preflight.content import fast_parse, numbers, scan_ops
from printgate.core.preflight.pdf import streams

from .pdfgen import PageSpec, build_into, embedded_font
from .qpdf_tokens import norm, qpdf_ops

PATH_ARITY = {"m": 2, "l": 2, "c": 6, "v": 4, "y": 4, "h": 0}


# --- generated streams ----------------------------------------------------------------------------

def _number(rng: random.Random) -> str:
    return rng.choice([
        str(rng.randint(-999, 999)), f"{rng.uniform(-999, 999):.{rng.randint(1, 5)}f}", "-0", "0", "-0.0",
        "." + str(rng.randint(0, 99)), str(rng.randint(0, 99)) + ".", "+" + str(rng.randint(0, 9)),
        "-." + str(rng.randint(1, 9)), "00012.500", "12345678901234567",
    ])


def _string(rng: random.Random) -> str:
    parts = ["a b", "\\(", "\\)", "\\\\", "\\n", "\\101", "\\0", "\\q", "\\\n", "x\ny", "é", "\\r\\t"]
    return "(" + "".join(rng.choice(parts) for _ in range(rng.randint(0, 4))) + ")"


def _hex(rng: random.Random) -> str:
    digits = "".join(rng.choice("0123456789abcdefABCDEF") for _ in range(2 * rng.randint(0, 4)))
    return "<" + " ".join(digits[i:i + 3] for i in range(0, len(digits), 3)) + ">"


def _instruction(rng: random.Random) -> str:
    sep = rng.choice([" ", "\n", "  ", "\r\n", "\t", "\x00 "])
    kind = rng.randrange(12)
    if kind < 4:  # path construction, often in runs
        op = rng.choice("mlcvyh")
        return sep.join([_number(rng) for _ in range(PATH_ARITY[op])] + [op])
    if kind == 4:
        return sep.join([_number(rng) for _ in range(rng.choice([0, 1, 3, 4, 6]))] + [rng.choice(
            ["re", "cm", "w", "g", "rg", "k", "G", "RG", "K", "Td", "Tm", "q", "Q", "f", "S", "n", "W", "BT", "ET"])])
    if kind == 5:
        return f"/F{rng.randint(1, 9)} {_number(rng)} Tf"
    if kind == 6:
        items = [rng.choice([_string(rng), _hex(rng), _number(rng)]) for _ in range(rng.randint(0, 6))]
        text = ""
        for item in items:  # numbers need white space after them; strings end themselves
            text += item if not text or text[-1] in ")>" else " " + item
        return "[" + text + "]" + rng.choice(["", " "]) + "TJ"
    if kind == 7:
        return rng.choice([_string(rng), _hex(rng)]) + rng.choice([" Tj", "Tj", " '"])
    if kind == 8:
        return f"{_number(rng)} {_number(rng)} {_string(rng)} \""
    if kind == 9:
        return rng.choice(["/GS1 gs", "/CS0 cs", "/Im1 Do", "/P0 scn", "0.1 0.2 /P1 SCN", "0.1 0.2 0.3 0.4 sc"])
    if kind == 10:
        return rng.choice(["/P <</MCID 3 /K [1 2] /X true /Y null /Z <</A (s)>>>> BDC", "/Span BMC", "EMC",
                           "[3 2] 0 d", "[] 0 d", "/OC /L1 BDC"])
    return rng.choice(["h f", "1 2 m 3 4 l h f*", "0 0 m 10 10 l S", "0 0 10 10 re W n"])


@pytest.mark.parametrize("seed", range(40))
def test_reads_generated_streams_as_qpdf_does(seed: int) -> None:
    rng = random.Random(seed)
    data = rng.choice(["\n", " ", "\r\n"]).join(_instruction(rng) for _ in range(rng.randint(1, 60))).encode("latin-1")
    expected, problems = qpdf_ops(data)
    assert not problems
    ops = fast_parse(data)
    assert ops is not None, data
    assert [(op, [norm(v) for v in operands]) for op, operands in ops] == expected


def _segments(ops: list[tuple[str, Any]]) -> list[tuple[str, list[str]]]:
    """Operators with their operands, consecutive path operators joined into one ("path", points)."""
    out: list[tuple[str, list[str]]] = []
    for op, a in ops:
        vals = (numbers(a) if a else []) if type(a) is bytes else a
        if op in PATH_ARITY:
            if not out or out[-1][0] != "path":
                out.append(("path", []))
            out[-1][1].extend(str(v) for v in vals)
        else:
            out.append((op, [repr(norm(v)) for v in vals]))
    return out


@pytest.mark.parametrize("seed", range(40))
def test_path_runs_hold_exactly_the_path_operators_points(seed: int) -> None:
    rng = random.Random(1000 + seed)
    data = "\n".join(_instruction(rng) for _ in range(rng.randint(1, 60))).encode("latin-1")
    plain = fast_parse(data)
    scanned = scan_ops(data)
    assert plain is not None and scanned is not None
    assert scanned.n_ops == len(plain)
    assert _segments(scanned) == _segments(plain)


def test_a_run_of_path_operators_is_one_instruction_with_its_points() -> None:
    ops = scan_ops(b"q 1 0 0 1 5 5 cm 0 0 m 10 -0 l 1 2 3 4 5 6 c 7 8 9 10 v 1 1 2 2 y h f Q")
    assert ops is not None
    assert [op for op, _ in ops] == ["q", "cm", "l", "f", "Q"]
    assert numbers(ops[2][1]) == [0, 0, 10, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1, 1, 2, 2]
    assert str(numbers(ops[2][1])[3]) == "0.0"  # qpdf's integer -0 is 0, not -0.0
    assert ops.n_ops == 10  # q cm m l c v y h f Q


# --- hostile bytes --------------------------------------------------------------------------------

SAMPLE = (b"q 1 0 0 1 72 720 cm 0 0 m 10 10 l 5 5 20 20 re h f Q BT /F1 12 Tf 70 700 Td [(Hel\\(lo)-250(w)]TJ "
          b"<48 65> Tj ET /P <</MCID 0>> BDC 0.1 0.2 /P0 scn [3 2] 0 d EMC /Im1 Do 1 0 0 RG 0 0 0 1 k")


def _timed(data: bytes) -> float:
    """CPU seconds of both readers on ``data``, which must agree: both refuse it, or both read the
    same number of operators, each an operator name with its operands."""
    t0 = time.process_time()
    ops, instrs = scan_ops(data), fast_parse(data)
    elapsed = time.process_time() - t0
    assert (ops is None) == (instrs is None), data[:80]
    if ops is not None and instrs is not None:
        assert all(type(op) is str and type(args) is list for op, args in instrs)
        assert all(type(op) is str for op, _ in ops) and ops.n_ops == len(instrs), data[:80]
    return elapsed


def test_random_and_truncated_streams_never_crash() -> None:
    rng = random.Random(7)
    alphabet = b"0123456789.+-/()<>[]{}%\\ \n\r\t\x00mlcfqQTJjBIDE#'\"*ab"
    for _ in range(1500):
        n = rng.randint(0, 200)
        _timed(bytes(rng.choice(alphabet) for _ in range(n)))
        _timed(bytes(rng.randrange(256) for _ in range(n)))
    for cut in range(len(SAMPLE) + 1):
        _timed(SAMPLE[:cut])
        _timed(SAMPLE[cut:])
    for _ in range(300):  # one byte flipped
        b = bytearray(SAMPLE)
        b[rng.randrange(len(b))] = rng.randrange(256)
        _timed(bytes(b))


@pytest.mark.parametrize("data", [
    b"1 " * 200_000,  # numbers and no operator
    b"1 2 " * 100_000 + b"/N",
    b"0 0 m " * 100_000 + b"1 2 3",  # a path run that ends in a half operator
    b"0 0 m 1 1 1 1 1 " * 40_000,
    b" " * 400_000 + b"q",
    b"q" + b" " * 400_000,
    b"(" * 200_000,
    b"(a" + b"\\(" * 200_000,
    b"[" * 200_000,
    b"<<" * 100_000,
    b"/N " * 200_000,
    b"<" + b"0" * 400_000,
    b"1" * 400_000 + b" g",
    b"[(a) " * 100_000,
])
def test_hostile_streams_take_linear_time(data: bytes) -> None:
    small = _timed(data[: len(data) // 8])
    big = _timed(data)
    assert big < 2.0
    assert big < 30 * small + 0.2  # 8x the bytes, not 64x the time


# --- the report -----------------------------------------------------------------------------------

def test_report_is_the_same_as_with_qpdfs_parser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pdf = pikepdf.new()
    content = (
        b"q 0.2 0 0 0.2 10 10 cm 1 0 0 rg 0 0 m 100 -0 l 100 100 l h f Q "
        b"q 0 0 0 1 k 4 w 5 5 m 50 5 l 60 60 70 70 80 5 c S Q "
        b"q 1 1 0.8 1 k 20 20 200 200 re f Q 0 0 1 RG 0.1 w 3 3 m 3 300 l S "
        b"BT /F1 4 Tf 12 290 Td [(Hello)-250(print)]TJ 0 -6 Td (x) Tj ET "
        b"q 2 0 0 2 -5 -5 cm 0 0 m 1 1 l 2 0 2 2 0 2 v 0 0 1 1 2 2 y f* Q\n"
        # a path of more points than the walker keeps (it keeps their box): a 0.05 pt zigzag
        + b"0.05 w 40 40 m " + b"".join(b"%d %d l " % (40 + i % 200, 40 + (i * 7) % 150) for i in range(6000)) + b"S\n"
    )
    path = build_into(pdf, tmp_path / "paths.pdf",
                      [PageSpec(content=content, width=300, height=320, fonts={"F1": embedded_font(pdf)})],
                      intent=False, pdfx=False)
    fast = run_preflight(path, None, source_name="paths.pdf", workers=1)
    monkeypatch.setattr(streams, "scan_ops", lambda data, prune=False: None)  # every stream through qpdf's parser
    slow = run_preflight(path, None, source_name="paths.pdf", workers=1)
    assert fast["pages"] == slow["pages"]
    assert fast["evaluation"]["findings"] == slow["evaluation"]["findings"]
    assert fast["facts"] == slow["facts"]
    thin = [f for f in fast["evaluation"]["findings"] if f["ruleId"] == "stroke_too_thin"]
    assert thin, "the page has thin lines to agree on"
    # the zigzag's box, from more points than the walker keeps
    assert [40.0, 40.0, 239.0, 189.0] in [b["rect"] for b in thin[0]["locate"]["boxes"]]
