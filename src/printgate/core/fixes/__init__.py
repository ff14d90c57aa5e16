"""Autofix and optimize: small registered fixes applied to a copy of the file.

Public surface: :func:`run_autofix` (fix a preflight report's findings), :func:`optimize_pdf`
(Filecheck's ``params.pdf`` of ``POST /jobs/optimize``) and :func:`fix_catalog`.
"""

from printgate.core.fixes.autofix import run_autofix
from printgate.core.fixes.optimize import optimize_pdf
from printgate.core.fixes.registry import fix_catalog

__all__ = ["fix_catalog", "optimize_pdf", "run_autofix"]
