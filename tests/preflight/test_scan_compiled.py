"""The compiled tokenizer (``_scan.c``) against the pure-Python one in content.py, which stays the
reference: the same instructions, operand types, refusals, pruning, operator counts and operator
cache changes on real streams (the preflight bench's files when downloaded, Ghostscript's PDFs
always), on thousands of generated and damaged streams and on hostile ones; and the switch that
forces the pure-Python fallback."""

from __future__ import annotations

import io
import math
import pickle
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pikepdf
import pytest

from printgate.core.preflight import content
from printgate.core.preflight.pdf.streams import page_content_bytes

from .test_content_scan import _instruction

ROOT = Path(__file__).resolve().parents[2]
# The ten files ``bench/preflight_speed.py --files 10`` picks from its Debian texlive download.
BENCH_FILES = ("byo-twemojis.pdf", "neural-networks-ebook.pdf", "pixelart.pdf", "tikzscale.pdf", "tqft_code.pdf",
               "graph35-fr.pdf", "xpicture-doc.pdf", "chemfig-en.pdf", "pgfmolbio.pdf", "genealogytree.pdf")


@pytest.fixture(scope="module")
def compiled() -> ModuleType:
    module = content.load_compiled()
    assert module is not None, "the C tokenizer is not built: pip install -e . (needs a C compiler)"
    return module


def fingerprint(value: Any) -> bytes | None:
    """The value pickled without memo: types (PName, OpList and its n_ops...), bytes and every float's
    bits, whatever the objects' identities; ``None`` when it nests deeper than pickle recurses."""
    buf = io.BytesIO()
    pickler = pickle.Pickler(buf, 5)
    pickler.fast = True
    try:
        pickler.dump(value)
    except RecursionError:
        return None
    return buf.getvalue()


def same(a: Any, b: Any) -> bool:
    """Equal with the same types all the way down, the same sign on every zero, and the same
    ``n_ops``; iterative, for arrays nested deeper than pickle goes."""
    fa, fb = fingerprint(a), fingerprint(b)
    if fa is not None and fb is not None:
        return fa == fb
    pairs = [(a, b)]
    while pairs:
        x, y = pairs.pop()
        if type(x) is not type(y) or getattr(x, "n_ops", None) != getattr(y, "n_ops", None):
            return False
        if type(x) is float:
            if x != y or math.copysign(1.0, x) != math.copysign(1.0, y):
                return False
        elif isinstance(x, (list, tuple)):
            if len(x) != len(y):
                return False
            pairs.extend(zip(x, y, strict=True))
        elif x != y:
            return False
    return True


def assert_same(compiled: ModuleType, data: bytes, fast_parse: bool = True) -> bool:
    """Both tokenizers on ``data``, each from the same operator cache; whether it was accepted."""
    before = dict(content._OPS)
    runs = [("scan_ops", False), ("scan_ops", True), ("fast_parse", None)][:3 if fast_parse else 2]
    accepted = False
    try:
        for name, prune in runs:
            args = (data,) if prune is None else (data, prune)
            content._OPS.clear()
            content._OPS.update(before)
            want = getattr(content, "pure_" + name)(*args)
            cache_after_python = dict(content._OPS)
            content._OPS.clear()
            content._OPS.update(before)
            got = getattr(compiled, name)(*args)
            assert same(want, got), (name, prune, data[:300], str(want)[:300], str(got)[:300])
            assert cache_after_python == content._OPS, (name, prune, data[:300])
            accepted = accepted or want is not None
    finally:
        content._OPS.clear()
        content._OPS.update(before)
    return accepted


# --- real streams --------------------------------------------------------------------------------

def content_streams(path: Path) -> Iterator[bytes]:
    """Each page's content (as the walker reads it) and every form and tiling pattern stream."""
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            yield page_content_bytes(page.obj)
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Stream) and (obj.get("/Subtype") == "/Form" or obj.get("/PatternType") == 1):
                yield obj.read_bytes()


