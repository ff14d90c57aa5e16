"""Reading a PDF into the facts the preflight checks judge, split by concern.

Dependency direction (no module imports one to its right): ``objects``/``geometry`` ->
``colorspaces``/``fonts``/``streams``/``xmp`` -> ``walker`` -> ``reader``. Entry points are in
``reader`` (``detect_kind``, ``open_pdf``, ``page_count``, ``DocumentReader``). This package does
not import the checks.
"""
