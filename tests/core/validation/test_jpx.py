"""JPEG 2000 images (ISO 19005-2 6.2.8.3, -4 6.2.7.3): JP2 boxes and raw codestreams written by hand here
(headers only: the rules never decode), each rule passing and failing, and data that cannot be read
reported as a finding, never skipped."""

from __future__ import annotations

import random
import struct
import zlib
from pathlib import Path

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name

from printgate.core.validation import validate_file
from printgate.core.validation.jpx import JpxError, read_jpx
from tests.core.validation.pdfs import Mutate, make_pdfa
from tests.core.validation.test_rules import failed


def box(kind: bytes, content: bytes) -> bytes:
    return struct.pack(">I", 8 + len(content)) + kind + content


def siz(depths: list[int]) -> bytes:
    """SOC and a SIZ marker segment for a 16x16 image with one component per entry of ``depths``
    (each an Ssiz byte: depth - 1, top bit for signed)."""
    body = struct.pack(">HIIIIIIIIH", 0, 16, 16, 0, 0, 16, 16, 0, 0, len(depths))
    body += b"".join(bytes([d, 1, 1]) for d in depths)
    return b"\xff\x4f\xff\x51" + struct.pack(">H", 2 + len(body)) + body + b"\xff\xd9"


def colr(meth: int = 1, approx: int = 0, enum: int = 16) -> bytes:
    return box(b"colr", bytes([meth, 0, approx]) + (struct.pack(">I", enum) if meth == 1 else b"\x00" * 132))


def jp2(nc: int = 3, bpc: int = 7, colrs: list[bytes] | None = None, extra: bytes = b"",
        codestream: bytes | None = None) -> bytes:
    """A JP2 file: signature, ftyp, jp2h (ihdr NC/BPC, the colr boxes, ``extra`` boxes), jp2c."""
    ihdr = box(b"ihdr", struct.pack(">IIHBBBB", 16, 16, nc, bpc, 7, 0, 0))
    header = box(b"jp2h", ihdr + b"".join(colrs if colrs is not None else [colr()]) + extra)
    return (b"\x00\x00\x00\x0cjP  \r\n\x87\n" + box(b"ftyp", b"jp2 \x00\x00\x00\x00jp2 ") + header
            + box(b"jp2c", codestream if codestream is not None else siz([7] * nc)))


def cdef(types: list[int]) -> bytes:
    return box(b"cdef", struct.pack(">H", len(types)) + b"".join(struct.pack(">HHH", i, t, 0)
                                                                  for i, t in enumerate(types)))


# -- reading -------------------------------------------------------------------------------------------

def test_a_jp2_header_is_read() -> None:
    facts = read_jpx(jp2(nc=4, bpc=0x87, colrs=[colr(2, 1), colr(1, 0, 12)], extra=cdef([0, 0, 0, 1])))
    assert (facts.wrapper, facts.components, facts.colour_channels, facts.depths) == ("jp2", 4, 3, [8])
    assert facts.colour_spec is not None and facts.colour_spec.method == 2  # the APPROX 1 one
    assert facts.depth_problem() is None


def test_a_raw_codestream_is_read_from_its_siz_marker() -> None:
    facts = read_jpx(siz([7, 7, 7, 7]))
    assert (facts.wrapper, facts.colour_channels, facts.depths, facts.colr) == ("codestream", 4, [8] * 4, [])
    assert read_jpx(siz([7, 4, 4])).depth_problem() == "channels have different bit depths 8, 5, 5"
    assert read_jpx(siz([0x8F])).depths == [16]  # signed 16-bit


def test_bpcc_gives_the_depths_when_ihdr_says_255() -> None:
    same = read_jpx(jp2(bpc=255, extra=box(b"bpcc", bytes([7, 7, 7]))))
    assert same.depths == [8, 8, 8] and same.depth_problem() is None
    mixed = read_jpx(jp2(bpc=255, extra=box(b"bpcc", bytes([7, 4, 4]))))
    assert "different bit depths 8, 5, 5" in (mixed.depth_problem() or "")
    assert "no bpcc box" in (read_jpx(jp2(bpc=255)).depth_problem() or "")
    assert "although ihdr" in (read_jpx(jp2(bpc=7, extra=box(b"bpcc", bytes([7, 7, 7])))).depth_problem() or "")