def bench_files() -> list[Path]:
    root = ROOT / "bench" / ".cache" / "texlive"
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*.pdf") if p.name in BENCH_FILES)


GS_PROGRAM = b"""%!PS
/Helvetica findfont 11 scalefont setfont
1 1 6 { /n exch def
  72 740 moveto (Page with \\(parens\\), a backslash \\\\ and octal \\251) show
  0 1 40 { /i exch def
    newpath 72 i 12 mul add 100 moveto 300 i 7 mul add 650 lineto 120 300 400 500 520 600 i 9 mul add curveto
    closepath i 40 div n 6 div 0.3 setrgbcolor gsave fill grestore 0 setgray 0.4 setlinewidth stroke
    gsave 0.1 0 0.9 0 setcmykcolor 20 i 15 mul add 20 30 10 rectfill grestore
  } for
  [3 2] 0 setdash 50 50 moveto 500 50 lineto stroke
  showpage
} for
"""


def ghostscript_pdf(tmp: Path) -> Path:
    """A PDF written by Ghostscript's pdfwrite (text, paths, colours, dashes): a second real producer."""
    src, out = tmp / "gs.ps", tmp / "gs.pdf"
    src.write_bytes(GS_PROGRAM)
    subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfwrite", "-dCompressPages=false",
                    f"-sOutputFile={out}", str(src)], check=True, capture_output=True, timeout=120)
    return out


def test_real_streams_read_alike(compiled: ModuleType, tmp_path: Path) -> None:
    files = [*bench_files(), ghostscript_pdf(tmp_path)]
    n = accepted = 0
    for path in files:
        for data in content_streams(path):
            n += 1
            accepted += assert_same(compiled, data, fast_parse=n % 5 == 0)  # the walker's scan_ops: all
    assert n >= 6 and accepted >= n * 0.9, (n, accepted)  # real streams are read, not refused


# --- generated and damaged streams ---------------------------------------------------------------

def _mutate(rng: random.Random, data: bytes) -> bytes:
    for _ in range(rng.randint(0, 3)):
        kind, at = rng.randrange(5), rng.randrange(len(data) + 1)
        if kind == 0:
            data = data[:at]  # truncated
        elif kind == 1 and data:
            data = data[:at] + bytes((rng.randrange(256),)) + data[at + 1:]  # a flipped byte
        elif kind == 2:
            data = data[:at] + rng.choice(INSERTS) + data[at:]
        elif kind == 3:
            data = data[:at] + data[at + rng.randrange(1, 6):]  # bytes lost
        else:
            data = data[:at] + data[at:at + rng.randrange(40)] * 2 + data[at:]  # bytes repeated
    return data


INSERTS = [b"[", b"]", b"<<", b">>", b"(", b")", b"\\", b" ", b"\x00", b"\x0b", b"\x0c", b"%", b"% comment\n",
           b"true ", b"null", b"q ", b"Q ", b"BI /W 1 /H 1 ID \x00\xff EI ", b"/a#20b ", b"#", b"\r", b"\xe9",
           b"123456789012345678 ", b"-0 ", b".5", b"5.", b"+-1 ", b"1.2.3 ", b"0 0 m ", b"h ", b"1 2 3 4 5 6 c "]


@pytest.mark.parametrize("seed", range(25))
def test_generated_and_damaged_streams_read_alike(compiled: ModuleType, seed: int) -> None:
    rng = random.Random(seed)
    accepted = 0
    for _ in range(120):
        sep = rng.choice(["\n", " ", "\r\n", "\x00", "\t", "\x0c"])
        data = sep.join(_instruction(rng) for _ in range(rng.randint(1, 30))).encode("latin-1")
        if rng.random() < 0.8:
            data = _mutate(rng, data)
        accepted += assert_same(compiled, data)
    assert 10 < accepted < 120  # both kinds of outcome were compared


