"""Damaged files are judged by what their repair lost (issue 11, hole 2).

A file that opens cleanly stays on the fast path. One that qpdf can't read cleanly is reconstructed
(qpdf's recovery, MuPDF's repair) and then: content lost (pages, objects, streams emptied or broken)
-> rejected as "damaged or incomplete"; nothing lost -> a warning that it was repaired; a stream
filter nobody decodes -> rejected as an unsupported compression. Every file here is made in the test.
"""

from __future__ import annotations

import re
import zlib
from pathlib import Path
from typing import Any

import pikepdf
import pymupdf
import pytest
from fastapi.testclient import TestClient

from printgate.core.errors import UnreadableFile
from printgate.core.preflight import run_preflight
from tests.conftest import Instance, b64

from .conftest import findings, print_ready

DAMAGED = "The file is damaged or incomplete; please export it again."
COMPRESSION = "uses a compression this service does not support"


# --- files ---------------------------------------------------------------------------------------


def clean_pdf(path: Path, pages: int = 6) -> Path:
    """A clean multi-page PDF (MuPDF writes it: text, a few KB of vector content per page, Flate)."""
    doc = pymupdf.open()
    for i in range(pages):
        page = doc.new_page(width=595, height=842)
        page.insert_text((72, 72), f"Page {i + 1} of {pages}", fontsize=24)
        shape = page.new_shape()
        for k in range(60):
            shape.draw_rect(pymupdf.Rect(20 + k * 3, 100 + k * 5, 300 + k * 2, 200 + k * 7 % 400))
            shape.finish(color=(0, 0, 0), fill=((k % 10) / 10, 0.2, 0.5), width=0.5)
        shape.commit()
    doc.save(path, deflate=True)
    doc.close()
    return path


def print_ready_pdf(path: Path, pages: int = 6) -> Path:
    """Artwork every default check passes: CMYK vectors only, 3 mm bleed, TrimBox and BleedBox."""
    mm = 72 / 25.4
    bleed, width, height = 3 * mm, 216 * mm, 303 * mm
    pdf = pikepdf.new()
    for i in range(pages):
        ops = [f"0 0 0 0.1 k 0 0 {width:.2f} {height:.2f} re f"]
        ops += [f"{k % 10 / 10:.1f} 0.2 {i / pages:.2f} 0 k {40 + k * 3} {60 + k * 9} {120 + k} {30 + k % 7} re f"
                for k in range(80)]
        page = pdf.add_blank_page(page_size=(width, height))
        page.obj.Contents = pdf.make_stream(zlib.compress("\n".join(ops).encode()), Filter=pikepdf.Name.FlateDecode)
        page.obj.TrimBox = pikepdf.Array([bleed, bleed, width - bleed, height - bleed])
        page.obj.BleedBox = pikepdf.Array([0, 0, width, height])
    pdf.save(path)
    return path


def flat_pdf(path: Path, pages: int = 3) -> Path:
    """The same, rewritten by qpdf with a classic xref table and no object streams, so the tests
    can cut its trailer or edit objects in place (streams stay compressed)."""
    src = clean_pdf(path.with_name(path.stem + "-src.pdf"), pages)
    with pikepdf.open(src) as pdf:
        pdf.save(path, object_stream_mode=pikepdf.ObjectStreamMode.disable)
    return path


