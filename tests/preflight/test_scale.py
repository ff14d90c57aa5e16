"""Speed and boundedness: page-range workers, intake latency, per-page memory."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from printgate.core.preflight import engine, run_preflight
from printgate.core.preflight.pdf.reader import DocumentReader

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


def test_intake_of_a_small_file_is_fast(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 2-page card is checked in this process, each page read once, in little CPU time."""
    path = pdfgen.make_pages(tmp_path / "card.pdf", 2)
    run_preflight(path, None, source_name="card.pdf")  # warm imports (PyMuPDF for TAC)

    pages_read: list[int] = []
    real_page_facts = DocumentReader.safe_page_facts

    def counted(self: DocumentReader, index: int, *args: Any, **kwargs: Any) -> Any:
        pages_read.append(index)
        return real_page_facts(self, index, *args, **kwargs)

    def no_pool(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("a 2-page file must not start page-range worker processes")

    monkeypatch.setattr(DocumentReader, "safe_page_facts", counted)
    monkeypatch.setattr(engine, "_extract_parallel", no_pool)
    # CPU time of this process, where all of the work runs (no pool): a busy machine does not inflate it.
    cpu = []
    for _ in range(3):
        start = time.process_time()
        report = run_preflight(path, None, source_name=path.name)
        cpu.append(time.process_time() - start)
        assert len(report["pages"]) == 2
    assert pages_read == [0, 1] * 3, "each page's content is read once per check"
    assert min(cpu) < 0.5, cpu  # typically ~10-20 ms


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
