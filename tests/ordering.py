"""``--reverse``: run the collected test files in reverse order, to find tests that depend on order.

Only the files are reversed: the tests inside a file keep their order, since module-scoped fixtures
(one server per module, for instance) and the tests that share them rely on it. Deterministic, so
every pytest-xdist worker collects the same order (``pytest -n 2 --reverse`` works too).
"""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--reverse", action="store_true", default=False,
                     help="run the collected test files in reverse order (tests inside a file keep their order)")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("reverse"):
        return
    by_file: dict[Path, list[pytest.Item]] = {}
    for item in items:
        by_file.setdefault(item.path, []).append(item)
    items[:] = [item for path in reversed(by_file) for item in by_file[path]]
