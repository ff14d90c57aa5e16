"""Conversion to PDF/A that cannot (fully) succeed: what remains is reported by rule and clause, never
called compliant; files and levels no conversion can reach are clear errors."""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pytest

from printgate.core.fixes.pdfa import PdfaConversionError, conversion_level, convert_file, parse_level
from printgate.core.fixes.registry import FixRequest, resolve
from printgate.core.fixes.workdoc import WorkDoc
from tests.fixes import pdfa_defects as d


def test_a_font_missing_on_the_server_remains_and_is_named(tmp_path: Path) -> None:
    src = d.make(tmp_path / "in.pdf", d.font_not_on_server, d.javascript)
    out = tmp_path / "out.pdf"
    result = convert_file(src, out, "2b")
    assert result["compliant"] is False
    assert [(f["ruleId"], f["clause"], f["testNumber"]) for f in result["remaining"]] == [
        ("pdfa2:6.2.11.4.1-1", "6.2.11.4.1", 1)]
    assert "PrintgateNoSuchFont-Bold" in result["remaining"][0]["location"]
    assert any("PrintgateNoSuchFont-Bold" in note and "not available on this server" in note for note in result["notes"])
    assert "6.2.11.4.1-1" in result["summary"] and "not PDF/A-2B compliant" in result["summary"]
    # What could be fixed was: the JavaScript is gone from the partly converted file.
    with pikepdf.open(out) as pdf:
        assert "/OpenAction" not in pdf.Root


def test_pdfa4f_without_an_embedded_file_is_not_claimed(tmp_path: Path) -> None:
    result = convert_file(d.make(tmp_path / "in.pdf"), tmp_path / "out.pdf", "4f")
    assert result["compliant"] is False
    assert [f["clause"] for f in result["remaining"]] == ["6.9"]


def test_an_encrypted_file_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    plain = d.make(tmp_path / "plain.pdf")
    locked = tmp_path / "locked.pdf"
    with pikepdf.open(plain) as pdf:
        pdf.save(locked, encryption=pikepdf.Encryption(owner="owner", user=""))
    out = tmp_path / "out.pdf"
    with pytest.raises(PdfaConversionError, match="encrypted"):
        convert_file(locked, out, "2b")
    assert not out.exists()
    with pikepdf.open(plain) as pdf:
        pdf.save(locked, encryption=pikepdf.Encryption(owner="owner", user="secret"))
    with pytest.raises(PdfaConversionError, match="password"):
        convert_file(locked, out, "2b")


@pytest.mark.parametrize("content", [b"not a pdf at all", b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog"])
def test_an_unreadable_file_is_a_clear_error(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(content)
    with pytest.raises(PdfaConversionError, match="cannot convert"):
        convert_file(bad, tmp_path / "out.pdf", "2b")


@pytest.mark.parametrize("level", ["2a", "PDF/A-1a", "ua1", "pdfua-2"])
def test_accessible_levels_are_refused_saying_why(level: str) -> None:
    with pytest.raises(PdfaConversionError, match="tagged structure tree"):
        parse_level(level)


def test_levels_are_read_in_every_spelling() -> None:
    assert parse_level("PDF/A-2B").code == "2b" and parse_level("pdfa-1b").part == 1
    assert parse_level("4").conformance == "" and parse_level(None).code == "2b"
    with pytest.raises(PdfaConversionError, match="unknown PDF/A level"):
        parse_level("9z")


def test_the_validate_step_picks_the_level_asked_or_claimed() -> None:
    assert conversion_level(["ua1", "3b"]) == "3b"
    claimed = {"profiles": [{"requested": "auto", "matched": "1b"}]}
    assert conversion_level(["auto"], claimed) == "1b"
    assert conversion_level(["auto"], {"profiles": [{"requested": "auto", "matched": "ua1"}]}) == "2b"
    with pytest.raises(PdfaConversionError, match="tagged"):
        conversion_level(["2a"])


def test_the_registered_fix_converts_and_reports_what_remains(tmp_path: Path) -> None:
    spec, _implied = resolve("pdfa") or (None, {})
    assert spec is not None and spec.strategy == "convert_pdfa" and spec.default_params == {"level": "2b"}
    doc = WorkDoc(d.make(tmp_path / "in.pdf", d.font_not_on_server), tmp_path)
    try:
        result = spec.fn(doc, FixRequest("convert_pdfa", {"level": "2b"}))
        assert "not PDF/A-2B compliant" in result.detail and "6.2.11.4.1-1" in result.detail
        assert doc.dirty and doc.force_version == "1.7"
    finally:
        doc.close()
    doc = WorkDoc(d.make(tmp_path / "ok.pdf", d.javascript), tmp_path)
    try:
        assert "the validator confirms it" in spec.fn(doc, FixRequest("convert_pdfa", {"level": "1b"})).detail
    finally:
        doc.close()
