"""The optional compiled tokenizer (content.py's ``scan_ops``); everything else is in pyproject.toml.

``optional=True``: without a C compiler the install still succeeds and content.py uses its
pure-Python tokenizer, which gives the same results, only slower."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "printgate.core.preflight._scan",
            ["src/printgate/core/preflight/_scan.c"],
            extra_compile_args=["-O2"],
            optional=True,
        )
    ]
)
