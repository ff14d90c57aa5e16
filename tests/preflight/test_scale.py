"""Speed and boundedness: page-range workers, intake latency, per-page memory."""

from __future__ import annotations

import time
from pathlib import Path

from core.preflight import run_preflight

from . import pdfgen
from .conftest import print_ready


def _strip(report: dict) -> dict:
    return {k: v for k, v in report.items() if k != "source"}


def test_workers_give_the_same_report(tmp_path: Path) -> None:
    import pikepdf

    pdf = pikepdf.new()
    pages = [pdfgen.clean_page(pdf)] * 30 + [pdfgen.clean_page(pdf, text=pdfgen._text(size=4))] + [pdfgen.clean_page(pdf)] * 29
    path = pdfgen.build_into(pdf, tmp_path / "book.pdf", pages)
    serial = run_preflight(path, print_ready(), source_name="book.pdf", workers=1)
    parallel = run_preflight(path, print_ready(), source_name="book.pdf", workers=2)
    assert _strip(serial) == _strip(parallel)
    assert [f["page"] for f in serial["evaluation"]["findings"] if f["ruleId"] == "text_too_small"] == [31]
    assert len(parallel["pages"]) == 60 and parallel["fonts"][0]["pages"] == list(range(1, 61))


def test_intake_of_a_small_file_is_fast(tmp_path: Path) -> None:
    path = pdfgen.make_pages(tmp_path / "card.pdf", 2)
    run_preflight(path, None, source_name="card.pdf")  # warm imports (PyMuPDF for TAC)
    best = min(_timed(path) for _ in range(3))
    assert best < 0.5, best  # typically ~10-20 ms


def _timed(path: Path) -> float:
    start = time.perf_counter()
    run_preflight(path, None, source_name=path.name)
    return time.perf_counter() - start


def test_page_facts_stay_small_on_busy_pages(tmp_path: Path) -> None:
    """10,000 text runs and 10,000 hairlines on a page: the report keeps only the worst few."""
    text = b"".join(pdfgen._text(x_mm=1 + (i % 100), y_mm=1 + (i // 100) * 2, size=4, word=b"x") for i in range(10_000))
    strokes = b"".join(f"q 0 0 0 1 K 0.05 w {20 + i % 300} 300 m {21 + i % 300} 310 l S Q\n".encode() for i in range(10_000))
    path = pdfgen._one_page(tmp_path / "busy.pdf", text=text, stroke=strokes)
    report = run_preflight(path, print_ready(), source_name="busy.pdf")
    small = next(f for f in report["evaluation"]["findings"] if f["ruleId"] == "text_too_small")
    assert len(small["locate"]["boxes"]) <= 20
    thin = next(f for f in report["evaluation"]["findings"] if f["ruleId"] == "stroke_too_thin")
    assert thin["measured_pt"] == 0.05 and len(thin["locate"]["boxes"]) <= 20
    zone = next(f for f in report["evaluation"]["findings"] if f["ruleId"] == "text_outside_safe_zone")
    assert len(zone["locate"]["boxes"]) <= 20