@pytest.mark.parametrize(("data", "why"), [
    (b"", "neither a JP2 file"),
    (b"GIF89a" + b"\x00" * 40, "neither a JP2 file"),
    (b"\x00\x00\x00\x0cjP  \r\n\x00\n", "signature box is damaged"),
    (jp2()[:60], "past the end"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n" + box(b"ftyp", b"jp2 "), "no JP2 header box"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n" + box(b"jp2h", colr()), "no image header box"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n" + box(b"jp2h", box(b"ihdr", b"\x00" * 10)), "holds 10 bytes, not 14"),
    (jp2(colrs=[box(b"colr", b"\x01")]), "colr box of 1 bytes"),
    (jp2(colrs=[box(b"colr", b"\x01\x00\x00\x00")]), "METH 1 and no EnumCS"),
    (jp2(bpc=255, extra=box(b"bpcc", bytes([7]))), "1 bit depths for 3 components"),
    (jp2(extra=box(b"cdef", b"\x00\x05")), "lists 5 channels"),
    (siz([7, 7, 7])[:30], "ends inside its SIZ"),
    (siz([7, 7, 7])[:46], "runs past the end"),
    (siz([]), "0 components"),
    (b"\xff\x4f\xff\x51\x00\x29" + b"\x00" * 34 + b"\x00\x03" + b"\x07\x01\x01" * 3, "not 47"),
])
def test_unreadable_data_raises_a_clear_error(data: bytes, why: str) -> None:
    with pytest.raises(JpxError, match=why):
        read_jpx(data)


def test_random_damage_never_escapes_as_another_exception() -> None:
    rng = random.Random(12)
    goods = [jp2(extra=cdef([0, 0, 0])), jp2(bpc=255, extra=box(b"bpcc", bytes([7, 7, 7]))), siz([7, 7, 7])]
    outcomes = set()
    for _ in range(600):
        data = bytearray(rng.choice(goods))
        for _ in range(rng.randint(1, 6)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        if rng.random() < 0.3:
            del data[rng.randrange(len(data)):]
        try:
            facts = read_jpx(bytes(data))
        except JpxError:
            outcomes.add("error")
            continue
        assert facts.components >= 1 and all(1 <= d <= 128 for d in facts.depths)
        outcomes.add("read")
    assert outcomes == {"error", "read"}


# -- the rules ---------------------------------------------------------------------------------------

def embed_jpx(data: bytes, *, colour_space: pikepdf.Object | None = None, flate: bool = False) -> Mutate:
    """Paint an image XObject Im1 holding ``data`` with JPXDecode (after FlateDecode with ``flate``)."""
    def mutate(pdf: pikepdf.Pdf) -> None:
        image = pdf.make_stream(zlib.compress(data) if flate else data)
        image.Type, image.Subtype, image.Width, image.Height = Name.XObject, Name.Image, 16, 16
        image.Filter = Array([Name.FlateDecode, Name.JPXDecode]) if flate else Name.JPXDecode
        if colour_space is not None:
            image.ColorSpace = colour_space
        page = pdf.pages[0].obj
        page.Resources = Dictionary(XObject=Dictionary(Im1=image))
        page.Contents = pdf.make_stream(b"q 50 0 0 50 10 10 cm /Im1 Do Q")
    return mutate


def _report(tmp_path: Path, data: bytes, flavour: str = "pdfa-2b", **kwargs: object) -> dict[str, object]:
    path = make_pdfa(tmp_path / "jpx.pdf", part=int(flavour[5]), content=b"",
                     mutate=embed_jpx(data, **kwargs))  # type: ignore[arg-type]
    return validate_file(path, [flavour])


def _jpx_failed(tmp_path: Path, data: bytes, flavour: str = "pdfa-2b", **kwargs: object) -> set[str]:
    clause = "6.2.8.3" if flavour.startswith("pdfa-2") else "6.2.7.3"
    return {f for f in failed(_report(tmp_path, data, flavour, **kwargs)) if f.startswith(clause)}  # type: ignore[arg-type]


@pytest.mark.parametrize("flavour", ["pdfa-2b", "pdfa-4"])
def test_conforming_jpeg2000_passes(tmp_path: Path, flavour: str) -> None:
    assert _jpx_failed(tmp_path, jp2(), flavour) == set()
    assert _jpx_failed(tmp_path, jp2(nc=4, colrs=[colr(1, 1, 12), colr(2, 0)]), flavour) == set()
    assert _jpx_failed(tmp_path, jp2(nc=4, extra=cdef([0, 0, 0, 1])), flavour) == set()  # RGB + opacity
    assert _jpx_failed(tmp_path, jp2(nc=2, colrs=[colr(1, 0, 17)], extra=cdef([0, 1])), flavour) == set()
    assert _jpx_failed(tmp_path, jp2(), flavour, flate=True) == set()  # Flate before JPXDecode is undone


@pytest.mark.parametrize(("flavour", "clause"), [("pdfa-2b", "6.2.8.3"), ("pdfa-4", "6.2.7.3")])
def test_each_rule_fails_on_its_own(tmp_path: Path, flavour: str, clause: str) -> None:
    def only(test: int, data: bytes, **kwargs: object) -> None:
        assert _jpx_failed(tmp_path, data, flavour, **kwargs) == {f"{clause}-{test}"}

    only(1, jp2(nc=5, colrs=[colr(1, 0, 12)]))
    only(1, jp2(nc=2, colrs=[colr(1, 0, 17)]))  # two colour channels (no cdef: none is opacity)
    only(2, jp2(colrs=[colr(1, 1), colr(1, 1)]))  # two specifications with APPROX 1
    only(3, jp2(colrs=[colr(4, 0)]))  # METH 4 (vendor)
    only(4, jp2(colrs=[colr(1, 0, 19)]))  # CIEJab
    only(5, jp2(bpc=39))  # 40 bits
    only(5, jp2(bpc=255, extra=box(b"bpcc", bytes([7, 15, 7]))))


def test_colour_rules_follow_the_specification_in_force(tmp_path: Path) -> None:
    """The APPROX 1 specification decides METH and EnumCS; with several and none APPROX 1, none is in force."""
    assert _jpx_failed(tmp_path, jp2(colrs=[colr(1, 0, 19), colr(1, 1, 16)])) == set()
    assert _jpx_failed(tmp_path, jp2(colrs=[colr(1, 1, 19), colr(1, 0, 16)])) == {"6.2.8.3-4"}
    assert _jpx_failed(tmp_path, jp2(colrs=[colr(1, 0), colr(2, 0)])) == {"6.2.8.3-2", "6.2.8.3-3"}
    assert _jpx_failed(tmp_path, jp2(colrs=[])) == {"6.2.8.3-2", "6.2.8.3-3"}


def test_a_colorspace_entry_overrides_the_colour_specifications(tmp_path: Path) -> None:
    bad_colour = jp2(colrs=[colr(1, 1, 19), colr(4, 1)])
    assert _jpx_failed(tmp_path, bad_colour) == {"6.2.8.3-2", "6.2.8.3-4"}
    assert _jpx_failed(tmp_path, bad_colour, colour_space=Name.DeviceCMYK) == set()
    assert _jpx_failed(tmp_path, jp2(nc=5, colrs=[]), colour_space=Name.DeviceCMYK) == {"6.2.8.3-1"}


def test_a_raw_codestream_is_judged_by_siz(tmp_path: Path) -> None:
    cmyk = Name.DeviceCMYK
    assert _jpx_failed(tmp_path, siz([7, 7, 7, 7]), colour_space=cmyk) == set()
    assert _jpx_failed(tmp_path, siz([7, 7]), colour_space=cmyk) == {"6.2.8.3-1"}
    assert _jpx_failed(tmp_path, siz([7, 7, 11, 7]), colour_space=cmyk) == {"6.2.8.3-5"}
    # no ColorSpace entry and no colour specification in a codestream: nothing says what the colours are
    assert _jpx_failed(tmp_path, siz([7, 7, 7, 7])) == {"6.2.8.3-2", "6.2.8.3-3"}


@pytest.mark.parametrize("data", [b"\x00\x01garbage", jp2()[:60], siz([7, 7, 7])[:20]], ids=["junk", "cut", "siz"])
def test_data_that_cannot_be_read_is_a_finding(tmp_path: Path, data: bytes) -> None:
    report = _report(tmp_path, data)
    assert {"6.2.8.3-1", "6.2.8.3-5", "6.2.8.3-2", "6.2.8.3-3", "6.2.8.3-4"} <= failed(report)
    assert report["profiles"][0]["compliant"] is False  # type: ignore[index]
    found = [f for f in report["profiles"][0]["failures"] if f["clause"] == "6.2.8.3"]  # type: ignore[index]
    assert all("the JPEG 2000 data could not be read: " in f["location"] for f in found)
    # with a ColorSpace entry only the channel and bit-depth rules need the data
    assert _jpx_failed(tmp_path, data, colour_space=Name.DeviceCMYK) == {"6.2.8.3-1", "6.2.8.3-5"}


def test_the_finding_names_what_is_wrong(tmp_path: Path) -> None:
    report = _report(tmp_path, jp2(nc=5, colrs=[colr(1, 0, 12)]))
    found = next(f for f in report["profiles"][0]["failures"]  # type: ignore[index]
                 if (f["clause"], f["testNumber"]) == ("6.2.8.3", 1))
    assert "5 colour channels" in found["location"]