ALPHABET = [b" ", b"\n", b"\r", b"\r\n", b"\x00", b"\t", b"\x0c", b"\x0b", b"0", b"1", b"-", b"+", b".", b"9",
            b"m", b"l", b"c", b"v", b"y", b"h", b"re", b"q", b"Q", b"g", b"cm", b"Tf", b"TJ", b"Tj", b"'", b'"',
            b"(", b")", b"\\", b"<", b">", b"<<", b">>", b"[", b"]", b"/", b"/F1", b"true", b"false", b"null",
            b"BI", b"ID", b"EI", b"%", b"{", b"}", b"#", b"a", b"\xe9", b"BDC", b"scn", b"d", b"Do", b"1.5", b"*",
            b"12345678901234567890", b"0.000000000000000000000000001", b"\\101", b"\\777", b"\\\r", b"<4a 4>"]


@pytest.mark.parametrize("seed", range(5))
def test_byte_soup_reads_alike(compiled: ModuleType, seed: int) -> None:
    rng = random.Random(1000 + seed)
    for _ in range(1500):
        assert_same(compiled, b"".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 40))))


EDGE_CASES = [
    b"", b"   \n\x00 ", b"q", b"Q", b"h", b"hh", b"h\x00h", b"0 0 m\x001 1 l", b"1 2\x00m", b"1 2 m3 4 l",
    b"5 1 2 m", b"0 0 m 5 1 2 m", b"1 2 3 4 5 6 c 1 2 3 4 v 1 2 3 4 y h f", b"1 2 re", b"1\x002 m",
    # numbers: digit limits, signs, zeros, long fractions
    b"12345678901234567 g", b"123456789012345678 g", b"123456789012345678.5 g", b"12345678901234567. g",
    b"1234567890123456789012345678901234567890.5 g", b"12345678901234567890123456789012345678901.5 g",
    b"-0 g", b"-0.0 g", b"-.0 g", b"+0 g", b"-00 g", b"0.1 0.2 0.3 rg", b"." + b"0" * 400 + b"1 g",
    b"1." + b"3" * 5000 + b" g", b"9007199254740993 g", b"0.30000000000000004 g", b"-1.5e3 g", b"+-1 g",
    b"/F1 -0 Tf", b"/F1 123456789012345678.25 Tf", b"[1 -0 2.5] 0 d",
    # strings, hex strings, names
    b"(a\\101\\0\\777) Tj", b"(\\400) Tj", b"(\\377\\\\\\n\\q\\\n) Tj", b"(a\rb) Tj", b"(a\\\rb) Tj",
    b"((nested)) Tj", b"(unclosed Tj", b"<4142> Tj", b"<41 4 2> Tj", b"<414> Tj", b"<41zz> Tj", b"<> Tj",
    b"/F#31 1 Tf", b"/ 1 Tf", b"/F1/F2 1 Tf", b"/F1 1 Tf\x00", b"/\xe9 gs", b"(x)(y) Tj", b"(x) 1 Tj",
    # arrays and dictionaries
    b"[(a) -1 (b)] TJ", b"[[1]] TJ", b"[/N] TJ", b"[true] TJ", b"[1 2] 0 d", b"[[1] [2]] 0 d", b"] 0 d",
    b"[ 0 d", b"/P <</MCID 3 /K [1 2] /X true /Y null /Z <</A (s)>>>> BDC", b"/P <</A>> BDC",
    b"/P <<1 2>> BDC", b"/P <</A 1]>> BDC", b"/P [<</A 1>>] BDC", b"<< >> BDC", b"/P <</A 1>> DP",
    b"true", b"1 true g", b"null Tj", b"/a /b /c scn", b"0.5 /P scn", b"/P 0.5 scn", b"(s) 1 2 \"",
    # inline images, comments, odd operators
    b"BI /W 1 /H 1 /BPC 8 /CS /G ID \x00 EI Q", b"q % comment\nQ", b"0 g%x\n", b"{ } g", b"1 2 Tx",
    b"q 0 g Q", b"q q 0 g Q 1 0 0 1 0 0 cm Q", b"Q q 0 g Q", b"q /GS1 gs Q", b"q 0 0 m Q", b"q (a) Tj Q",
    b"q 1 w q 2 w Q 3 w Q Q", b"/F1 9 Tf /F1 9 Tf /F2 9 Tf q /F1 9 Tf Q", b"\x0b1 g", b"1\x0bg",
    b"Tj", b"'", b"\"", b"*", b"a*'\"9", b"BT ET", b"EI", b"ID", b"1 2 m\r\n3 4 l\x0ch\tf",
]


