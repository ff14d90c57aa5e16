"""Hostile files through the real intake: each one submitted to the API, run by a real ``printgate
worker`` process, ends in a terminal status with a clear reason or a verdict, never a traceback, with
the worker's peak memory bounded and the worker alive for the next file.

The files are generated here (broken xref and streams, truncation, page-tree loops, decompression
and image bombs, deep nesting, odd encodings); ``tests/preflight/test_hostile.py`` checks the engine
alone on its own set."""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Callable
from pathlib import Path

import pikepdf
from fastapi.testclient import TestClient

from tests.conftest import Instance, make_clean_pdf
from tests.core.workers import peak_rss_mb, reasons, submit_file, wait_terminal, worker_process

JOB_MEMORY_MB = 512  # the per-job cap the worker runs with (PRINTGATE_JOB_MEMORY_MB)
PEAK_RSS_MB = 900  # the worker's high-water mark over the whole run: its ~200 MB, a job's cap and slack
STEPS = [{"type": "preflight"}, {"type": "autofix"}, {"type": "repreflight"}, {"type": "previews"}]


def repeated_flate(unit: bytes, times: int, head: bytes = b"") -> bytes:
    """Flate data for ``head + unit * times``, built in a moment however large: ``unit`` is compressed
    once as a self-contained (fully flushed) deflate segment, repeated, and closed with the checksum."""
    def segment(data: bytes) -> bytes:
        compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
        return compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH)

    checksum = zlib.adler32(head)
    for _ in range(times):
        checksum = zlib.adler32(unit, checksum)
    end = zlib.compressobj(9, zlib.DEFLATED, -15).flush()  # an empty final block
    return b"\x78\xda" + (segment(head) if head else b"") + segment(unit) * times + end + checksum.to_bytes(4, "big")


def _flat(path: Path, build: Callable[[pikepdf.Pdf], None]) -> bytes:
    pdf = pikepdf.new()
    build(pdf)
    pdf.save(path, compress_streams=False, object_stream_mode=pikepdf.ObjectStreamMode.disable,
             qdf=False, static_id=True)
    return path.read_bytes()


def _page(pdf: pikepdf.Pdf, content: bytes = b"0 0 0 1 k 50 50 200 200 re f") -> pikepdf.Page:
    page = pdf.add_blank_page(page_size=(595, 842))
    page.obj.Contents = pdf.make_stream(content)
    return page


def broken_xref(path: Path) -> Path:
    data = _flat(path, lambda pdf: [_page(pdf) for _ in range(3)])
    head, _, tail = data.rpartition(b"xref")
    tail = re.sub(rb"\d{10} 00000 n", b"0000000007 00000 n", tail)  # every offset points at garbage
    path.write_bytes(head + b"xref" + tail)
    return path


def broken_stream(path: Path) -> Path:
    def build(pdf: pikepdf.Pdf) -> None:
        page = pdf.add_blank_page(page_size=(595, 842))
        raw = zlib.compress(b"0 0 0 1 k 50 50 200 200 re f\n" * 400)
        stream = pikepdf.Stream(pdf, raw[: len(raw) // 2] + b"\x00garbage\xff" * 20)
        stream.Filter = pikepdf.Name.FlateDecode
        page.obj.Contents = pdf.make_indirect(stream)

    _flat(path, build)
    return path


def truncated(path: Path) -> Path:
    data = _flat(path, lambda pdf: [_page(pdf) for _ in range(4)])
    path.write_bytes(data[: int(len(data) * 0.35)])
    return path


def page_tree_loop(path: Path) -> Path:
    data = _flat(path, lambda pdf: [_page(pdf) for _ in range(2)])
    # The root Pages node lists itself among its kids: a walker that follows Kids never ends.
    pages_obj = re.search(rb"(\d+) 0 obj\s*<<[^>]*?/Type /Pages", data)
    assert pages_obj is not None
    ref = pages_obj.group(1) + b" 0 R"
    data = re.sub(rb"/Kids \[", b"/Kids [ " + ref + b" ", data, count=1)
    path.write_bytes(data)
    return path


def decompression_bomb(path: Path) -> Path:
    """Flate that inflates to 200 MB of page content."""
    def build(pdf: pikepdf.Pdf) -> None:
        page = pdf.add_blank_page(page_size=(595, 842))
        stream = pikepdf.Stream(pdf, repeated_flate(b" " * (1 << 20), 200, head=b"0 0 0 1 k 1 1 m 2 2 l S\n"))
        stream.Filter = pikepdf.Name.FlateDecode
        page.obj.Contents = pdf.make_indirect(stream)

    pdf = pikepdf.new()
    build(pdf)
    pdf.save(path, compress_streams=False)
    return path


def image_bomb(path: Path) -> Path:
    """A 30,000 x 30,000 px RGB image (2.7 GB decoded) in 2.6 MB of Flate, placed on the page."""
    pdf = pikepdf.new()
    page = pdf.add_blank_page(page_size=(595, 842))
    side = 30_000
    image = pikepdf.Stream(pdf, repeated_flate(b"\x80" * (side * 3) * 100, side // 100))
    image.Type = pikepdf.Name.XObject
    image.Subtype = pikepdf.Name.Image
    image.Width, image.Height = side, side
    image.ColorSpace = pikepdf.Name.DeviceRGB
    image.BitsPerComponent = 8
    image.Filter = pikepdf.Name.FlateDecode
    page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im1=pdf.make_indirect(image)))
    page.obj.Contents = pdf.make_stream(b"q 500 0 0 700 40 70 cm /Im1 Do Q")
    pdf.save(path, compress_streams=False)
    return path


def deep_nesting(path: Path) -> Path:
    """An array nested 50,000 deep in the page dictionary, and q/Q nesting 20,000 deep in its content."""
    data = _flat(path, lambda pdf: [_page(pdf, b"q " * 20_000 + b"0 0 0 1 k 1 1 5 5 re f " + b"Q " * 20_000)])
    nested = b"[" * 50_000 + b"]" * 50_000
    data = data.replace(b"/Type /Page", b"/Type /Page /Deep " + nested, 1)
    path.write_bytes(data)  # the xref offsets after the insertion are now wrong too
    return path


def odd_encodings(path: Path) -> Path:
    """UTF-16 metadata with a lone surrogate, names with #-escapes, a font with a hostile Encoding."""
    def build(pdf: pikepdf.Pdf) -> None:
        font = pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name("/H#e9lv#00etica"),
            Encoding=pikepdf.Dictionary(Type=pikepdf.Name.Encoding, BaseEncoding=pikepdf.Name("/NoSuchEncoding"),
                                        Differences=pikepdf.Array([-5, pikepdf.Name("/x#20y"), 99999]))))
        page = _page(pdf, b"BT /F#31 9 Tf 50 50 Td <feff00e9d800fffe> Tj (\\377\\376\\000\\330) Tj ET")
        page.obj.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary({"/F1": font}))
        pdf.docinfo["/Title"] = pikepdf.String(b"\xfe\xff\xd8\x00\x00A")  # UTF-16BE, lone high surrogate
        pdf.docinfo["/Author"] = pikepdf.String(b"\xff\xfe\x00\xd8")

    _flat(path, build)
    return path


