"""Progress inside a long preflight: pages done / total, through a callback, at most about once a second."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from printgate.core.preflight import progress as progress_mod
from printgate.core.preflight import run_preflight

from .pdfgen import make_pages


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def every_page(monkeypatch: pytest.MonkeyPatch) -> None:
    """No throttle: every page's count reaches the callback."""
    monkeypatch.setattr(progress_mod, "INTERVAL_S", 0.0)


def _recorder() -> tuple[list[tuple[int, int]], Any]:
    calls: list[tuple[int, int]] = []
    return calls, lambda done, total: calls.append((done, total))


def test_each_page_is_counted_up_to_the_total(tmp_path: Path, every_page: None) -> None:
    path = make_pages(tmp_path / "six.pdf", 6)
    calls, tell = _recorder()
    report = run_preflight(path, None, source_name="six.pdf", workers=1, progress=tell)
    assert report["pdf"]["page_count"] == 6
    assert calls == [(done, 6) for done in range(7)]


def test_two_workers_count_up_to_the_total_and_report_the_same(tmp_path: Path, every_page: None) -> None:
    path = make_pages(tmp_path / "twelve.pdf", 12)
    calls, tell = _recorder()
    parallel = run_preflight(path, None, source_name="twelve.pdf", workers=2, progress=tell)
    serial = run_preflight(path, None, source_name="twelve.pdf", workers=1)
    done = [d for d, _ in calls]
    assert calls[0] == (0, 12) and calls[-1] == (12, 12)
    assert done == sorted(done) and len(set(done)) == len(done)  # strictly increasing
    assert {t for _, t in calls} == {12}
    assert len(calls) >= 3  # chunks of 4 pages: some count between the first and the last
    assert parallel["evaluation"] == serial["evaluation"] and parallel["pages"] == serial["pages"]


def test_counts_are_told_at_most_once_a_second(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock()
    monkeypatch.setattr(progress_mod, "time", clock)
    calls, tell = _recorder()
    ticker = progress_mod.ProgressTicker(tell, 10)
    ticker.start()
    for step in (0.3, 0.3, 0.5, 0.2, 0.2, 0.2, 1.5, 0.1, 0.1):  # nine pages
        clock.now += step
        ticker.advance()
    clock.now += 0.1
    ticker.advance()  # the last page is always told
    assert calls == [(0, 10), (3, 10), (7, 10), (10, 10)]


def test_a_failing_callback_does_not_cost_the_check(tmp_path: Path, every_page: None) -> None:
    path = make_pages(tmp_path / "three.pdf", 3)

    def broken(done: int, total: int) -> None:
        raise RuntimeError("display went away")

    with_broken = run_preflight(path, None, source_name="three.pdf", workers=1, progress=broken)
    plain = run_preflight(path, None, source_name="three.pdf", workers=1)
    assert with_broken["evaluation"] == plain["evaluation"]


def test_the_pipeline_tells_the_preflight_steps_pages(tmp_path: Path, every_page: None, instance: object) -> None:
    """A real job (preflight, then a re-preflight) on a multi-page file: each step's pages reach its total."""
    from printgate import batch

    path = make_pages(tmp_path / "five.pdf", 5)
    heard: list[tuple[str, int | None, int | None]] = []
    job = batch.inline_job(path, [{"type": "preflight"}, {"type": "repreflight"}], None,
                           lambda what, done, total: heard.append((what, done, total)))
    assert job["status"] != "processing"
    for step in ("preflight", "repreflight"):
        pages = [(d, t) for what, d, t in heard if what == step and d is not None]
        assert pages == [(d, 5) for d in range(6)], (step, heard)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_check_shows_a_pages_bar_on_a_terminal_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from printgate import batch

    path = make_pages(tmp_path / "four.pdf", 4)
    term = _Terminal()
    monkeypatch.setattr("sys.stderr", term)
    verdict = batch.check_file(path, None, live=True)
    assert verdict.pages == 4
    shown = term.getvalue()
    assert "four.pdf: preflight" in shown and "4/4" in shown

    piped = io.StringIO()
    monkeypatch.setattr("sys.stderr", piped)
    assert batch.check_file(path, None, live=True).pages == 4  # live, but stderr is not a terminal
    assert batch.check_file(path, None).pages == 4
    assert piped.getvalue() == ""
