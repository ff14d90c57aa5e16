"""Shared fixtures for the preflight tests."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from printgate.core.preflight import get_builtin_profile, run_preflight

from .pdfgen import DEFECT_SETUP


def print_ready(**check_overrides: dict[str, Any]) -> dict[str, Any]:
    prof = copy.deepcopy(get_builtin_profile("prof_print_ready"))
    assert prof is not None
    for cid, ov in check_overrides.items():
        prof["checks"].setdefault(cid, {}).update(ov)
    return prof


def profile_for(rule_id: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    setup = DEFECT_SETUP.get(rule_id, {})
    return print_ready(**setup.get("checks", {})), setup.get("context")


def findings(report: dict[str, Any], rule_id: str | None = None) -> list[dict[str, Any]]:
    out = report["evaluation"]["findings"]
    return [f for f in out if rule_id is None or f["ruleId"] == rule_id]


@pytest.fixture
def run(tmp_path: Path) -> Callable[..., dict[str, Any]]:
    """run(generator, profile=None, context=None, name=...) -> report, file built in tmp_path."""

    def _run(gen: Callable[[Path], Path], profile: dict[str, Any] | None = None,
             context: dict[str, Any] | None = None, name: str = "file.pdf", **kw: Any) -> dict[str, Any]:
        path = tmp_path / name
        gen(path)
        return run_preflight(path, profile, source_name=name, context=context, **kw)

    return _run