def cut_to_a_third(path: Path) -> Path:
    data = clean_pdf(path.with_name("whole.pdf")).read_bytes()
    path.write_bytes(data[: len(data) // 3])
    return path


def without_trailer(path: Path) -> Path:
    """Objects intact; the xref table, trailer and startxref are gone."""
    data = flat_pdf(path.with_name("flat.pdf")).read_bytes()
    path.write_bytes(data[: data.rindex(b"\nxref\n") + 1])
    return path


def without_root(path: Path) -> Path:
    """A valid xref, but the trailer no longer names its /Root (spaces keep every offset right)."""
    data = flat_pdf(path.with_name("flat.pdf")).read_bytes()
    trailer = data.rindex(b"trailer")
    fixed = re.sub(rb"/Root \d+ 0 R", lambda m: b" " * len(m.group(0)), data[trailer:], count=1)
    assert fixed != data[trailer:]
    path.write_bytes(data[:trailer] + fixed)
    return path


def _first_content(pdf: pikepdf.Pdf, index: int) -> Any:
    contents = pdf.pages[index].obj.Contents
    return contents[0] if isinstance(contents, pikepdf.Array) else contents


def corrupt_flate(path: Path, page: int = 2) -> Path:
    """Page ``page``'s content stream with bytes in the middle of its Flate data overwritten."""
    src = flat_pdf(path.with_name("flat.pdf"))
    with pikepdf.open(src) as pdf:
        stream = _first_content(pdf, page - 1)
        raw = bytearray(stream.read_raw_bytes())
        middle = len(raw) // 2
        raw[middle: middle + 16] = bytes(b ^ 0xFF for b in raw[middle: middle + 16])
        with pytest.raises(zlib.error):
            zlib.decompress(bytes(raw))
        stream.write(bytes(raw), filter=pikepdf.Name.FlateDecode)
        pdf.save(path, stream_decode_level=pikepdf.StreamDecodeLevel.none, compress_streams=False)
    return path


def brotli_content(path: Path) -> Path:
    """Page 1's content stream declared as /BrotliDecode (not a filter any reader here decodes)."""
    src = flat_pdf(path.with_name("flat.pdf"))
    with pikepdf.open(src) as pdf:
        _first_content(pdf, 0).write(b"\x8b\x03\x80q 0 0 10 10 re f Q\x03", filter=pikepdf.Name("/BrotliDecode"))
        pdf.save(path, stream_decode_level=pikepdf.StreamDecodeLevel.none, compress_streams=False)
    return path


# --- helpers -------------------------------------------------------------------------------------


def structure(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The structure_integrity findings of a report, by ruleId."""
    return {f["ruleId"]: f for f in findings(report) if f["checkId"] == "structure_integrity"}


def check(path: Path, profile: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    return run_preflight(path, profile, source_name=path.name, **kw)


# --- tests ---------------------------------------------------------------------------------------


def test_clean_file_takes_the_fast_path(tmp_path: Path) -> None:
    report = check(clean_pdf(tmp_path / "clean.pdf"))
    assert report["pdf"]["repair"] is None
    assert structure(report) == {}
    assert report["pdf"]["page_count"] == 6


def test_file_cut_to_a_third_is_rejected_as_damaged(tmp_path: Path) -> None:
    """qpdf recovers one page and empties the cut stream; MuPDF keeps the partial data: both lost
    content, so the file is rejected, not passed with a warning."""
    report = check(cut_to_a_third(tmp_path / "third.pdf"))
    hit = structure(report)["content_lost"]
    assert hit["severity"] == "reject" and hit["issue"] == DAMAGED
    assert hit["autofix"] == {"available": False}
    assert hit["repair"]["pagesDeclared"] == 6 and hit["repair"]["pagesRecovered"] < 6
    assert any("page(s) are missing" in x for x in hit["lost"])
    assert report["outcome"] == "fail"
    assert not report["pdf"]["repair"]["lossless"]


def test_missing_trailer_repairs_without_loss_and_warns(tmp_path: Path) -> None:
    report = check(without_trailer(tmp_path / "notrailer.pdf"))
    hits = structure(report)
    assert set(hits) == {"structure_repaired"}
    hit = hits["structure_repaired"]
    assert hit["severity"] == "warn" and "repaired without losing any content" in hit["issue"]
    assert hit["repair"] == {"tool": "qpdf", "lossless": True, "pagesDeclared": 3, "pagesRecovered": 3,
                             "verified": True}
    assert report["pdf"]["page_count"] == 3
    assert not [f for f in findings(report) if f["severity"] == "reject" and f["sectionId"] == "structure"]


def test_corrupt_flate_in_a_page_content_stream_is_rejected(tmp_path: Path) -> None:
    """The file opens cleanly (fast path): the walker's own decoding notices the corrupt data."""
    report = check(corrupt_flate(tmp_path / "badflate.pdf"))
    hit = structure(report)["content_lost"]
    assert hit["severity"] == "reject" and hit["issue"] == DAMAGED
    assert hit["page"] == 2 and hit["pages"] == [2]
    assert any("page 2:" in x and "compressed data is corrupt" in x for x in hit["lost"])
    assert report["pdf"]["repair"] is None


def test_brotli_stream_is_an_unsupported_compression_not_damage(tmp_path: Path) -> None:
    report = check(brotli_content(tmp_path / "brotli.pdf"))
    hits = structure(report)
    assert set(hits) == {"compression_unsupported"}
    hit = hits["compression_unsupported"]
    assert hit["severity"] == "reject" and COMPRESSION in hit["issue"] and "BrotliDecode" in hit["issue"]
    assert hit["measured_filters"] == ["BrotliDecode"] and hit["pages"] == [1]


def test_missing_root_is_reconstructed_not_refused(tmp_path: Path) -> None:
    """pikepdf: "unable to find /Root dictionary"; MuPDF's repair (forced) finds the catalog."""
    path = without_root(tmp_path / "noroot.pdf")
    with pytest.raises(pikepdf.PdfError):
        pikepdf.open(path)
    report = check(path)
    hits = structure(report)
    assert set(hits) == {"structure_repaired"}
    assert hits["structure_repaired"]["repair"]["tool"] == "mupdf"
    assert hits["structure_repaired"]["autofix"] == {"available": False}  # the qpdf rewrite can't redo it
    assert report["pdf"]["page_count"] == 3


def test_the_repaired_copy_can_be_written_for_later_steps(tmp_path: Path) -> None:
    """Fixes and previews open the upload with pikepdf/MuPDF: they can be handed this copy."""
    from printgate.core.preflight.pdf.repair import write_repaired

    out = tmp_path / "repaired.pdf"
    repair = write_repaired(without_root(tmp_path / "noroot.pdf"), out)
    assert repair is not None and repair.lossless and repair.tool == "mupdf"
    with pikepdf.open(out) as pdf:
        assert len(pdf.pages) == 3
    assert write_repaired(clean_pdf(tmp_path / "clean.pdf"), tmp_path / "unused.pdf") is None
    assert not (tmp_path / "unused.pdf").exists()


def test_lost_content_is_refused_even_with_the_structure_check_off(tmp_path: Path) -> None:
    """A check that doesn't run never lets lost content pass: the file is unreadable instead."""
    profile = print_ready(structure_integrity={"action": "off"})
    with pytest.raises(UnreadableFile) as exc:
        check(cut_to_a_third(tmp_path / "third.pdf"), profile)
    assert exc.value.reason == DAMAGED
    with pytest.raises(UnreadableFile) as exc:
        check(brotli_content(tmp_path / "brotli.pdf"), profile)
    assert COMPRESSION in exc.value.reason


def test_repaired_copy_feeds_the_parallel_workers(tmp_path: Path) -> None:
    """50 pages (the forked-worker path) read from the repaired copy while it still exists."""
    path = tmp_path / "big.pdf"
    data = flat_pdf(tmp_path / "flat.pdf", pages=50).read_bytes()
    path.write_bytes(data[: data.rindex(b"\nxref\n") + 1])
    report = check(path, workers=2)
    assert report["pdf"]["page_count"] == 50 and len(report["pages"]) == 50
    assert set(structure(report)) == {"structure_repaired"}
    assert not any(p.get("content_error") for p in report["pages"])


def test_cut_file_through_the_job_api_is_rejected(client: TestClient, auth: dict[str, str], instance: Instance,
                                                  tmp_path: Path) -> None:
    """Print-ready artwork cut to a third: its damage is the only reason it can't go to the cart."""
    whole = print_ready_pdf(tmp_path / "whole.pdf")
    assert check(whole)["outcome"] != "fail"  # warnings only (no output intent, PDF/X): it could proceed
    third = tmp_path / "third.pdf"
    third.write_bytes(whole.read_bytes()[: whole.stat().st_size // 3])
    created = client.post("/jobs", headers=auth, json={
        "sources": [{"file": b64(third), "name": third.name, "steps": [{"type": "preflight"}]}]})
    assert created.status_code == 201, created.text
    instance.drain()
    job = client.get(f"/jobs/{created.json()['job']['id']}", headers=auth).json()["job"]
    assert job["status"] == "rejected" and job["canProceed"] is False
    report = job["results"]["preflight"][0]["report"]
    hit = structure(report)["content_lost"]
    assert hit["severity"] == "reject" and hit["issue"] == DAMAGED
    assert [f["ruleId"] for f in findings(report) if f["severity"] == "reject"] == ["content_lost"]
