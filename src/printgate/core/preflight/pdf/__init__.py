"""Reading a PDF into the facts the preflight checks judge, split by concern.

Dependency direction (no module imports one to its right): ``objects``/``geometry`` ->
``colorspaces``/``fonts``/``streams``/``xmp``/``textgeom`` -> ``walker``/``repair`` -> ``reader``. Entry points
are in ``reader`` (``detect_kind``, ``open_pdf``, ``page_count``, ``DocumentReader``) and
``repair`` (``open_document``: a damaged file reconstructed, and what that lost). This package does
not import the checks.
"""