def test_edge_cases_read_alike(compiled: ModuleType) -> None:
    for data in EDGE_CASES:
        assert_same(compiled, data)


def test_hostile_streams_read_alike(compiled: ModuleType) -> None:
    deep = 50_000
    for data in (b"[" * deep + b"]" * deep + b" 0 d", b"[" * deep + b" 0 d", b"<<" * deep + b" BDC",
                 b"/P " + b"<</A " * deep + b"1" + b">>" * deep + b" BDC", b"(" * deep + b" Tj",
                 b"<" + b"4" * deep + b"> Tj", b"1 " * deep + b"g", b"0 0 m " * deep, b"q " * deep + b"Q " * deep,
                 b"\\" * deep, b"/" * deep, b"9" * deep + b" g", b"." + b"1" * deep + b" g"):
        assert_same(compiled, data)


def test_operator_cache_limit_reads_alike(compiled: ModuleType) -> None:
    before = dict(content._OPS)
    try:
        for i in range(1100):  # past the cache's limit new operators are refused, by both
            content._OPS[f"Zz{i}".encode()] = f"Zz{i}"
        assert not assert_same(compiled, b"1 2 Newop1 q")
        assert assert_same(compiled, b"1 2 Zz7 Zz8")
    finally:
        content._OPS.clear()
        content._OPS.update(before)


def test_time_stays_linear_on_hostile_bytes(compiled: ModuleType) -> None:
    def cpu(data: bytes) -> float:
        start = time.process_time()
        compiled.scan_ops(data, True)
        return time.process_time() - start

    for unit in (b"[", b"(", b"1 ", b"<<", b"0 0 m ", b"1 2 3 4 5 "):
        small, large = cpu(unit * 50_000), cpu(unit * 400_000)
        assert large < 40 * small + 0.05, (unit, small, large)  # 8x the bytes: not 64x the time


# --- the switch ----------------------------------------------------------------------------------

def test_public_functions_use_the_compiled_tokenizer_unless_forced(compiled: ModuleType) -> None:
    d = b"q 1 0 0 1 72 720 cm /F1 9 Tf [(a) -5] TJ 0 0 m 1 1 l h f Q"
    try:
        for pure in (False, True, False):
            content.use_pure_python(pure)
            assert (content.compiled() is None) is pure
            r = content.scan_ops(d, True)
            assert r is not None and same(r, content.pure_scan_ops(d, True)) and r.n_ops == 9
            assert same(content.fast_parse(d), content.pure_fast_parse(d))
    finally:
        content.use_pure_python(False)


def test_a_fresh_interpreter_uses_the_compiled_tokenizer() -> None:
    probe = "from printgate.core.preflight import content as c; print(c.compiled() is not None)"
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert run.stdout.split() == ["True"]


def test_compiled_tokenizer_is_what_content_uses(compiled: ModuleType) -> None:
    assert content.compiled() is compiled
    data = bytearray(b"0 0 m 1 1 l S")  # not bytes: always the Python code, same result
    assert same(content.scan_ops(data), content.pure_scan_ops(data))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        compiled.scan_ops(data)
