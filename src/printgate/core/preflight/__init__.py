"""Preflight check engine: facts from a PDF or raster file, judged against a profile.

Public surface::

    preflight_report(path, profile, *, source_name, context=None, workers=None) -> PreflightReport
    run_preflight(...) -> the same report as the wire's JSON (PreflightReport.to_wire())
    get_builtin_profiles() -> list of profile dicts with stable ids
    check_catalog(kind=None) -> every check with its defaults, settings and autofix strategy
    warm_up() -> import the renderer ahead of the first job
"""

from __future__ import annotations

from .catalog import check_catalog
from .engine import preflight_report, run_preflight, warm_up
from .profiles import get_builtin_profile, get_builtin_profiles
from .report import PreflightReport

__all__ = ["PreflightReport", "check_catalog", "get_builtin_profile", "get_builtin_profiles", "preflight_report",
           "run_preflight", "warm_up"]
