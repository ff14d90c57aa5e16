"""``min_font_size`` (ruleId ``text_too_small``) at its boundary: text at the minimum passes, text a
tenth of a point below it is flagged. The targets are literals from the documented profiles
(prof_print_ready 5 pt, prof_business_card 6 pt, prof_large_format 10 pt), never read from the code."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from printgate.core.preflight import get_builtin_profile

from . import pdfgen
from .conftest import findings, print_ready


def text_of(size: float) -> Callable[[Path], Path]:
    """The clean control with its one text run set in ``size`` pt."""
    return lambda path: pdfgen._one_page(path, text=pdfgen._text(size=size))


def flagged(report: dict[str, Any], size: float, target: float) -> dict[str, Any]:
    """The one ``text_too_small`` finding of a report, with a message saying what was missed."""
    hits = findings(report, "text_too_small")
    assert len(hits) == 1, f"{size} pt text against a {target} pt minimum: expected 1 text_too_small, got {hits}"
    return hits[0]


def builtin(profile_id: str) -> dict[str, Any]:
    profile = get_builtin_profile(profile_id)
    assert profile is not None
    return profile


@pytest.mark.parametrize("size", [5.0, 5.1, 12.0])
def test_text_at_or_above_the_default_minimum_passes(run: Callable[..., dict[str, Any]], size: float) -> None:
    report = run(text_of(size), print_ready())
    assert findings(report, "text_too_small") == []
    assert report["pages"][0]["min_font_size_pt"] == size, "the text was measured at its set size"


@pytest.mark.parametrize("size", [4.9, 4.6])
def test_text_just_below_the_default_minimum_is_flagged(run: Callable[..., dict[str, Any]], size: float) -> None:
    """5 pt minimum: 4.9 pt (minimum - 0.1) and 4.6 pt (minimum - 0.4) are both too small."""
    hit = flagged(run(text_of(size), print_ready()), size, 5.0)
    assert hit["severity"] == "warn" and hit["page"] == 1
    assert hit["measured_pt"] == size


@pytest.mark.parametrize(("target", "ok", "small"), [(6.0, [6.0, 7.0], [5.9, 5.6]), (8.0, [8.0], [7.9, 7.6])])
def test_the_profiles_target_is_the_boundary(run: Callable[..., dict[str, Any]], target: float,
                                              ok: list[float], small: list[float]) -> None:
    """A profile's ``min_font_size.pt`` moves the boundary with it."""
    profile = print_ready(min_font_size={"action": "reject", "pt": target})
    for size in ok:
        assert findings(run(text_of(size), profile, name=f"ok-{size}.pdf"), "text_too_small") == [], size
    for size in small:
        hit = flagged(run(text_of(size), profile, name=f"small-{size}.pdf"), size, target)
        assert hit["severity"] == "reject" and hit["measured_pt"] == size


def test_business_card_profile_minimum_is_6_pt(run: Callable[..., dict[str, Any]]) -> None:
    profile = builtin("prof_business_card")
    assert findings(run(text_of(6.0), profile, name="at.pdf"), "text_too_small") == []
    for size in (5.9, 5.6):
        hit = flagged(run(text_of(size), profile, name=f"below-{size}.pdf"), size, 6.0)
        assert hit["measured_pt"] == size and hit["severity"] == "warn"


def test_large_format_profile_minimum_is_10_pt(run: Callable[..., dict[str, Any]]) -> None:
    profile = builtin("prof_large_format")
    assert findings(run(text_of(10.0), profile, name="at.pdf"), "text_too_small") == []
    for size in (9.9, 9.6):
        hit = flagged(run(text_of(size), profile, name=f"below-{size}.pdf"), size, 10.0)
        assert hit["measured_pt"] == size


def test_scaled_text_just_below_the_minimum_is_flagged(run: Callable[..., dict[str, Any]]) -> None:
    """The size on paper decides: 10 pt under a 0.49 scale is 4.9 pt, under 0.5 it is 5 pt."""
    def scaled(factor: float) -> Callable[[Path], Path]:
        text = f"q {factor} 0 0 {factor} 100 300 cm ".encode() + pdfgen._text(size=10) + b"Q\n"
        return lambda path: pdfgen._one_page(path, text=text)

    assert findings(run(scaled(0.5), print_ready(), name="half.pdf"), "text_too_small") == []
    hit = flagged(run(scaled(0.49), print_ready(), name="less.pdf"), 4.9, 5.0)
    assert hit["measured_pt"] == 4.9
