"""The tests' clock (tests/clock.py) reaches every process a test starts, and cassettes replay on theirs."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest
import time_machine

from tests import clock

AT = datetime(2031, 5, 17, 8, 30, tzinfo=UTC)


def python_child_time() -> float:
    out = subprocess.run([sys.executable, "-c", "import time; print(time.time())"], capture_output=True, text=True,
                         check=True, timeout=60)
    return float(out.stdout)


def php_child_time() -> float:
    out = subprocess.run(["php", "-r", "echo microtime(true);"], capture_output=True, text=True, check=True,
                         timeout=60, env=clock.php_env())
    return float(out.stdout)


def test_a_fixed_clock_reaches_python_and_php_children() -> None:
    with clock.fixed_clock(AT):
        assert abs(time.time() - AT.timestamp()) < 5
        assert abs(python_child_time() - AT.timestamp()) < 30
        assert abs(php_child_time() - AT.timestamp()) < 30
    # Back on the session's clock, and so are the children.
    assert abs(python_child_time() - time.time()) < 30
    assert abs(php_child_time() - time.time()) < 30


def test_children_tick_in_step_with_the_tests() -> None:
    """A child's clock starts where the parent's is, not where it was when the child began importing."""
    with clock.fixed_clock(AT):
        before = time.time()
        child = python_child_time()
        after = time.time()
        assert before - 0.05 <= child <= after + 0.05


def test_the_session_runs_as_far_ahead_as_asked(pytestconfig: pytest.Config) -> None:
    days = pytestconfig.getoption("clock_shift_days")
    real = time_machine.escape_hatch.time.time() if time_machine.escape_hatch.is_travelling() else time.time()
    assert abs(time.time() - (real + days * 86400)) < 5
    assert abs(python_child_time() - (real + days * 86400)) < 30
    assert abs(php_child_time() - (real + days * 86400)) < 30


@pytest.mark.cassette
def test_a_cassette_test_runs_on_the_cassettes_clock() -> None:
    assert clock.on_cassette_clock()
    assert abs(time.time() - clock.CASSETTE_EPOCH.timestamp()) < 600
    assert abs(python_child_time() - clock.CASSETTE_EPOCH.timestamp()) < 600


def test_a_cassette_refuses_to_open_off_its_clock() -> None:
    from tests import cassettes

    with pytest.raises(AssertionError, match=r"mark it @pytest\.mark\.cassette"):
        cassettes.require_clock()
