"""Preflight check engine: facts from a PDF or raster file, judged against a profile.

Public surface::

    run_preflight(path, profile, *, source_name, context=None, workers=None) -> report dict
    get_builtin_profiles() -> list of profile dicts with stable ids
    check_catalog(kind=None) -> every check with its defaults, settings and autofix strategy
    warm_up() -> import the renderer ahead of the first job
"""

from __future__ import annotations

from .catalog import check_catalog
from .engine import run_preflight, warm_up
from .profiles import get_builtin_profile, get_builtin_profiles

__all__ = ["check_catalog", "get_builtin_profile", "get_builtin_profiles", "run_preflight", "warm_up"]
