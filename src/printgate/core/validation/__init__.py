"""PDF/A and PDF/UA validation: an object model of the document and one small rule per clause.

``validate_file(path, ["pdfa-2b"])`` answers a report shaped like veraPDF's (profiles, checks and
rules passed/failed, failures with clause, test number, object location and count). The rules are
written from the clauses of ISO 19005 and ISO 14289 as veraPDF's validation profiles describe them;
the profiles are the reference, not a file read at run time. See ``README.md`` in this folder.
"""

from __future__ import annotations

from printgate.core.validation.engine import CannotValidate, validate_file
from printgate.core.validation.flavours import FLAVOURS, normalise_flavour

__all__ = ["FLAVOURS", "CannotValidate", "normalise_flavour", "validate_file"]
