"""Hostile input: every case ends in UnreadableFile or a finding, quickly and without a memory blow-up."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from printgate.core.errors import UnreadableFile
from printgate.core.preflight import run_preflight

from . import pdfgen
from .conftest import findings

LIMIT_S = 5.0


def _run(path: Path, profile: dict | None = None) -> dict:
    start = time.monotonic()
    try:
        return run_preflight(path, profile, source_name=path.name)
    finally:
        assert time.monotonic() - start < LIMIT_S


@pytest.mark.parametrize(
    ("name", "reason_part"),
    [
        ("zero_byte", "empty"),
        ("not_a_pdf", "not a PDF"),
        ("truncated", "damaged or truncated"),
        ("password_protected", "password-protected"),
        ("page_tree_loop", "PDF"),
        ("page_bomb", "at most 10000 pages"),
        ("png_bomb", "too large"),
    ],
)
def test_unreadable(tmp_path: Path, name: str, reason_part: str) -> None:
    path = {**pdfgen.HOSTILE, **pdfgen.HOSTILE_EXTRA}[name](tmp_path / name)
    with pytest.raises(UnreadableFile) as exc:
        _run(path)
    assert reason_part in exc.value.reason


def test_half_truncated_is_unreadable_or_flagged(tmp_path: Path) -> None:
    path = pdfgen.half_truncated(tmp_path / "half.pdf")
    try:
        report = _run(path)
    except UnreadableFile as exc:
        assert exc.reason
        return
    # Half the file is gone: what the repair recovered lost content, so the file is refused outright
    # (it used to be a structure_damaged warning, and the job could proceed).
    [lost] = findings(report, "content_lost")
    assert lost["severity"] == "reject"


def test_content_bomb_is_a_finding(tmp_path: Path) -> None:
    path = pdfgen.content_bomb(tmp_path / "bomb.pdf", megabytes=100)
    report = _run(path)
    hit = findings(report, "structure_damaged")[0]
    assert hit["page"] == 1
    assert "decompression limit" in report["pages"][0]["content_error"]
    assert "ink_coverage" in report["evaluation"]["skipped"]  # not rendered either


def test_broken_content_stream_is_a_finding(tmp_path: Path) -> None:
    report = _run(pdfgen.broken_content(tmp_path / "broken.pdf"))
    hit = findings(report, "structure_damaged")[0]
    assert hit["page"] == 1 and any("page 1" in p for p in hit["problems"])


def test_huge_image_declared_in_pdf_is_not_decoded(tmp_path: Path) -> None:
    report = _run(pdfgen.huge_image_pdf(tmp_path / "huge.pdf"))
    (img,) = report["images"]
    assert img["width_px"] == 100_000
    assert findings(report, "image_high_resolution")
    assert "ink_coverage" in report["evaluation"]["skipped"]


def test_huge_png_is_read_from_the_header(tmp_path: Path) -> None:
    path = pdfgen.huge_png(tmp_path / "huge.png")
    report = _run(path, {"kind": "raster", "checks": {"raster_max_pixels": {"action": "warn", "max_width": 10000}}})
    assert report["raster"]["width_px"] == 20_000 and report["raster"]["decoded"] is False
    assert findings(report, "raster_too_large")[0]["measured_px"] == [20_000, 20_000]


def test_form_xobject_loop_is_bounded(tmp_path: Path) -> None:
    import pikepdf

    def gen(path: Path) -> Path:
        pdf = pikepdf.new()
        form = pikepdf.Stream(pdf, b"/Fm1 Do")
        form.Type = pikepdf.Name.XObject
        form.Subtype = pikepdf.Name.Form
        form.BBox = pikepdf.Array([0, 0, 10, 10])
        form = pdf.make_indirect(form)
        form.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Fm1=form))
        spec = pdfgen.clean_page(pdf, xobjects={"Fm1": form}, extra=b"/Fm1 Do\n")
        return pdfgen.build_into(pdf, path, [spec])

    report = _run(gen(tmp_path / "loop.pdf"))
    assert report["pages"][0]["page"] == 1  # finished


def test_deep_qQ_nesting_is_bounded(tmp_path: Path) -> None:
    report = _run(pdfgen._one_page(tmp_path / "q.pdf", extra=b"q " * 10000 + b"Q " * 10000))
    assert findings(report, "structure_damaged")


def test_mutated_files_never_crash(tmp_path: Path) -> None:
    """Random byte damage to the clean control: a report or UnreadableFile, nothing else, quickly."""
    import random

    import pikepdf

    src = pdfgen.make_clean(tmp_path / "src.pdf")
    flat = tmp_path / "flat.pdf"
    with pikepdf.open(src) as pdf:  # uncompressed, no object streams: damage hits the structure
        pdf.save(flat, compress_streams=False, object_stream_mode=pikepdf.ObjectStreamMode.disable)
    rng = random.Random(20261125)
    inserts = [b"R", b"0 0 R", b"<<", b">>", b"[", b"]", b"/Kids [1 0 R]", b"99999999999", b"(", b"BT", b"q", b"Do"]
    outcomes = {"report": 0, "unreadable": 0}
    for base in (src, flat):
        data = base.read_bytes()
        for i in range(20):
            b = bytearray(data)
            for _ in range(rng.randint(1, 20)):
                pos = rng.randrange(len(b))
                r = rng.random()
                if r < 0.5:
                    b[pos] = rng.randrange(256)
                elif r < 0.7:
                    del b[pos : pos + rng.randint(1, 50)]
                else:
                    b[pos:pos] = rng.choice(inserts)
            path = tmp_path / f"m{i}.pdf"
            path.write_bytes(bytes(b))
            try:
                _run(path)
                outcomes["report"] += 1
            except UnreadableFile:
                outcomes["unreadable"] += 1
    assert outcomes["report"] > 0


def test_time_budget_degrades_to_geometry_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fault injection: with no time left, pages are still measured for boxes but not walked."""
    from printgate.core.preflight import engine

    monkeypatch.setattr(engine, "TIME_BUDGET_S", 0.0)
    report = _run(pdfgen.make_pages(tmp_path / "p.pdf", 3, text=pdfgen._text(size=4)))
    assert [e["code"] for e in report["errors"]] == ["time_limit"]
    assert len(report["pages"]) == 3 and all(p["inspected"] is False for p in report["pages"])
    assert not findings(report, "text_too_small")  # content not inspected...
    assert report["pages"][0]["bleed_pt"] == 8.5  # ...but geometry is
