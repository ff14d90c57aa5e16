"""Autofix and optimize: small registered fixes applied to a copy of the file.

Public surface: :func:`run_autofix` (fix a preflight report's findings), :func:`optimize_pdf`
(Filecheck's ``params.pdf`` of ``POST /jobs/optimize``) and :func:`fix_catalog`.

The three are loaded on first use (PEP 562): the preflight engine imports ``fixes.fonts`` for one
helper, and a local ``printgate check`` must not pay for autofix and optimize on start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from printgate.core.fixes.autofix import run_autofix
    from printgate.core.fixes.optimize import optimize_pdf
    from printgate.core.fixes.registry import fix_catalog

__all__ = ["fix_catalog", "optimize_pdf", "run_autofix"]


def __getattr__(name: str) -> Any:
    if name == "run_autofix":
        from printgate.core.fixes.autofix import run_autofix

        return run_autofix
    if name == "optimize_pdf":
        from printgate.core.fixes.optimize import optimize_pdf

        return optimize_pdf
    if name == "fix_catalog":
        from printgate.core.fixes.registry import fix_catalog

        return fix_catalog
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