def encrypted(path: Path) -> Path:
    pdf = pikepdf.new()
    _page(pdf)
    pdf.save(path, encryption=pikepdf.Encryption(user="secret", owner="owner"))
    return path


def not_a_pdf(path: Path) -> Path:
    path.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 64)
    return path


CASES: dict[str, Callable[[Path], Path]] = {
    "broken_xref": broken_xref, "broken_stream": broken_stream, "truncated": truncated,
    "page_tree_loop": page_tree_loop, "decompression_bomb": decompression_bomb, "image_bomb": image_bomb,
    "deep_nesting": deep_nesting, "odd_encodings": odd_encodings, "encrypted": encrypted, "not_a_pdf": not_a_pdf,
}
# What each must come to: "rejected" (refused with a reason), or "verdict" (checked: any outcome).
EXPECTED_REJECTED = {"encrypted", "not_a_pdf"}
# Damaged files that may be read as a reconstruction: when they get a verdict, the report says so.
EXPECTED_REPAIRED = {"truncated", "page_tree_loop", "deep_nesting"}
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\.py\", line \d+")


def test_hostile_files_end_terminal_with_a_reason_and_bounded_memory(
        client: TestClient, auth: dict[str, str], instance: Instance, tmp_path: Path) -> None:
    files = {name: make(tmp_path / f"{name}.pdf") for name, make in CASES.items()}
    env = {"PRINTGATE_JOB_MEMORY_MB": str(JOB_MEMORY_MB)}
    with worker_process(tmp_path, queues="intake,processing", env=env) as worker:
        done, peaks = {}, {}
        for name, path in files.items():  # one at a time: each file's memory is its own
            done[name] = wait_terminal(client, auth, submit_file(client, auth, path, STEPS), timeout=240, worker=worker)
            peaks[name] = round(peak_rss_mb(worker.pid))
        # The worker that took them all checks a clean file afterwards.
        control = wait_terminal(client, auth, submit_file(client, auth, make_clean_pdf(tmp_path / "clean.pdf"), STEPS),
                                worker=worker)
        peak = peak_rss_mb(worker.pid)
    assert control["status"] in ("ready", "partial"), reasons(control)
    assert peak < PEAK_RSS_MB, f"worker peak RSS {peak:.0f} MB (high-water mark after each file: {peaks})"
    for name, job in done.items():
        text = json.dumps(job)
        assert not TRACEBACK.search(text), f"{name}: a traceback reached the job"
        assert "Internal error" not in text, (name, reasons(job))
        steps = [s for t in job["tasks"] for s in t["steps"]]
        assert all(s["status"] in ("done", "skipped", "error") for s in steps), (name, steps)
        assert all(s["reason"] for s in steps if s["status"] == "error"), name  # every error says why
        if name in EXPECTED_REJECTED:
            assert job["status"] == "rejected" and job["canProceed"] is False, (name, job["status"])
            assert steps[0]["status"] == "error" and len(steps[0]["reason"]) > 10, (name, steps[0])
        if job["status"] != "rejected":  # a verdict: the check ran and says what it found
            assert steps[0]["status"] == "done" and steps[0]["outcome"] in ("pass", "warn", "fail"), (name, steps[0])
            report = job["results"]["preflight"][0]["report"]
            if name in EXPECTED_REPAIRED:
                assert report["pdf"]["repair"] or report["pdf"]["structure_warnings"], name
    # The bombs never pass: their content could not be checked in full.
    for name in ("decompression_bomb", "image_bomb"):
        assert done[name]["tasks"][0]["steps"][0]["outcome"] != "pass", name
